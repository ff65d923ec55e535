"""synth → init → validate → plan → apply → plan (no changes) → edit → plan → destroy, for real."""

from __future__ import annotations

import copy
import json

import pytest

from tests.sandbox.conftest import SOURCES, Cycle, actions, noise
from webkit.sandbox.session import SandboxError
from workflows import plan_comment

ENVIRONMENTS = [(name, env) for name, manifest in SOURCES.items() for env in manifest.get("environments", ["production"])]


@pytest.mark.parametrize("name, environment", ENVIRONMENTS, ids=[f"{n}-{e}" for n, e in ENVIRONMENTS])
def test_full_cycle(tmp_path, name, environment):
    manifest = copy.deepcopy(SOURCES[name])
    cycle = Cycle(tmp_path, environment)
    stack = cycle.load(manifest)
    managed = sum(len(items) for items in stack["resource"].values())
    with cycle.box.providers():
        cycle.box.init()
        assert "Success" in cycle.box.terraform("validate", "-no-color").stdout
        first = cycle.plan()
        assert set(map(tuple, actions(first).values())) == {("create",)} and len(actions(first)) == managed
        summary = plan_comment.summarize(first, environment)
        assert summary.counts["add"] == managed, "the plan comment counts what Terraform planned"
        cycle.apply()
        state = cycle.box.state()["resources"]
        assert sum(1 for r in state if r["mode"] == "managed") == managed
        builtin = len(stack["resource"].get("terraform_data", {}))  # Terraform's own, not in the cloud
        assert sum(len(items) for items in cycle.box.cloud_resources().values()) == managed - builtin
        second = cycle.plan()
        assert actions(second) == {}, "a second plan shows no real changes"
        # DigitalOcean reads App Platform SECRET env back encrypted (EV[…]): such apps show an
        # update on every plan, and the comment and the workflows know it as noise.
        assert noise(second) == {a for a in actions(first) if a.startswith("digitalocean_app.") and stack_has_secret_env(stack, a)}
        assert not plan_comment.has_changes(plan_comment.summarize(second))
        destroy = cycle.box.plan(cycle.secrets, destroy=True)
        assert set(map(tuple, actions(destroy).values())) == {("delete",)}
        cycle.apply()
        assert all(not items for items in cycle.box.cloud_resources().values())


def stack_has_secret_env(stack: dict, address: str) -> bool:
    kind, name = address.split(".")
    return "SECRET" in json.dumps(stack["resource"][kind][name])


def test_a_rotated_secret_is_a_change_not_noise(tmp_path):
    manifest = copy.deepcopy(SOURCES["example"])
    cycle = Cycle(tmp_path, "production")
    with cycle.box.providers():
        cycle.deploy(manifest)
        noise = plan_comment.summarize(cycle.plan())
        assert [i.address for i in noise.resources if i.noise] == ["digitalocean_app.web_app"]
        cycle.secrets["github_STRIPE_SECRET_KEY"] = "a-rotated-stripe-key"
        rotated = cycle.plan()
        summary = plan_comment.summarize(rotated)
        changed = {i.address: i.noise for i in summary.resources}
        assert changed == {"digitalocean_app.web_app": False, "terraform_data.web_secrets": False}
        assert plan_comment.has_changes(summary)
        assert "a-rotated-stripe-key" not in plan_comment.render(summary)
        assert "a secret value of digitalocean_app.web_app changes" in plan_comment.render(summary)


