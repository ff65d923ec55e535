"""The comment: markdown (and the HTML GitHub allows in it) as a pure function of a Summary, cut
to fit where it is shown; the terminal's few lines; a failed run's comment. Every text from the
plan goes through escape.py."""

from __future__ import annotations

import json
import os
import re

from .digitalocean import NOISE_NOTE, env_diff, fingerprinted_app, pricing_files
from .escape import fenced, inline_code, inline_text, mermaid_label
from .masks import masked, masking
from .model import SENSITIVE, UNKNOWN, ResourceChange, Row, Summary
from .values import attribute_diff, hide_sensitive, mark_unknown, path_text, show, text_diffs

MAX_COMMENT = 65536  # GitHub rejects longer comment bodies


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


def _verdict(summary: Summary) -> tuple[str, str]:
    """(emoji, one line) for the header."""
    c = summary.counts
    if summary.errored:
        return "❌", "Plan failed: fix the error below, then push again"
    others = [f"{n} {k}" for k, n in (("move", c["move"]), ("import", c["import"]), ("forget", c["forget"]),
                                       ("output change", len(summary.outputs))) if n]
    if not (c["add"] or c["change"] or c["destroy"]):
        if others:
            return "ℹ️", "No infrastructure changes, but state changes: " + ", ".join(others)
        return "✅", "No changes: the infrastructure matches app.json"
    if all(i.noise for i in summary.resources if {"add", "change", "destroy", "replace"} & set(i.kinds)):
        if others:  # outputs are applied too (a VM app's env reaches its droplet): not "nothing"
            return "ℹ️", "Only known provider noise among the resources, but the apply changes: " + ", ".join(others)
        return "ℹ️", "Only known provider noise: nothing will really change"
    large = c["add"] + c["change"] + c["destroy"] > 50
    medium = "Review the destroys" if c["destroy"] else "A large change: review it with care" if large else "Review with care"
    verdict = {"low": "Low risk", "medium": medium, "high": "Review carefully",
               "critical": "Data loss possible: review before merging"}[summary.risk.level]
    return LEVEL[summary.risk.level], verdict


def _resource_block(item: ResourceChange, detail: int, details: _Details) -> str:
    kinds = item.kinds
    main = next(k for k in ORDER if k in kinds)
    verb = {"replace": "replaced", "destroy": "destroyed", "add": "created", "change": "updated",
            "import": "imported", "move": "moved", "forget": "removed from state (kept)", "read": "read"}[main]
    notes = []
    if item.noise:
        notes.append("provider noise: " + NOISE_NOTE)
    app = fingerprinted_app(item.change.get("after"))
    if item.type == "terraform_data" and app:
        notes.append(f"a secret value of {app} changes")
    if item.action_reason:
        notes.append(REASONS.get(item.action_reason, item.action_reason))
    notes += item.consequences
    if item.actions == ["create", "delete"]:
        notes.append("the new one is created before the old one is destroyed")
    elif item.actions == ["delete", "create"]:
        notes.append("the old one is destroyed before the new one exists: downtime")
    if item.replace_paths:
        notes.append("forced by " + ", ".join(path_text(tuple(p)) for p in item.replace_paths))
    if "move" in kinds:
        notes.append(f"moved from {item.previous_address}")
    if "import" in kinds:
        imported = item.importing or {}
        notes.append("imported" + (f" (id {imported['id']})" if imported.get("id") else ""))
    if item.deposed:
        notes.append(f"deposed object {item.deposed}")
    title = f"{EMOJI[main]} {inline_code(item.address)} will be <b>{verb}</b>"
    if detail <= 1:
        return f"- {title}" + (f" — {inline_text('; '.join(notes))}" if notes else "")
    rows, diffs = details.of(item, main)
    rows, later = _created(rows) if main == "add" else (rows, [])
    lines = [f"<details><summary>{title}</summary>", ""]
    lines += [f"> {inline_text(' · '.join(notes))}", ""] if notes else []
    if not rows and main in ("change", "replace"):
        lines += ["Only sensitive values differ; they are not shown.", ""]
    lines += _table(rows, detail, diffs)
    lines += ["", "Known after apply: " + inline_text(_listed(later, 20))] if later else []
    lines += _diff_blocks(diffs, detail)
    lines += ["", "</details>"]
    return "\n".join(lines)


