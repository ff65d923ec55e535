"""The Go tool's later app.json format, read where it means the same thing, so its users can switch
by running `webkit update`.

- env as a map, `{"KEY": {"source": "value" | "resource" | "sops", "value": …}}`, becomes the list
  form; a `sops` variable is read, as the Go tool reads it, from `resources/secrets/<env>.yaml`
  under its own key (a `path` of `file:KEY` or `file:/KEY` names another file);
- `project.repo` as `{owner, repo}` (an older spelling) means `{owner, name}`;
- an app's `domains` list (`[{"name", "type": "primary" | "alias"}]`) becomes App Platform's
  `domain` list, primary first;
- keys with no meaning here (brand, commands, tools, monitoring, backups, notifications,
  utilities, usesNPM) are dropped with a warning that says they are ignored;
- config its Terraform modules defaulted (a Spaces bucket's region `ams3`, a droplet's size and
  region, …: `GO_DEFAULTS`) is filled in with a warning per default ("set it explicitly"), in a
  manifest written in that format only: a webkit manifest missing a region is still an error.

`translate` runs on the parsed JSON before validation and never fails: what it cannot read, it
leaves for validation to report.
"""

from __future__ import annotations

import copy
import json

from .models import ENV_KEYS

SOPS_FOLDER = "resources/secrets"
IGNORED = {
    (): ("monitoring", "notifications", "utilities"),
    ("project",): ("brand",),
    ("apps",): ("commands", "tools", "monitoring", "usesNPM"),
    ("resources",): ("backup", "monitoring"),
}
WHY = "the Go tool's setting has no meaning in webkit and is ignored"

# What the Go tool provisioned when a manifest omitted the key: its Terraform modules'
# `try(var.platform_config.<key>, default)` (platform/terraform/modules/resources/main.tf and
# modules/apps/main.tf at 507ed2dc), where webkit requires the key or defaults it otherwise.
# Keys in webkit's names; (provider, type) as the Go manifest spells them.
GO_DEFAULTS: dict[tuple[str, str], dict[str, object]] = {
    ("digitalocean", "postgres"): {"size": "db-s-1vcpu-1gb", "region": "lon1"},
    ("digitalocean", "s3"): {"region": "ams3"},
    ("digitalocean", "vm"): {"size": "s-1vcpu-1gb", "region": "lon1"},
    ("digitalocean", "container"): {"region": "lon", "instance_size": "apps-s-1vcpu-1gb", "http_port": 3000, "health_check_path": "/"},
}
GO_DEFAULTS[("digitalocean", "app")] = GO_DEFAULTS[("digitalocean", "container")]
GO_KEYS = {"container": {"size": "instance_size", "port": "http_port"}}  # the Go tool's App Platform config keys
GO_KEYS["app"] = GO_KEYS["container"]
GO_WORDS = {"postgres": "a database", "s3": "a Spaces bucket", "vm": "a droplet", "container": "an App Platform app", "app": "an App Platform app"}


def translate(data: object) -> tuple[object, list[tuple[tuple, str]]]:
    """(the manifest in webkit's format, [(path, warning)])."""
    if not isinstance(data, dict):
        return data, []
    go_format = _go_format(data)
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
            if go_format:
                _go_defaults(item, (group, i), notes)
    return data, notes


def _go_format(data: dict) -> bool:
    """Whether the manifest is written in the Go tool's later format: one of its own settings,
    an env map, `repo: {owner, repo}`, an app's `domains` list or a `container`."""
    project, shared = data.get("project"), data.get("shared")
    items = [(group, item) for group in ("apps", "resources") if isinstance(data.get(group), list)
             for item in data[group] if isinstance(item, dict)]
    envs = [e for _, a in items for e in [a.get("env")]] + [shared.get("env") if isinstance(shared, dict) else None]
    return (any(key in data for key in IGNORED[()])
            or (isinstance(project, dict) and ("brand" in project or (isinstance(project.get("repo"), dict) and "repo" in project["repo"])))
            or any(key in item for group, item in items for key in IGNORED[(group,)] + ("domains",))
            or any(isinstance(item.get("infra"), dict) and item["infra"].get("type") == "container" for _, item in items)
            or any(isinstance(env, dict) and any(isinstance(block, dict) for block in env.values()) for env in envs))


def _go_defaults(item: dict, path: tuple, notes: list) -> None:
    """Config the Go tool's modules defaulted, filled in and named (its keys renamed to webkit's)."""
    holder = item.get("infra") if path[0] == "apps" else item
    if not isinstance(holder, dict) or not isinstance(holder.get("config", {}), dict):
        return
    config_path = path + (("infra", "config") if path[0] == "apps" else ("config",))
    config = holder.setdefault("config", {})
    for old, new in GO_KEYS.get(str(holder.get("type")), {}).items():
        if old in config and new not in config:
            config[new] = config.pop(old)
    for key, value in GO_DEFAULTS.get((str(holder.get("provider")), str(holder.get("type"))), {}).items():
        if key not in config:
            config[key] = value
            what = GO_WORDS.get(str(holder.get("type")), str(holder.get("type")))
            notes.append((config_path, f"No {key}: read as {value!r}, the Go tool's default for {what}; "
                                       f"set \"{key}\": {json.dumps(value)} explicitly (or the value you want)"))


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
