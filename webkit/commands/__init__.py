"""The commands, at the top of the import graph: the CLI and what it orchestrates (update,
validate, what an edit changes, the cache, local Terraform, the dry run, the door to cdktf).

Nothing below (manifest, spec, sandbox, workflows, constructs_lib, stacks) imports from here.
"""
