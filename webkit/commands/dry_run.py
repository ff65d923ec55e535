"""`webkit infra plan --dry-run`: what CI would be handed, written into one folder."""

from __future__ import annotations

from pathlib import Path

from webkit.spec import ProjectSpec
from webkit.workspace import STACK_FILE

TFVARS_FILE = "project.auto.tfvars.json"


def dry_run_files(project_dir: Path, spec: ProjectSpec, stacks: dict[str, str], folder: Path) -> dict[Path, str]:
    """The ProjectSpec as tfvars, each stack as cdktf writes it, and the workflows, under `folder`."""
    from webkit.commands.update import render

    files = {folder / TFVARS_FILE: spec.to_json()}
    files |= {folder / "stacks" / environment / STACK_FILE: text for environment, text in stacks.items()}
    files |= render(project_dir, spec, stacks, root=folder)[0]
    return files
