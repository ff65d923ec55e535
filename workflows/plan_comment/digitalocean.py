"""DigitalOcean's and webkit's own rules: the provider facts (provider_facts.json: what the real
providers do with a change), App Platform's re-encrypted secrets (noise), webkit's secret
fingerprints and env outputs, and the monthly cost (do_cost.py). The files they read sit beside
this package, where `webkit update` copies them (in webkit: workflows/)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import sys

from .masks import active_masks
from .model import SENSITIVE, UNKNOWN, Row
from .values import flatten, show

BESIDE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder this package sits in
NOISE_NOTE = "App Platform returns SECRET env values encrypted (EV[…]), so every plan shows them as changed (digitalocean provider issue 1603)"


SECRET_KEYS = re.compile(r"Secret keys: ([A-Za-z0-9_, ]*)\.")


def _env_object(value) -> dict[str, str] | None:
    """A VM app's env output (an object: key → value, as webkit writes it) → key → value as text."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return None
    return {key: item if isinstance(item, str) else json.dumps(item) for key, item in value.items()}


def env_diff(name: str, change: dict, configuration: dict) -> list[Row] | None:
    """(key, before, after) for each key an env output (an object) adds, removes or changes.
    A value is secret when either side says so: the description (webkit writes "Secret keys: A, B.",
    "none" or "every key" there) is the new configuration's, so it speaks for the after side only.
    Nothing records which keys the old configuration kept secret, so a before value of a sensitive
    output stays hidden (a secret removed, or turned into a plain value, was a secret until now). An
    output without that description is left alone: which of its keys are secret is unknown."""
    before, after = _env_object(change.get("before") or {}), _env_object(change.get("after"))
    unknown = change.get("after_unknown")
    if before is None or after is None or unknown is True:
        return None  # not an env object, or not known until apply
    # Terraform leaves a key whose value is known only after apply out of `after`
    later = {key for key, flag in unknown.items() if flag is True} if isinstance(unknown, dict) else set()
    declared = (((configuration.get("root_module") or {}).get("outputs") or {}).get(name) or {}).get("description")
    listed = SECRET_KEYS.search(declared) if isinstance(declared, str) else None
    if listed is None:
        return None
    every = listed.group(1) == "every key"
    secret_keys = {key.strip() for key in listed.group(1).split(",")}
    before_secret = change.get("before_sensitive") is not False  # sensitive unless proven otherwise

    def value(key: str, pairs: dict[str, str], old: bool) -> str:
        if key not in pairs:
            return ""
        return SENSITIVE if every or key in secret_keys or (old and before_secret) else show(active_masks().leaf(pairs[key]))

    changed = sorted(key for key in set(before) | set(after) | later if key in later or before.get(key) != after.get(key))
    rows = [(key, value(key, before, True), UNKNOWN if key in later else value(key, after, False)) for key in changed]
    return [(key, old, "(sensitive, changed)" if old == new == SENSITIVE else new) for key, old, new in rows]


# --------------------------------------------------------------------------- summary


_SECRET_ENV = re.compile(r"^spec\.0\.((service|worker|job|static_site|function)\.\d+\.)?env\.\d+\.value$")


def fingerprinted_app(value) -> str | None:
    """The app address a webkit secret fingerprint (`terraform_data` input) names, if `value` is one."""
    inputs = value.get("input") if isinstance(value, dict) else None
    app = inputs.get("app") if isinstance(inputs, dict) else None
    return app if isinstance(app, str) else None


def secret_changes(plan: dict) -> set[str]:
    """Addresses of the apps whose secret values change in this plan: webkit gives each App Platform
    app with secrets a `terraform_data` whose input names the app and fingerprints its secrets."""
    apps = set()
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if rc.get("type") == "terraform_data" and (change.get("actions") or ["no-op"]) != ["no-op"]:
            apps |= {app for side in ("after", "before") if (app := fingerprinted_app(change.get(side)))}
    return apps


def is_noise(rc: dict, secrets_changed: frozenset | set = frozenset()) -> bool:
    """An App Platform update whose only differences are SECRET env values that DigitalOcean
    returns encrypted (EV[…]): every plan shows them, nothing will really change. Never noise
    when the same plan changes that app's secret fingerprint: then a secret really changed."""
    change = rc.get("change") or {}
    if rc.get("type") != "digitalocean_app" or change.get("actions") != ["update"]:
        return False
    if rc.get("address") in secrets_changed:
        return False
    before, after = flatten(change.get("before")), flatten(change.get("after"))
    differing = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
    if not differing:
        return False
    for path in differing:
        if not _SECRET_ENV.match(".".join(map(str, path))):
            return False
        env_type = before.get(path[:-1] + ("type",))
        if env_type != "SECRET" or not str(before.get(path, "")).startswith("EV["):
            return False
    return True


def _load_facts() -> dict:
    """What the real providers do (workflows/provider_facts.json, copied beside this package by
    `webkit update`; read from the providers' source). Without it, only the generic rules apply."""
    try:
        with open(os.path.join(BESIDE, "provider_facts.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


FACTS = _load_facts()


@functools.lru_cache(maxsize=1)
def pricing_files():
    """do_cost.py and do_catalog.json, copied beside this package by `webkit update` (workflows/):
    the module and its catalog, or (None, None) without them (then the comment has no cost section)."""
    path = os.path.join(BESIDE, "do_cost.py")
    try:
        spec = importlib.util.spec_from_file_location("webkit_do_cost", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[spec.name] = module  # type: ignore[union-attr]  # its dataclasses look themselves up there
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module, module.load_catalog()
    except (OSError, ValueError, ImportError, AttributeError):
        return None, None


def plan_cost(plan: dict):
    """Monthly cost before and after, per resource (do_cost.PlanCost), or None without the pricing files."""
    pricing, catalog = pricing_files()
    return None if pricing is None else pricing.plan_cost(pricing.changes_of_plan(plan), catalog)


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def changed_attributes(change: dict) -> list[str]:
    """Top-level attributes whose value an update changes (unknown ones count as changed)."""
    before, after, unknown = (_object(change.get(k)) for k in ("before", "after", "after_unknown"))
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) or unknown.get(k) is True)


def consequences(rtype: str, kinds: list[str], change: dict) -> list[str]:
    """What the provider really does with this change (as Terraform wrote it), in words (from the facts)."""
    if "replace" in kinds and rtype in FACTS.get("replaced", {}):
        return [f"replaced: {FACTS['replaced'][rtype]}"]
    if "change" not in kinds:
        return []
    changed = changed_attributes(change)
    notes = [f"{name} {text}" for name, text in FACTS.get("in_place", {}).get(rtype, {}).items() if name in changed]
    notes += [f"{name}: {text}" for name, text in FACTS.get("never_applied", {}).get(rtype, {}).items() if name in changed]
    return notes
