"""Rebuild the API-sourced sections of workflows/do_catalog.json from DigitalOcean's API.

    DIGITALOCEAN_TOKEN=… python -m webkit.do_catalog_refresh [--catalog PATH] [--api-url URL]

Droplet sizes and regions, App Platform instance sizes and regions, and the managed database
options come from the API (`/v2/sizes`, `/v2/regions`, `/v2/apps/tiers/instance_sizes`,
`/v2/apps/regions`, `/v2/databases/options`); each rebuilt section records the endpoint and the
date. The sections DigitalOcean publishes only on its pricing pages (database node prices,
Spaces, reserved IPs, backups) and B2's are left as they are: a person updates those by hand,
with their source. Standard library only, so it runs wherever Python does.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

API = "https://api.digitalocean.com"
CATALOG = Path(__file__).resolve().parent.parent / "workflows" / "do_catalog.json"


class RefreshError(RuntimeError):
    pass


def fetch_all(api: str, token: str, path: str, key: str) -> list:
    """Every item of a paginated list endpoint (`links.pages.next` until there is none)."""
    url: str | None = f"{api}{path}{'&' if '?' in path else '?'}per_page=200"
    items: list = []
    while url:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the API's own URL)
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:  # the token never appears in the message
            raise RefreshError(f"GET {path}: HTTP {err.code} {err.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise RefreshError(f"GET {path}: {err}") from None
        found = body.get(key)
        if found is None:
            raise RefreshError(f"GET {path}: the answer has no '{key}'")
        items += found if isinstance(found, list) else [found]
        url = ((body.get("links") or {}).get("pages") or {}).get("next")
    return items


def _source(path: str, retrieved: str) -> dict:
    return {"source": f"DigitalOcean API GET {path}", "retrieved": retrieved}


def regions_section(regions: list, retrieved: str, source: dict | None = None) -> dict:
    return {**(source or _source("/v2/regions", retrieved)), "items": {
        r["slug"]: {"name": r.get("name", r["slug"]), **({"available": r["available"]} if "available" in r else {})}
        for r in sorted(regions, key=lambda r: r["slug"])}}


def droplet_sizes_section(sizes: list, retrieved: str, source: dict | None = None) -> dict:
    return {**(source or _source("/v2/sizes", retrieved)), "items": {
        s["slug"]: {"memory_mb": s.get("memory"), "vcpus": s.get("vcpus"), "disk_gb": s.get("disk"),
                    "price_monthly": s.get("price_monthly"),
                    **({"regions": sorted(s["regions"])} if s.get("regions") else {})}
        for s in sorted(sizes, key=lambda s: s["slug"])}}


def _number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def app_sizes_section(sizes: list, retrieved: str, source: dict | None = None) -> dict:
    return {**(source or _source("/v2/apps/tiers/instance_sizes", retrieved)), "items": {
        s["slug"]: {"name": s.get("name", ""), "cpus": _number(s.get("cpus")),
                    "memory_bytes": _number(s.get("memory_bytes")), "price_monthly": _number(s.get("usd_per_month"))}
        for s in sorted(sizes, key=lambda s: s["slug"])}}


def app_regions_section(regions: list, retrieved: str, source: dict | None = None) -> dict:
    return {**(source or _source("/v2/apps/regions", retrieved)), "items": {
        r["slug"]: {"label": r.get("label", ""), "data_centers": sorted(r.get("data_centers") or [])}
        for r in sorted(regions, key=lambda r: r["slug"])}}


def database_options_section(options: dict, retrieved: str, source: dict | None = None) -> dict:
    """Per engine: its versions, its regions and the node sizes allowed for each node count."""
    engines = {}
    for engine, data in sorted(options.items()):
        engines[engine] = {
            "versions": list(data.get("versions") or []),
            "regions": sorted(data.get("regions") or []),
            "sizes_by_nodes": {str(layout["num_nodes"]): list(layout.get("sizes") or [])
                               for layout in data.get("layouts") or []},
        }
    return {**(source or _source("/v2/databases/options", retrieved)), "engines": engines}


def refresh(catalog: dict, api: str, token: str, today: str) -> dict:
    """`catalog` with its API-sourced sections rebuilt; the others untouched."""
    updated = dict(catalog)
    updated["regions"] = regions_section(fetch_all(api, token, "/v2/regions", "regions"), today)
    updated["droplet_sizes"] = droplet_sizes_section(fetch_all(api, token, "/v2/sizes", "sizes"), today)
    updated["app_platform_sizes"] = app_sizes_section(
        fetch_all(api, token, "/v2/apps/tiers/instance_sizes", "instance_sizes"), today)
    updated["app_platform_regions"] = app_regions_section(fetch_all(api, token, "/v2/apps/regions", "regions"), today)
    options = fetch_all(api, token, "/v2/databases/options", "options")
    updated["database_options"] = database_options_section(options[0] if options else {}, today)
    updated["date"] = today
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webkit.do_catalog_refresh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=CATALOG, help="The catalog to update (default: webkit's own).")
    parser.add_argument("--api-url", default=os.environ.get("DIGITALOCEAN_API_URL", API), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    token = os.environ.get("DIGITALOCEAN_TOKEN", "")
    if not token:
        print("✗ Set DIGITALOCEAN_TOKEN (a read-only token is enough) to refresh the catalog", file=sys.stderr)
        return 2
    try:
        catalog = json.loads(args.catalog.read_text(encoding="utf-8"))
        updated = refresh(catalog, args.api_url.rstrip("/"), token, datetime.date.today().isoformat())
    except (RefreshError, OSError, ValueError) as err:
        print(f"✗ {err}; {args.catalog} is unchanged", file=sys.stderr)
        return 1
    temporary = args.catalog.with_name(args.catalog.name + ".tmp")
    temporary.write_text(json.dumps(updated, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    temporary.replace(args.catalog)  # all or nothing
    counts = {k: len(updated[k]["items"]) for k in ("regions", "droplet_sizes", "app_platform_sizes", "app_platform_regions")}
    print(f"✓ Refreshed {args.catalog}: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
