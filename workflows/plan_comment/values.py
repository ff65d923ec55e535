"""Plan values, generically: leaves by path, Terraform's sensitive and unknown marks, the secrets a
plan holds, and what a change does to each attribute (rows and line diffs of the masked values)."""

from __future__ import annotations

import difflib
import json

from .masks import HIDDEN, MIN_SECRET, Hidden
from .model import SENSITIVE, UNKNOWN, Row


def _is_sensitive(mask, path: tuple) -> bool:
    """`mask` mirrors the value: True at a node hides the whole subtree."""
    for step in path:
        if mask is True:
            return True
        if isinstance(mask, dict):
            mask = mask.get(step)
        elif isinstance(mask, list) and isinstance(step, int) and step < len(mask):
            mask = mask[step]
        else:
            return False
    return mask is True


def flatten(value, path: tuple = ()) -> dict[tuple, object]:
    """Leaves by path; empty containers are leaves too."""
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(flatten(item, path + (key,)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, path + (index,)))
        return out
    return {path: value}


def _masks_below(mask, path: tuple = ()) -> set[tuple]:
    """Paths that a mask marks True (sensitive or unknown), whether or not the value has them."""
    if mask is True:
        return {path}
    out: set[tuple] = set()
    if isinstance(mask, dict):
        for key, item in mask.items():
            out |= _masks_below(item, path + (key,))
    elif isinstance(mask, list):
        for index, item in enumerate(mask):
            out |= _masks_below(item, path + (index,))
    return out


def path_text(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(value)"



VALUE_LIMIT = 300  # characters of one value in the comment; the rest is cut (after masking), with a mark


def show(value) -> str:
    """A value (already masked: see summarize) as JSON text, cut with a mark when long."""
    if isinstance(value, Hidden):
        return SENSITIVE
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > VALUE_LIMIT:
        return f"{text[:VALUE_LIMIT]}… (+{len(text) - VALUE_LIMIT} characters)"
    return text


def _state_modules(module) -> list[dict]:
    """A state's module and its child modules, at any depth."""
    if not isinstance(module, dict):
        return []
    children = module.get("child_modules")
    return [module] + [m for child in children or [] if isinstance(children, list) for m in _state_modules(child)]


def secret_values(plan: dict) -> frozenset:
    """Every string this plan marks sensitive somewhere (values of 6 characters or more: shorter ones
    such as "app" or "true" would mask half the plan and hide nothing)."""
    found = set()
    changes = [rc.get("change") or {} for rc in (plan.get("resource_changes") or []) + (plan.get("resource_drift") or [])]
    changes += list((plan.get("output_changes") or {}).values())
    for change in changes:
        for side in ("before", "after"):
            mask = change.get(f"{side}_sensitive")
            for path, value in flatten(change.get(side)).items() if change.get(side) is not None else ():
                if isinstance(value, str) and len(value) >= MIN_SECRET and _is_sensitive(mask, path):
                    found.add(value)
    for module in _state_modules(((plan.get("prior_state") or {}).get("values") or {}).get("root_module")):
        for res in module.get("resources") or [] if isinstance(module.get("resources"), list) else []:
            if isinstance(res, dict) and res.get("values") is not None:
                for path, value in flatten(res["values"]).items():
                    if isinstance(value, str) and len(value) >= MIN_SECRET and _is_sensitive(res.get("sensitive_values"), path):
                        found.add(value)
    declared = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, variable in (plan.get("variables") or {}).items():
        value = variable.get("value") if isinstance(variable, dict) else None
        if isinstance(value, str) and len(value) >= MIN_SECRET and isinstance(declared.get(name), dict) and declared[name].get("sensitive"):
            found.add(value)
    return frozenset(found)


def _shown_leaves(raw, view) -> dict[tuple, object]:
    """Raw path → the masked value at that place (`view` is `raw` masked: same shape, same order)."""
    return dict(zip(flatten(raw), flatten(view).values(), strict=True)) if raw is not None else {}


def attribute_diff(change: dict, raw: dict | None = None) -> list[Row]:
    """(attribute, before, after) for every leaf that differs; secrets masked at any depth, a
    changed secret shown as changed (as Terraform prints `~ password = (sensitive value)`).
    `raw` is the change as Terraform wrote it (what differs), `change` the same masked (what is shown)."""
    raw = change if raw is None else raw
    before, after = raw.get("before"), raw.get("after")
    masks = [raw.get("before_sensitive"), raw.get("after_sensitive")]
    unknown = raw.get("after_unknown")
    flat_before = flatten(before) if before is not None else {}
    flat_after = flatten(after) if after is not None else {}
    shown_before, shown_after = _shown_leaves(before, change.get("before")), _shown_leaves(after, change.get("after"))
    paths = set(flat_before) | set(flat_after) | _masks_below(unknown)
    rows = []
    for path in sorted(paths, key=lambda p: [str(s).zfill(8) if isinstance(s, int) else s for s in p]):
        secret = any(_is_sensitive(m, path) for m in masks)
        is_unknown = _is_sensitive(unknown, path)
        old = flat_before.get(path) if path in flat_before else None
        new = UNKNOWN if is_unknown else flat_after.get(path)
        if not is_unknown and path in flat_before and path in flat_after and old == new:
            continue
        if old is None and new is None:
            continue
        old_text = "" if path not in flat_before else (SENSITIVE if secret else show(shown_before[path]))
        new_text = UNKNOWN if is_unknown else ("" if path not in flat_after else (SENSITIVE if secret else show(shown_after[path])))
        if old_text == new_text:  # the values differ (equal ones were skipped above): never hide that
            new_text = "(sensitive, changed)" if old_text == SENSITIVE else f"{new_text} (changed; the difference is not shown)"
        rows.append((path_text(path), old_text, new_text))
    return rows


def _document_lines(text: str) -> list[str] | None:
    """A JSON document's lines, pretty-printed with sorted keys (so the diff marks the keys that
    changed), or multi-line text's lines; None for a one-line string."""
    if text.strip()[:1] in ("{", "["):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, (dict, list)):
            return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return text.splitlines() if "\n" in text.strip("\n") else None


