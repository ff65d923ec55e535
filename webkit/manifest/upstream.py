"""The Go tool's later app.json format, read where it means the same thing, so its users can switch
by running `webkit update`.

- env as a map, `{"KEY": {"source": "value" | "resource" | "sops", "value": …}}`, becomes the list
  form; a `sops` variable is read, as the Go tool reads it, from `resources/secrets/<env>.yaml`
  under its own key (a `path` of `file:KEY` or `file:/KEY` names another file);
- `project.repo` as `{owner, repo}` (an older spelling) means `{owner, name}`;
- an app's `domains` list (`[{"name", "type": "primary" | "alias"}]`) becomes App Platform's
  `domain` list, primary first;
- keys with no meaning here (brand, commands, tools, monitoring, backups, notifications,
  utilities, usesNPM) are dropped with a warning that says they are ignored.

`translate` runs on the parsed JSON before validation and never fails: what it cannot read, it
leaves for validation to report.
"""

from __future__ import annotations

import copy

from .models import ENV_KEYS

SOPS_FOLDER = "resources/secrets"
IGNORED = {
    (): ("monitoring", "notifications", "utilities"),
    ("project",): ("brand",),
    ("apps",): ("commands", "tools", "monitoring", "usesNPM"),
    ("resources",): ("backup", "monitoring"),
}
WHY = "the Go tool's setting has no meaning in webkit and is ignored"


def translate(data: object) -> tuple[object, list[tuple[tuple, str]]]:
    """(the manifest in webkit's format, [(path, warning)])."""
    if not isinstance(data, dict):
        return data, []
    data = copy.deepcopy(data)
    notes: list[tuple[tuple, str]] = []
    _drop(data, (), IGNORED[()], notes)
    if isinstance(data.get("project"), dict):
        _drop(data["project"], ("project",), IGNORED[("project",)], notes)
        repo = data["project"].get("repo")
        if isinstance(repo, dict) and "repo" in repo and "name" not in repo:  # the older spelling
            repo["name"] = repo.pop("repo")
    shared = data.get("shared")
    if isinstance(shared, dict) and isinstance(shared.get("env"), dict):
        _env_lists(shared["env"])
    for group in ("apps", "resources"):
        items = data.get(group)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            _drop(item, (group, i), IGNORED[(group,)], notes)
            if group == "apps":
                _app(item, (group, i), notes)
    return data, notes


def _drop(item: dict, path: tuple, keys: tuple, notes: list) -> None:
    for key in keys:
        if key in item:
            del item[key]
            notes.append((path + (key,), f"'{key}': {WHY}"))


def _app(app: dict, path: tuple, notes: list) -> None:
    if isinstance(app.get("env"), dict):
        _env_lists(app["env"])
    domains = app.get("domains")
    if isinstance(domains, list) and all(isinstance(d, dict) and isinstance(d.get("name"), str) for d in domains):
        infra: dict = app["infra"] if isinstance(app.get("infra"), dict) else {}
        config = infra.setdefault("config", {}) if isinstance(infra.get("config", {}), dict) else {}
        if infra.get("type") in ("app", "container") and "domain" not in config:
            ordered = sorted(domains, key=lambda d: d.get("type") != "primary")
            config["domain"] = [d["name"] for d in ordered]
            del app["domains"]
        elif infra.get("type") == "vm":
            del app["domains"]
            notes.append((path + ("domains",), "'domains': webkit does not manage DNS for droplets; ignored"))


def _env_lists(env: dict) -> None:
    """Each block in the map form becomes a list; a block already a list is left alone."""
    for block, variables in env.items():
        if block in ENV_KEYS and isinstance(variables, dict) and all(isinstance(v, dict) for v in variables.values()):
            env[block] = [_variable(key, spec, block) for key, spec in variables.items()]


def _variable(key: str, spec: dict, block: str) -> dict:
    source, value = spec.get("source"), spec.get("value")
    if source == "value":
        return {"key": key, "type": "value", "value": value}
    if source == "resource":
        return {"key": key, "type": "from_resource", "from": value}
    if source == "sops":
        path = spec.get("path")
        if isinstance(path, str) and ":" in path:
            file, _, name = path.rpartition(":")
            return {"key": key, "type": "secret", "from": f"sops:{file}:/{name.lstrip('/')}"}
        return {"key": key, "type": "secret", "from": f"sops:{SOPS_FOLDER}/{block}.yaml:/{key}"}
    return {"key": key, "type": str(source), "value": value}  # validation names the unknown source
