"""`webkit infra cost`: the monthly cost of app.json as it stands, in the comment's addresses."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.conftest import EXAMPLE, REPO, plan_example, write_project
from webkit.commands.cli import app
from webkit.commands.cost import manifest_resources
from webkit.manifest import Manifest

runner = CliRunner()


def test_the_example_costs_its_list_prices_and_says_what_is_unknown():
    result = runner.invoke(app, ["infra", "cost", "-C", str(EXAMPLE), "-e", "production"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "production: $41.00/mo, and 1 price(s) unknown" in lines
    assert "          $24.00  digitalocean_droplet.cms_droplet  s-2vcpu-4gb" in lines
    assert "          $12.00  digitalocean_app.web_app  web apps-s-1vcpu-1gb ×1" in lines
    assert ("   price unknown  digitalocean_database_cluster.db_cluster  db-s-1vcpu-1gb ×1 "
            "(no price for db-s-1vcpu-1gb)") in lines
    assert any(line.startswith("           $5.00  Spaces subscription (once per account") for line in lines)
    assert "Not counted: usage: bandwidth, B2 storage and downloads" in result.output
    assert "catalog of 2026-08-21" in result.output


def test_every_environment_and_the_spaces_subscription_once():
    result = runner.invoke(app, ["infra", "cost", "-C", str(EXAMPLE)])
    assert result.output.count("$41.00/mo") == 2
    assert "All 2 environments: $77.00/mo, and 1 price(s) unknown (the Spaces subscription once)" in result.output


def test_the_addresses_are_the_ones_the_stacks_give():
    snapshot = (REPO / "tests/stacks/snapshots/example.addresses.txt").read_text().split()
    manifest = Manifest.model_validate_json((EXAMPLE / "app.json").read_text())
    assert {address for address, _, _ in manifest_resources(manifest)} <= set(snapshot)


def test_backups_reserved_ips_and_b2(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["infra"]["config"].update(size="s-1vcpu-1gb", backups=True, reserved_ip=True, ssh_keys=["k"])
    manifest["resources"].append({"name": "backups", "type": "s3", "provider": "backblaze", "config": {}})
    write_project(tmp_path, manifest)
    result = runner.invoke(app, ["infra", "cost", "-C", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "           $7.20  digitalocean_droplet.cms_droplet  s-1vcpu-1gb + weekly backups (20%)" in result.output
    assert "           $0.00  digitalocean_reserved_ip.cms_reserved_ip  assigned to a droplet" in result.output
    assert "           $0.00  b2_bucket.backups_bucket  usage only" in result.output


def test_an_environment_not_in_app_json_is_a_usage_error():
    result = runner.invoke(app, ["infra", "cost", "-C", str(EXAMPLE), "-e", "qa"])
    assert result.exit_code == 2
    assert "--environment qa is not in app.json's environments (production, staging)" in result.output
