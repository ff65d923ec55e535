"""A third-party kind, as a plugin package would ship it: DigitalOcean managed Valkey.

Importing this module must stay cheap (validation loads it): the construct lives in
`webkit_valkey.construct`, which the catalog imports only when synthesising.
"""

from pydantic import Field

from webkit.manifest.catalog import Config, Kind, NameRule, Output


class ValkeyConfig(Config):
    size: str = Field(description="Node size slug, e.g. db-s-1vcpu-1gb.")
    region: str
    version: str = "8"


KIND = Kind(
    provider="digitalocean",
    type="valkey",
    category="resource",
    config=ValkeyConfig,
    name_rule=NameRule(3, 63, r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "database cluster"),
    factory="webkit_valkey.construct:build",
    outputs=(Output("connection_url", secret=True), Output("host")),
    default_outputs=("host",),
)
