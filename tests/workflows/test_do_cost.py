"""Monthly prices from the catalog: each product, each kind of change, and 'price unknown' where the
catalog has no price (never a number made up)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workflows import do_cost
from workflows.do_cost import changes_of_plan, describe, money, plan_cost, resource_cost

CATALOG = do_cost.load_catalog()


def app(*components):
    return {"spec": [{"service": [{"name": n, "instance_size_slug": s, "instance_count": c} for n, s, c in components]}]}


def test_a_droplet_resize_costs_the_difference_of_the_list_prices():
    cost = plan_cost([("digitalocean_droplet.cms_droplet", "digitalocean_droplet",
                       {"size": "s-1vcpu-1gb"}, {"size": "s-2vcpu-4gb"})], CATALOG)
    assert (cost.before, cost.after, cost.delta) == (6.0, 24.0, 18.0)
    assert describe(cost.lines[0]) == "+$18.00/mo: digitalocean_droplet.cms_droplet s-1vcpu-1gb → s-2vcpu-4gb"


def test_droplet_backups_add_their_percentage():
    weekly = resource_cost("digitalocean_droplet", {"size": "s-2vcpu-4gb", "backups": True}, CATALOG)
    daily = resource_cost("digitalocean_droplet", {"size": "s-2vcpu-4gb", "backups": True,
                                                   "backup_policy": [{"plan": "daily", "hour": 4}]}, CATALOG)
    assert weekly.monthly == pytest.approx(24 * 1.2) and "weekly backups (20%)" in weekly.what
    assert daily.monthly == pytest.approx(24 * 1.3)


def test_an_app_platform_instance_count_change_multiplies_the_size_price():
    cost = plan_cost([("digitalocean_app.site_app", "digitalocean_app",
                       app(("site", "apps-s-1vcpu-1gb", 1)), app(("site", "apps-s-1vcpu-1gb", 3)))], CATALOG)
    assert cost.delta == 24.0
    assert describe(cost.lines[0]) == ("+$24.00/mo: digitalocean_app.site_app site apps-s-1vcpu-1gb ×1 → "
                                       "site apps-s-1vcpu-1gb ×3")


def test_workers_and_jobs_count_too():
    attrs = {"spec": [{"service": [{"name": "web", "instance_size_slug": "apps-s-1vcpu-0.5gb", "instance_count": 1}],
                       "worker": [{"name": "queue", "instance_size_slug": "apps-s-1vcpu-1gb", "instance_count": 2}],
                       "job": [{"name": "migrate", "instance_size_slug": "apps-s-1vcpu-0.5gb"}]}]}
    assert resource_cost("digitalocean_app", attrs, CATALOG).monthly == 5 + 2 * 12 + 5


def test_the_spaces_subscription_is_counted_once_per_environment():
    new_bucket = plan_cost([("digitalocean_spaces_bucket.media_bucket", "digitalocean_spaces_bucket", None, {"region": "nyc3"})], CATALOG)
    assert new_bucket.delta == 5.0 and describe(new_bucket.lines[0]) == \
        "+$5.00/mo: Spaces subscription (once per account) new, counted with the environment's first bucket"
    second = plan_cost([("digitalocean_spaces_bucket.a", "digitalocean_spaces_bucket", {"region": "nyc3"}, {"region": "nyc3"}),
                        ("digitalocean_spaces_bucket.b", "digitalocean_spaces_bucket", None, {"region": "nyc3"})], CATALOG)
    assert (second.before, second.after, second.lines) == (5.0, 5.0, [])


def test_a_destroy_takes_the_price_away():
    cost = plan_cost([("digitalocean_droplet.cms_droplet", "digitalocean_droplet", {"size": "s-2vcpu-4gb"}, None)], CATALOG)
    assert (cost.before, cost.after) == (24.0, 0.0)
    assert describe(cost.lines[0]) == "−$24.00/mo: digitalocean_droplet.cms_droplet destroyed, was s-2vcpu-4gb"


def test_a_database_node_count_change_multiplies_the_node_price():
    priced = copy.deepcopy(CATALOG)  # the real catalog has no database prices (see its database_prices note)
    priced["database_prices"]["items"]["db-s-1vcpu-2gb"] = {"price_monthly": 30.0}
    cost = plan_cost([("digitalocean_database_cluster.db_cluster", "digitalocean_database_cluster",
                       {"size": "db-s-1vcpu-2gb", "node_count": 1}, {"size": "db-s-1vcpu-2gb", "node_count": 2})], priced)
    assert cost.delta == 30.0
    assert describe(cost.lines[0]) == "+$30.00/mo: digitalocean_database_cluster.db_cluster db-s-1vcpu-2gb ×1 → db-s-1vcpu-2gb ×2"


def test_a_database_without_a_price_says_price_unknown_and_stays_out_of_the_totals():
    cost = plan_cost([("digitalocean_database_cluster.db_cluster", "digitalocean_database_cluster",
                       {"size": "db-s-1vcpu-1gb", "node_count": 1}, {"size": "db-s-1vcpu-1gb", "node_count": 2}),
                      ("digitalocean_droplet.cms_droplet", "digitalocean_droplet", {"size": "s-1vcpu-1gb"}, {"size": "s-1vcpu-1gb"})],
                     CATALOG)
    assert (cost.before, cost.after, cost.unknown) == (6.0, 6.0, ["digitalocean_database_cluster.db_cluster"])
    assert describe(cost.lines[0]) == ("price unknown: digitalocean_database_cluster.db_cluster db-s-1vcpu-1gb ×1 → "
                                       "db-s-1vcpu-1gb ×2 (no price for db-s-1vcpu-1gb)")


def test_an_unknown_slug_is_price_unknown_never_zero():
    cost = resource_cost("digitalocean_droplet", {"size": "s-64vcpu-1tb-made-up"}, CATALOG)
    assert cost.monthly is None and cost.unknown == ("s-64vcpu-1tb-made-up",)
    assert resource_cost("digitalocean_kubernetes_cluster", {}, CATALOG).monthly is None


def test_free_and_usage_types_and_reserved_ips():
    assert resource_cost("digitalocean_firewall", {}, CATALOG) is None
    assert resource_cost("b2_bucket", {"bucket_name": "x"}, CATALOG).monthly == 0.0
    assert resource_cost("digitalocean_reserved_ip", {"droplet_id": 123, "region": "nyc3"}, CATALOG).monthly == 0.0
    assert resource_cost("digitalocean_reserved_ip", {"region": "nyc3"}, CATALOG).monthly == 4.0


def test_changes_of_a_plan_take_before_and_after_as_terraform_wrote_them():
    plan = {"resource_changes": [
        {"address": "digitalocean_droplet.a", "type": "digitalocean_droplet", "mode": "managed",
         "change": {"actions": ["delete", "create"], "before": {"size": "s-1vcpu-1gb"}, "after": {"size": "s-1vcpu-2gb"}}},
        {"address": "data.digitalocean_droplet.x", "type": "digitalocean_droplet", "mode": "data",
         "change": {"actions": ["read"], "before": None, "after": {"size": "s-1vcpu-2gb"}}},
        {"address": "digitalocean_droplet.gone", "type": "digitalocean_droplet", "mode": "managed",
         "change": {"actions": ["forget"], "before": {"size": "s-1vcpu-1gb"}, "after": None}}]}
    assert changes_of_plan(plan) == [
        ("digitalocean_droplet.a", "digitalocean_droplet", {"size": "s-1vcpu-1gb"}, {"size": "s-1vcpu-2gb"}),
        ("digitalocean_droplet.gone", "digitalocean_droplet", {"size": "s-1vcpu-1gb"}, None)]


def test_money_reads_as_people_write_it():
    assert (money(1234.5), money(-3, signed=True), money(0, signed=True), money(None)) == \
           ("$1,234.50", "−$3.00", "+$0.00", "price unknown")


def test_the_module_runs_with_the_standard_library_alone(tmp_path):
    """Copied beside the comment, it must import without webkit, pydantic or anything installed."""
    folder = tmp_path / "action"
    folder.mkdir()
    for name in ("do_cost.py", "do_catalog.json"):
        (folder / name).write_text((Path(do_cost.__file__).parent / name).read_text())
    code = ("import do_cost, json; c = do_cost.load_catalog(); "
            "print(do_cost.resource_cost('digitalocean_droplet', {'size': 's-2vcpu-4gb'}, c).monthly)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(folder)!r}); {code}"],
                         capture_output=True, text=True, check=True, cwd=folder)
    assert out.stdout.strip() == "24.0"


def test_every_section_says_where_it_came_from_and_when():
    for key, section in CATALOG.items():
        if isinstance(section, dict):
            assert "source" in section and "retrieved" in section, key
    assert json.dumps(CATALOG["database_prices"]["items"]) == "{}", "no database price was sourced: none is invented"


def test_a_resize_to_a_size_without_a_price_is_never_read_as_a_saving():
    cost = plan_cost([("digitalocean_droplet.a", "digitalocean_droplet", {"size": "s-2vcpu-4gb"}, {"size": "s-new-2027"}),
                      ("digitalocean_droplet.b", "digitalocean_droplet", {"size": "s-1vcpu-1gb"}, {"size": "s-1vcpu-2gb"})], CATALOG)
    assert (cost.before, cost.after, cost.delta, cost.unknown) == (6.0, 12.0, 6.0, ["digitalocean_droplet.a"])
    assert describe(cost.lines[0]) == "price unknown: digitalocean_droplet.a s-2vcpu-4gb → s-new-2027 (no price for s-new-2027)"


def test_every_terraform_type_of_the_registry_has_a_price_rule():
    """A type the registry knows (a kind's or a provider's own) must be priced, free or usage-only
    here: else the comment says 'price unknown' for it on every plan (a plugin's types do, by design)."""
    from webkit.registry import all_types

    priced = {"digitalocean_droplet", "digitalocean_database_cluster", "digitalocean_app", "digitalocean_reserved_ip",
              "digitalocean_spaces_bucket"}
    missing = [t.bare for t in all_types(plugins=False).values()
               if not t.data_source and t.bare not in priced | do_cost.FREE_TYPES | do_cost.USAGE_TYPES]
    assert missing == [], f"no price rule in workflows/do_cost.py for {missing}"
