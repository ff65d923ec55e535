"""DigitalOcean slugs that exist: sizes, regions and versions checked against the catalog
(workflows/do_catalog.json), so a typo fails `validate` instead of the apply after the merge.

The catalog ages: a slug DigitalOcean added after it was written is listed in app.json's
`allow_unknown_slugs` and then passes unchecked.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable
from importlib.resources import files

from pydantic import ValidationError

from .catalog import kind_for
from .checks import Problem
from .models import Manifest
from .source import Path

CHECK = "slugs"


@functools.lru_cache(maxsize=1)
def catalog() -> dict:
    return json.loads(files("workflows").joinpath("do_catalog.json").read_text(encoding="utf-8"))


def nearest(value: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known slugs closest to `value` as text (`ams4` → ams3 or ams2, `s1vcpu-2gb` → s-1vcpu-2gb):
    the best match and those as good as it, else the `n` least unlike."""
    ranked = sorted(set(known), key=lambda k: (-difflib.SequenceMatcher(None, value, k).ratio(), _apart(value, k), k))
    ratios = [difflib.SequenceMatcher(None, value, k).ratio() for k in ranked[:n]]
    if ratios and ratios[0] >= 0.6:
        return [k for k, r in zip(ranked, ratios, strict=False) if r >= ratios[0] - 0.05]
    return ranked[:n]


def _apart(value: str, known: str) -> int:
    """How far apart the numbers ending two slugs are (ams4 is nearer ams3 than ams2)."""
    a, b = re.search(r"\d+$", value), re.search(r"\d+$", known)
    return abs(int(a[0]) - int(b[0])) if a and b else 0


def _unknown(what: str, value: str, section: str, known: Iterable[str], path: Path) -> Problem:
    guesses = nearest(value, known)
    hint = f": did you mean {' or '.join(guesses)}?" if guesses else ""
    return Problem(CHECK, f"Unknown {what} '{value}'{hint} (DigitalOcean's list of {catalog()[section]['retrieved']}; "
                   "a newer one goes in allow_unknown_slugs)", path)


def _not_offered(product: str, region: str, offered: Iterable[str], path: Path) -> Problem:
    return Problem(CHECK, f"Region '{region}' does not offer {product} (it is in {', '.join(sorted(offered))}; "
                   "if that changed, allow_unknown_slugs takes the region)", path)


def _region(value, product: str, offered: Iterable[str] | None, path: Path, allowed: set[str]) -> list[Problem]:
    if not isinstance(value, str) or value in allowed:
        return []
    regions = catalog()["regions"]["items"]
    if value not in regions:
        return [_unknown("region", value, "regions", regions, path)]
    offered = list(offered) if offered is not None else None
    return [_not_offered(product, value, offered, path)] if offered is not None and value not in offered else []


def _postgres(config: dict, path: Path, allowed: set[str]) -> list[Problem]:
    pg = catalog()["database_options"]["engines"]["pg"]
    problems = _region(config.get("region"), "managed databases", pg["regions"], path + ("region",), allowed)
    size, nodes = config.get("size"), config.get("node_count", 1)
    every = {s for sizes in pg["sizes_by_nodes"].values() for s in sizes}
    if isinstance(size, str) and size not in allowed:
        with_nodes = pg["sizes_by_nodes"].get(str(nodes)) if isinstance(nodes, int) else None
        if size not in every:
            problems.append(_unknown("database size", size, "database_options", every, path + ("size",)))
        elif with_nodes is not None and size not in with_nodes:
            problems.append(Problem(CHECK, f"Database size '{size}' does not come with {nodes} nodes (with {nodes}: "
                                    f"{', '.join(nearest(size, with_nodes))}, …)", path + ("size",)))
    version = config.get("engine_version", "17")
    version = str(version) if isinstance(version, int) and not isinstance(version, bool) else version
    if isinstance(version, str) and version not in allowed and version not in pg["versions"]:
        problems.append(Problem(CHECK, f"PostgreSQL {version} is not offered (versions: {', '.join(pg['versions'])})",
                                path + ("engine_version",)))
    return problems


def _droplet(config: dict, path: Path, allowed: set[str]) -> list[Problem]:
    sizes = catalog()["droplet_sizes"]["items"]
    size = config.get("size")
    known = sizes.get(size) if isinstance(size, str) else None
    problems = _region(config.get("region"), f"droplets of size {size}", (known or {}).get("regions"), path + ("region",), allowed)
    if isinstance(size, str) and size not in allowed and known is None:
        problems.append(_unknown("droplet size", size, "droplet_sizes", sizes, path + ("size",)))
    return problems


def _app_platform(config: dict, path: Path, allowed: set[str]) -> list[Problem]:
    problems = []
    sizes = catalog()["app_platform_sizes"]["items"]
    size = config.get("instance_size", "apps-s-1vcpu-0.5gb")
    if isinstance(size, str) and size not in allowed and size not in sizes:
        problems.append(_unknown("App Platform instance size", size, "app_platform_sizes", sizes, path + ("instance_size",)))
    region = config.get("region")
    if isinstance(region, str) and region not in allowed:
        regions = catalog()["app_platform_regions"]["items"]
        slug = re.sub(r"\d+$", "", region)  # the construct sends nyc3 as nyc (constructs_lib app_platform_region)
        if slug not in regions:
            problems.append(_unknown("App Platform region", region, "app_platform_regions", regions, path + ("region",)))
    return problems


def _spaces(config: dict, path: Path, allowed: set[str]) -> list[Problem]:
    return _region(config.get("region"), "Spaces", catalog()["spaces"]["regions"], path + ("region",), allowed)


_CHECKERS = {("digitalocean", "postgres"): _postgres, ("digitalocean", "vm"): _droplet,
             ("digitalocean", "app"): _app_platform, ("digitalocean", "s3"): _spaces}


def slug_problems(manifest: Manifest) -> list[Problem]:
    """Every size, region and version that DigitalOcean does not have, with the nearest real ones."""
    allowed = set(manifest.allow_unknown_slugs)
    items: list[tuple[Path, str, str, dict]] = [(("resources", i, "config"), r.provider, r.type, r.config) for i, r in enumerate(manifest.resources)]
    items += [(("apps", i, "infra", "config"), a.infra.provider, a.infra.type, a.infra.config) for i, a in enumerate(manifest.apps)]
    problems = []
    for path, provider, type_, config in items:
        kind = kind_for(provider, type_)
        checker = _CHECKERS.get((kind.provider, kind.type)) if kind is not None else None
        if checker is None or kind is None or kind.category != ("resource" if path[0] == "resources" else "app"):
            continue  # an unsupported kind is the kinds check's
        try:  # a config the schema refuses is reported by the config check already, once
            parsed = kind.config.model_validate(config)
        except ValidationError:
            continue
        problems += checker(parsed.model_dump(), path, allowed)
    return problems
