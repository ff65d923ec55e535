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


def test_each_simulator_the_registry_names_is_a_sandbox_behaviour():
    from webkit.sandbox.behaviours import AppPlatform, Behaviour, Droplet, PrivateKey, behaviour

    named = {name: t.simulator for name, t in registry.all_types().items() if t.simulator}
    assert named == {"digitalocean_app": "webkit.sandbox.behaviours:AppPlatform", "digitalocean_droplet": "webkit.sandbox.behaviours:Droplet",
                     "tls_private_key": "webkit.sandbox.behaviours:PrivateKey"}
    assert isinstance(behaviour("digitalocean_app"), AppPlatform) and isinstance(behaviour("digitalocean_droplet"), Droplet)
    assert isinstance(behaviour("tls_private_key"), PrivateKey)
    assert type(behaviour("b2_bucket")) is Behaviour and type(behaviour("data.digitalocean_ssh_key")) is Behaviour