def text_diffs(change: dict, raw: dict | None = None) -> dict[str, list[str]]:
    """Attribute → the lines of a unified diff, for string values holding a JSON document or
    multi-line text on both sides: of the masked values (`change`), masked whole before they are
    split into lines or cut. Never for a sensitive, unknown or secret-holding value."""
    raw = change if raw is None else raw
    before, after = raw.get("before"), raw.get("after")
    if before is None or after is None:
        return {}
    hidden = [raw.get("before_sensitive"), raw.get("after_sensitive"), raw.get("after_unknown")]
    flat_after = flatten(after)
    shown_before, shown_after = _shown_leaves(before, change.get("before")), _shown_leaves(after, change.get("after"))
    diffs = {}
    for path, old in flatten(before).items():
        new = flat_after.get(path)
        if not (isinstance(old, str) and isinstance(new, str)) or old == new or any(_is_sensitive(m, path) for m in hidden):
            continue
        old, new = shown_before[path], shown_after[path]
        if SENSITIVE in (old, new) or not (isinstance(old, str) and isinstance(new, str)):
            continue
        old_lines, new_lines = _document_lines(old), _document_lines(new)
        if old_lines is None and new_lines is None:
            continue
        diff = list(difflib.unified_diff(old_lines or [old], new_lines or [new], lineterm="", n=2))[2:]
        diffs[path_text(path)] = [line if len(line) <= VALUE_LIMIT else line[:VALUE_LIMIT] + "…" for line in diff]
    return diffs


def hide_sensitive(value, mask):
    """`value` with each part `mask` marks sensitive shown as (sensitive), at any depth."""
    if mask is True:
        return HIDDEN
    if isinstance(value, list) and isinstance(mask, list):
        return [hide_sensitive(v, mask[i] if i < len(mask) else False) for i, v in enumerate(value)]
    if isinstance(value, dict) and isinstance(mask, dict):
        return {k: hide_sensitive(v, mask.get(k, False)) for k, v in value.items()}
    return value


def mark_unknown(value, unknown):
    """`value` with the parts Terraform will only know after apply written as such (not null)."""
    if unknown is True:
        return UNKNOWN
    if isinstance(value, list) and isinstance(unknown, list):
        return [mark_unknown(v, unknown[i] if i < len(unknown) else False) for i, v in enumerate(value)]
    if isinstance(value, dict) and isinstance(unknown, dict):
        known = {k: mark_unknown(v, unknown.get(k, False)) for k, v in value.items()}
        return known | {k: UNKNOWN for k, u in unknown.items() if u is True and k not in value}
    return value
