"""What an edit of app.json will do to cloud resources that already run, said before any plan.

`validate` and `update` compare app.json with its committed version (git's HEAD) and say, from the
real providers' facts, where a config change replaces a resource (a droplet's `monitoring`,
`image` or `region`, a bucket's region), where it means downtime or a migration, and what a
project rename does to each resource's cloud name. Without git or a committed app.json there is
nothing to compare with, and nothing is said.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from webkit import console
from webkit.manifest import MANIFEST_FILE, Manifest, Report
from webkit.manifest.catalog import kind_for
from webkit.manifest.checks import Problem
from webkit.manifest.load import check_text
from webkit.provider_facts import FACTS, REPLACE_ON, what_happens
from webkit.spec.transform import filled_config
from webkit.workspace import MANIFEST_LIMIT

GIT_TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class Change:
    path: tuple  # where in the new app.json
    message: str
    serious: bool  # a replacement or a rename that does not happen: a warning, else information


def committed_manifest(project_dir: Path, current: str | None = None) -> Manifest | None:
    """app.json as committed at HEAD, when the project is a git work tree and it parses; None too
    when it is `current` (unchanged: nothing to compare, and no second check of the manifest)."""
    data = _committed_bytes(project_dir)
    if data is None:
        return None
    text = data.decode("utf-8-sig", "replace")
    if text == current:
        return None
    report = check_text(Report(Path(project_dir) / MANIFEST_FILE, text=text))
    return report.manifest if report.ok() else None


def _committed_bytes(project_dir: Path) -> bytes | None:
    """app.json's bytes at HEAD, read no further than the manifest limit (a huge committed file
    is not compared, as the manifest itself would be refused); None when git cannot say, or not
    within GIT_TIMEOUT (a partial clone fetches a missing blob). `cat-file blob` runs no textconv
    or filter; no bare repository that a checkout holds is used."""
    command = ["git", "-c", "safe.bareRepository=explicit", "-c", "core.fsmonitor=false", "-C", str(project_dir),
               "cat-file", "blob", f"HEAD:./{MANIFEST_FILE}"]
    try:
        git = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
    except OSError:
        return None
    timer = threading.Timer(GIT_TIMEOUT, git.kill)
    timer.start()
    with git:
        try:
            assert git.stdout is not None  # a pipe, asked for above
            data = git.stdout.read(MANIFEST_LIMIT + 1)
            if len(data) > MANIFEST_LIMIT:
                git.kill()
            git.stdout.close()
            code = git.wait()
        finally:
            timer.cancel()
    return data if code == 0 and len(data) <= MANIFEST_LIMIT else None


def _items(manifest: Manifest):
    """(path, name, kind, config) of every resource and app webkit builds."""
    for i, r in enumerate(manifest.resources):
        yield ("resources", i), r.name, kind_for(r.provider, r.type), (r.provider, r.type, r.config)
    for i, a in enumerate(manifest.apps):
        yield ("apps", i, "infra"), a.name, kind_for(a.infra.provider, a.infra.type), (a.infra.provider, a.infra.type, a.infra.config)


def changes(old: Manifest, new: Manifest) -> list[Change]:
    """What going from `old` to `new` does: to each resource and app present in both, to those
    gone (a renamed one is gone too: its Terraform address changes), to an environment gone."""
    found = _gone(old, new)
    before = {(path[0], name): (kind, raw) for path, name, kind, raw in _items(old)}
    for path, name, kind, raw in _items(new):
        prior_kind, prior_raw = before.get((path[0], name), (None, None))
        if kind is None or kind is not prior_kind or not kind.resource_type:
            continue  # new, or a different kind: the plan shows a create (and a destroy)
        rtype = kind.resource_type
        was, now = filled_config(*prior_raw), filled_config(*raw)
        for key in sorted(k for k in now if was.get(k) != now.get(k) and k not in kind.ignore_changes):
            if key in REPLACE_ON.get(rtype, ()) or key in FACTS["in_place"].get(rtype, {}):
                found.append(Change(
                    path + ("config", key),
                    f"{path[0]}.{name}: {key} {_shown(was.get(key))} → {_shown(now.get(key))}: {rtype} {what_happens(rtype, key)}",
                    key in REPLACE_ON.get(rtype, ()),
                ))
        if old.project.name != new.project.name:
            happens = what_happens(rtype, kind.name_attribute)
            found.append(Change(
                ("project", "name"),
                f"project.name {old.project.name!r} → {new.project.name!r}: {path[0]}.{name} ({rtype}) "
                + ("renamed in place" if happens == "updated in place" else happens),
                happens != "updated in place",
            ))
    return found


def _gone(old: Manifest, new: Manifest) -> list[Change]:
    now = {(path[0], name) for path, name, _, _ in _items(new)}
    found = [
        Change((section,), f"{section}.{name} is gone from app.json (removed or renamed): its {kind.resource_type or 'resources'} "
               f"will be destroyed{_with_data(kind.resource_type)}, in every environment", True)
        for (section, *_), name, kind, _ in _items(old) if kind is not None and (section, name) not in now
    ]
    found += [
        Change(("environments",), f"environment {environment} is gone from environments: webkit no longer plans or applies it, "
               "and its cloud resources keep running (and billing) until you destroy them (README, Environments)", True)
        for environment in old.environments if environment not in new.environments
    ]
    return found


def _with_data(resource_type: str) -> str:
    replaced = FACTS["replaced"].get(resource_type, "")
    return ", and " + replaced.split(": ", 1)[1] if ": " in replaced and "lost" in replaced else ""


def _shown(value) -> str:
    return "(not set)" if value is None else repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def report_changes(project_dir: Path, report: Report) -> None:
    """Print what the edit since HEAD will do: a warning per replacement, a note per downtime."""
    old, new = committed_manifest(project_dir, report.text), report.manifest
    found = changes(old, new) if old is not None and new is not None else []
    if found:
        console.info("Compared with the committed app.json (git HEAD):")
    for change in found:
        line = report.describe(Problem("changes", change.message, change.path))
        (console.warn if change.serious else console.info)(line)
