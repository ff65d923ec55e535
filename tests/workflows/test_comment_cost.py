"""The comment's cost section: whatever a plan's sizes and addresses hold stays text, a plan
without DigitalOcean or B2 resources has no section, and the section is bounded."""

from __future__ import annotations

import re

from hypothesis import given, settings

from tests.workflows.test_comment_html import OURS, TEXT, rendered
from workflows import plan_comment as pc


def droplet(address: str, before, after, actions=("update",)) -> dict:
    return {"address": address, "type": "digitalocean_droplet", "mode": "managed",
            "change": {"actions": list(actions), "before": before, "after": after}}


@settings(max_examples=150, deadline=None)
@given(size=TEXT, name=TEXT)
def test_a_size_or_an_address_never_becomes_markup_or_a_mention(size, name):
    plan = {"resource_changes": [droplet(f'digitalocean_droplet.web["{name}"]', {"size": "s-1vcpu-1gb"}, {"size": size})]}
    body = pc.render(pc.summarize(plan, "production"))
    assert ("### 💰 Monthly cost: $0.00 → $0.00 (unchanged; 1 price(s) unknown)" in body
            or "### 💰 Monthly cost: $6.00 → $6.00 (unchanged)" in body), "an unknown price is never a saving"
    page = rendered(body)
    assert set(page.tags) <= OURS and page.comments == [" webkit-plan-comment:production "]
    assert not re.search(r"@[A-Za-z0-9]", "".join(page.text))


def test_no_section_without_priced_resources():
    plan = {"resource_changes": [{"address": "terraform_data.x", "type": "terraform_data", "mode": "managed",
                                  "change": {"actions": ["create"], "before": None, "after": {"input": "x"}}}]}
    assert "Monthly cost" not in pc.render(pc.summarize(plan, "production"))


def test_an_errored_plan_has_no_cost():
    plan = {"errored": True, "resource_changes": [droplet("digitalocean_droplet.a", None, {"size": "s-1vcpu-1gb"}, ["create"])]}
    assert "Monthly cost" not in pc.render(pc.summarize(plan, "production"))


def test_the_biggest_changes_come_first_and_the_list_is_bounded():
    changes = [droplet(f"digitalocean_droplet.d{i}", None, {"size": "s-1vcpu-1gb"}, ["create"]) for i in range(30)]
    changes.append(droplet("digitalocean_droplet.big", None, {"size": "s-8vcpu-16gb"}, ["create"]))
    body = pc.render(pc.summarize({"resource_changes": changes}, "production"))
    section = body.split("### 💰 Monthly cost: ", 1)[1].split("\n### ", 1)[0].splitlines()
    assert section[0] == "$0.00 → $276.00 (+$276.00/mo)"
    assert section[2] == "- +$96.00/mo: digitalocean_droplet.big new, s-8vcpu-16gb"
    assert section[22] == "- …and 11 more resources whose price changes or is unknown"


def test_a_plan_whose_only_price_is_unknown_says_so():
    plan = {"resource_changes": [{"address": "digitalocean_database_cluster.db_cluster", "type": "digitalocean_database_cluster",
                                  "mode": "managed", "change": {"actions": ["no-op"], "before": {"size": "db-s-1vcpu-1gb", "node_count": 1},
                                                                "after": {"size": "db-s-1vcpu-1gb", "node_count": 1}}}]}
    assert "### 💰 Monthly cost: $0.00 → $0.00 (unchanged; 1 price(s) unknown)" in pc.render(pc.summarize(plan, "production"))
