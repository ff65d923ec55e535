"""What DigitalOcean (and Backblaze B2) resources cost per month, from do_catalog.json beside this file.

Standard library only: the plan comment runs it in CI without webkit installed (both files are
copied beside the comment's script). A price the catalog lacks is None ("price unknown"), never
a guess. Counted: list prices of droplets (+ backups), database nodes, App Platform containers,
the Spaces subscription and reserved IPs. Not counted: usage (bandwidth, B2 storage and downloads,
Spaces storage or transfer beyond what the subscription includes).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

CATALOG_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "do_catalog.json")
NOT_COUNTED = "usage: bandwidth, B2 storage and downloads, Spaces storage and transfer beyond the subscription"
# Types that cost nothing by themselves (they configure a priced resource) or that we know are
# usage-only; any other digitalocean_*/b2_* type is "price unknown" rather than silently free.
FREE_TYPES = frozenset({
    "digitalocean_firewall", "digitalocean_database_firewall", "digitalocean_database_db",
    "digitalocean_database_user", "digitalocean_database_connection_pool", "digitalocean_spaces_key",
    "digitalocean_spaces_bucket_cors_configuration", "digitalocean_spaces_bucket_policy", "digitalocean_project",
    "digitalocean_project_resources", "digitalocean_reserved_ip_assignment", "digitalocean_ssh_key",
    "digitalocean_tag", "b2_application_key",
    "tls_private_key",  # made by Terraform itself: no cloud, no bill
})
USAGE_TYPES = frozenset({"b2_bucket"})
APP_COMPONENTS = ("service", "worker", "job")


def load_catalog(path: str = CATALOG_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@dataclass(frozen=True)
class Cost:
    """One resource's monthly price: `monthly` None when a part of it has no price in the catalog."""

    monthly: float | None
    what: str  # the priced shape, e.g. "s-2vcpu-4gb + weekly backups" or "db-s-1vcpu-1gb ×2"
    unknown: tuple[str, ...] = ()  # the slugs without a price


def _price(section: dict, slug) -> float | None:
    item = section.get("items", {}).get(slug) if isinstance(slug, str) else None
    price = item.get("price_monthly") if isinstance(item, dict) else None
    return float(price) if isinstance(price, (int, float)) and not isinstance(price, bool) else None


