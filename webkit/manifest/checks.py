"""Checks that need the whole manifest: the plan's section 13 list, every problem in one pass."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from webkit.console import listed

from .catalog import Config, broken_plugins, cloud_name, kind_for, supported
from .models import ENV_KEYS, App, EnvVar, Manifest
from .refs import IDENTIFIER, parse_reference, parse_secret
from .source import Path, format_path

# (key, the ✓ line printed when it passes), in the order `webkit infra validate` prints them.
CHECKS = (
    ("schema", "Schema valid"),
    ("references", "All resource references resolve"),
    ("kinds", "Provider/type combinations supported"),
    ("config", "Required config present"),
    ("names", "Names unique and valid for each provider"),
    ("env", "Env vars well formed"),
    ("secrets", "Secret sources well formed"),
    ("depends_on", "depends_on names exist"),
    ("slugs", "DigitalOcean sizes, regions and versions exist"),
)


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    path: Path
    warning: bool = False


def pydantic_problems(err: ValidationError, check: str, prefix: Path = ()) -> list[Problem]:
    problems = []
    for item in err.errors():
        path = prefix + tuple(item["loc"])
        if item["type"] == "missing":
            problems.append(_missing(check, path, item.get("input")))
            continue
        message = _message(item)
        if item["type"] == "list_type" and path[-1:] and path[-1] in ENV_KEYS:
            message += " of {key, type, value|from}, nor the map form {KEY: {source, value}}"
        problems.append(Problem(check, message, path))
    return problems


def _missing(check: str, path: Path, given: object) -> Problem:
    """A required key that is absent, pointing at the key that looks like its typo when there is
    one (`regoin` for `region`): the user sees their own line and the fix."""
    wanted = path[-1]
    if isinstance(wanted, str) and isinstance(given, dict):
        typo = difflib.get_close_matches(wanted, [k for k in given if isinstance(k, str)], n=1, cutoff=0.7)
        if typo:
            return Problem(check, f"Unknown key '{typo[0]}': did you mean '{wanted}'? ('{wanted}' is required)", path[:-1] + (typo[0],))
    return Problem(check, "Missing required config" if check == "config" else "Missing required key", path)


def _shown(value) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else ("an object" if isinstance(value, dict) else "a list")
    return text if len(text) <= 80 else text[:77] + "…'"


def _message(item: Mapping[str, Any]) -> str:
    """pydantic's error as a sentence that names the value as written (no type names, no regex)."""
    kind, value, ctx = item["type"], item.get("input"), item.get("ctx") or {}
    if kind == "value_error":
        return item["msg"].removeprefix("Value error, ")  # ours: they name the value already
    if kind == "literal_error":
        return f"{_shown(value)} is not one of {ctx.get('expected', '')}"
    sentences = {
        "string_type": "is not text", "int_type": "is not a whole number", "int_parsing": "is not a whole number",
        "int_from_float": "is not a whole number", "bool_type": "is not true or false", "bool_parsing": "is not true or false",
        "list_type": "is not a list", "dict_type": "is not an object", "model_type": "is not an object",
        "model_attributes_type": "is not an object",
        "greater_than_equal": f"is less than {ctx.get('ge')}", "less_than_equal": f"is more than {ctx.get('le')}",
        "too_short": f"has fewer than {ctx.get('min_length')} item(s)", "string_too_long": f"is longer than {ctx.get('max_length')} characters",
    }
    if kind in sentences:
        return f"{_shown(value)} {sentences[kind]}"
    return f"{_shown(value)} is not valid here ({item['msg']})"


def unknown_keys(model: BaseModel, path: Path) -> list[Problem]:
    """Every key the models do not know, at any depth: an error with a suggestion when it is a
    near miss of a known key (`engine_verison` would silently provision the default version), a
    warning otherwise (a manifest written for a newer tool)."""
    known = [field.alias or name for name, field in type(model).model_fields.items()]
    problems = []
    for key in model.model_extra or {}:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        if close:
            problems.append(Problem("schema", f"Unknown key '{key}': did you mean '{close[0]}'?", path + (key,)))
        else:
            problems.append(Problem("schema", f"Unknown key '{key}'", path + (key,), warning=True))
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        for sub_path, item in _children(value, path + (key,)):
            problems += unknown_keys(item, sub_path)
    return problems


