"""Synthesise every environment of a project in one process (cdktf's start-up is paid once)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from constructs_lib.compat import App
from webkit.spec import ProjectSpec
from webkit.workspace import STACK_FILE

from .project_stack import ProjectStack


def synth_app(spec: ProjectSpec, outdir: Path, environments: list[str] | None = None) -> App:
    app = App(outdir=str(outdir), skip_validation=False)
    for environment in environments or spec.environments:
        ProjectStack(app, environment, spec)
    app.synth()
    return app


def synthesize(spec: ProjectSpec, environments: list[str] | None = None) -> dict[str, str]:
    """Terraform JSON text per environment, identical for identical specs."""
    with tempfile.TemporaryDirectory(prefix="webkit-synth-") as tmp:
        synth_app(spec, Path(tmp), environments)
        return {e: (Path(tmp) / "stacks" / e / STACK_FILE).read_text() for e in environments or spec.environments}
