"""cdktf stacks: one ProjectStack per environment, built from a ProjectSpec.

Importing `stacks.synth` or `stacks.project_stack` starts cdktf; webkit does so only on
synthesising paths.
"""