def _created(rows: list[Row]) -> tuple[list[Row], list[str]]:
    """A create shows what was set: no rows for empty lists or objects; the attributes Terraform
    knows only after apply, by name (an App Platform app has dozens of both)."""
    later = [attribute for attribute, _, new in rows if new == UNKNOWN]
    return [row for row in rows if row[2] not in (UNKNOWN, "[]", "{}")], later


def _listed(names: list[str], limit: int) -> str:
    return ", ".join(names[:limit]) + (f" … and {len(names) - limit} more" if len(names) > limit else "")


def _table(rows: list[Row], detail: int, diffs: dict | None = None, head: str = "attribute") -> list[str]:
    """An attribute table; a row whose value has a line diff points to it instead."""
    if not rows:
        return []
    limit = 40 if detail == 2 else 200
    lines = [f"| {head} | before | after |", "|---|---|---|"]
    for a, b, c in rows[:limit]:
        if diffs and a in diffs:
            b, c = "see the diff below", ""
        lines.append(f"| {inline_code(a)} | {inline_text(b)} | {inline_text(c)} |")
    if len(rows) > limit:
        lines.append(f"| … | {len(rows) - limit} more not shown | |")
    return lines


def _diff_blocks(diffs: dict[str, list[str]], detail: int) -> list[str]:
    """A unified diff per multi-line or JSON attribute, cut to a number of lines with a mark."""
    limit = 60 if detail >= 3 else 15
    lines = []
    for attribute, diff in diffs.items():
        lines += ["", f"Diff of {inline_code(attribute)}:", ""]
        lines += fenced(diff[:limit], "diff")
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



INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]')  # [0] or ["key"], quotes and backslashes escaped


def _mermaid(summary: Summary, plan_config: dict) -> list[str]:
    """Each replaced or destroyed resource and what depends on it (references and depends_on),
    directly or through others up to three steps away, whether or not the plan changes it."""
    risky = [i for i in summary.resources if {"replace", "destroy"} & set(i.kinds) and not i.noise]
    dependants: dict[str, set[str]] = {}
    for source, targets in _config_references(plan_config.get("root_module") or {}).items():
        for target in targets:
            dependants.setdefault(target, set()).add(source)
    strip = lambda address: INSTANCE_KEY.sub("", address)  # noqa: E731 (an instance → its configuration)
    changing = {strip(i.address): i for i in summary.resources if not i.noise}
    edges = []
    for item in risky[:10]:
        frontier, seen = [(item.address, strip(item.address))], {strip(item.address)}
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
        if address in {i.address for i in risky}:
            return address
        item = changing.get(address)
        return f"{address} ({'/'.join(item.kinds) if item else 'no change'})"
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {ids[a]}["{mermaid_label(label(a))}"]' for a in nodes]
    lines += [f"  {ids[a]} -->|used by| {ids[b]}" for a, b in edges[:30]]
    lines += [f"  style {ids[i.address]} fill:#f8d7da" for i in risky if i.address in ids]
    if len(edges) > 30:
        lines.append(f'  more["{len(edges) - 30} more dependants not drawn"]')
    return lines + ["```", ""]


def _run() -> tuple[str, str, str, str] | None:
    """(server, repository, run id, commit) from the variables GitHub sets in every step, when
    each has its expected shape (they become links)."""
    server, repo, run, sha = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_SHA"))
    if not (re.fullmatch(r"https://[\w.-]+", server) and re.fullmatch(r"[\w.-]+/[\w.-]+", repo) and run.isdigit()
            and re.fullmatch(r"[0-9a-f]{7,40}", sha)):
        return None
    return server, repo, run, sha


def run_link() -> str | None:
    run = _run()
    return f"[workflow run {run[2]}]({run[0]}/{run[1]}/actions/runs/{run[2]})" if run else None


def _provenance() -> list[str]:
    """A link to the workflow run and the commit."""
    run = _run()
    if run is None:
        return []
    server, repo, _, sha = run
    return ["", f"Plan of commit [`{sha[:7]}`]({server}/{repo}/commit/{sha}) in {run_link()}"
                " (its log has Terraform's full output)."]


COMMENT_FIT = "GitHub's 65,536-character comment limit"
SUMMARY_FIT = "the 1 MiB limit of a step's job summary"


