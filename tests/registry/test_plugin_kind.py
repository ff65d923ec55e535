"""A kind with a Terraform type webkit never emitted (a DigitalOcean DNS zone, tests/plugin/webkit_dns),
added by a plugin that is only its descriptor and its construct, works in every layer: validate,
synth, `plan/apply --sandbox` (the simulated provider serves its type) and the comment's risk
rules (its facts reach the comment script that `webkit update` writes)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, plan_example, write_project

PLUGIN_PATH = REPO / "tests" / "plugin"
pytest.importorskip("tf", reason="the sandbox needs the `tf` package (pip install 'webkit[sandbox]')")


def webkit(*args, cwd, plugin: bool = True):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if plugin:
        env["PYTHONPATH"] = str(PLUGIN_PATH)
    return subprocess.run([sys.executable, "-m", "webkit", *args], capture_output=True, text=True, env=env, cwd=cwd)


def with_zone(domain: str) -> dict:
    manifest = plan_example()
    manifest["resources"].append({"name": "zone", "type": "domain", "provider": "digitalocean", "config": {"domain": domain}})
    return manifest


def test_a_plugin_kind_with_a_new_terraform_type_works_in_every_layer(tmp_path):
    project = write_project(tmp_path / "site", with_zone("example.com"))
    validate = webkit("infra", "validate", cwd=project)
    assert validate.returncode == 0, validate.stderr

    synth = webkit("infra", "synth", "--out", "out", cwd=project)
    assert synth.returncode == 0, synth.stderr
    stack = json.loads((project / "out" / "stacks" / "production" / "cdk.tf.json").read_text())
    assert stack["resource"]["digitalocean_domain"]["zone_domain"]["name"] == "example.com"
    assert stack["output"]["zone_zone"]["value"] == "${digitalocean_domain.zone_domain.name}"

    apply = webkit("infra", "apply", "--sandbox", cwd=project)
    assert apply.returncode == 0, apply.stderr + apply.stdout
    cloud = json.loads((project / ".webkit" / "sandbox" / "cloud.json").read_text())["resources"]
    assert [zone["name"] for zone in cloud["digitalocean_domain"].values()] == ["example.com"]

    # a new zone name replaces the zone (ForceNew in the registry's facts, served by the sandbox)
    write_project(project, with_zone("example.org"))
    saved = tmp_path / "plan.json"
    plan = webkit("infra", "plan", "--sandbox", "--json-out", str(saved), cwd=project)
    assert plan.returncode == 0, plan.stderr + plan.stdout
    change = next(c for c in json.loads(saved.read_text())["resource_changes"] if c["type"] == "digitalocean_domain")
    assert change["change"]["actions"] == ["delete", "create"]

    # the comment CI runs, as `webkit update` writes it beside the plugin's facts
    assert webkit("update", cwd=project).returncode == 0
    action = project / ".github" / "actions" / "terraform-comment"
    assert "digitalocean_domain" in json.loads((action / "provider_facts.json").read_text())["stateful"]
    rendered = subprocess.run([sys.executable, "-I", str(action / "plan_comment"), "render", "--plan-json", str(saved), "--format", "json"],
                              capture_output=True, text=True, check=True)
    risk = json.loads(rendered.stdout)["risk"]
    assert risk["level"] == "critical"
    assert "replaces stateful digitalocean_domain.zone_domain: its data is lost" in risk["reasons"]

    # and the local preview of the same comment knows the plugin's facts too
    local = webkit("infra", "comment", "--plan-json", str(saved), "--format", "json", cwd=project)
    assert json.loads(local.stdout)["risk"]["level"] == "critical"


def test_the_readme_shows_the_whole_plugin_this_file_runs():
    readme = (REPO / "README.md").read_text()
    for name in ("__init__.py", "construct.py"):
        text = (PLUGIN_PATH / "webkit_dns" / name).read_text()
        assert f"```python\n# webkit_dns/{name}\n{text}```\n" in readme, f"README's webkit_dns/{name} differs from the tested plugin"
    entry = (PLUGIN_PATH / "webkit_dns-0.1.0.dist-info" / "entry_points.txt").read_text().splitlines()[1].replace(" = ", ' = "') + '"'
    assert f'[project.entry-points."webkit.constructs"]\n{entry}\n' in readme
