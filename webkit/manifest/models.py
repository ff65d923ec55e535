"""The app.json format as pydantic models: the single source of its JSON Schema.

Structure and simple formats live here; checks that need the whole manifest (references, unique
names, required config per provider/type) live in `checks.py`. Unknown keys are kept (`extra`)
so `checks.py` can warn about them by path instead of failing manifests written for newer tools.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from webkit.shapes import Branch, BucketName, HttpsEndpoint, Name, RepoPath, StateRegion

from .vm_app import VmBuild, VmDeploy

ENV_BLOCKS = ("dev", "staging", "production")
DEFAULT_BRANCHES: dict[str, str] = {"production": "main", "staging": "staging"}
DEFAULT_BLOCK = "default"  # env vars for every provisioned environment (never dev)
ENV_KEYS = (DEFAULT_BLOCK, *ENV_BLOCKS)
DEFAULT_STATE = {
    "bucket": "webkit-terraform-state",
    "region": "us-west-000",
    "endpoint": "https://s3.us-west-000.backblazeb2.com",
}


class Model(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        json_schema_extra={"additionalProperties": False},
    )


class RepoRef(Model):
    owner: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Project(Model):
    name: Name = Field(description="Lowercase letters, digits and hyphens, starting with a letter; prefixes every cloud name.")
    title: str | None = None
    description: str | None = None
    repo: str | RepoRef | None = Field(
        None, description='GitHub repository: "owner/name", a git URL, or {"owner", "name"}.'
    )

    @field_validator("repo", mode="wrap")
    @classmethod
    def _repo_form(cls, value, handler):
        # One clear sentence instead of an error per member of the union.
        if isinstance(value, dict):
            empty = [key for key in ("owner", "name") if not isinstance(value.get(key), str) or not value[key].strip()]
            if empty:
                raise ValueError(f"project.repo needs its {' and '.join(empty)}: {{\"owner\": …, \"name\": …}} or \"owner/name\"")
        try:
            value = handler(value)
        except ValidationError:
            value = ""
        if isinstance(value, str) and parse_repo(value) is None:
            raise ValueError('expected "owner/name", a GitHub URL such as git@github.com:owner/name.git, '
                             'or {"owner": …, "name": …}')
        return value

    def repo_ref(self) -> RepoRef | None:
        if isinstance(self.repo, str):
            return parse_repo(self.repo)
        return self.repo


_REPO_FORMS = (
    r"(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)",
    r"git@github\.com:(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?",
    r"(?:https?|ssh|git)://(?:[\w.-]+@)?github\.com/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?/?",
)


def parse_repo(text: str) -> RepoRef | None:
    for form in _REPO_FORMS:
        match = re.fullmatch(form, text.strip())
        if match:
            return RepoRef(owner=match["owner"], name=match["name"])
    return None


class State(Model):
    bucket: BucketName = DEFAULT_STATE["bucket"]
    region: StateRegion = DEFAULT_STATE["region"]
    endpoint: HttpsEndpoint = Field(DEFAULT_STATE["endpoint"], description="Default: B2's S3 endpoint of the region.")

    @model_validator(mode="after")
    def _endpoint_of_region(self):
        # a region alone means B2's endpoint there (webkit.manifest.state checks one that contradicts it)
        if "region" in self.model_fields_set and "endpoint" not in self.model_fields_set:
            self.endpoint = f"https://s3.{self.region}.backblazeb2.com"
        return self


class EnvVar(Model):
    key: str = Field(description="Variable name: a letter or underscore, then letters, digits, underscores.")
    type: Literal["value", "from_resource", "secret"]
    value: str | int | float | bool | None = Field(None, description='For type "value": the literal value.')
    from_: str | None = Field(
        None,
        alias="from",
        description='For "from_resource": resource:<name>:<output> or <name>.<output>. '
        'For "secret": sops:<file>:/<KEY> or github-secrets:<KEY>.',
    )


Env = dict[str, list[EnvVar]]


class Shared(Model):
    env: Env = {}


def _none_as_empty(value):
    return {} if value is None else value


class Resource(Model):
    name: Name
    type: str = Field(description="postgres or s3.")
    provider: str = Field(description="digitalocean or backblaze.")
    title: str | None = None
    config: dict[str, Any] = {}
    outputs: list[str] | None = Field(None, description="Outputs to export; defaults depend on the type.")

    _config = field_validator("config", mode="before")(_none_as_empty)


class Infra(Model):
    provider: str
    type: str = Field(description="vm (Droplet) or app (App Platform; container is an alias).")
    config: dict[str, Any] = {}

    _config = field_validator("config", mode="before")(_none_as_empty)


class App(Model):
    name: Name
    type: str = Field(description="Framework: payload, sveltekit, golang… (free text).")
    path: RepoPath
    infra: Infra
    title: str | None = None
    description: str | None = None
    build: VmBuild | None = Field(None, description="How a vm app's image is built (the Go tool's names).")
    deploy: VmDeploy | None = Field(None, description="How a new version of a vm app goes live.")
    env: Env = {}
    depends_on: list[str] = []


class Manifest(Model):
    schema_: str | None = Field(None, alias="$schema")
    webkit_version: str | None = None
    project: Project
    environments: list[Literal["production", "staging"]] = Field(
        ["production"], min_length=1, description="Environments to provision, each with its own state."
    )
    branches: dict[Literal["production", "staging"], Branch] = Field(
        {}, description='The branch of each environment: PR plans target it, merges apply it, the drift check plans '
                        'from it. Defaults: production ← main, staging ← staging.')
    state: State = State()
    shared: Shared = Shared()
    resources: list[Resource] = []
    apps: list[App] = []
    allow_unknown_slugs: list[str] = Field(
        [], description="DigitalOcean sizes, regions or versions to accept although webkit's catalog does not know "
                        "them (newer than the catalog).")

    def branch_of(self, environment: str) -> str:
        chosen = {str(name): branch for name, branch in self.branches.items()}.get(environment)
        return chosen or DEFAULT_BRANCHES[environment]

    def env_for(self, app: App, block: str) -> list[EnvVar]:
        """The env vars `app` gets in `block`, merged key by key, later layers winning:
        shared.default, shared.<block>, app.default, app.<block> (no shared layers for an app
        with `env_from_shared: false`). `dev` takes no default: it is for local work and never
        provisioned."""
        layers = [self.shared.env, app.env] if app.infra.config.get("env_from_shared", True) is not False else [app.env]
        names = [block] if block == "dev" else [DEFAULT_BLOCK, block]
        merged: dict[str, EnvVar] = {}
        for env in layers:
            for name in names:
                merged.update({v.key: v for v in env.get(name, [])})
        return list(merged.values())

    @field_validator("environments")
    @classmethod
    def _unique(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("environments must not repeat")
        return value