class _Details:
    """Each resource's attribute rows and line diffs, worked out once however many times
    render_fitting renders the summary (up to 16), and kept here, outside the model."""

    def __init__(self) -> None:
        self._done: dict[int, tuple[ResourceChange, list[Row], dict[str, list[str]]]] = {}

    def of(self, item: ResourceChange, main: str) -> tuple[list[Row], dict[str, list[str]]]:
        if id(item) not in self._done:  # the item is kept with them: its id stays its own
            rows = attribute_diff(item.change, item.raw) if main != "read" else []
            diffs = text_diffs(item.change, item.raw) if main in ("change", "replace") else {}
            self._done[id(item)] = (item, rows, diffs)
        _, rows, diffs = self._done[id(item)]
        return rows, diffs


def render(summary: Summary, error_log: str | None = None, detail: int = 3, cap: int | None = None, full_plan: str | None = None,
           fits: str = COMMENT_FIT, details: _Details | None = None) -> str:
    """The comment body; `detail` 3 shows every diff, 2 shortens them, 1 lists resources, 0 also
    caps the list. `full_plan` says where the uncut plan is, for a comment that had to be cut.
    `details`: the rows and diffs of an earlier pass over the same summary."""
    details = _Details() if details is None else details
    with masking(summary.masks):  # every escaping point masks with them (see Masks)
        lines = _header(summary, error_log)
        lines += _cost(summary)
        lines += _checks_and_warnings(summary, detail)
        lines += _changes(summary, detail, cap, details)
        lines += _drift(summary, detail, cap)
        lines += _outputs(summary, detail, cap)
    if detail < 3:
        cut = {2: "long diffs shortened", 1: "attribute diffs left out"}.get(detail, "attribute diffs left out, the list cut")
        where = f"The whole plan is in {full_plan}." if full_plan else "`terraform show` of the plan file has all of it."
        lines += ["", f"_Cut to fit {fits} ({cut}). {where}_"]
    return "\n".join(lines) + "\n"


def _header(summary: Summary, error_log: str | None) -> list[str]:
    """The marker, the verdict, the counts and the risk (or why there are none), the run's links,
    the provider-noise note and a failed plan's error."""
    c, r = summary.counts, summary.risk
    emoji, verdict = _verdict(summary)
    env = f" · {inline_text(summary.environment)}" if summary.environment else ""
    extra = "".join(f" · {c[k]} {k}" for k in ("replace", "import", "move", "forget", "read") if c[k])
    lines = [marker(summary.environment), f"## {emoji} Terraform plan{env}: {verdict}", ""]
    if summary.errored:
        lines.append("**No plan**: Terraform stopped before it could tell what would change, so there are no counts and no risk to show.")
    else:
        lines += [
            f"**{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy**{extra}",
            "",
            # the level is the riskiest single change's (a sum would call many small changes risky):
            # the reader gets the level and what set it, not the score that only orders plans
            f"Risk: {LEVEL[r.level]} **{r.level}**" + (", set by the riskiest change: " + inline_text("; ".join(r.reasons))
                                                           if r.reasons else ""),
        ]
    lines += _provenance()
    noise = sum(1 for i in summary.resources if i.noise)
    if noise:
        lines += ["", f"ℹ️ {noise} change(s) are known provider noise and do not count toward the risk: {NOISE_NOTE}."]
    if summary.errored:
        lines += ["", "### ❌ Terraform could not finish the plan", ""]
        if error_log:
            lines += fenced(masked(error_log).strip().splitlines()[-60:])
        else:
            lines.append("The plan stopped with an error; the changes below are partial. See the workflow log.")
    return lines


COST_LINES = 20  # the cost section's resource lines: a plan of thousands must still fit a comment


