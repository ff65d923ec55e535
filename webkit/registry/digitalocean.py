"""DigitalOcean (digitalocean/digitalocean 2.71.0): its provider, its kinds and their config, and
the Terraform types they emit with what the provider does to them (read from the provider's source:
shared/facts/provider-behaviour.md, commit fa4b5bcdfc15558b1ff1c9bb9ed839cb6d64a42b)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from webkit.shapes import (
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

from .model import Config, Credential, Kind, NameRule, Output, Provider, TerraformType


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


class AppConfig(Config):
    env_from_shared: bool = Field(True, description="Whether the app gets the shared env (as in the Go tool).")


class DropletConfig(AppConfig):
    size: SizeSlug = Field(description="Droplet size slug, e.g. s-2vcpu-4gb.")
    region: Region = Field(description="DigitalOcean region slug, e.g. nyc3.")
    image: ImageSlug = Field("ubuntu-24-04-x64", description="Image slug; changing it replaces the droplet.")
    monitoring: bool = True
    backups: bool = False
    ssh_keys: list[SSHKey] = Field([], description="SSH key names or fingerprints already in the account.")
    ssh_sources: list[Cidr] = Field([], description="Fixed addresses always allowed to reach port 22 (an office, a self-hosted "
                                    "runner); default none: port 22 opens only for a deploy, to the runner doing it.")
    reserved_ip: bool = Field(False, description="Attach a reserved IP that survives a rebuild.")
    tags: list[Tag] = []
    domain: Domains | None = Field(None, description="Host names the app is served under, with HTTPS from Let's Encrypt "
                                   "(point their DNS at the droplet); default: the droplet's address over plain HTTP.")

    @property
    def domains(self) -> list[str]:
        return list(self.domain or [])


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


PROVIDER = Provider(
    "digitalocean", "digitalocean", "digitalocean/digitalocean", "2.71.0", "stacks.factories:digitalocean_provider",
    credentials=(Credential("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_TOKEN"),),
    always=True,
    types=(TerraformType("digitalocean_project"),),
)

LOWER_DASH = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
BUCKET_OUTPUTS = (
    Output("bucket_name"),
    Output("bucket_url"),
    Output("endpoint"),
    Output("region"),
    Output("access_key_id"),
    Output("secret_access_key", secret=True),
)

POSTGRES = Kind(
    "digitalocean", "postgres", "resource", PostgresConfig,
    NameRule(3, 63, LOWER_DASH, "database cluster"), "stacks.factories:postgres", resource_type="digitalocean_database_cluster",
    outputs=(
        Output("connection_url", secret=True),
        Output("host"),
        Output("port"),
        Output("database"),
        Output("user"),
        Output("password", secret=True),
    ),
    default_outputs=("connection_url", "host", "port"),
    types=(
        TerraformType(
            "digitalocean_database_cluster", force_new=("engine", "name", "private_network_uuid", "project_id"),
            sensitive=("password", "uri", "private_uri", "ui_password", "ui_uri"), stateful=True,
            replaced="a new, empty database: its data is lost",
            in_place={
                "region": "migrated in place to the new region (DigitalOcean moves the data; expect a short interruption)",
                "size": "resized in place",
                "node_count": "resized in place",
                "storage_size_mib": "resized in place",
            },
        ),
        TerraformType("digitalocean_database_connection_pool", force_new=("cluster_id", "name", "db_name", "user", "mode", "size"),
                      sensitive=("password", "uri", "private_uri")),
        TerraformType("digitalocean_database_db", force_new=("cluster_id", "name")),
        TerraformType("digitalocean_database_user", force_new=("cluster_id", "name"), sensitive=("password", "access_cert", "access_key")),
        TerraformType("digitalocean_database_firewall", force_new=("cluster_id",)),
    ),
)

SPACES = Kind(
    "digitalocean", "s3", "resource", SpacesConfig,
    NameRule(3, 63, LOWER_DASH, "Spaces bucket"), "stacks.factories:spaces_bucket", resource_type="digitalocean_spaces_bucket",
    outputs=BUCKET_OUTPUTS,
    default_outputs=("bucket_name", "bucket_url", "endpoint", "region"),
    types=(
        TerraformType(
            "digitalocean_spaces_bucket", force_new=("region",), stateful=True, replaced="a new, empty bucket: its files are lost",
            never_applied={
                "name": "the provider plans a rename but never performs it: the bucket keeps its name and every later plan shows it again",
            },
        ),
        TerraformType("digitalocean_spaces_bucket_cors_configuration", force_new=("region",)),
        TerraformType("digitalocean_spaces_key", sensitive=("secret_key",)),
    ),
    # the provider manages Spaces with S3 keys, not the API token
    credentials=(Credential("SPACES_ACCESS_KEY_ID", "DO_SPACES_ACCESS_KEY"), Credential("SPACES_SECRET_ACCESS_KEY", "DO_SPACES_SECRET_KEY")),
)

DROPLET = Kind(
    "digitalocean", "vm", "app", DropletConfig,
    NameRule(1, 63, r"[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?", "droplet"), "stacks.factories:droplet", resource_type="digitalocean_droplet",
    ignore_changes=("user_data", "ssh_keys"),
    providers=("tls",),
    env_in_terraform=False,
    types=(
        TerraformType(
            "digitalocean_droplet", force_new=("image", "region", "ssh_keys", "user_data", "monitoring", "droplet_agent", "vpc_uuid"),
            replaced="a new droplet, with a new IP address unless it has a reserved IP, and downtime",
            simulator="webkit.sandbox.behaviours:Droplet",
            in_place={
                "size": "resized in place: DigitalOcean powers the droplet off, resizes it and powers it on (downtime); "
                        "a smaller disk is refused by the API when the plan is applied",
            },
        ),
        TerraformType("digitalocean_firewall"),
        TerraformType("digitalocean_reserved_ip", force_new=("region",)),
        TerraformType("digitalocean_reserved_ip_assignment", force_new=("droplet_id", "ip_address")),
        TerraformType("data.digitalocean_ssh_key"),
    ),
)

APP_PLATFORM = Kind(
    "digitalocean", "app", "app", AppPlatformConfig,
    NameRule(2, 32, r"[a-z][a-z0-9-]*[a-z0-9]", "App Platform app"), "stacks.factories:app_platform", resource_type="digitalocean_app",
    # App Platform reads SECRET env values back encrypted (EV[…]): every plan shows them changed
    types=(TerraformType("digitalocean_app", force_new=("project_id",), simulator="webkit.sandbox.behaviours:AppPlatform"),),
)

KINDS = (POSTGRES, SPACES, DROPLET, APP_PLATFORM)
