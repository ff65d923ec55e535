"""The comment's cost section on plans real Terraform wrote (the sandbox): a new Spaces bucket, a
droplet resize, an App Platform instance count change, a database node count change (its price
unknown: the catalog has none), a destroy."""

from __future__ import annotations

import copy

from tests.sandbox.conftest import SOURCES, Cycle
from workflows import plan_comment


def cost_section(plan: dict) -> list[str]:
    body = plan_comment.render(plan_comment.summarize(plan, "production"))
    section = body.split("### 💰 Monthly cost: ", 1)[1].split("\n### ", 1)[0]
    return section.strip().splitlines()


def test_the_comment_prices_what_the_plan_changes(tmp_path):
    manifest = copy.deepcopy(SOURCES["no-secrets"])  # a Spaces bucket and a droplet
    cycle = Cycle(tmp_path, "production")
    with cycle.box.providers():
        cycle.load(manifest)
        cycle.box.init()
        first = cost_section(cycle.plan())
        assert first[0] == "$0.00 → $9.00 (+$9.00/mo)"
        assert first[2:4] == [
            "- +$5.00/mo: Spaces subscription (once per account) new, counted with the environment's first bucket",
            "- +$4.00/mo: digitalocean_droplet.site_droplet new, s-1vcpu-512mb-10gb"]
        assert first[-1].startswith("_List prices in USD from webkit's DigitalOcean catalog of 2026-08-21; not counted: usage: bandwidth")
        cycle.apply()

        manifest["resources"].append({"name": "db", "type": "postgres", "provider": "digitalocean",
                                      "config": {"size": "db-s-1vcpu-2gb", "region": "fra1", "node_count": 1}})
        manifest["apps"].append({"name": "web", "type": "sveltekit", "path": "web", "infra": {
            "provider": "digitalocean", "type": "app",
            "config": {"region": "fra", "image": {"repository": "web"}, "instance_size": "apps-s-1vcpu-1gb"}}})
        cycle.load(manifest)
        cycle.plan()
        cycle.apply()

        manifest["apps"][0]["infra"]["config"]["size"] = "s-2vcpu-4gb"
        manifest["apps"][1]["infra"]["config"]["instance_count"] = 3
        manifest["resources"][1]["config"]["node_count"] = 2
        cycle.load(manifest)
        changed = cost_section(cycle.plan())
        assert changed[0] == "$21.00 → $65.00 (+$44.00/mo; 1 price(s) unknown)"
        assert changed[2:5] == [
            "- +$24.00/mo: digitalocean_app.web_app web apps-s-1vcpu-1gb ×1 → web apps-s-1vcpu-1gb ×3",
            "- +$20.00/mo: digitalocean_droplet.site_droplet s-1vcpu-512mb-10gb → s-2vcpu-4gb",
            "- price unknown: digitalocean_database_cluster.db_cluster db-s-1vcpu-2gb ×1 → db-s-1vcpu-2gb ×2 "
            "(no price for db-s-1vcpu-2gb)"]
        assert changed[-1].endswith("A resource whose price is unknown is in neither total._")
        cycle.apply()

        gone = copy.deepcopy(manifest)
        del gone["apps"][0]  # the droplet goes; the bucket stays
        cycle.load(gone)
        destroyed = cost_section(cycle.plan())
        assert destroyed[0] == "$65.00 → $41.00 (−$24.00/mo; 1 price(s) unknown)", "the database's price is still unknown"
        assert destroyed[2:4] == ["- −$24.00/mo: digitalocean_droplet.site_droplet destroyed, was s-2vcpu-4gb", ""], \
            "an unchanged resource without a price is counted in the header, not listed"