def _cost(summary: Summary) -> list[str]:
    """Monthly cost before → after, each resource whose price changes or is unknown, what is not
    counted and the catalog's date. Nothing for a plan without DigitalOcean or B2 resources."""
    cost, (pricing, catalog) = summary.cost, pricing_files()
    if cost is None or pricing is None or not (cost.lines or cost.unknown or cost.before or cost.after):
        return []
    change = f"{pricing.money(cost.delta, signed=True)}/mo" if cost.delta else "unchanged"
    change += f"; {len(cost.unknown)} price(s) unknown" if cost.unknown else ""
    lines = ["", f"### 💰 Monthly cost: {pricing.money(cost.before)} → {pricing.money(cost.after)} ({change})", ""]
    ranked = sorted(cost.lines, key=lambda line: (line.delta is None, -abs(line.delta or 0)))  # biggest first
    lines += [f"- {inline_text(pricing.describe(line))}" for line in ranked[:COST_LINES]]
    if len(ranked) > COST_LINES:
        lines.append(f"- …and {len(ranked) - COST_LINES} more resources whose price changes or is unknown")
    unknown = " A resource whose price is unknown is in neither total." if cost.unknown else ""
    lines += ["", f"_List prices in USD from webkit's DigitalOcean catalog of {inline_text(str(catalog.get('date', '?')))}; "
                  f"not counted: {pricing.NOT_COUNTED}.{unknown}_"]
    return lines


def _changes(summary: Summary, detail: int, cap: int | None, details: _Details) -> list[str]:
    """The graph, then each change grouped by kind (the first `cap` of them, the counts exact)."""
    items = summary.resources
    shown = items if cap is None else items[:cap]
    if not shown:
        return []
    lines = ["", "### Changes", ""]
    lines += _mermaid(summary, summary.configuration) if detail >= 2 else []
    main = {id(i): next(k for k in ORDER if k in i.kinds) for i in items}
    for kind in ORDER:
        group = [i for i in shown if main[id(i)] == kind]
        total = sum(1 for i in items if main[id(i)] == kind)
        if group:
            listed = f"{total}, {len(group)} listed" if len(group) < total else f"{total}"
            lines += ["", f"#### {EMOJI[kind]} {kind} ({listed})", ""]
            lines += [_resource_block(i, detail, details) + ("\n" if detail > 1 else "") for i in group]
    if len(shown) < len(items):
        lines += ["", f"_…and {len(items) - len(shown)} more resources, not listed to fit GitHub's comment limit; the counts above are exact._"]
    return lines


def _checks_and_warnings(summary: Summary, detail: int) -> list[str]:
    """Failed check blocks (from the plan), then Terraform's warnings (from its output)."""
    lines = []
    if summary.checks:
        lines += ["", f"### ❗ Failed checks ({len(summary.checks)})", ""]
        for check in summary.checks:
            said = "; ".join(check.problems) or "no message"
            lines.append(f"- {inline_code(check.address)} ({inline_text(check.status)}): {inline_text(said)}")
    # a failed check is also a warning in Terraform's output: listed once, above
    warnings = [w for w in summary.warnings if not (summary.checks and w.summary == "Check block assertion failed")]
    if warnings:
        lines += ["", f"### ⚠️ Terraform warnings ({len(warnings)})", ""]
        for warning in warnings[:20]:
            title = f"⚠️ {inline_text(warning.summary)}"
            if detail >= 2 and warning.detail:
                lines += [f"<details><summary>{title}</summary>", ""]
                lines += fenced(warning.detail[:30]) + ["", "</details>", ""]
            else:
                lines.append(f"- {title}")
        if len(warnings) > 20:
            lines.append(f"- …and {len(warnings) - 20} more (see the workflow log)")
    return lines


def _drift(summary: Summary, detail: int, cap: int | None) -> list[str]:
    """What changed outside Terraform, attribute by attribute (as `terraform plan` prints it)."""
    if not summary.drift:
        return []
    lines = ["", "### 🌪️ Changed outside Terraform (drift)", ""]
    for item in summary.drift[:cap]:
        title = f"{inline_code(item.address)}: {inline_text('/'.join(item.actions))}"
        if item.noise:
            title += " — " + inline_text("provider noise: " + NOISE_NOTE)
        rows = attribute_diff(item.change, item.raw) if detail >= 2 else []
        if rows:
            lines += [f"<details><summary>{title}</summary>", "", *_table(rows, detail), "", "</details>", ""]
        else:
            lines.append(f"- {title}")
    return lines


