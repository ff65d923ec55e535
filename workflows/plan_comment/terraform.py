"""What Terraform writes, read generically: the plan JSON (any encoding, wrapped in log lines or
concatenated, its shape checked), each resource change's kinds, failed checks, and the warnings in
`terraform plan`'s output. Nothing here knows a provider."""

from __future__ import annotations

import json
import re

from .model import FailedCheck, PlanError, PlanWarning


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


def failed_checks(plan: dict) -> list[FailedCheck]:
    """Check blocks and conditions whose assertion failed (or could not be evaluated) in this plan."""
    failed = []
    for result in plan.get("checks") or []:
        if result.get("status") in ("fail", "error"):
            address = result.get("address") or {}
            problems = [str(p.get("message", "")) for i in result.get("instances") or [] for p in i.get("problems") or [] if isinstance(p, dict)]
            failed.append(FailedCheck(str(address.get("to_display") or address.get("name") or "?"), result["status"],
                                      list(dict.fromkeys(problems))))
    return failed


WARNING = re.compile(r"^Warning: (.+)$")
_WARNING_END = re.compile(r"^(Warning: |Error: |─{10}|Saved the plan to|Plan: |No changes\.|Terraform will perform)")


def plan_warnings(log: str) -> list[PlanWarning]:
    """Terraform's warnings in the output of `terraform plan -no-color` (stdout): a summary line and
    the lines under it."""
    found: list[tuple[str, list[str]]] = []
    detail: list[str] | None = None
    for line in log.splitlines():
        match = WARNING.match(line)
        if match:
            detail = []
            found.append((match.group(1).strip(), detail))
        elif detail is not None and _WARNING_END.match(line):
            detail = None
        elif detail is not None:
            detail.append(line.rstrip())
    warnings = []
    for summary, lines in found:
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        warnings.append(PlanWarning(summary, tuple(lines)))
    return warnings
