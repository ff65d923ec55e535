"""A DigitalOcean DNS zone as a webkit kind: everything webkit needs to know about it, as data.

Importing this stays cheap (validation loads it): the construct lives in webkit_dns.construct,
imported only when synthesising.
"""

from pydantic import Field

from webkit.manifest.catalog import Config, Kind, NameRule, Output, TerraformType


class DomainConfig(Config):
    domain: str = Field(pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", description="The zone, e.g. example.com.")
    ip_address: str | None = Field(None, description="An A record for the apex, made with the zone.")


KIND = Kind(
    provider="digitalocean",
    type="domain",
    category="resource",
    config=DomainConfig,
    name_rule=NameRule(1, 253, r"[a-z0-9.-]+", "domain"),
    factory="webkit_dns.construct:build",
    outputs=(Output("zone"), Output("urn")),
    default_outputs=("zone",),
    resource_type="digitalocean_domain",
    # What the provider does to it (terraform-provider-digitalocean, resource_digitalocean_domain.go):
    # the sandbox serves the type, `validate` and the plan comment read these facts.
    types=(
        TerraformType(
            "digitalocean_domain", force_new=("name", "ip_address"), stateful=True,
            replaced="a new, empty zone: every DNS record in it is lost",
        ),
    ),
)
