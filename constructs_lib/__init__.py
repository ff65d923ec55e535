"""Reusable cdktf constructs, one per concept, in the style of the AWS CDK construct guidelines.

A construct's props are its kind's validated config model (webkit/registry). Importing
a construct module (or `compat`) starts cdktf (Node + jsii), so only synthesising code does;
`node.py` and `kernel.py` start nothing when imported (the CLI reads them for --version).
"""