def _count(value, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def droplet_cost(attrs: dict, catalog: dict) -> Cost:
    size = attrs.get("size")
    price = _price(catalog["droplet_sizes"], size)
    what = str(size)
    if attrs.get("backups") is True:
        policy = (attrs.get("backup_policy") or [{}])[0] if isinstance(attrs.get("backup_policy"), list) else {}
        plan = "daily" if isinstance(policy, dict) and policy.get("plan") == "daily" else "weekly"
        percent = float(catalog["droplet_backups"][f"{plan}_percent"])
        what += f" + {plan} backups ({percent:g}%)"
        price = None if price is None else price * (1 + percent / 100)
    return Cost(price, what, () if price is not None else (str(size),))


def database_cost(attrs: dict, catalog: dict) -> Cost:
    size, nodes = attrs.get("size"), _count(attrs.get("node_count"))
    price = _price(catalog["database_prices"], size)
    return Cost(None if price is None else price * nodes, f"{size} ×{nodes}", () if price is not None else (str(size),))


def app_components(attrs: dict) -> list[tuple[str, str, int]]:
    """(component name, instance size, instance count) of each service, worker and job of an app's spec."""
    spec = attrs.get("spec")
    spec = spec[0] if isinstance(spec, list) and spec and isinstance(spec[0], dict) else {}
    found = []
    for kind in APP_COMPONENTS:
        for component in spec.get(kind) or []:
            if isinstance(component, dict):
                found.append((str(component.get("name", kind)), str(component.get("instance_size_slug")),
                              _count(component.get("instance_count"))))
    return found


def app_cost(attrs: dict, catalog: dict) -> Cost:
    total: float | None = 0.0
    parts, unknown = [], []
    for name, size, count in app_components(attrs):
        price = _price(catalog["app_platform_sizes"], size)
        parts.append(f"{name} {size} ×{count}")
        if price is None:
            unknown.append(size)
            total = None
        elif total is not None:
            total += price * count
    return Cost(total, ", ".join(parts) or "no services", tuple(unknown))


def resource_cost(rtype: str, attrs: dict, catalog: dict) -> Cost | None:
    """The monthly list price of one resource from its (planned) attributes; None for a type that
    costs nothing by itself. The Spaces subscription is counted by `plan_cost`, once."""
    if rtype == "digitalocean_droplet":
        return droplet_cost(attrs, catalog)
    if rtype == "digitalocean_database_cluster":
        return database_cost(attrs, catalog)
    if rtype == "digitalocean_app":
        return app_cost(attrs, catalog)
    if rtype == "digitalocean_reserved_ip":
        assigned = attrs.get("droplet_id") not in (None, "", 0)
        key = "assigned_monthly" if assigned else "unassigned_monthly"
        return Cost(float(catalog["reserved_ip"][key]), "assigned to a droplet" if assigned else "not assigned")
    if rtype in USAGE_TYPES:
        return Cost(0.0, "usage only")
    if rtype == "digitalocean_spaces_bucket" or rtype in FREE_TYPES:
        return None
    if rtype.startswith(("digitalocean_", "b2_")):
        return Cost(None, "not in the catalog", (rtype,))
    return None


@dataclass
class Line:
    address: str
    before: Cost | None
    after: Cost | None

    @property
    def delta(self) -> float | None:
        old = 0.0 if self.before is None else self.before.monthly
        new = 0.0 if self.after is None else self.after.monthly
        return None if old is None or new is None else new - old


@dataclass
class PlanCost:
    lines: list[Line] = field(default_factory=list)  # resources whose price changes, or changing ones without a price
    before: float = 0.0
    after: float = 0.0
    unknown: list[str] = field(default_factory=list)  # addresses whose price is unknown (not in the totals)
    date: str = ""

    @property
    def delta(self) -> float:
        return self.after - self.before


SPACES_ADDRESS = "Spaces subscription (once per account)"


def plan_cost(changes: list[tuple[str, str, dict | None, dict | None]], catalog: dict) -> PlanCost:
    """Before, after and per-resource deltas for (address, type, before attrs, after attrs) of every
    resource in an environment (absent: None). The Spaces subscription is one line, counted when the
    environment has at least one bucket: webkit cannot see an account's other buckets."""
    result = PlanCost(date=str(catalog.get("date", "")))
    buckets = [0, 0]
    for address, rtype, old, new in changes:
        if rtype == "digitalocean_spaces_bucket":
            buckets[0] += old is not None
            buckets[1] += new is not None
        line = Line(address, resource_cost(rtype, old, catalog) if old is not None else None,
                    resource_cost(rtype, new, catalog) if new is not None else None)
        _add(result, line)
    spaces = float(catalog["spaces"]["price_monthly"])
    what = "counted with the environment's first bucket"
    _add(result, Line(SPACES_ADDRESS, Cost(spaces, what) if buckets[0] else None, Cost(spaces, what) if buckets[1] else None))
    return result


def _add(result: PlanCost, line: Line) -> None:
    """A resource whose price is unknown before or after stays out of both totals, so that the
    totals compare like with like and an unknown price never reads as a saving."""
    if line.before is None and line.after is None:
        return
    if line.delta is None:  # listed when it changes; the header counts it either way
        result.unknown.append(line.address)
        if line.before is None or line.after is None or line.before.what != line.after.what:
            result.lines.append(line)
        return
    result.before += line.before.monthly if line.before is not None and line.before.monthly is not None else 0.0
    result.after += line.after.monthly if line.after is not None and line.after.monthly is not None else 0.0
    if line.delta != 0:
        result.lines.append(line)


def changes_of_plan(plan: dict) -> list[tuple[str, str, dict | None, dict | None]]:
    """(address, type, before, after) of each managed resource in a `terraform show -json` plan."""
    found = []
    for rc in plan.get("resource_changes") or []:
        if not isinstance(rc, dict) or rc.get("mode", "managed") != "managed":
            continue
        change: dict = rc["change"] if isinstance(rc.get("change"), dict) else {}
        actions = change.get("actions") or []
        before = change.get("before") if isinstance(change.get("before"), dict) else None
        after = change.get("after") if isinstance(change.get("after"), dict) else None
        if actions in (["forget"], ["delete"]):
            after = None
        found.append((str(rc.get("address", "")), str(rc.get("type", "")), before, after))
    return found


def money(amount: float | None, signed: bool = False) -> str:
    if amount is None:
        return "price unknown"
    sign = ("+" if amount >= 0 else "−") if signed else ("−" if amount < 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def describe(line: Line) -> str:
    """'+$18.00/mo: digitalocean_droplet.cms_droplet s-1vcpu-1gb → s-2vcpu-4gb'."""
    old, new = line.before, line.after
    if old is None and new is not None:
        shape = f"new, {new.what}"
    elif new is None and old is not None:
        shape = f"destroyed, was {old.what}"
    else:
        shape = f"{old.what} → {new.what}" if old and new and old.what != new.what else (new.what if new else "")
    amount = "price unknown" if line.delta is None else money(line.delta, signed=True) + "/mo"
    unknown = sorted({s for c in (old, new) if c is not None for s in c.unknown})
    note = f" (no price for {', '.join(unknown)})" if unknown else ""
    return f"{amount}: {line.address} {shape}{note}".rstrip()
