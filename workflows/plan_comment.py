#!/usr/bin/env python3
"""Terraform plan → a pull-request comment reviewers can trust.

Stand-alone on purpose: standard library only, so `webkit update` copies this file into
`.github/actions/terraform-comment/` and CI runs it with the runner's python3, no webkit needed.
`webkit infra comment` runs the same code.

    plan_comment.py render --plan-json FILE [--format markdown|json] [--environment E] [--error-log FILE]
                           [--plan-log FILE] [--summary-out FILE]
    plan_comment.py post --body-file FILE --repo OWNER/NAME --pr N --environment E [--run-id ID]
    plan_comment.py issue --body-file FILE --repo OWNER/NAME --title TITLE
    plan_comment.py resolve --repo OWNER/NAME --title TITLE --note TEXT
    plan_comment.py changes --plan-json FILE      (prints true or false: anything but provider noise?)
    plan_comment.py failure --environment E [--error-log FILE]   (a failed plan's job summary)
    plan_comment.py scrub LOG...                  (hides this step's TF_VAR_ values in Terraform's logs)

WEBKIT_PLAN_MASKS (one regular expression a line) hides whatever its patterns match, as
(masked), in everything rendered.

`post`, `issue` and `resolve` read the token from GITHUB_TOKEN and the API from GITHUB_API_URL;
issues count as the workflow's own only when GitHub Actions wrote them (WEBKIT_BOT_LOGIN, default
github-actions[bot]), so nobody can hijack the drift issue by opening one with the same title.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import importlib.util
import json
import os
import re
import signal
import stat
import sys
import threading
import urllib.error
import urllib.request

MAX_COMMENT = 65536  # GitHub rejects longer comment bodies
SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
CHANGE_KINDS = ("add", "change", "destroy", "replace", "import", "move", "forget", "read")

# What users fear losing: destroying or replacing these loses data. Types webkit emits (and its
# plugins') say so in the facts ("stateful"); this catches other providers' by name.
STATEFUL = re.compile(
    r"(database(_cluster|_db|_instance)?$|db_instance|rds_cluster|_bucket$|volume$|disk$|file_?system|"
    r"dynamodb_table|elasticache_(cluster|replication_group)|redis|valkey|sql_(database|instance)|_snapshot$)"
)
MACHINES = re.compile(r"(droplet|_instance$|compute_instance|virtual_machine|server|kubernetes|node_pool)")
NOISE_NOTE = "App Platform returns SECRET env values encrypted (EV[…]), so every plan shows them as changed (digitalocean provider issue 1603)"


class PlanError(ValueError):
    """The input is not a Terraform JSON plan; the message says why."""


# --------------------------------------------------------------------------- reading


def decode(data: bytes) -> str:
    """Bytes in whatever encoding real pipelines produce: UTF-8 (BOM or not) or UTF-16 (PowerShell)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if len(data) > 1 and data[1:2] == b"\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le")
    if len(data) > 1 and data[0:1] == b"\x00":
        return data.decode("utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PlanError(f"not UTF-8 or UTF-16 text ({err})") from None


def documents(text: str) -> list[dict]:
    """Every JSON plan that starts a line: skips wrapper lines ([command]…, ::debug::…) and
    reads several concatenated documents (terragrunt)."""
    decoder = json.JSONDecoder()
    found, pos = [], 0
    for match in re.finditer(r"^[ \t]*\{", text, re.MULTILINE):
        start = match.end() - 1
        if start < pos:
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        except RecursionError:
            raise PlanError("the JSON nests too deeply to be a Terraform plan") from None
        pos = end
        if isinstance(value, dict) and "format_version" in value:
            found.append(value)
    return found


_LIST, _DICT, _TEXT, _TEXTS = "a list", "an object", "text", "a list of text"


def _kind_ok(value, kind: str) -> bool:
    return {_LIST: isinstance(value, list), _DICT: isinstance(value, dict), _TEXT: isinstance(value, str),
            _TEXTS: isinstance(value, list) and all(isinstance(v, str) for v in value)}[kind]


def check_shape(doc: dict) -> None:
    """Every field this script reads has the type Terraform writes, or a PlanError names it."""
    def need(value, kind: str, where: str, optional: bool = True) -> None:
        if (value is None and optional) or _kind_ok(value, kind):
            return
        raise PlanError(f"{where} should be {kind}, not {type(value).__name__} (is this `terraform show -json` output?)")

    for section in ("resource_changes", "resource_drift"):
        need(doc.get(section), _LIST, section)
        for i, rc in enumerate(doc.get(section) or []):
            where = f"{section}[{i}]"
            need(rc, _DICT, where, optional=False)
            need(rc.get("address"), _TEXT, f"{where}.address", optional=False)
            for key in ("type", "mode", "previous_address", "deposed", "action_reason"):
                need(rc.get(key), _TEXT, f"{where}.{key}")
            need(rc.get("change"), _DICT, f"{where}.change")
            change = rc.get("change") or {}
            need(change.get("actions"), _TEXTS, f"{where}.change.actions")
            need(change.get("replace_paths"), _LIST, f"{where}.change.replace_paths")
            for j, path in enumerate(change.get("replace_paths") or []):
                need(path, _LIST, f"{where}.change.replace_paths[{j}]", optional=False)
            need(change.get("importing"), _DICT, f"{where}.change.importing")
    need(doc.get("output_changes"), _DICT, "output_changes")
    for name, change in (doc.get("output_changes") or {}).items():
        need(change, _DICT, f"output_changes.{name}", optional=False)
        need(change.get("actions"), _TEXTS, f"output_changes.{name}.actions")
    need(doc.get("checks"), _LIST, "checks")
    for i, result in enumerate(doc.get("checks") or []):
        need(result, _DICT, f"checks[{i}]", optional=False)
        need(result.get("status"), _TEXT, f"checks[{i}].status")
        need(result.get("address"), _DICT, f"checks[{i}].address")
        need(result.get("instances"), _LIST, f"checks[{i}].instances")
        for j, instance in enumerate(result.get("instances") or []):
            need(instance, _DICT, f"checks[{i}].instances[{j}]", optional=False)
            need(instance.get("problems"), _LIST, f"checks[{i}].instances[{j}].problems")
    need(doc.get("variables"), _DICT, "variables")
    for name, variable in (doc.get("variables") or {}).items():
        need(variable, _DICT, f"variables.{name}", optional=False)
    need(doc.get("configuration"), _DICT, "configuration")
    _check_module((doc.get("configuration") or {}).get("root_module"), "configuration.root_module", need)


def _check_module(module, where: str, need) -> None:
    """The parts of a configuration module the dependency graph reads, at any depth."""
    need(module, _DICT, where)
    module = module or {}
    need(module.get("resources"), _LIST, f"{where}.resources")
    for i, res in enumerate(module.get("resources") or []):
        need(res, _DICT, f"{where}.resources[{i}]", optional=False)
        need(res.get("address"), _TEXT, f"{where}.resources[{i}].address")
    for section in ("variables", "outputs"):
        need(module.get(section), _DICT, f"{where}.{section}")
        for name, value in (module.get(section) or {}).items():
            need(value, _DICT, f"{where}.{section}.{name}", optional=False)
    need(module.get("module_calls"), _DICT, f"{where}.module_calls")
    for name, call in (module.get("module_calls") or {}).items():
        need(call, _DICT, f"{where}.module_calls.{name}", optional=False)
        _check_module(call.get("module"), f"{where}.module_calls.{name}.module", need)


def load_plan(data: bytes) -> dict:
    """One plan; several documents are merged, each resource keeping its own address."""
    docs = documents(decode(data))
    if not docs:
        raise PlanError("no Terraform JSON plan found (expected the output of `terraform show -json PLANFILE`)")
    for doc in docs:
        check_shape(doc)
    if len(docs) == 1:
        return docs[0]
    merged: dict = {"format_version": docs[0]["format_version"], "resource_changes": [], "resource_drift": [],
                    "output_changes": {}, "checks": [], "errored": False}
    for index, doc in enumerate(docs):
        merged["resource_changes"] += doc.get("resource_changes") or []
        merged["resource_drift"] += doc.get("resource_drift") or []
        merged["checks"] += doc.get("checks") or []
        for name, change in (doc.get("output_changes") or {}).items():
            merged["output_changes"][name if name not in merged["output_changes"] else f"{name} ({index + 1})"] = change
        merged["errored"] = merged["errored"] or bool(doc.get("errored"))
    return merged


# --------------------------------------------------------------------------- values


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
MASKED = "(masked)"
MIN_SECRET = 6  # shorter sensitive strings ("app", "true") would mask half the plan and hide nothing
MASK_SECONDS = 3.0  # WEBKIT_PLAN_MASKS' work on one text (+1 s a MiB): a backtracking pattern stops here


@functools.lru_cache(maxsize=4)
def _masks(spec: str) -> tuple:
    patterns = []
    for number, line in enumerate(spec.splitlines(), 1):
        if line.strip():
            try:
                pattern = re.compile(line)
            except re.error as err:
                raise PlanError(f"WEBKIT_PLAN_MASKS line {number} is not a regular expression: {err}") from None
            if pattern.search("") is not None:
                raise PlanError(f"WEBKIT_PLAN_MASKS line {number} matches the empty string: it would mask nothing, "
                                "or everything; make it match at least one character")
            patterns.append((number, pattern))
    return tuple(patterns)


def user_masks() -> tuple:
    """WEBKIT_PLAN_MASKS (a repository variable in CI): one regular expression a line; whatever
    one matches in a value, a diff, a warning or a log is shown as (masked), as tfcmt's masks."""
    return _masks(os.environ.get("WEBKIT_PLAN_MASKS", ""))


class _Slow(Exception):
    pass


class Hidden(str):
    """A plan value replaced by (sensitive): shown as is, not as a JSON string."""


class Masks:
    """The one place that hides what must not be shown: the plan's secret values and the user's
    masks, applied to raw text (never to a JSON-escaped rendering) before anything is cut,
    split into lines or escaped. Secrets are replaced longest first, in one pass, so one secret
    holding another never leaves a piece of the longer one."""

    def __init__(self, secrets=frozenset(), patterns: tuple | None = None):
        ordered = sorted({s for s in secrets if isinstance(s, str) and s}, key=lambda s: (-len(s), s))
        self.secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self.patterns = user_masks() if patterns is None else patterns
        self._done: dict[str, str] = {}  # render_fitting shows the same texts up to 16 times

    def text(self, text: str) -> str:
        """Every secret in `text` as (sensitive), every user mask's match as (masked)."""
        if text not in self._done:
            clean = self.secrets.sub(SENSITIVE, text) if self.secrets is not None else text
            self._done[text] = self._user_masks(clean) if self.patterns else clean
        return self._done[text]

    def leaf(self, text: str) -> str:
        """A plan value: wholly (sensitive) when it holds a secret (Terraform marks a value sensitive
        where it is declared, not where it is copied), else with the user masks' matches hidden."""
        if self.secrets is not None and self.secrets.search(text):
            return HIDDEN
        return self.text(text)

    def value(self, value):
        """A JSON value with every string in it (keys too) masked; same shape, same order."""
        if isinstance(value, str):
            return self.leaf(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            out: dict = {}
            for key, item in value.items():
                shown = self.text(key) if isinstance(key, str) else key
                while shown in out:  # two keys masked alike stay two entries
                    shown = f"{shown} "
                out[shown] = self.value(item)
            return out
        return value

    def _user_masks(self, text: str) -> str:
        """Each user mask's matches as (masked), bounded in time: Python's regular expressions
        backtrack, so `(a+)+$` takes years on 40 characters. SIGALRM interrupts the matcher (where
        there is one); each text gets MASK_SECONDS, and a second more per MiB."""
        running = [0]

        def replace(match) -> str:
            if match.end() == match.start():
                raise PlanError(f"WEBKIT_PLAN_MASKS line {running[0]} matched an empty string: make it match at least one character")
            return MASKED

        def masked_all(text: str) -> str:
            for running[0], pattern in self.patterns:
                text = pattern.sub(replace, text)
            return text

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return masked_all(text)

        def stop(*_):
            raise _Slow
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, MASK_SECONDS + len(text) / 2**20)
        try:
            return masked_all(text)
        except _Slow:
            raise PlanError(f"WEBKIT_PLAN_MASKS line {running[0]} took over {MASK_SECONDS:g} s on one value of {len(text)} "
                            "characters: a pattern with nested or overlapping repetition, such as (a+)+ or (a|a)*, "
                            "backtracks exponentially; write it without (for example a+)") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


HIDDEN = Hidden(SENSITIVE)
_ACTIVE: list[Masks] = []  # the masks of the summary being rendered (render() sets them)


def active_masks() -> Masks:
    return _ACTIVE[-1] if _ACTIVE else Masks()


def masked(text: str) -> str:
    """`text` with every secret value of the plan being rendered and every user mask's match hidden."""
    return active_masks().text(text)


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


def attribute_diff(change: dict, raw: dict | None = None) -> list[tuple[str, str, str]]:
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


SECRET_KEYS = re.compile(r"Secret keys: ([A-Za-z0-9_, ]*)\.")


def _env_object(value) -> dict[str, str] | None:
    """A VM app's env output (an object: key → value, as webkit writes it) → key → value as text."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return None
    return {key: item if isinstance(item, str) else json.dumps(item) for key, item in value.items()}


def env_diff(name: str, change: dict, configuration: dict) -> list[tuple[str, str, str]] | None:
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


def classify(rc: dict) -> list[str]:
    """The kinds one resource change counts as, in Terraform's convention."""
    change = rc.get("change") or {}
    actions = change.get("actions") or []
    kinds = []
    if rc.get("mode") == "data" or actions == ["read"]:
        return ["read"] if "read" in actions else []
    if actions in (["delete", "create"], ["create", "delete"]):
        kinds.append("replace")
    elif actions == ["create"]:
        kinds.append("add")
    elif actions == ["delete"]:
        kinds.append("destroy")
    elif actions == ["update"]:
        kinds.append("change")
    elif "forget" in actions:
        kinds.append("forget")
        if "create" in actions:
            kinds.append("add")
    if change.get("importing"):
        kinds.append("import")
    if rc.get("previous_address") and rc.get("previous_address") != rc.get("address"):
        kinds.append("move")
    return kinds


_SECRET_ENV = re.compile(r"^spec\.0\.((service|worker|job|static_site|function)\.\d+\.)?env\.\d+\.value$")


def _fingerprinted_app(value) -> str | None:
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
            apps |= {app for side in ("after", "before") if (app := _fingerprinted_app(change.get(side)))}
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
    """What the real providers do (workflows/provider_facts.json, copied beside this script by
    `webkit update`; read from the providers' source). Without it, only the generic rules apply."""
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "provider_facts.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


FACTS = _load_facts()


@functools.lru_cache(maxsize=1)
def _pricing():
    """do_cost.py and do_catalog.json, copied beside this script by `webkit update` (workflows/):
    the module and its catalog, or (None, None) without them (then the comment has no cost section)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "do_cost.py")
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
    pricing, catalog = _pricing()
    return None if pricing is None else pricing.plan_cost(pricing.changes_of_plan(plan), catalog)


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def changed_attributes(change: dict) -> list[str]:
    """Top-level attributes whose value an update changes (unknown ones count as changed)."""
    before, after, unknown = (_object(change.get(k)) for k in ("before", "after", "after_unknown"))
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) or unknown.get(k) is True)


def consequences(item: dict) -> list[str]:
    """What the provider really does with this change, in words (from the facts)."""
    rtype, kinds = item["type"] or "", item["kinds"]
    if "replace" in kinds and rtype in FACTS.get("replaced", {}):
        return [f"replaced: {FACTS['replaced'][rtype]}"]
    if "change" not in kinds:
        return []
    changed = changed_attributes(item.get("raw") or item["change"])
    notes = [f"{name} {text}" for name, text in FACTS.get("in_place", {}).get(rtype, {}).items() if name in changed]
    notes += [f"{name}: {text}" for name, text in FACTS.get("never_applied", {}).get(rtype, {}).items() if name in changed]
    return notes


def risk(items: list[dict], counts: dict[str, int], checks: list[dict] | None = None) -> dict:
    """Level from the worst single change (and the plan's size); score sums them, only to order
    plans (summary_json): the comment shows the level and its reasons, never the score."""
    levels = ("low", "medium", "high", "critical")
    score, level, reasons = 0, 0, []
    for item in items:
        if item["noise"]:
            continue
        rtype, address, kinds = item["type"] or "", item["address"], item["kinds"]
        if ("destroy" in kinds or "replace" in kinds) and (rtype in FACTS.get("stateful", ()) or STATEFUL.search(rtype)):
            score, level = score + 100, 3
            reasons.append(f"{'replaces' if 'replace' in kinds else 'destroys'} stateful {address}: its data is lost")
        elif "replace" in kinds and MACHINES.search(rtype):
            score, level = score + 40, max(level, 2)
            reasons.append(f"replaces machine {address}: downtime and a new IP")
        elif "destroy" in kinds or "replace" in kinds:
            score, level = score + 10, max(level, 1)
        elif any("downtime" in note or "migrated" in note for note in consequences(item)):
            score, level = score + 10, max(level, 1)
            reasons.append(f"{address}: " + "; ".join(n for n in consequences(item) if "downtime" in n or "migrated" in n))
        else:
            score += 2 if "change" in kinds else 1 if "add" in kinds else 0
    destroyed = counts["destroy"] - sum(1 for r in reasons if "stateful" in r or "machine" in r)
    if destroyed > 0:
        reasons.append(f"{destroyed} other resource(s) destroyed or replaced")
    if checks:
        score, level = score + 20, max(level, 1)
        reasons.append(f"{len(checks)} check(s) failed: " + ", ".join(c["address"] for c in checks))
    changes = counts["add"] + counts["change"] + counts["destroy"]
    if changes > 50:
        score, level = score + 20, max(level, 1)
        reasons.append(f"{changes} changes in one plan: review in smaller steps if you can")
    return {"score": score, "level": levels[level], "reasons": reasons}


def failed_checks(plan: dict) -> list[dict]:
    """Check blocks and conditions whose assertion failed (or could not be evaluated) in this plan."""
    failed = []
    for result in plan.get("checks") or []:
        if result.get("status") in ("fail", "error"):
            address = result.get("address") or {}
            problems = [str(p.get("message", "")) for i in result.get("instances") or [] for p in i.get("problems") or [] if isinstance(p, dict)]
            failed.append({"address": str(address.get("to_display") or address.get("name") or "?"), "status": result["status"],
                           "problems": list(dict.fromkeys(problems))})
    return failed


WARNING = re.compile(r"^Warning: (.+)$")
_WARNING_END = re.compile(r"^(Warning: |Error: |─{10}|Saved the plan to|Plan: |No changes\.|Terraform will perform)")


def plan_warnings(log: str) -> list[dict]:
    """Terraform's warnings in the output of `terraform plan -no-color` (stdout): a summary line and
    the lines under it."""
    warnings: list[dict] = []
    current: dict | None = None
    for line in log.splitlines():
        match = WARNING.match(line)
        if match:
            current = {"summary": match.group(1).strip(), "detail": []}
            warnings.append(current)
        elif current is not None and _WARNING_END.match(line):
            current = None
        elif current is not None:
            current["detail"].append(line.rstrip())
    for warning in warnings:
        while warning["detail"] and not warning["detail"][-1]:
            warning["detail"].pop()
        while warning["detail"] and not warning["detail"][0]:
            warning["detail"].pop(0)
    return warnings


def _item(rc: dict, shown: dict, kinds: list[str], noise: bool) -> dict:
    """One changed resource: what is shown comes from `shown` (masked), what differs from `rc`."""
    change, raw = shown.get("change") or {}, rc.get("change") or {}
    return {
        "address": shown.get("address", "?"),
        "type": rc.get("type", ""),
        "actions": raw.get("actions") or [],
        "kinds": kinds,
        "action_reason": shown.get("action_reason"),
        "replace_paths": change.get("replace_paths") or [],
        "previous_address": shown.get("previous_address"),
        "importing": change.get("importing"),
        "deposed": shown.get("deposed"),
        "noise": noise,
        "change": change,
        "raw": raw,
    }


def _changed(pairs, key: str = "address", noise=lambda raw: False) -> list[dict]:
    """(raw, shown) resource drift or output changes whose actions are more than a no-op."""
    out = []
    for raw, shown in pairs:
        actions = (raw.get("change") or {}).get("actions") or []
        if actions and actions != ["no-op"]:
            out.append({key: shown.get(key, "?"), "actions": actions, "change": shown.get("change") or {},
                        "raw": raw.get("change") or {}, "noise": noise(raw)})
    return out


def summarize(plan: dict, environment: str | None = None) -> dict:
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
        items.append(_item(rc, shown, kinds, is_noise(rc, secrets_changed)))
    named = [[{"name": n, "change": c} for n, c in (doc.get("output_changes") or {}).items()] for doc in (plan, view)]
    outputs = sorted(_changed(zip(*named, strict=True), "name"), key=lambda o: o["name"])
    checks = failed_checks(view)
    return {
        "environment": environment,
        "masks": masks,
        "errored": bool(plan.get("errored")),
        "counts": counts,
        "risk": risk(items, counts, checks),
        "checks": checks,
        "warnings": [],
        "resources": items,
        "outputs": outputs,
        # one noise rule for changes and drift: App Platform's re-encrypted secrets are both
        "drift": _changed(zip(plan.get("resource_drift") or [], view["resource_drift"] or [], strict=True),
                          noise=lambda rc: is_noise(rc, secrets_changed)),
        "configuration": view["configuration"] or {},
        "cost": None if plan.get("errored") else plan_cost(plan),
    }


def has_changes(summary: dict) -> bool:
    """Whether applying would change anything real: provider noise alone does not count."""
    real = any({"add", "change", "destroy", "replace", "import", "move", "forget"} & set(i["kinds"]) and not i["noise"]
               for i in summary["resources"])
    return real or bool(summary["outputs"])


def summary_json(summary: dict) -> str:
    """The data view: counts, risk and each changed resource (no attribute values at all)."""
    data = {
        "environment": summary["environment"],
        "errored": summary["errored"],
        "counts": summary["counts"],
        "risk": summary["risk"],
        "resources": [
            {"address": i["address"], "action": "+".join(i["kinds"]), "actions": i["actions"],
             "noise": i["noise"], **({"previous_address": i["previous_address"]} if "move" in i["kinds"] else {})}
            for i in summary["resources"]
        ],
        "outputs": [{"name": o["name"], "actions": o["actions"]} for o in summary["outputs"]],
        "drift": [{"address": d["address"], "actions": d["actions"]} for d in summary["drift"]],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- markdown

EMOJI = {"replace": "🔁", "destroy": "🗑️", "add": "✨", "change": "✏️", "import": "📥", "move": "🚚", "forget": "🫥", "read": "📖"}
LEVEL = {"low": "🟢", "medium": "🟡", "high": "🟠", "critical": "🔴"}
ORDER = ("replace", "destroy", "add", "change", "import", "move", "forget", "read")
REASONS = {
    "replace_because_tainted": "tainted",
    "replace_because_cannot_update": "cannot be updated in place",
    "replace_by_request": "replacement requested (-replace)",
    "replace_by_triggers": "replace_triggered_by",
    "delete_because_no_resource_config": "no longer in the configuration",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_count_index": "count index removed",
    "delete_because_each_key": "for_each key removed",
    "delete_because_no_module": "module removed",
    "delete_because_no_move_target": "moved target missing",
    "read_because_config_unknown": "config not known until apply",
    "read_because_dependency_pending": "depends on pending changes",
}


def marker(environment: str | None) -> str:
    return f"<!-- webkit-plan-comment:{environment or 'default'} -->"


# Every character markdown or HTML could act on, as an entity: a value from a plan is text, never a
# tag, a comment (a forged marker), a link, emphasis or a table cell's end. GitHub finds mentions in
# the rendered text, where an entity is an `@` again: a zero-width space after it breaks the mention.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>`|\\[]*~#!"} | {"@": "@\u200b", "\n": "↵", "\r": "↵"})


# GFM links bare URLs (scheme://…, www.…): the character that starts one becomes an entity, which
# the renderer turns back into itself after it looked for links, so a copied value is the real one.
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=www)\.")


def _text(text: str) -> str:
    """A plan value (or any text holding one) as one line of inert markdown, masked first."""
    return _escaped(masked(text))


@functools.lru_cache(maxsize=1 << 16)  # render_fitting renders the same values up to 16 times
def _escaped(text: str) -> str:
    text = text.replace("\r\n", "\n").translate(_ENTITIES)
    if "//" in text or "." in text:
        text = _AUTOLINK.sub(lambda m: f"&#{ord(m.group())};", text)
    return text


def _code(text: str) -> str:
    return f"<code>{_text(text)}</code>"


def _fenced(lines: list[str], info: str = "") -> list[str]:
    """A code block no line of `lines` can close: the fence is longer than any backtick run in them.
    The lines come from masked text (masked whole, before it was split); masked again here, as
    every escaping point masks what it is given."""
    lines = masked("\n".join(lines)).split("\n") if lines else []
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *lines, fence]


def _verdict(summary: dict) -> tuple[str, str]:
    """(emoji, one line) for the header."""
    c = summary["counts"]
    if summary["errored"]:
        return "❌", "Plan failed: fix the error below, then push again"
    others = [f"{n} {k}" for k, n in (("move", c["move"]), ("import", c["import"]), ("forget", c["forget"]),
                                       ("output change", len(summary["outputs"]))) if n]
    if not (c["add"] or c["change"] or c["destroy"]):
        if others:
            return "ℹ️", "No infrastructure changes, but state changes: " + ", ".join(others)
        return "✅", "No changes: the infrastructure matches app.json"
    if all(i["noise"] for i in summary["resources"] if {"add", "change", "destroy", "replace"} & set(i["kinds"])):
        if others:  # outputs are applied too (a VM app's env reaches its droplet): not "nothing"
            return "ℹ️", "Only known provider noise among the resources, but the apply changes: " + ", ".join(others)
        return "ℹ️", "Only known provider noise: nothing will really change"
    large = c["add"] + c["change"] + c["destroy"] > 50
    medium = "Review the destroys" if c["destroy"] else "A large change: review it with care" if large else "Review with care"
    verdict = {"low": "Low risk", "medium": medium, "high": "Review carefully",
               "critical": "Data loss possible: review before merging"}[summary["risk"]["level"]]
    return LEVEL[summary["risk"]["level"]], verdict


def _resource_block(item: dict, detail: int) -> str:
    kinds = item["kinds"]
    main = next(k for k in ORDER if k in kinds)
    verb = {"replace": "replaced", "destroy": "destroyed", "add": "created", "change": "updated",
            "import": "imported", "move": "moved", "forget": "removed from state (kept)", "read": "read"}[main]
    notes = []
    if item["noise"]:
        notes.append("provider noise: " + NOISE_NOTE)
    app = _fingerprinted_app(item["change"].get("after"))
    if item["type"] == "terraform_data" and app:
        notes.append(f"a secret value of {app} changes")
    if item["action_reason"]:
        notes.append(REASONS.get(item["action_reason"], item["action_reason"]))
    if "consequences" not in item:
        item["consequences"] = consequences(item)
    notes += item["consequences"]
    if item["actions"] == ["create", "delete"]:
        notes.append("the new one is created before the old one is destroyed")
    elif item["actions"] == ["delete", "create"]:
        notes.append("the old one is destroyed before the new one exists: downtime")
    if item["replace_paths"]:
        notes.append("forced by " + ", ".join(path_text(tuple(p)) for p in item["replace_paths"]))
    if "move" in kinds:
        notes.append(f"moved from {item['previous_address']}")
    if "import" in kinds:
        imported = item["importing"] or {}
        notes.append("imported" + (f" (id {imported['id']})" if imported.get("id") else ""))
    if item["deposed"]:
        notes.append(f"deposed object {item['deposed']}")
    title = f"{EMOJI[main]} {_code(item['address'])} will be <b>{verb}</b>"
    if detail <= 1:
        return f"- {title}" + (f" — {_text('; '.join(notes))}" if notes else "")
    if "rows" not in item:  # the same in every pass of render_fitting: computed once
        item["rows"] = attribute_diff(item["change"], item["raw"]) if main != "read" else []
        item["diffs"] = text_diffs(item["change"], item["raw"]) if main in ("change", "replace") else {}
    rows, diffs = item["rows"], item["diffs"]
    rows, later = _created(rows) if main == "add" else (rows, [])
    lines = [f"<details><summary>{title}</summary>", ""]
    lines += [f"> {_text(' · '.join(notes))}", ""] if notes else []
    if not rows and main in ("change", "replace"):
        lines += ["Only sensitive values differ; they are not shown.", ""]
    lines += _table(rows, detail, diffs)
    lines += ["", "Known after apply: " + _text(_listed(later, 20))] if later else []
    lines += _diff_blocks(diffs, detail)
    lines += ["", "</details>"]
    return "\n".join(lines)


def _created(rows: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """A create shows what was set: no rows for empty lists or objects; the attributes Terraform
    knows only after apply, by name (an App Platform app has dozens of both)."""
    later = [attribute for attribute, _, new in rows if new == UNKNOWN]
    return [row for row in rows if row[2] not in (UNKNOWN, "[]", "{}")], later


def _listed(names: list[str], limit: int) -> str:
    return ", ".join(names[:limit]) + (f" … and {len(names) - limit} more" if len(names) > limit else "")


def _table(rows: list[tuple[str, str, str]], detail: int, diffs: dict | None = None, head: str = "attribute") -> list[str]:
    """An attribute table; a row whose value has a line diff points to it instead."""
    if not rows:
        return []
    limit = 40 if detail == 2 else 200
    lines = [f"| {head} | before | after |", "|---|---|---|"]
    for a, b, c in rows[:limit]:
        if diffs and a in diffs:
            b, c = "see the diff below", ""
        lines.append(f"| {_code(a)} | {_text(b)} | {_text(c)} |")
    if len(rows) > limit:
        lines.append(f"| … | {len(rows) - limit} more not shown | |")
    return lines


def _diff_blocks(diffs: dict[str, list[str]], detail: int) -> list[str]:
    """A unified diff per multi-line or JSON attribute, cut to a number of lines with a mark."""
    limit = 60 if detail >= 3 else 15
    lines = []
    for attribute, diff in diffs.items():
        lines += ["", f"Diff of {_code(attribute)}:", ""]
        lines += _fenced(diff[:limit], "diff")
        if len(diff) > limit:
            lines += ["", f"_…{len(diff) - limit} more diff lines not shown_"]
    return lines


def _config_references(module: dict, prefix: str = "") -> dict[str, set[str]]:
    """Config address → the config addresses its expressions reference."""
    refs: dict[str, set[str]] = {}
    for res in module.get("resources") or []:
        found = set()
        names = [n for ref in re.findall(r'"references":\s*\[([^\]]*)\]', json.dumps(res.get("expressions") or {}))
                 for n in re.findall(r'"([^"]+)"', ref)]
        names += [n for n in res.get("depends_on") or [] if isinstance(n, str)]
        for name in names:
            parts = name.split(".")
            if len(parts) >= 2 and not name.startswith(("var.", "local.", "each.", "count.", "path.", "module.")):
                found.add(prefix + ".".join(parts[:3] if parts[0] == "data" else parts[:2]))
        refs[prefix + (res.get("address") or "")] = found
    for name, call in (module.get("module_calls") or {}).items():
        refs.update(_config_references(call.get("module") or {}, f"{prefix}module.{name}."))
    return refs


def _mermaid_label(text: str) -> str:
    """A quoted mermaid label: its own entity syntax (#quot;), so for_each keys cannot end it."""
    return "".join({'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "`": "#96;"}.get(c, c) for c in masked(text).replace("\n", " "))


INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]')  # [0] or ["key"], quotes and backslashes escaped


def _mermaid(summary: dict, plan_config: dict) -> list[str]:
    """Each replaced or destroyed resource and what depends on it (references and depends_on),
    directly or through others up to three steps away, whether or not the plan changes it."""
    risky = [i for i in summary["resources"] if {"replace", "destroy"} & set(i["kinds"]) and not i["noise"]]
    dependants: dict[str, set[str]] = {}
    for source, targets in _config_references(plan_config.get("root_module") or {}).items():
        for target in targets:
            dependants.setdefault(target, set()).add(source)
    strip = lambda address: INSTANCE_KEY.sub("", address)  # noqa: E731 (an instance → its configuration)
    changing = {strip(i["address"]): i for i in summary["resources"] if not i["noise"]}
    edges = []
    for item in risky[:10]:
        frontier, seen = [(item["address"], strip(item["address"]))], {strip(item["address"])}
        for _ in range(3):
            reached = []
            for node, config in frontier:
                for dependant in sorted(dependants.get(config, set()) - seen):
                    seen.add(dependant)
                    edges.append((node, dependant))
                    reached.append((dependant, dependant))
            frontier = reached
    if not edges:
        return []
    nodes = list(dict.fromkeys(a for edge in edges[:30] for a in edge))
    ids = {address: f"n{i}" for i, address in enumerate(nodes)}
    def label(address: str) -> str:
        if address in {i["address"] for i in risky}:
            return address
        item = changing.get(address)
        return f"{address} ({'/'.join(item['kinds']) if item else 'no change'})"
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {ids[a]}["{_mermaid_label(label(a))}"]' for a in nodes]
    lines += [f"  {ids[a]} -->|used by| {ids[b]}" for a, b in edges[:30]]
    lines += [f"  style {ids[i['address']]} fill:#f8d7da" for i in risky if i["address"] in ids]
    if len(edges) > 30:
        lines.append(f'  more["{len(edges) - 30} more dependants not drawn"]')
    return lines + ["```", ""]


def _hidden(value, mask):
    """`value` with each part `mask` marks sensitive shown as (sensitive), at any depth."""
    if mask is True:
        return HIDDEN
    if isinstance(value, list) and isinstance(mask, list):
        return [_hidden(v, mask[i] if i < len(mask) else False) for i, v in enumerate(value)]
    if isinstance(value, dict) and isinstance(mask, dict):
        return {k: _hidden(v, mask.get(k, False)) for k, v in value.items()}
    return value


def _known(value, unknown):
    """`value` with the parts Terraform will only know after apply written as such (not null)."""
    if unknown is True:
        return UNKNOWN
    if isinstance(value, list) and isinstance(unknown, list):
        return [_known(v, unknown[i] if i < len(unknown) else False) for i, v in enumerate(value)]
    if isinstance(value, dict) and isinstance(unknown, dict):
        known = {k: _known(v, unknown.get(k, False)) for k, v in value.items()}
        return known | {k: UNKNOWN for k, u in unknown.items() if u is True and k not in value}
    return value


def _run() -> tuple[str, str, str, str] | None:
    """(server, repository, run id, commit) from the variables GitHub sets in every step, when
    each has its expected shape (they become links)."""
    server, repo, run, sha = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_SHA"))
    if not (re.fullmatch(r"https://[\w.-]+", server) and re.fullmatch(r"[\w.-]+/[\w.-]+", repo) and run.isdigit()
            and re.fullmatch(r"[0-9a-f]{7,40}", sha)):
        return None
    return server, repo, run, sha


def _run_link() -> str | None:
    run = _run()
    return f"[workflow run {run[2]}]({run[0]}/{run[1]}/actions/runs/{run[2]})" if run else None


def _provenance() -> list[str]:
    """A link to the workflow run and the commit."""
    run = _run()
    if run is None:
        return []
    server, repo, _, sha = run
    return ["", f"Plan of commit [`{sha[:7]}`]({server}/{repo}/commit/{sha}) in {_run_link()}"
                " (its log has Terraform's full output)."]


COMMENT_FIT = "GitHub's 65,536-character comment limit"
SUMMARY_FIT = "the 1 MiB limit of a step's job summary"


def render(summary: dict, error_log: str | None = None, detail: int = 3, cap: int | None = None, full_plan: str | None = None,
           fits: str = COMMENT_FIT) -> str:
    """The comment body; `detail` 3 shows every diff, 2 shortens them, 1 lists resources, 0 also
    caps the list. `full_plan` says where the uncut plan is, for a comment that had to be cut."""
    _ACTIVE.append(summary["masks"])  # every escaping point masks with them (see Masks)
    try:
        lines = _header(summary, error_log)
        lines += _cost(summary)
        lines += _checks_and_warnings(summary, detail)
        lines += _changes(summary, detail, cap)
        lines += _drift(summary, detail, cap)
        lines += _outputs(summary, detail, cap)
    finally:
        _ACTIVE.pop()
    if detail < 3:
        cut = {2: "long diffs shortened", 1: "attribute diffs left out"}.get(detail, "attribute diffs left out, the list cut")
        where = f"The whole plan is in {full_plan}." if full_plan else "`terraform show` of the plan file has all of it."
        lines += ["", f"_Cut to fit {fits} ({cut}). {where}_"]
    return "\n".join(lines) + "\n"


def _header(summary: dict, error_log: str | None) -> list[str]:
    """The marker, the verdict, the counts and the risk (or why there are none), the run's links,
    the provider-noise note and a failed plan's error."""
    c, r = summary["counts"], summary["risk"]
    emoji, verdict = _verdict(summary)
    env = f" · {_text(summary['environment'])}" if summary["environment"] else ""
    extra = "".join(f" · {c[k]} {k}" for k in ("replace", "import", "move", "forget", "read") if c[k])
    lines = [marker(summary["environment"]), f"## {emoji} Terraform plan{env}: {verdict}", ""]
    if summary["errored"]:
        lines.append("**No plan**: Terraform stopped before it could tell what would change, so there are no counts and no risk to show.")
    else:
        lines += [
            f"**{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy**{extra}",
            "",
            # the level is the riskiest single change's (a sum would call many small changes risky):
            # the reader gets the level and what set it, not the score that only orders plans
            f"Risk: {LEVEL[r['level']]} **{r['level']}**" + (", set by the riskiest change: " + _text("; ".join(r["reasons"]))
                                                           if r["reasons"] else ""),
        ]
    lines += _provenance()
    noise = sum(1 for i in summary["resources"] if i["noise"])
    if noise:
        lines += ["", f"ℹ️ {noise} change(s) are known provider noise and do not count toward the risk: {NOISE_NOTE}."]
    if summary["errored"]:
        lines += ["", "### ❌ Terraform could not finish the plan", ""]
        if error_log:
            lines += _fenced(masked(error_log).strip().splitlines()[-60:])
        else:
            lines.append("The plan stopped with an error; the changes below are partial. See the workflow log.")
    return lines


COST_LINES = 20  # the cost section's resource lines: a plan of thousands must still fit a comment


def _cost(summary: dict) -> list[str]:
    """Monthly cost before → after, each resource whose price changes or is unknown, what is not
    counted and the catalog's date. Nothing for a plan without DigitalOcean or B2 resources."""
    cost, (pricing, catalog) = summary.get("cost"), _pricing()
    if cost is None or pricing is None or not (cost.lines or cost.unknown or cost.before or cost.after):
        return []
    change = f"{pricing.money(cost.delta, signed=True)}/mo" if cost.delta else "unchanged"
    change += f"; {len(cost.unknown)} price(s) unknown" if cost.unknown else ""
    lines = ["", f"### 💰 Monthly cost: {pricing.money(cost.before)} → {pricing.money(cost.after)} ({change})", ""]
    ranked = sorted(cost.lines, key=lambda line: (line.delta is None, -abs(line.delta or 0)))  # biggest first
    lines += [f"- {_text(pricing.describe(line))}" for line in ranked[:COST_LINES]]
    if len(ranked) > COST_LINES:
        lines.append(f"- …and {len(ranked) - COST_LINES} more resources whose price changes or is unknown")
    unknown = " A resource whose price is unknown is in neither total." if cost.unknown else ""
    lines += ["", f"_List prices in USD from webkit's DigitalOcean catalog of {_text(str(catalog.get('date', '?')))}; "
                  f"not counted: {pricing.NOT_COUNTED}.{unknown}_"]
    return lines


def _changes(summary: dict, detail: int, cap: int | None) -> list[str]:
    """The graph, then each change grouped by kind (the first `cap` of them, the counts exact)."""
    items = summary["resources"]
    shown = items if cap is None else items[:cap]
    if not shown:
        return []
    lines = ["", "### Changes", ""]
    lines += _mermaid(summary, summary.get("configuration") or {}) if detail >= 2 else []
    main = {id(i): next(k for k in ORDER if k in i["kinds"]) for i in items}
    for kind in ORDER:
        group = [i for i in shown if main[id(i)] == kind]
        total = sum(1 for i in items if main[id(i)] == kind)
        if group:
            listed = f"{total}, {len(group)} listed" if len(group) < total else f"{total}"
            lines += ["", f"#### {EMOJI[kind]} {kind} ({listed})", ""]
            lines += [_resource_block(i, detail) + ("\n" if detail > 1 else "") for i in group]
    if len(shown) < len(items):
        lines += ["", f"_…and {len(items) - len(shown)} more resources, not listed to fit GitHub's comment limit; the counts above are exact._"]
    return lines


def _checks_and_warnings(summary: dict, detail: int) -> list[str]:
    """Failed check blocks (from the plan), then Terraform's warnings (from its output)."""
    lines = []
    if summary["checks"]:
        lines += ["", f"### ❗ Failed checks ({len(summary['checks'])})", ""]
        for check in summary["checks"]:
            said = "; ".join(check["problems"]) or "no message"
            lines.append(f"- {_code(check['address'])} ({_text(check['status'])}): {_text(said)}")
    # a failed check is also a warning in Terraform's output: listed once, above
    warnings = [w for w in summary["warnings"] if not (summary["checks"] and w["summary"] == "Check block assertion failed")]
    if warnings:
        lines += ["", f"### ⚠️ Terraform warnings ({len(warnings)})", ""]
        for warning in warnings[:20]:
            title = f"⚠️ {_text(warning['summary'])}"
            if detail >= 2 and warning["detail"]:
                lines += [f"<details><summary>{title}</summary>", ""]
                lines += _fenced(warning["detail"][:30]) + ["", "</details>", ""]
            else:
                lines.append(f"- {title}")
        if len(warnings) > 20:
            lines.append(f"- …and {len(warnings) - 20} more (see the workflow log)")
    return lines


def _drift(summary: dict, detail: int, cap: int | None) -> list[str]:
    """What changed outside Terraform, attribute by attribute (as `terraform plan` prints it)."""
    if not summary["drift"]:
        return []
    lines = ["", "### 🌪️ Changed outside Terraform (drift)", ""]
    for item in summary["drift"][:cap]:
        title = f"{_code(item['address'])}: {_text('/'.join(item['actions']))}"
        if item["noise"]:
            title += " — " + _text("provider noise: " + NOISE_NOTE)
        rows = attribute_diff(item["change"], item["raw"]) if detail >= 2 else []
        if rows:
            lines += [f"<details><summary>{title}</summary>", "", *_table(rows, detail), "", "</details>", ""]
        else:
            lines.append(f"- {title}")
    return lines


def _outputs(summary: dict, detail: int, cap: int | None) -> list[str]:
    """The outputs table; for a VM app's env (dotenv text), which keys change, below it."""
    if not summary["outputs"]:
        return []
    lines = ["", "### Outputs", "", "| output | change | value |", "|---|---|---|"]
    keyed = []
    for out in summary["outputs"][:cap]:
        ch = out["change"]
        secret = ch.get("after_sensitive") is True or ch.get("before_sensitive") is True
        value = SENSITIVE if secret else UNKNOWN if ch.get("after_unknown") is True else (
            # a part either side marks sensitive is hidden, as in the attribute tables
            show(_known(_hidden(_hidden(ch.get("after"), ch.get("after_sensitive")), ch.get("before_sensitive")),
                        ch.get("after_unknown"))) if detail >= 2 and ch.get("after") is not None else "")
        keys = env_diff(out["name"], out["raw"], summary["configuration"]) if detail >= 2 else None
        if keys:
            keyed.append((out["name"], keys))
            value = f"{len(keys)} key(s) change, below"
        lines.append(f"| {_code(out['name'])} | {'/'.join(out['actions'])} | {_text(value)} |")
    for name, keys in keyed:
        lines += ["", f"Keys of {_code(name)}:", "", *_table(keys, detail, head="key")]
    return lines


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def render_fitting(summary: dict, error_log: str | None = None, limit: int = MAX_COMMENT - 1000, full_plan: str | None = None,
                   size=len) -> str:
    """Cut least important detail first: long diffs, then all diffs, then the list itself. `size`
    measures a body as its reader limits it: GitHub's comments in characters, a step's job
    summary in UTF-8 bytes (_utf8_size)."""
    fits = SUMMARY_FIT if size is _utf8_size else COMMENT_FIT
    for detail in (3, 2, 1):
        body = render(summary, error_log, detail, full_plan=full_plan, fits=fits)
        if size(body) <= limit:
            return body
    cap = len(summary["resources"])
    while cap > 0:
        cap //= 2
        body = render(summary, error_log, 0, cap, full_plan, fits)
        if size(body) <= limit:
            return body
    body = render(summary, error_log, 0, 0, full_plan, fits)
    if size is _utf8_size:
        return body.encode("utf-8")[:limit].decode("utf-8", "ignore")  # never half a character
    return body[:limit]


SIGNS = {"add": "+", "destroy": "-", "replace": "-/+", "change": "~", "import": "<=", "move": "->", "forget": "x", "read": "<="}


def terminal_summary(summary: dict) -> str:
    """A few lines for a terminal: the verdict, then one line per changed resource."""
    c, r = summary["counts"], summary["risk"]
    env = f"{summary['environment']}: " if summary["environment"] else ""
    lines = [f"{env}{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy · risk {r['level']}"
             + (f" ({'; '.join(r['reasons'])})" if r["reasons"] else "")]
    for item in summary["resources"]:
        main = next(k for k in ORDER if k in item["kinds"])
        note = " (provider noise)" if item["noise"] else ""
        if item["replace_paths"]:
            note += " (forced by " + ", ".join(path_text(tuple(p)) for p in item["replace_paths"]) + ")"
        lines.append(f"  {SIGNS[main]:>3} {item['address']}{note}")
    for out in summary["outputs"]:
        sign = {"create": "+", "delete": "-"}.get(out["actions"][0], "~")
        lines.append(f"  {sign:>3} output.{out['name']}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- GitHub


class GitHubError(RuntimeError):
    pass


class GitHub:
    def __init__(self, repo: str, token: str, api: str = "https://api.github.com"):
        self.repo, self.token, self.api = repo, token, api.rstrip("/")

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[object, dict]:
        url = path if path.startswith("http") else f"{self.api}{path}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "webkit-plan-comment",
        })
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
                return (json.loads(text) if text else None), dict(resp.headers)
        except urllib.error.HTTPError as err:
            detail = ""
            try:
                detail = json.loads(err.read().decode()).get("message", "")
            except (ValueError, AttributeError):
                pass
            raise GitHubError(f"GitHub API {method} {url.split('?')[0]} failed: {err.code} {detail or err.reason}") from None
        except urllib.error.URLError as err:
            raise GitHubError(f"GitHub API {method} {url.split('?')[0]} unreachable: {err.reason}") from None

    def pages(self, path: str):
        """Every item of a paginated list, following Link: rel="next"."""
        url = f"{path}{'&' if '?' in path else '?'}per_page=100"
        while url:
            items, headers = self.request("GET", url)
            yield from items if isinstance(items, list) else []
            link = headers.get("Link") or headers.get("link") or ""
            match = re.search(r'<([^>]+)>;\s*rel="next"', link)
            url = match.group(1) if match else ""


def render_failure(environment: str | None, step: str, reasons: str) -> str:
    """The comment of a plan run that failed before Terraform could plan (a stale app.json, a
    missing secret or sops key): it replaces the previous run's plan, which no longer holds.
    `reasons`: the workflow's own error lines (names, never values), user masks applied."""
    env = f" · {environment}" if environment else ""
    lines = [marker(environment), f"## ❌ Terraform plan{env}: failed before Terraform ran", "",
             f"**No plan**: the step _{_text(step or 'an earlier step')}_ failed, so nothing was planned (any earlier "
             "plan shown here is replaced: it no longer stands)."]
    run = _run()
    if run:
        lines += ["", f"Run for commit [`{run[3][:7]}`]({run[0]}/{run[1]}/commit/{run[3]}): {_run_link()}, whose log has the details."]
    lines += ["", "### Why", ""]
    reasons = reasons.strip()
    lines += _fenced(reasons.splitlines()[-20:]) if reasons else ["The step's log in the workflow run says why."]
    return "\n".join(lines) + "\n"


RUN_MARK = re.compile(r"<!-- webkit-plan-run:(\d+)\.(\d+) -->")


def _bot() -> str:
    return os.environ.get("WEBKIT_BOT_LOGIN") or "github-actions[bot]"


def upsert_comment(gh: GitHub, pr: int, environment: str | None, body: str, run: tuple[int, int]) -> str:
    """Create or update this PR's one comment for `environment`; never replace a newer run's.

    Only comments the workflow wrote count, and only where its markers are: the environment's
    marker opens the body and the run mark is its last line. Anybody can comment, and a plan
    value could carry marker text; neither can take the comment over or freeze it."""
    mark = marker(environment)
    body = f"{body.rstrip()}\n<!-- webkit-plan-run:{run[0]}.{run[1]} -->\n"
    mine = [c for c in gh.pages(f"/repos/{gh.repo}/issues/{pr}/comments")
            if (c.get("user") or {}).get("login") == _bot() and (c.get("body") or "").startswith(mark)]
    if not mine:
        gh.request("POST", f"/repos/{gh.repo}/issues/{pr}/comments", {"body": body})
        return "created"
    existing = mine[-1]
    seen = RUN_MARK.fullmatch((existing.get("body") or "").rstrip().rsplit("\n", 1)[-1])
    if seen and (int(seen.group(1)), int(seen.group(2))) > run:
        return "skipped"
    gh.request("PATCH", f"/repos/{gh.repo}/issues/comments/{existing['id']}", {"body": body})
    return "updated"


def _own_issue(gh: GitHub, title: str) -> dict | None:
    """The open issue with this title that the workflow itself opened."""
    for issue in gh.pages(f"/repos/{gh.repo}/issues?state=open"):
        author = (issue.get("user") or {}).get("login")
        if issue.get("title") == title and "pull_request" not in issue and author == _bot():
            return issue
    return None


def upsert_issue(gh: GitHub, title: str, body: str) -> str:
    """One open issue with this title: updated if it exists, opened if not."""
    issue = _own_issue(gh, title)
    if issue:
        gh.request("PATCH", f"/repos/{gh.repo}/issues/{issue['number']}", {"body": body})
        return "updated"
    gh.request("POST", f"/repos/{gh.repo}/issues", {"title": title, "body": body})
    return "created"


def resolve_issue(gh: GitHub, title: str, note: str) -> str:
    """Close the workflow's open issue with this title, saying why; nothing when there is none."""
    issue = _own_issue(gh, title)
    if not issue:
        return "none open"
    gh.request("POST", f"/repos/{gh.repo}/issues/{issue['number']}/comments", {"body": note})
    gh.request("PATCH", f"/repos/{gh.repo}/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"})
    return "closed"


# --------------------------------------------------------------------------- CLI


READ_LIMIT = 256 * 2**20  # a plan of thousands of resources is a few MiB


def _read(path: str) -> bytes:
    """A regular file, bounded (checked before opening: a FIFO blocks, /dev/zero never ends)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise PlanError(f"cannot read {path}: not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT + 1)
    except OSError as err:
        raise PlanError(f"cannot read {path}: {err.strerror}") from None
    if len(data) > READ_LIMIT:
        raise PlanError(f"cannot read {path}: larger than {READ_LIMIT // 2**20} MiB")
    return data


RECORDED = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*( \(sandbox\))?")  # what `webkit infra plan --json-out` writes


def recorded_environment(plan: dict) -> str | None:
    """The environment `webkit infra plan --json-out` saved with the plan ("webkit": {"environment"}),
    so a preview without -e names it; anything else there is ignored (it would reach the marker)."""
    saved = plan.get("webkit")
    environment = saved.get("environment") if isinstance(saved, dict) else None
    return environment if isinstance(environment, str) and RECORDED.fullmatch(environment) else None


def _summarize_file(plan_json: str, environment: str | None = None) -> dict:
    try:
        plan = load_plan(_read(plan_json))
        return summarize(plan, environment or recorded_environment(plan))
    except RecursionError:
        raise PlanError("a value in the plan nests too deeply to show") from None


STEP_SUMMARY_LIMIT = 1024 * 1024 - 4096  # bytes: the runner drops a step's job summary over 1 MiB of UTF-8


def render_file(plan_json: str, fmt: str = "markdown", environment: str | None = None, error_log: str | None = None,
                plan_log: str | None = None, summary_out: str | None = None) -> str:
    """The comment (or the summary JSON). `plan_log`: Terraform's plan output, for its warnings.
    `summary_out`: also append the plan, cut only to the job summary's limit, to this file (CI's
    $GITHUB_STEP_SUMMARY); a comment that had to be cut then points there."""
    user_masks()  # a broken mask stops here, before anything is shown
    summary = _summarize_file(plan_json, environment)
    if fmt == "json":
        return summary_json(summary)
    masks = summary["masks"]  # logs are masked whole, before they are parsed, split or cut
    log = masks.text(_read(error_log).decode("utf-8", "replace")) if error_log else None
    if plan_log:
        summary["warnings"] = plan_warnings(masks.text(_read(plan_log).decode("utf-8", "replace")))
    try:
        full_plan = None
        if summary_out:
            used = os.path.getsize(summary_out) if os.path.isfile(summary_out) else 0  # this step's summary so far
            with open(summary_out, "a", encoding="utf-8") as handle:
                handle.write(render_fitting(summary, log, max(0, STEP_SUMMARY_LIMIT - used), size=_utf8_size))
            full_plan = "the job summary of " + (_run_link() or "this workflow run")
        return render_fitting(summary, log, full_plan=full_plan)
    except RecursionError:
        raise PlanError("a value in the plan nests too deeply to show") from None


def failure_summary(environment: str, error_log: str | None) -> str:
    """The job summary of a plan that failed after a merge: Terraform's error text through the
    comment's one escaping point, with the user's masks (nobody reads a comment then)."""
    text = _read(error_log).decode("utf-8", "replace") if error_log and os.path.lexists(error_log) else ""
    _ACTIVE.append(Masks())
    try:
        lines = [f"## Plan failed for {_text(environment)}", ""]
        if text.strip():
            lines += _fenced(masked(text).strip().splitlines()[-100:])
        else:
            lines.append("No plan ran: an earlier step failed (see the log).")
    finally:
        _ACTIVE.pop()
    return "\n".join(lines) + "\n"


def scrub(paths: list[str]) -> None:
    """Hide, in Terraform's logs, every value this step gave Terraform as TF_VAR_… (webkit passes
    only secrets that way): a failed plan has no plan JSON to learn its secrets from, and its error
    text can quote one. Rewritten in place, atomically; an absent log is skipped."""
    values = frozenset(v for k, v in os.environ.items() if k.startswith("TF_VAR_") and len(v) >= MIN_SECRET)
    masks = Masks(values, patterns=())
    for path in paths:
        if not os.path.lexists(path):
            continue
        text = _read(path).decode("utf-8", "replace")
        clean = masks.text(text)
        if clean != text:
            with open(f"{path}.scrub", "w", encoding="utf-8") as handle:
                handle.write(clean)
            os.replace(f"{path}.scrub", path)


def _github_from_env(repo: str) -> GitHub:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise GitHubError("GITHUB_TOKEN is not set")
    return GitHub(repo, token, os.environ.get("GITHUB_API_URL", "https://api.github.com"))


def _write_failure(environment: str | None, step: str, reasons_file: str | None, out: str) -> None:
    reasons = _read(reasons_file).decode("utf-8", "replace") if reasons_file and os.path.exists(reasons_file) else ""
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(render_failure(environment, step, reasons))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plan_comment.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="Plan JSON → comment markdown or summary JSON.")
    r.add_argument("--plan-json", required=True)
    r.add_argument("--format", choices=("markdown", "json"), default="markdown")
    r.add_argument("--environment")
    r.add_argument("--error-log", help="Terraform's output of a failed plan, shown in the comment.")
    r.add_argument("--plan-log", help="Terraform's plan output (stdout), for its warnings.")
    r.add_argument("--summary-out", help="Also append the whole plan here ($GITHUB_STEP_SUMMARY).")
    r.add_argument("--out", help="Write here instead of stdout.")
    p = sub.add_parser("post", help="Create or update the PR comment for an environment.")
    p.add_argument("--body-file", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--pr", required=True, type=int)
    p.add_argument("--environment")
    p.add_argument("--run-id", type=int, default=int(os.environ.get("GITHUB_RUN_ID") or 0))
    p.add_argument("--run-attempt", type=int, default=int(os.environ.get("GITHUB_RUN_ATTEMPT") or 0))
    i = sub.add_parser("issue", help="Open or update the one open issue with this title.")
    i.add_argument("--body-file", required=True)
    i.add_argument("--repo", required=True)
    i.add_argument("--title", required=True)
    h = sub.add_parser("changes", help="Print true when the plan changes anything but known provider noise.")
    h.add_argument("--plan-json", required=True)
    f = sub.add_parser("failed", help="The comment of a plan run that failed before Terraform ran.")
    f.add_argument("--environment")
    f.add_argument("--step", default="", help="The name of the step that failed.")
    f.add_argument("--reasons", help="The workflow's error lines (a missing file: none).")
    f.add_argument("--out", required=True)
    f = sub.add_parser("failure", help="The job summary of a failed plan: its error, escaped and masked.")
    f.add_argument("--environment", required=True)
    f.add_argument("--error-log")
    s = sub.add_parser("scrub", help="Hide this step's TF_VAR_ values in Terraform's logs (in place).")
    s.add_argument("logs", nargs="*")
    c = sub.add_parser("resolve", help="Close the open issue with this title, with a note.")
    c.add_argument("--repo", required=True)
    c.add_argument("--title", required=True)
    c.add_argument("--note", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            text = render_file(args.plan_json, args.format, args.environment, args.error_log, args.plan_log, args.summary_out)
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
        elif args.command == "post":
            body = _read(args.body_file).decode("utf-8")
            result = upsert_comment(_github_from_env(args.repo), args.pr, args.environment, body, (args.run_id, args.run_attempt))
            print(f"plan comment {result}" + (" (a newer run already commented)" if result == "skipped" else ""))
        elif args.command == "failed":
            _write_failure(args.environment, args.step, args.reasons, args.out)
        elif args.command == "failure":
            sys.stdout.write(failure_summary(args.environment, args.error_log))
        elif args.command == "scrub":
            scrub(args.logs)
        elif args.command == "changes":
            print("true" if has_changes(_summarize_file(args.plan_json)) else "false")
        elif args.command == "issue":
            body = _read(args.body_file).decode("utf-8")
            print(f"issue {upsert_issue(_github_from_env(args.repo), args.title, body)}")
        else:
            print(f"issue {resolve_issue(_github_from_env(args.repo), args.title, args.note)}")
    except (PlanError, GitHubError) as err:
        print(f"✗ {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
