"""What webkit can provision: one table of kinds, their config, outputs and naming rules.

Validation, the spec, the stacks and the workflows all read this table; nothing else lists the
supported (provider, type) pairs, so adding a kind is one entry here plus its construct.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .shapes import (
    Branch,
    Cidr,
    DbIdentifier,
    Domains,
    Header,
    ImageSlug,
    ImageTag,
    Origin,
    Region,
    RegistryName,
    Repository,
    SizeSlug,
    SSHKey,
    Tag,
    UrlPath,
    Version,
)


class Config(BaseModel):
    """Base of every `config` block: unknown keys are kept so they can be warned about."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


class PostgresConfig(Config):
    size: SizeSlug = Field(description="Database node size slug, e.g. db-s-1vcpu-1gb.")
    region: Region = Field(description="DigitalOcean region slug, e.g. nyc3.")
    engine_version: Version = Field("17", description="PostgreSQL major version.")
    node_count: int = Field(1, ge=1, le=3, description="Nodes in the cluster (1 to 3).")
    database: DbIdentifier = Field("app", description="Database to create.")
    user: DbIdentifier = Field("app", description="Application user to create.")
    pool_size: int = Field(10, ge=1, description="Connections in the transaction pool.")

    @field_validator("engine_version", mode="before")
    @classmethod
    def _version_as_text(cls, value):
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class CorsRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_origins: list[Origin]
    allowed_methods: list[Literal["GET", "PUT", "POST", "DELETE", "HEAD"]] = ["GET"]
    allowed_headers: list[Header] = []
    max_age_seconds: int = 3000


class SpacesConfig(Config):
    region: Region = Field(description="Spaces region slug, e.g. ams3.")
    acl: Literal["private", "public-read"] = "private"
    versioning: bool = False
    cors: list[CorsRule] = []


class B2BucketConfig(Config):
    acl: Literal["private", "public-read"] = "private"
    versioning: bool = Field(False, description="Keep every version of a file (B2 keeps only the newest otherwise).")


class AppConfig(Config):
    env_from_shared: bool = Field(True, description="Whether the app gets the shared env (as in the Go tool).")


class DropletConfig(AppConfig):
    size: SizeSlug = Field(description="Droplet size slug, e.g. s-2vcpu-4gb.")
    region: Region = Field(description="DigitalOcean region slug, e.g. nyc3.")
    image: ImageSlug = Field("ubuntu-24-04-x64", description="Image slug; changing it replaces the droplet.")
    monitoring: bool = True
    backups: bool = False
    ssh_keys: list[SSHKey] = Field([], description="SSH key names or fingerprints already in the account.")
    ssh_sources: list[Cidr] = Field(["0.0.0.0/0", "::/0"], description="Addresses allowed to reach port 22.")
    reserved_ip: bool = Field(False, description="Attach a reserved IP that survives a rebuild.")
    tags: list[Tag] = []


class RegistryImage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registry_type: Literal["DOCR", "DOCKER_HUB", "GHCR"] = "DOCR"
    registry: RegistryName | None = Field(None, description="Registry owner (Docker Hub / GHCR account).")
    repository: Repository
    tag: ImageTag = "latest"


class AppPlatformConfig(AppConfig):
    region: Region | None = Field(None, description="App Platform region (nyc, ams, fra…; nyc3 style slugs are accepted).")
    instance_count: int = Field(1, ge=1)
    instance_size: SizeSlug = "apps-s-1vcpu-0.5gb"
    http_port: int = Field(8080, ge=1, le=65535)
    health_check_path: UrlPath | None = None
    domain: Domains | None = None
    image: RegistryImage | None = Field(None, description="Deploy this image instead of building the repository.")
    branch: Branch | None = Field(None, description="The branch App Platform builds and deploys; default: the environment's own "
                                  "branch (production main, staging staging, or as `branches` sets).")
    deploy_on_push: bool = True

    @property
    def domains(self) -> list[str]:
        return list(self.domain or [])


@dataclass(frozen=True)
class Output:
    name: str
    secret: bool = False


@dataclass(frozen=True)
class NameRule:
    """A DigitalOcean / B2 naming rule for the cloud name `<project>[-<env>]-<name>`."""

    min_length: int
    max_length: int
    pattern: str
    what: str

    def problem(self, name: str) -> str | None:
        if not self.min_length <= len(name) <= self.max_length:
            return f"{self.what} names must be {self.min_length}-{self.max_length} characters; '{name}' has {len(name)}"
        if not re.fullmatch(self.pattern, name):
            return f"'{name}' is not a valid {self.what} name"
        return None


