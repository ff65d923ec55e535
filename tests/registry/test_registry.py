"""The registry is data: cheap to import, and the one source of the provider facts the stand-alone
plan comment reads (workflows/provider_facts.json is generated from it)."""

import json
import subprocess
import sys

from tests.conftest import REPO
from webkit import registry

COMMITTED = REPO / "workflows" / "provider_facts.json"


def test_importing_the_registry_imports_no_cdktf():
    code = "import sys, webkit.registry, webkit.manifest.catalog; print(sorted(m for m in sys.modules if 'cdktf' in m or m == 'constructs'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


def test_the_committed_facts_say_what_the_registry_says():
    assert json.loads(COMMITTED.read_text()) == registry.facts(plugins=False)


def test_the_committed_facts_file_is_the_generated_one():
    assert COMMITTED.read_text() == registry.facts_text(plugins=False), "regenerate: python -m webkit.registry > workflows/provider_facts.json"
