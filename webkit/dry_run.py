"""`webkit infra plan --dry-run`: everything CI would be handed, written locally."""

from __future__ import annotations

from pathlib import Path

from webkit import __version__
from webkit.files import write_atomic
from webkit.manifest import Manifest
from webkit.spec import to_spec

TFVARS_FILE = "project.auto.tfvars.json"


def dry_run(manifest: Manifest, out: Path) -> list[Path]:
    spec = to_spec(manifest, __version__)
    path = Path(out) / TFVARS_FILE
    write_atomic(path, spec.to_json())
    return [path]
