import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO
from webkit.commands.synth import synthesize
from webkit.manifest import Manifest, load
from webkit.spec import to_spec

MANIFESTS = REPO / "tests" / "manifests"


def spec_of(manifest: dict | Path):
    if isinstance(manifest, Path):
        return to_spec(load(manifest)[0] if manifest.is_dir() else Manifest.model_validate_json(manifest.read_text()), "0.1.0")
    return to_spec(Manifest.model_validate(manifest), "0.1.0")


def synth(manifest: dict | Path) -> dict[str, dict]:
    return {env: json.loads(text) for env, text in synthesize(spec_of(manifest)).items()}


@pytest.fixture(scope="session")
def example() -> dict[str, dict]:
    return synth(EXAMPLE)


@pytest.fixture(scope="session")
def two_envs() -> dict[str, dict]:
    return synth(MANIFESTS / "staging-and-production.json")
