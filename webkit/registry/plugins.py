"""Kinds that other packages add through the `webkit.constructs` entry-point group."""

from __future__ import annotations

import dataclasses
from importlib.metadata import entry_points
from importlib.util import find_spec

from .model import Kind

PLUGIN_GROUP = "webkit.constructs"


def load_plugins(providers: dict[str, str]) -> tuple[tuple[Kind, ...], dict[str, str]]:
    """The plugins' kinds, each marked with its entry point's name, and the plugins that could not
    be loaded (name → why), which are skipped: one broken plugin must not break every command.
    Each entry point names a Kind (a plain object: loading it must not import cdktf)."""
    found, broken = [], {}
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            kind = entry.load()
        except Exception as err:  # a plugin's own bug: name it, skip it
            broken[entry.name] = f"{type(err).__name__}: {err}"
            continue
        if not isinstance(kind, Kind):
            broken[entry.name] = f"it names {type(kind).__name__}, not a webkit Kind"
            continue
        problem = contract_problem(kind, providers)
        if problem:
            broken[entry.name] = problem
            continue
        found.append(dataclasses.replace(kind, plugin=entry.name))
    return tuple(found), broken


def contract_problem(kind: Kind, providers: dict[str, str]) -> str | None:
    """What is wrong with a plugin's Kind that can be seen without importing its construct (and
    cdktf): an unknown provider, a factory path that names no module, default outputs it does not
    declare, Terraform types another provider serves. `providers`: manifest name → local name."""
    if kind.provider not in providers:
        return f"its provider {kind.provider!r} is not one webkit configures ({', '.join(sorted(providers))})"
    module, colon, function = kind.factory.partition(":")
    if not (colon and module and function.isidentifier()):
        return f"its factory {kind.factory!r} is not an import path module:function"
    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return f"its factory {kind.factory!r} names module {module!r}, which is not installed"
    declared = {o.name for o in kind.outputs}
    undeclared = [name for name in kind.default_outputs if name not in declared]
    if undeclared:
        return f"its default outputs {', '.join(undeclared)} are not among its outputs ({', '.join(sorted(declared)) or 'none'})"
    prefix = providers[kind.provider] + "_"
    foreign = [t.name for t in kind.types if not t.bare.startswith(prefix)]
    if foreign:
        return f"its Terraform types {', '.join(foreign)} are not {kind.provider}'s (they start with {prefix})"
    return None
