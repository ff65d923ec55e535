"""The one table of what the real providers do (workflows/provider_facts.json), pinned row by row,
and checked against the facts read from the providers' source (../shared/facts) where present."""

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SHARED
from webkit.sandbox import schemas
from workflows.plan_comment.digitalocean import BESIDE

FACTS = json.loads((Path(BESIDE) / "provider_facts.json").read_text())

FORCE_NEW = {
    "digitalocean_droplet": {"image", "region", "ssh_keys", "user_data", "monitoring", "droplet_agent", "vpc_uuid"},
    "digitalocean_database_cluster": {"engine", "name", "private_network_uuid", "project_id"},
    "digitalocean_database_connection_pool": {"cluster_id", "name", "db_name", "user", "mode", "size"},
    "digitalocean_database_db": {"cluster_id", "name"},
    "digitalocean_database_user": {"cluster_id", "name"},
    "digitalocean_database_firewall": {"cluster_id"},
    "digitalocean_app": {"project_id"},
    "digitalocean_spaces_bucket": {"region"},
    "digitalocean_spaces_bucket_cors_configuration": {"region"},
    "digitalocean_spaces_key": set(),
    "digitalocean_reserved_ip": {"region"},
    "digitalocean_reserved_ip_assignment": {"droplet_id", "ip_address"},
    "digitalocean_firewall": set(),
    "digitalocean_project": set(),
    "b2_bucket": {"bucket_name"},
    "b2_application_key": {"key_name", "capabilities", "bucket_id", "name_prefix"},
}


@pytest.mark.parametrize("resource", sorted(FORCE_NEW))
def test_each_force_new_row(resource):
    assert set(FACTS["force_new"][resource]) == FORCE_NEW[resource]
    assert schemas.REPLACE_ON[resource] == FORCE_NEW[resource], "the sandbox reads the same table"


def test_the_table_is_what_was_read_from_the_providers_source():
    facts = SHARED / "facts" / "provider-behaviour.md"
    if not facts.exists():
        pytest.skip(f"{facts} not found (it lives beside the repository in CI only)")
    section = facts.read_text().split("## ForceNew", 1)[1].split("## Sensitive", 1)[0]
    read = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith(("digitalocean_", "b2_")):
            continue
        attributes = re.sub(r"\(.*?\)", "", cells[1]).replace(";", ",")
        names = {a.strip().split(" ")[0] for a in attributes.split(",") if a.strip()} - {"ipv6"}
        for resource in cells[0].split(","):
            read[resource.strip()] = names
    assert read == FORCE_NEW


def test_droplet_attributes_the_user_may_not_expect_to_replace_it():
    # monitoring and droplet_agent are ForceNew upstream: a manifest edit of monitoring replaces the VM
    assert {"monitoring", "droplet_agent", "image", "region"} <= FORCE_NEW["digitalocean_droplet"]
    assert "size" not in FORCE_NEW["digitalocean_droplet"] and "size" in FACTS["in_place"]["digitalocean_droplet"]
