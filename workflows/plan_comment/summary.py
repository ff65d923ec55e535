"""A plan → its Summary, built once: masked first, classified, weighed; and the Summary's two
plain views (whether it changes anything real, and the JSON data view)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from types import MappingProxyType

from .digitalocean import FACTS, consequences, is_noise, plan_cost, secret_changes
from .masks import Masks
from .model import CHANGE_KINDS, Drift, OutputChange, ResourceChange, Summary
from .rules import risk
from .terraform import classify, failed_checks
from .values import secret_values


def _resource(rc: dict, shown: dict, kinds: list[str], noise: bool) -> ResourceChange:
    """One changed resource: what is shown comes from `shown` (masked), what differs from `rc`."""
    change, raw = shown.get("change") or {}, rc.get("change") or {}
    rtype = rc.get("type") or ""
    return ResourceChange(
        address=shown.get("address", "?"),
        type=rtype,
        actions=raw.get("actions") or [],
        kinds=kinds,
        action_reason=shown.get("action_reason"),
        replace_paths=change.get("replace_paths") or [],
        previous_address=shown.get("previous_address"),
        importing=change.get("importing"),
        deposed=shown.get("deposed"),
        noise=noise,
        consequences=tuple(consequences(rtype, kinds, raw or change)),
        change=change,
        raw=raw,
    )


def _changed(pairs: Iterable[tuple[dict, dict]]) -> Iterable[tuple[dict, dict, list[str]]]:
    """(raw, shown, actions) of the resource drift or output changes whose actions are more than a no-op."""
    for raw, shown in pairs:
        actions = (raw.get("change") or {}).get("actions") or []
        if actions and actions != ["no-op"]:
            yield raw, shown, actions


def _drift(pairs: Iterable[tuple[dict, dict]], noise: Callable[[dict], bool]) -> list[Drift]:
    return [Drift(shown.get("address", "?"), actions, shown.get("change") or {}, raw.get("change") or {}, noise(raw))
            for raw, shown, actions in _changed(pairs)]


def _outputs(plan: dict, view: dict) -> list[OutputChange]:
    named = [[{"name": n, "change": c} for n, c in (doc.get("output_changes") or {}).items()] for doc in (plan, view)]
    outputs = [OutputChange(shown.get("name", "?"), actions, shown.get("change") or {}, raw.get("change") or {})
               for raw, shown, actions in _changed(zip(*named, strict=True))]
    return sorted(outputs, key=lambda o: o.name)


def summarize(plan: dict, environment: str | None = None) -> Summary:
    """The plan as the comment shows it. Masking comes first: every string that can be shown is
    masked here, once, on its raw value (secrets of this plan and WEBKIT_PLAN_MASKS); what
    differs is still decided on the raw values."""
    masks = Masks(secret_values(plan))
    parts = ("resource_changes", "resource_drift", "output_changes", "checks", "configuration")
    view = masks.value({part: plan.get(part) for part in parts})
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    items = []
    secrets_changed = secret_changes(plan)
    for rc, shown in zip(plan.get("resource_changes") or [], view["resource_changes"] or [], strict=True):
        kinds = classify(rc)
        if not kinds:
            continue
        for kind in kinds:
            counts[kind] += 1
            if kind == "replace":
                counts["add"] += 1
                counts["destroy"] += 1
        items.append(_resource(rc, shown, kinds, is_noise(rc, secrets_changed)))
    checks = failed_checks(view)
    return Summary(
        environment=environment,
        masks=masks,
        errored=bool(plan.get("errored")),
        counts=MappingProxyType(counts),
        risk=risk(items, counts, checks, FACTS.get("stateful", ())),
        checks=checks,
        warnings=(),
        resources=items,
        outputs=_outputs(plan, view),
        # one noise rule for changes and drift: App Platform's re-encrypted secrets are both
        drift=_drift(zip(plan.get("resource_drift") or [], view["resource_drift"] or [], strict=True),
                     lambda rc: is_noise(rc, secrets_changed)),
        configuration=view["configuration"] or {},
        cost=None if plan.get("errored") else plan_cost(plan),
    )


def has_changes(summary: Summary) -> bool:
    """Whether applying would change anything real: provider noise alone does not count."""
    real = any({"add", "change", "destroy", "replace", "import", "move", "forget"} & set(i.kinds) and not i.noise
               for i in summary.resources)
    return real or bool(summary.outputs)


def summary_json(summary: Summary) -> str:
    """The data view: counts, risk and each changed resource (no attribute values at all)."""
    data = {
        "environment": summary.environment,
        "errored": summary.errored,
        "counts": dict(summary.counts),
        "risk": dataclasses.asdict(summary.risk),
        "resources": [
            {"address": i.address, "action": "+".join(i.kinds), "actions": i.actions,
             "noise": i.noise, **({"previous_address": i.previous_address} if "move" in i.kinds else {})}
            for i in summary.resources
        ],
        "outputs": [{"name": o.name, "actions": o.actions} for o in summary.outputs],
        "drift": [{"address": d.address, "actions": d.actions} for d in summary.drift],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
