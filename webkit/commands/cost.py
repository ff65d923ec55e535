"""`webkit infra cost`: the monthly cost of app.json as it stands, from the models (no synthesis).

The Terraform addresses are the ones the stacks give each kind (`<name>_droplet`, …; the address
snapshots under tests/stacks/snapshots hold them), so the lines read like the PR comment's.
"""

from __future__ import annotations

from webkit.manifest import Manifest
from webkit.manifest.catalog import kind_of
from workflows.do_cost import NOT_COUNTED, load_catalog, money, plan_cost, resource_cost

Resource = tuple[str, str, dict]  # address, Terraform type, the attributes that set its price


def _app_resources(name: str, kind_type: str, config: dict) -> list[Resource]:
    if kind_type == "vm":
        found = [(f"digitalocean_droplet.{name}_droplet", "digitalocean_droplet",
                  {"size": config.get("size"), "backups": config.get("backups", False)})]
        if config.get("reserved_ip"):
            found.append((f"digitalocean_reserved_ip.{name}_reserved_ip", "digitalocean_reserved_ip", {"droplet_id": name}))
        return found
    component = {"name": name, "instance_size_slug": config.get("instance_size", "apps-s-1vcpu-0.5gb"),
                 "instance_count": config.get("instance_count", 1)}
    return [(f"digitalocean_app.{name}_app", "digitalocean_app", {"spec": [{"service": [component]}]})]


def manifest_resources(manifest: Manifest) -> list[Resource]:
    """The priced resources one environment of `manifest` creates (every environment has the same)."""
    found: list[Resource] = []
    for resource in manifest.resources:
        kind = kind_of(resource.provider, resource.type)
        suffix = {"digitalocean_database_cluster": "cluster"}.get(kind.resource_type, "bucket")
        attrs = {"size": resource.config.get("size"), "node_count": resource.config.get("node_count", 1)}
        found.append((f"{kind.resource_type}.{resource.name}_{suffix}", kind.resource_type, attrs))
    for app in manifest.apps:
        kind = kind_of(app.infra.provider, app.infra.type)
        if (kind.provider, kind.type) in (("digitalocean", "vm"), ("digitalocean", "app")):
            found += _app_resources(app.name, kind.type, app.infra.config)
        else:  # a plugin's kind: priced if the catalog knows its type, else "price unknown"
            found.append((f"{kind.resource_type}.{app.name}", kind.resource_type, dict(app.infra.config)))
    return found


def _rows(resources: list[Resource], catalog: dict) -> list[str]:
    rows = []
    for address, rtype, attrs in resources:
        cost = resource_cost(rtype, attrs, catalog)
        if cost is not None:
            unknown = f" (no price for {', '.join(cost.unknown)})" if cost.unknown else ""
            rows.append(f"  {money(cost.monthly):>14}  {address}  {cost.what}{unknown}")
    if any(rtype == "digitalocean_spaces_bucket" for _, rtype, _ in resources):
        rows.append(f"  {money(float(catalog['spaces']['price_monthly'])):>14}  Spaces subscription (once per account: "
                    f"{catalog['spaces']['includes']})")
    return rows


def cost_report(manifest: Manifest, environments: list[str] | None = None) -> str:
    """One block per environment: each resource's monthly price, the total, what is not counted."""
    catalog = load_catalog()
    resources = manifest_resources(manifest)
    total = plan_cost([(address, rtype, None, attrs) for address, rtype, attrs in resources], catalog)
    rows = _rows(resources, catalog)
    chosen = environments or manifest.environments
    unknown = f", and {len(total.unknown)} price(s) unknown" if total.unknown else ""
    out = []
    for environment in chosen:
        out += [f"{environment}: {money(total.after)}/mo{unknown}", *rows, ""]
    if len(chosen) > 1:  # the Spaces subscription is the account's: counted once
        spaces = float(catalog["spaces"]["price_monthly"]) if rows and "Spaces subscription" in rows[-1] else 0.0
        once = " (the Spaces subscription once)" if spaces else ""
        out += [f"All {len(chosen)} environments: {money(total.after * len(chosen) - spaces * (len(chosen) - 1))}/mo{unknown}{once}", ""]
    out += [f"Not counted: {NOT_COUNTED}.",
            f"List prices in USD from webkit's DigitalOcean catalog of {catalog['date']} (README: Prices)."]
    return "\n".join(out) + "\n"
