"""ProjectSpec: the manifest flattened and resolved for the stacks and the workflows."""

from .models import AppSpec, EnvVarSpec, ProjectSpec, ResourceSpec, SecretSpec
from .transform import to_spec

__all__ = ["AppSpec", "EnvVarSpec", "ProjectSpec", "ResourceSpec", "SecretSpec", "to_spec"]
