"""What webkit can provision, as data: providers, their kinds, and the Terraform types each emits with
what the real provider does to them. One module per provider (digitalocean, backblaze); plugins add
kinds through the `webkit.constructs` entry-point group.

Every layer iterates this registry: the manifest checks and the schema (kinds and their config), the
spec, the stacks (providers in use, factories), the workflows (credentials), the sandbox (types it
serves, their sensitive and ForceNew attributes) and the plan comment (workflows/provider_facts.json,
generated from it by `facts()`). Importing it never imports cdktf.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import backblaze, digitalocean, tls
from .model import Config, Credential, Kind, NameRule, Output, Provider, TerraformType
from .plugins import PLUGIN_GROUP, load_plugins

if TYPE_CHECKING:
    from webkit.spec import ProjectSpec

__all__ = [
    "PLUGIN_GROUP", "PROVIDERS", "Config", "Credential", "Kind", "NameRule", "Output", "Provider", "TerraformType", "all_types",
    "broken_plugins", "credential_prefixes", "facts", "facts_text", "kind_for", "kind_of", "kinds", "kinds_in_use",
    "providers_in_use", "required_credentials", "served_types",
]

PROVIDERS: dict[str, Provider] = {p.name: p for p in (digitalocean.PROVIDER, backblaze.PROVIDER, tls.PROVIDER)}
_BUILT_IN = (digitalocean.POSTGRES, digitalocean.SPACES, backblaze.BUCKET, digitalocean.DROPLET, digitalocean.APP_PLATFORM)


def _index(kinds: Iterable[Kind]) -> dict[tuple[str, str], Kind]:
    index: dict[tuple[str, str], Kind] = {}
    for kind in kinds:
        index.setdefault((kind.provider, kind.type), kind)  # a plugin may not replace a built-in kind
    return index


@functools.cache
def _loaded() -> tuple[dict[tuple[str, str], Kind], dict[str, str]]:
    plugin_kinds, broken = load_plugins({p.name: p.local for p in PROVIDERS.values()})
    return _index(_BUILT_IN + plugin_kinds), broken


def kinds() -> dict[tuple[str, str], Kind]:
    """Every kind by (provider, type): the built-in ones, then the plugins'. Loaded on first use,
    not on import, since a plugin imports this package to describe its kind."""
    return _loaded()[0]


def broken_plugins() -> dict[str, str]:
    """The plugins that could not be loaded (entry point name → why); they are skipped."""
    return _loaded()[1]


def __getattr__(name: str):
    """`KINDS` and `BROKEN_PLUGINS`, the catalog's old names, computed on first use."""
    if name == "KINDS":
        return kinds()
    if name == "BROKEN_PLUGINS":
        return broken_plugins()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Infra types accepted under another name (the upstream tool called App Platform "container").
INFRA_TYPE_ALIASES = {"container": "app"}


def kind_for(provider: str, type_: str) -> Kind | None:
    return kinds().get((provider, INFRA_TYPE_ALIASES.get(type_, type_)))


def kind_of(provider: str, type_: str) -> Kind:
    """The kind of an item of a checked manifest (the checks refuse unknown kinds)."""
    kind = kind_for(provider, type_)
    if kind is None:
        raise LookupError(f"no kind {type_}/{provider}: was app.json checked?")
    return kind


# --------------------------------------------------------------------------- what a project uses


def kinds_in_use(spec: ProjectSpec) -> list[Kind]:
    used = [(r.provider, r.type) for r in spec.resources] + [(a.provider, a.infrastructure_type) for a in spec.apps]
    return [kind_of(p, t) for p, t in dict.fromkeys(used)]


def providers_in_use(spec: ProjectSpec) -> list[Provider]:
    """The providers a stack configures, in registry order: those always needed and those of its kinds."""
    names = {name for k in kinds_in_use(spec) for name in (k.provider, *k.providers)}
    return [p for p in PROVIDERS.values() if p.always or p.name in names]


def required_credentials(spec: ProjectSpec) -> list[Credential]:
    """What the providers need to plan this project: each provider's credentials, then what its
    kinds in use add. The one list for the generated workflows and a local plan (the sandbox keeps
    every credential the registry names away from its Terraform: credential_prefixes)."""
    used = kinds_in_use(spec)
    found: dict[str, Credential] = {}
    for provider in providers_in_use(spec):
        for credential in provider.credentials + tuple(c for k in used if k.provider == provider.name for c in k.credentials):
            found.setdefault(credential.env, credential)
    return list(found.values())


def credential_prefixes() -> tuple[str, ...]:
    """Prefixes of every credential a provider or kind reads (DIGITALOCEAN_, SPACES_, B2_, …): the
    sandbox keeps the user's real ones away from its Terraform."""
    credentials = [c for p in PROVIDERS.values() for c in p.credentials] + [c for k in kinds().values() for c in k.credentials]
    return tuple(sorted({c.env.split("_", 1)[0] + "_" for c in credentials}))


# --------------------------------------------------------------------------- Terraform types


def _types(provider: Provider, emitting: Iterable[Kind]) -> list[TerraformType]:
    """The provider's types, then its kinds' (built-in kinds first): where a plugin describes a type
    webkit already describes, webkit's facts stand."""
    found: dict[str, TerraformType] = {}
    for described in (*provider.types, *(t for k in emitting if k.provider == provider.name for t in k.types)):
        found.setdefault(described.name, described)
    return list(found.values())


def served_types(provider: str) -> dict[str, TerraformType]:
    """Every Terraform type `provider` (its manifest name) emits, by name (`data.` for data sources):
    what a simulated provider must serve, plugin kinds' types included."""
    return {t.name: t for t in _types(PROVIDERS[provider], kinds().values())}


def all_types(plugins: bool = True) -> dict[str, TerraformType]:
    """Every Terraform type the kinds emit (without plugins: webkit's own), by bare name."""
    emitting = kinds().values() if plugins else _BUILT_IN
    return {t.bare: t for provider in PROVIDERS.values() for t in _types(provider, emitting)}


FACTS_SOURCE = (
    "Read from the providers' source (shared/facts/provider-behaviour.md, checked 2026-11-29): "
    "digitalocean/terraform-provider-digitalocean v2.71.0 (commit fa4b5bcdfc15558b1ff1c9bb9ed839cb6d64a42b), "
    "Backblaze/terraform-provider-b2 v0.10.0 and hashicorp/terraform-provider-tls v4.1.0, the schema literals of each resource file (ForceNew: true, "
    "Sensitive: true; RequiresReplace) and the update functions. Types webkit does not emit are left out."
)


def facts(plugins: bool = True) -> dict:
    """What the real providers do, per Terraform type, as the stand-alone plan comment reads it.
    workflows/provider_facts.json is `facts_text(plugins=False)`; `webkit update` copies the facts
    with the installed plugins' types beside the comment script."""
    types = sorted(all_types(plugins).values(), key=lambda t: t.bare)
    return {
        "source": FACTS_SOURCE,
        "force_new": {t.bare: list(t.force_new) for t in types if not t.data_source},
        "sensitive": {t.bare: list(t.sensitive) for t in types if t.sensitive},
        "in_place": {t.bare: dict(t.in_place) for t in types if t.in_place},
        "never_applied": {t.bare: dict(t.never_applied) for t in types if t.never_applied},
        "replaced": {t.bare: t.replaced for t in types if t.replaced},
        "stateful": [t.bare for t in types if t.stateful],
    }


def facts_text(plugins: bool = True) -> str:
    return json.dumps(facts(plugins), indent=2, ensure_ascii=False) + "\n"