def _outputs(summary: Summary, detail: int, cap: int | None) -> list[str]:
    """The outputs table; for a VM app's env (dotenv text), which keys change, below it."""
    if not summary.outputs:
        return []
    lines = ["", "### Outputs", "", "| output | change | value |", "|---|---|---|"]
    keyed = []
    for out in summary.outputs[:cap]:
        ch = out.change
        secret = ch.get("after_sensitive") is True or ch.get("before_sensitive") is True
        value = SENSITIVE if secret else UNKNOWN if ch.get("after_unknown") is True else (
            # a part either side marks sensitive is hidden, as in the attribute tables
            show(mark_unknown(hide_sensitive(hide_sensitive(ch.get("after"), ch.get("after_sensitive")), ch.get("before_sensitive")),
                        ch.get("after_unknown"))) if detail >= 2 and ch.get("after") is not None else "")
        keys = env_diff(out.name, out.raw, summary.configuration) if detail >= 2 else None
        if keys:
            keyed.append((out.name, keys))
            value = f"{len(keys)} key(s) change, below"
        lines.append(f"| {inline_code(out.name)} | {'/'.join(out.actions)} | {inline_text(value)} |")
    for name, keys in keyed:
        lines += ["", f"Keys of {inline_code(name)}:", "", *_table(keys, detail, head="key")]
    return lines


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def render_fitting(summary: Summary, error_log: str | None = None, limit: int = MAX_COMMENT - 1000, full_plan: str | None = None,
                   size=len) -> str:
    """Cut least important detail first: long diffs, then all diffs, then the list itself. `size`
    measures a body as its reader limits it: GitHub's comments in characters, a step's job
    summary in UTF-8 bytes (utf8_size)."""
    fits, details = SUMMARY_FIT if size is utf8_size else COMMENT_FIT, _Details()
    for detail in (3, 2, 1):
        body = render(summary, error_log, detail, full_plan=full_plan, fits=fits, details=details)
        if size(body) <= limit:
            return body
    cap = len(summary.resources)
    while cap > 0:
        cap //= 2
        body = render(summary, error_log, 0, cap, full_plan, fits, details)
        if size(body) <= limit:
            return body
    body = render(summary, error_log, 0, 0, full_plan, fits, details)
    if size is utf8_size:
        return body.encode("utf-8")[:limit].decode("utf-8", "ignore")  # never half a character
    return body[:limit]


SIGNS = {"add": "+", "destroy": "-", "replace": "-/+", "change": "~", "import": "<=", "move": "->", "forget": "x", "read": "<="}


def terminal_summary(summary: Summary) -> str:
    """A few lines for a terminal: the verdict, then one line per changed resource."""
    c, r = summary.counts, summary.risk
    env = f"{summary.environment}: " if summary.environment else ""
    lines = [f"{env}{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy · risk {r.level}"
             + (f" ({'; '.join(r.reasons)})" if r.reasons else "")]
    for item in summary.resources:
        main = next(k for k in ORDER if k in item.kinds)
        note = " (provider noise)" if item.noise else ""
        if item.replace_paths:
            note += " (forced by " + ", ".join(path_text(tuple(p)) for p in item.replace_paths) + ")"
        lines.append(f"  {SIGNS[main]:>3} {item.address}{note}")
    for out in summary.outputs:
        sign = {"create": "+", "delete": "-"}.get(out.actions[0], "~")
        lines.append(f"  {sign:>3} output.{out.name}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- GitHub


def render_failure(environment: str | None, step: str, reasons: str) -> str:
    """The comment of a plan run that failed before Terraform could plan (a stale app.json, a
    missing secret or sops key): it replaces the previous run's plan, which no longer holds.
    `reasons`: the workflow's own error lines (names, never values), user masks applied."""
    env = f" · {environment}" if environment else ""
    lines = [marker(environment), f"## ❌ Terraform plan{env}: failed before Terraform ran", "",
             f"**No plan**: the step _{inline_text(step or 'an earlier step')}_ failed, so nothing was planned (any earlier "
             "plan shown here is replaced: it no longer stands)."]
    run = _run()
    if run:
        lines += ["", f"Run for commit [`{run[3][:7]}`]({run[0]}/{run[1]}/commit/{run[3]}): {run_link()}, whose log has the details."]
    lines += ["", "### Why", ""]
    reasons = reasons.strip()
    lines += fenced(reasons.splitlines()[-20:]) if reasons else ["The step's log in the workflow run says why."]
    return "\n".join(lines) + "\n"
