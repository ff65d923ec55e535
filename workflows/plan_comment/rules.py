"""Generic risk rules: what any Terraform plan puts at risk, by the kinds of its changes and the
names of the types it touches. Provider-specific knowledge arrives as data (`stateful`, each
change's `consequences`), from digitalocean.py."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from .model import FailedCheck, ResourceChange, Risk

# What users fear losing: destroying or replacing these loses data. Types webkit emits (and its
# plugins') say so in the facts ("stateful"); this catches other providers' by name.
STATEFUL = re.compile(
    r"(database(_cluster|_db|_instance)?$|db_instance|rds_cluster|_bucket$|volume$|disk$|file_?system|"
    r"dynamodb_table|elasticache_(cluster|replication_group)|redis|valkey|sql_(database|instance)|_snapshot$)"
)
MACHINES = re.compile(r"(droplet|_instance$|compute_instance|virtual_machine|server|kubernetes|node_pool)")


def risk(items: list[ResourceChange], counts: Mapping[str, int], checks: list[FailedCheck] | None = None,
         stateful: Collection[str] = ()) -> Risk:
    """Level from the worst single change (and the plan's size); score sums them, only to order
    plans (summary_json): the comment shows the level and its reasons, never the score. `stateful`:
    the types the provider facts call stateful, besides those STATEFUL names."""
    levels = ("low", "medium", "high", "critical")
    score, level, reasons = 0, 0, []
    for item in items:
        if item.noise:
            continue
        rtype, address, kinds = item.type or "", item.address, item.kinds
        if ("destroy" in kinds or "replace" in kinds) and (rtype in stateful or STATEFUL.search(rtype)):
            score, level = score + 100, 3
            reasons.append(f"{'replaces' if 'replace' in kinds else 'destroys'} stateful {address}: its data is lost")
        elif "replace" in kinds and MACHINES.search(rtype):
            score, level = score + 40, max(level, 2)
            reasons.append(f"replaces machine {address}: downtime and a new IP")
        elif "destroy" in kinds or "replace" in kinds:
            score, level = score + 10, max(level, 1)
        elif any("downtime" in note or "migrated" in note for note in item.consequences):
            score, level = score + 10, max(level, 1)
            reasons.append(f"{address}: " + "; ".join(n for n in item.consequences if "downtime" in n or "migrated" in n))
        else:
            score += 2 if "change" in kinds else 1 if "add" in kinds else 0
    destroyed = counts["destroy"] - sum(1 for r in reasons if "stateful" in r or "machine" in r)
    if destroyed > 0:
        reasons.append(f"{destroyed} other resource(s) destroyed or replaced")
    if checks:
        score, level = score + 20, max(level, 1)
        reasons.append(f"{len(checks)} check(s) failed: " + ", ".join(c.address for c in checks))
    changes = counts["add"] + counts["change"] + counts["destroy"]
    if changes > 50:
        score, level = score + 20, max(level, 1)
        reasons.append(f"{changes} changes in one plan: review in smaller steps if you can")
    return Risk(score, levels[level], reasons)
