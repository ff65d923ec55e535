"""A plugin whose factory path, construct arguments or outputs are wrong is reported as one message
naming the plugin and the resource: by `validate` where that needs no cdktf, else by synthesis;
never a traceback (issue 21, Plugins)."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, plan_example, write_project

PLUGIN = REPO / "tests" / "plugin"


def broken_plugin(tmp_path, file: str, old: str, new: str):
    folder = tmp_path / "plugin"
    for name in ("webkit_dns", "webkit_dns-0.1.0.dist-info"):
        shutil.copytree(PLUGIN / name, folder / name)
    path = folder / "webkit_dns" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return folder


def run(folder, project, *args):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(folder), "HOME": str(project)}
    return subprocess.run([sys.executable, "-m", "webkit", *args, "-C", str(project)], capture_output=True, text=True, env=env)


def project(tmp_path):
    manifest = plan_example()
    manifest["resources"].append({"name": "zone", "type": "domain", "provider": "digitalocean", "config": {"domain": "example.com"}})
    return write_project(tmp_path / "site", manifest)


@pytest.mark.parametrize(("old", "new", "says"), [
    ('factory="webkit_dns.construct:build"', 'factory="webkit_dns.constructs:build"',
     "plugin digitalocean-domain could not be loaded (its factory 'webkit_dns.constructs:build' names module "
     "'webkit_dns.constructs', which is not installed)"),
    ('factory="webkit_dns.construct:build"', 'factory="webkit_dns.construct.build"',
     "plugin digitalocean-domain could not be loaded (its factory 'webkit_dns.construct.build' is not an import path module:function)"),
    ('default_outputs=("zone",)', 'default_outputs=("zone", "records")',
     "plugin digitalocean-domain could not be loaded (its default outputs records are not among its outputs (urn, zone))"),
], ids=["module", "path", "default-outputs"])
def test_validate_names_the_plugin_and_the_resource(tmp_path, old, new, says):
    result = run(broken_plugin(tmp_path, "__init__.py", old, new), project(tmp_path), "infra", "validate")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Unsupported resource domain/digitalocean (supported: postgres/digitalocean, s3/digitalocean, s3/backblaze); {says}: " \
           "resources[1].type (app.json line 18)" in result.stderr


@pytest.mark.parametrize(("file", "old", "new", "says"), [
    ("__init__.py", 'factory="webkit_dns.construct:build"', 'factory="webkit_dns.construct:make"',
     "its factory webkit_dns.construct:make failed: AttributeError: module 'webkit_dns.construct' has no attribute 'make'"),
    ("construct.py", "name=config.domain, ip_address", "domain=config.domain, ip_address",
     "its factory webkit_dns.construct:build failed: TypeError: Domain.__init__() got an unexpected keyword argument 'domain'"),
    ("construct.py", '"urn": self.domain.urn}[name]', '"id": self.domain.id}[name]',
     "its factory webkit_dns.construct:build failed: KeyError: 'urn'"),
    ("construct.py", "ctx.config(resource, DomainConfig)", "ctx.config(resource, SpacesConfig)",
     "its factory webkit_dns.construct:build failed: FactoryError: the factory asks for a SpacesConfig, but its kind's config is DomainConfig"),
], ids=["function", "construct-arguments", "outputs", "config-model"])
def test_synthesis_names_the_plugin_and_the_resource(tmp_path, file, old, new, says):
    folder = broken_plugin(tmp_path, file, old, new)
    if "SpacesConfig" in new:
        path = folder / "webkit_dns" / "construct.py"
        path.write_text("from webkit.manifest.catalog import SpacesConfig\n" + path.read_text())
    site = project(tmp_path)
    assert run(folder, site, "infra", "validate").returncode == 0, "nothing here is visible without cdktf"
    result = run(folder, site, "infra", "synth", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"✗ plugin digitalocean-domain (domain/digitalocean), 'zone': {says}" in result.stderr