@dataclass(frozen=True)
class Kind:
    """A supported (provider, type): how to check its config, what it outputs, what builds it.

    `factory` is an import path ("module:function") so that validating never imports cdktf; the
    function is called as `factory(scope, item_spec, context)` at synthesis (see stacks.factories).
    """

    provider: str
    type: str
    category: Literal["resource", "app"]
    config: builtins.type[Config]  # `type` is a field here
    name_rule: NameRule
    factory: str
    outputs: tuple[Output, ...] = ()
    default_outputs: tuple[str, ...] = ()
    # Its main cloud resource, and the attribute holding the cloud name: with the provider facts,
    # they say what a config change or a rename does to it (webkit.commands.changes).
    resource_type: str = ""
    name_attribute: str = "name"
    # Attributes its construct tells Terraform to ignore after creation (never a replacement).
    ignore_changes: tuple[str, ...] = ()

    def output(self, name: str) -> Output | None:
        return next((o for o in self.outputs if o.name == name), None)

    def secret(self, output: str) -> bool:
        """Whether the output is secret (one this kind does not have counts as secret)."""
        found = self.output(output)
        return found is None or found.secret


_LOWER_DASH = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_BUCKET_OUTPUTS = (
    Output("bucket_name"),
    Output("bucket_url"),
    Output("endpoint"),
    Output("region"),
    Output("access_key_id"),
    Output("secret_access_key", secret=True),
)

_ALL = (
    Kind(
        "digitalocean", "postgres", "resource", PostgresConfig,
        NameRule(3, 63, _LOWER_DASH, "database cluster"), "stacks.factories:postgres", resource_type="digitalocean_database_cluster",
        outputs=(
            Output("connection_url", secret=True),
            Output("host"),
            Output("port"),
            Output("database"),
            Output("user"),
            Output("password", secret=True),
        ),
        default_outputs=("connection_url", "host", "port"),
    ),
    Kind(
        "digitalocean", "s3", "resource", SpacesConfig,
        NameRule(3, 63, _LOWER_DASH, "Spaces bucket"), "stacks.factories:spaces_bucket", resource_type="digitalocean_spaces_bucket",
        outputs=_BUCKET_OUTPUTS,
        default_outputs=("bucket_name", "bucket_url", "endpoint", "region"),
    ),
    Kind(
        "backblaze", "s3", "resource", B2BucketConfig,
        NameRule(6, 50, r"(?!b2-)[a-z0-9][a-z0-9-]*", "B2 bucket"), "stacks.factories:b2_bucket",
        resource_type="b2_bucket", name_attribute="bucket_name",
        outputs=_BUCKET_OUTPUTS + (Output("bucket_id"),),
        default_outputs=("bucket_name", "bucket_url", "endpoint", "region", "bucket_id"),
    ),
    Kind(
        "digitalocean", "vm", "app", DropletConfig,
        NameRule(1, 63, r"[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?", "droplet"), "stacks.factories:droplet", resource_type="digitalocean_droplet",
        ignore_changes=("user_data", "ssh_keys"),
    ),
    Kind(
        "digitalocean", "app", "app", AppPlatformConfig,
        NameRule(2, 32, r"[a-z][a-z0-9-]*[a-z0-9]", "App Platform app"), "stacks.factories:app_platform", resource_type="digitalocean_app",
    ),
)

PLUGIN_GROUP = "webkit.constructs"


def _plugins() -> tuple[tuple[Kind, ...], dict[str, str]]:
    """Kinds that other packages add through the `webkit.constructs` entry-point group, and the
    plugins that could not be loaded (name → why), which are skipped: one broken plugin must not
    break every command. Each entry point names a Kind (a plain object: loading it must not
    import cdktf). A plugin may not replace a built-in kind."""
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
        found.append(kind)
    return tuple(found), broken


def _index(kinds) -> dict[tuple[str, str], Kind]:
    index: dict[tuple[str, str], Kind] = {}
    for kind in kinds:
        index.setdefault((kind.provider, kind.type), kind)
    return index


_PLUGIN_KINDS, BROKEN_PLUGINS = _plugins()
KINDS: dict[tuple[str, str], Kind] = _index(_ALL + _PLUGIN_KINDS)

# Infra types accepted under another name (the upstream tool called App Platform "container").
INFRA_TYPE_ALIASES = {"container": "app"}


def cloud_name(project: str, environment: str, name: str) -> str:
    """`<project>-<name>` in production, `<project>-<environment>-<name>` elsewhere."""
    if environment == "production":
        return f"{project}-{name}"
    return f"{project}-{environment}-{name}"


def kind_for(provider: str, type_: str) -> Kind | None:
    return KINDS.get((provider, INFRA_TYPE_ALIASES.get(type_, type_)))


def kind_of(provider: str, type_: str) -> Kind:
    """The kind of an item of a checked manifest (the checks refuse unknown kinds)."""
    kind = kind_for(provider, type_)
    if kind is None:
        raise LookupError(f"no kind {type_}/{provider}: was app.json checked?")
    return kind


def supported(category: str) -> str:
    return ", ".join(f"{t}/{p}" for (p, t), k in KINDS.items() if k.category == category)
