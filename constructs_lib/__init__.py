"""Reusable cdktf constructs, one per concept, in the style of the AWS CDK construct guidelines.

Importing this package starts cdktf (Node + jsii): only synthesising code does.
"""
