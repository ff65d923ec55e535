"""What app.json may name: the registry's kinds (webkit/registry), seen from the manifest.

The names plugins and the README import from here (`Kind`, `Config`, `NameRule`, `Output`, the
config models) are the registry's own; this module adds what only the manifest needs.
"""

from __future__ import annotations

import webkit.registry
from webkit.registry import INFRA_TYPE_ALIASES, PLUGIN_GROUP, broken_plugins, kind_for, kind_of, kinds
from webkit.registry.backblaze import B2BucketConfig
from webkit.registry.digitalocean import (
    AppConfig,
    AppPlatformConfig,
    CorsRule,
    DropletConfig,
    PostgresConfig,
    RegistryImage,
    SpacesConfig,
)
from webkit.registry.model import Config, Credential, Kind, NameRule, Output, TerraformType

__all__ = [
    "INFRA_TYPE_ALIASES", "PLUGIN_GROUP", "AppConfig", "AppPlatformConfig", "B2BucketConfig", "Config",
    "CorsRule", "Credential", "DropletConfig", "Kind", "NameRule", "Output", "PostgresConfig", "RegistryImage", "SpacesConfig",
    "TerraformType", "broken_plugins", "cloud_name", "kind_for", "kind_of", "kinds", "supported",
]


def cloud_name(project: str, environment: str, name: str) -> str:
    """`<project>-<name>` in production, `<project>-<environment>-<name>` elsewhere."""
    if environment == "production":
        return f"{project}-{name}"
    return f"{project}-{environment}-{name}"


def supported(category: str) -> str:
    return ", ".join(f"{t}/{p}" for (p, t), k in kinds().items() if k.category == category)


def __getattr__(name: str):
    """`KINDS` and `BROKEN_PLUGINS` (plugins load on first use, after this module is imported)."""
    if name in ("KINDS", "BROKEN_PLUGINS"):
        return getattr(webkit.registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