def _children(value, path: Path):
    if isinstance(value, BaseModel):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _children(item, path + (index,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _children(item, path + (key,))


def validate_config(provider: str, type_: str, config: dict, path: Path) -> tuple[Config | None, list[Problem]]:
    kind = kind_for(provider, type_)
    if kind is None:
        return None, []
    try:
        parsed = kind.config.model_validate(config)
    except ValidationError as err:
        return None, pydantic_problems(err, "config", path)
    return parsed, unknown_keys(parsed, path)


def check(manifest: Manifest) -> list[Problem]:
    problems = [Problem("kinds", f"Plugin {name} could not be loaded and is skipped: {why}", (), warning=True)
                for name, why in broken_plugins().items()]
    problems += unknown_keys(manifest, ())
    resources = {r.name: r for r in manifest.resources}
    problems += _check_kinds(manifest)
    problems += _check_names(manifest)
    problems += _check_env(("shared", "env"), manifest.shared.env, resources)
    for i, app in enumerate(manifest.apps):
        problems += _check_env(("apps", i, "env"), app.env, resources)
        problems += _check_depends_on(manifest, i, app)
    problems += _check_secret_variables(manifest)
    problems += _check_branches(manifest)
    problems += _check_exposure(manifest)
    from .do_slugs import slug_problems  # it imports Problem from here

    problems += slug_problems(manifest)
    return problems


def _check_branches(manifest: Manifest) -> list[Problem]:
    problems = [Problem("names", f"branches names '{env}', which is not in environments", ("branches", env))
                for env in manifest.branches if env not in manifest.environments]
    used = [manifest.branch_of(e) for e in manifest.environments]
    if len(set(used)) != len(used):
        problems.append(Problem("names", f"production and staging cannot share the branch '{used[0]}'", ("branches",)))
    return problems


def _check_exposure(manifest: Manifest) -> list[Problem]:
    """Warnings where closed-by-default means somebody is shut out: a database that no app
    references in an environment admits nobody there, and a VM without SSH keys admits nobody."""
    problems = []
    referenced = {  # environment → the resources some app's env refers to there (one pass, not one per database)
        e: {ref.resource for a in manifest.apps for v in manifest.env_for(a, e) if (ref := _reference(v))}
        for e in manifest.environments}
    for i, resource in enumerate(manifest.resources):
        if resource.type != "postgres":
            continue
        for environment in manifest.environments:
            if resource.name not in referenced[environment]:
                problems.append(Problem(
                    "references", f"Database '{resource.name}' is used by no app in {environment}: its firewall admits "
                    "nobody there (reference it from an app's env to let that app in)", ("resources", i), warning=True))
    for i, app in enumerate(manifest.apps):
        with_env = [e for e in manifest.environments if manifest.env_for(app, e)]
        for environment in manifest.environments:
            if with_env and environment not in with_env:
                problems.append(Problem(
                    "env", f"App '{app.name}' gets no env vars in {environment} (it has some in {listed(with_env)}): "
                    f"add a 'default' group for every environment, or a '{environment}' list", ("apps", i, "env"), warning=True))
        kind = kind_for(app.infra.provider, app.infra.type)
        if kind is not None and kind.type != "vm":
            problems += [Problem("config", f"App '{app.name}' runs on {kind.type}/{kind.provider}: only vm apps use '{key}', "
                                 "it is ignored", ("apps", i, key), warning=True)
                         for key in ("build", "deploy") if getattr(app, key) is not None]
        if kind is not None and kind.type == "vm" and app.build is not None and not manifest.project.repo:
            problems.append(Problem(
                "config", f"App '{app.name}' builds an image, pushed to ghcr.io/<owner>/<repo>-{app.name}: set project.repo "
                "to the GitHub repository (owner/name)", ("project",)))
        if kind is not None and kind.type == "vm" and app.infra.config.get("ssh_keys"):
            problems.append(Problem(
                "config", f"App '{app.name}': root cannot log in to a VM app's droplet, so these ssh_keys (DigitalOcean "
                "installs them for root) open nothing; log in as 'deploy' with the deploy key (README, VM apps)",
                ("apps", i, "infra", "config", "ssh_keys"), warning=True))
    return problems


def is_vm(app: App) -> bool:
    kind = kind_for(app.infra.provider, app.infra.type)
    return kind is not None and kind.type == "vm"


def _reference(var: EnvVar):
    return parse_reference(var.from_) if var.type == "from_resource" and var.from_ else None


def _check_secret_variables(manifest: Manifest) -> list[Problem]:
    """Two sources must never share one Terraform variable (api-prod.yaml and api_prod.yaml
    would): one file would never be read and both apps would get the other's secret."""
    envs = [(("shared", "env"), manifest.shared.env)] + [(("apps", i, "env"), a.env) for i, a in enumerate(manifest.apps)]
    first: dict[str, str] = {}
    problems = []
    for path, env in envs:
        for block, variables in env.items():
            for j, var in enumerate(variables):
                secret = parse_secret(var.from_) if var.type == "secret" and var.from_ else None
                if secret is None or isinstance(secret, str):
                    continue
                other = first.setdefault(secret.variable, var.from_ or "")
                if other != var.from_:
                    problems.append(Problem(
                        "secrets", f"Secret sources '{other}' and '{var.from_}' would share the Terraform variable "
                        f"{secret.variable}: rename one of the files", path + (block, j, "from")))
    return problems


def _check_kinds(manifest: Manifest) -> list[Problem]:
    problems = []
    items: list[tuple[tuple, str, str, dict, str]] = [
        (("resources", i), r.provider, r.type, r.config, "resource") for i, r in enumerate(manifest.resources)]
    items += [(("apps", i, "infra"), a.infra.provider, a.infra.type, a.infra.config, "app") for i, a in enumerate(manifest.apps)]
    for path, provider, type_, config, category in items:
        kind = kind_for(provider, type_)
        if kind is None or kind.category != category:
            broken = "".join(f"; plugin {name} could not be loaded ({why})" for name, why in broken_plugins().items())
            problems.append(Problem(
                "kinds",
                f"Unsupported {category} {type_ or '(empty)'}/{provider or '(empty)'} (supported: {supported(category)}){broken}",
                path + ("type",),
            ))
            continue
        parsed, found = validate_config(provider, type_, config, path + ("config",))
        problems += found
        if category == "resource":
            resource = manifest.resources[path[1]]
            for j, output in enumerate(resource.outputs or []):
                if kind.output(output) is None:
                    problems.append(Problem(
                        "references", f"{kind.type} has no output '{output}' (it has {_names(kind.outputs)})",
                        path + ("outputs", j),
                    ))
        elif parsed is not None and kind.type == "app" and getattr(parsed, "image", None) is None and manifest.project.repo_ref() is None:
            problems.append(Problem(
                "config",
                "App Platform needs a source: set infra.config.image, or project.repo to build from GitHub",
                path + ("config",),
            ))
    return problems


def _check_names(manifest: Manifest) -> list[Problem]:
    problems = []
    entries = [(("resources", i, "name"), r.name, r.provider, r.type) for i, r in enumerate(manifest.resources)]
    entries += [(("apps", i, "name"), a.name, a.infra.provider, a.infra.type) for i, a in enumerate(manifest.apps)]
    first: dict[str, Path] = {}
    for path, name, provider, type_ in entries:
        if name in first:
            where = format_path(first[name][:-1])
            problems.append(Problem("names", f"Name '{name}' is already used by {where} (names are unique across resources and apps)", path))
        first.setdefault(name, path)
        kind = kind_for(provider, type_)
        if kind is None:
            continue
        for environment in manifest.environments:
            message = kind.name_rule.problem(cloud_name(manifest.project.name, environment, name))
            if message:
                problems.append(Problem("names", f"Cloud name does not fit in {environment}: {message}", path))
    return problems


def _check_env(path: Path, env: dict[str, list[EnvVar]], resources: dict) -> list[Problem]:
    problems = []
    for block, variables in env.items():
        if block not in ENV_KEYS:
            problems.append(Problem("env", f"Unknown environment '{block}' (known: {listed(ENV_KEYS)})", path + (block,)))
        seen: set[str] = set()
        for i, var in enumerate(variables):
            problems += _check_var(path + (block, i), var, var.key in seen, resources)
            seen.add(var.key)
    return problems


def _check_var(path: Path, var: EnvVar, repeated: bool, resources: dict) -> list[Problem]:
    problems = []
    if not IDENTIFIER.fullmatch(var.key):
        problems.append(Problem("env", f"Env key '{var.key}' is not a valid identifier", path + ("key",)))
    if repeated:
        problems.append(Problem("env", f"Env key '{var.key}' is given more than once in this environment", path + ("key",)))
    mismatch = _type_mismatch(path, var)
    if mismatch is not None:
        return problems + [mismatch]
    if var.type == "value" and "\x00" in str(var.value):
        problems.append(Problem("env", f"Env value of '{var.key}' contains a NUL character, which no process environment can hold",
                                path + ("value",)))
    if var.type == "from_resource":
        problems += _check_reference(path + ("from",), var.from_ or "", resources)
    elif var.type == "secret":
        parsed = parse_secret(var.from_ or "")
        if isinstance(parsed, str):
            hint = "; for a resource's output use type from_resource" if parse_reference(var.from_ or "") else ""
            problems.append(Problem("secrets", f"Malformed secret source '{var.from_}': {parsed}{hint}", path + ("from",)))
    return problems


TAKES = {  # what each type reads, said as the user would write it
    "value": "the literal text",
    "from_resource": "a reference such as resource:db:connection_url or db.connection_url",
    "secret": "a source such as sops:secrets/app.yaml:/KEY or github-secrets:KEY",
}


def _type_mismatch(path: Path, var: EnvVar) -> Problem | None:
    """An env var whose fields do not fit its type: what was given, what the type takes, and the
    type that would fit what was given."""
    wanted, unwanted = ("value", "from") if var.type == "value" else ("from", "value")
    given = {"value": var.value, "from": var.from_}
    takes = f"Type {var.type} takes '{wanted}' ({TAKES[var.type]})"
    if given[wanted] is None and given[unwanted] is None:
        return Problem("env", f"Missing '{wanted}': {takes[0].lower()}{takes[1:]}", path)
    shown = _shown(given[unwanted]) if var.type != "secret" else "a value, not shown"  # a secret is never echoed
    if given[wanted] is None:
        return Problem("env", f"{takes}, not '{unwanted}' ({shown}){_fitting_type(var)}", path + (unwanted,))
    if given[unwanted] is not None:
        return Problem("env", f"{takes}, not '{unwanted}' as well ({shown}): remove '{unwanted}', or change the type", path + (unwanted,))
    return None


def _fitting_type(var: EnvVar) -> str:
    if var.type == "secret":
        return "; a secret's value never goes in app.json: put it in a sops file or a GitHub secret and name that in 'from'"
    text = str(var.from_ if var.type == "value" else var.value)
    if var.type == "from_resource":
        return "; move the reference to 'from'" if parse_reference(text) else "; for a literal use type value"
    if parse_reference(text):
        return "; for a resource's output use type from_resource"
    if not isinstance(parse_secret(text), str):
        return "; for a secret use type secret"
    return "; for a literal write 'value' instead of 'from'"


def _check_reference(path: Path, text: str, resources: dict) -> list[Problem]:
    ref = parse_reference(text)
    if ref is None:
        hint = "; for a secret use type secret" if not isinstance(parse_secret(text), str) else ""
        return [Problem("references", f"Malformed reference '{text}' (expected resource:<name>:<output> or <name>.<output>){hint}", path)]
    resource = resources.get(ref.resource)
    if resource is None:
        known = listed(resources) or "none"
        return [Problem("references", f"Reference '{text}' names unknown resource '{ref.resource}' (resources: {known})", path)]
    kind = kind_for(resource.provider, resource.type)
    if kind is not None and kind.output(ref.output) is None:
        return [Problem("references", f"Reference '{text}': {kind.type} has no output '{ref.output}' (it has {_names(kind.outputs)})", path)]
    return []


def _check_depends_on(manifest: Manifest, index: int, app: App) -> list[Problem]:
    names = {r.name for r in manifest.resources} | {a.name for a in manifest.apps}
    problems = []
    for j, name in enumerate(app.depends_on):
        path = ("apps", index, "depends_on", j)
        if name == app.name:
            problems.append(Problem("depends_on", f"App '{app.name}' cannot depend on itself", path))
        elif name not in names:
            problems.append(Problem("depends_on", f"depends_on names unknown '{name}'", path))
    return problems


def _names(outputs) -> str:
    return listed(o.name for o in outputs)
