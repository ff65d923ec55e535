"""Kinds that other packages add through the `webkit.constructs` entry-point group."""

from __future__ import annotations

import dataclasses
from importlib.metadata import entry_points

from .model import Kind

PLUGIN_GROUP = "webkit.constructs"


def load_plugins(providers: set[str]) -> tuple[tuple[Kind, ...], dict[str, str]]:
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
        if kind.provider not in providers:
            broken[entry.name] = f"its provider {kind.provider!r} is not one webkit configures ({', '.join(sorted(providers))})"
            continue
        found.append(dataclasses.replace(kind, plugin=entry.name))
    return tuple(found), broken
