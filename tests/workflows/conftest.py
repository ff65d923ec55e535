"""Generated projects for the workflow tests: app.json + the .github/ that `webkit update` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, write_project
from webkit import __version__
from webkit.commands.update import update
from webkit.manifest import load

MANIFESTS = REPO / "tests" / "manifests"
PROJECTS = {
    "example": EXAMPLE / "app.json",
    "staging-and-production": MANIFESTS / "staging-and-production.json",
    "no-secrets": MANIFESTS / "no-secrets.json",
}


def generate(folder: Path, manifest: Path) -> Path:
    write_project(folder, manifest.read_text())
    update(folder, lambda: load(folder)[0], __version__)
    return folder


@pytest.fixture(scope="session")
def projects(tmp_path_factory) -> dict[str, Path]:
    """Each test manifest, generated once for the session (synthesis is the slow part)."""
    return {name: generate(tmp_path_factory.mktemp(name), path) for name, path in PROJECTS.items()}


def load_yaml(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the `on:` key as a boolean
        doc["on"] = doc.pop(True)
    return doc


def steps(document: dict):
    """(job or action, step) for every step of a workflow or composite action."""
    if "runs" in document:
        for step in document["runs"]["steps"]:
            yield "action", step
    for name, job in (document.get("jobs") or {}).items():
        for step in job.get("steps", []):
            yield name, step


def copy_project(project: Path, into: Path) -> Path:
    shutil.copytree(project, into)
    return into


def stack_of(project: Path, environment: str) -> dict:
    from webkit.commands.synth import synthesize
    from webkit.spec import to_spec

    return json.loads(synthesize(to_spec(load(project)[0], __version__), [environment])[environment])