def test_edits_update_or_replace_as_the_provider_would(tmp_path):
    manifest = copy.deepcopy(SOURCES["example"])
    cycle = Cycle(tmp_path, "production")
    with cycle.box.providers():
        cycle.deploy(manifest)

        cms = manifest["apps"][0]
        cms["env"]["production"][0]["value"] = "https://api.example.org"
        cycle.load(manifest)
        plan = cycle.plan()
        assert actions(plan) == {}, "an env edit never touches the droplet"
        assert plan["output_changes"]["cms_env_values"]["actions"] == ["update"]
        cycle.apply()

        manifest["resources"][0]["config"]["size"] = "db-s-2vcpu-4gb"
        manifest["apps"][1]["infra"]["config"]["instance_count"] = 2
        cycle.load(manifest)
        assert actions(cycle.plan()) == {
            "digitalocean_database_cluster.db_cluster": ["update"],
            "digitalocean_app.web_app": ["update"],
        }
        cycle.apply()

        # As DigitalOcean's provider 2.71.0 does (workflows/provider_facts.json): a resize is an
        # in-place update with downtime, and the API refuses a smaller disk when it is applied.
        cms["infra"]["config"]["size"] = "s-1vcpu-1gb"
        cycle.load(manifest)
        shrunk = cycle.plan()
        assert actions(shrunk) == {"digitalocean_droplet.cms_droplet": ["update"]}, "planned in place"
        (item,) = [i for i in plan_comment.summarize(shrunk).resources if i.address == "digitalocean_droplet.cms_droplet"]
        assert any("downtime" in note for note in item.consequences)
        assert plan_comment.summarize(shrunk).risk.level == "medium"
        with pytest.raises(SandboxError, match="Error resizing droplet"):
            cycle.apply()
        cms["infra"]["config"]["size"] = "s-4vcpu-8gb"
        cycle.load(manifest)
        assert actions(cycle.plan()) == {"digitalocean_droplet.cms_droplet": ["update"]}, "growing resizes in place"
        cycle.apply()

        manifest["resources"][0]["config"]["region"] = "ams3"
        cycle.load(manifest)
        moved = cycle.plan()
        assert actions(moved) == {"digitalocean_database_cluster.db_cluster": ["update"]}, "a region change migrates"
        assert "migrated in place" in plan_comment.render(plan_comment.summarize(moved))
        cycle.apply()

        manifest["project"]["name"] = "my-site"  # every cloud name changes
        cms["infra"]["config"]["image"] = "debian-12-x64"
        cms["infra"]["config"]["monitoring"] = False
        cycle.load(manifest)
        plan = cycle.plan()
        changed = actions(plan)
        assert changed["digitalocean_database_cluster.db_cluster"] == ["delete", "create"], "a database's name is ForceNew"
        assert changed["digitalocean_droplet.cms_droplet"] == ["delete", "create"]
        droplet = next(rc for rc in plan["resource_changes"] if rc["address"] == "digitalocean_droplet.cms_droplet")
        assert ["monitoring"] in droplet["change"]["replace_paths"]
        assert changed["digitalocean_spaces_bucket.media_bucket"] == ["update"], "a bucket's name is not ForceNew…"
        rendered = plan_comment.render(plan_comment.summarize(plan))
        assert "never performs it" in rendered, "…and the comment says the rename never happens"
        summary = plan_comment.summarize(plan, "production")
        assert summary.risk.level == "critical" and summary.counts["replace"] >= 2
        body = plan_comment.render_fitting(summary) + plan_comment.summary_json(summary)
        secrets = [r["password"] for r in cycle.box.cloud_resources()["digitalocean_database_user"].values()]
        secrets += list(cycle.secrets.values())
        assert secrets and not [s for s in secrets if s in body], "no simulated secret reaches the comment"


def test_mirror_install_runs_init_with_the_pinned_versions(tmp_path):
    cycle = Cycle(tmp_path, "production", mirror=True)
    cycle.load(SOURCES["staging-and-production"])
    cycle.box.init()
    lock = (cycle.box.dir / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/digitalocean/digitalocean"' in lock and 'version     = "2.71.0"' in lock
    assert 'provider "registry.terraform.io/backblaze/b2"' in lock and 'constraints = "~> 0.10"' in lock
    plan = cycle.plan()
    assert "b2_bucket.backups_bucket" in actions(plan)


def planted(tmp_path, change) -> SandboxError:
    cycle = Cycle(tmp_path, "production")
    stack = cycle.load(copy.deepcopy(SOURCES["example"]))
    change(stack)
    cycle.box.write(json.dumps(stack))
    with cycle.box.providers(), pytest.raises(SandboxError) as err:
        cycle.box.init()
        cycle.box.terraform("validate", "-no-color")
        cycle.plan()
    return err.value


def test_a_misspelled_attribute_fails(tmp_path):
    def misspell(stack):
        stack["resource"]["digitalocean_droplet"]["cms_droplet"]["monitorng"] = True

    error = str(planted(tmp_path, misspell))
    assert "Extraneous JSON object property" in error and 'No argument or block type is named "monitorng"' in error


def test_an_unknown_reference_fails(tmp_path):
    def reference(stack):
        stack["output"]["cms_ipv4_address"]["value"] = "${digitalocean_droplet.cms_droplet.ipv5_address}"

    assert "Unsupported attribute" in str(planted(tmp_path, reference))


def test_a_secret_in_a_non_sensitive_output_fails(tmp_path):
    def leak(stack):
        stack["output"]["db_connection_url"]["sensitive"] = False

    assert "Output refers to sensitive values" in str(planted(tmp_path, leak))


def test_env_text_reaches_the_machine_as_written(tmp_path):
    """Terraform reads every JSON string as a template; the user's text must come out unevaluated."""
    manifest = copy.deepcopy(SOURCES["example"])
    text = "costs ${5} %{if} ${{ secrets.DIGITALOCEAN_TOKEN }}"
    manifest["apps"][0]["env"]["production"].append({"key": "GREETING", "type": "value", "value": text})
    cycle = Cycle(tmp_path, "production")
    with cycle.box.providers():
        cycle.deploy(manifest)
    assert cycle.box.state()["outputs"]["cms_env_values"]["value"]["GREETING"] == text
