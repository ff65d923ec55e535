"""cdktf stacks: one ProjectStack per environment, built from a ProjectSpec.

Importing this package starts cdktf; webkit imports it only on synthesising paths.
"""
