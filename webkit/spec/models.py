"""ProjectSpec: what the stacks and workflows consume, in the plan's project.auto.tfvars.json shape."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from webkit.manifest.refs import Reference, Secret

ValueType = Literal["static", "resource_reference", "github_secret", "sops_secret"]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvVarSpec(SpecModel):
    key: str
    value_type: ValueType
    value: str  # static: the value; reference: "<resource>.<output>"; secret: its name (sops: "<file>:/<KEY>")

    @property
    def secret(self) -> Secret | None:
        if self.value_type == "github_secret":
            return Secret("github", self.value)
        if self.value_type == "sops_secret":
            file, _, key = self.value.partition(":/")
            return Secret("sops", key, file)
        return None

    @property
    def reference(self) -> Reference | None:
        if self.value_type != "resource_reference":
            return None
        return Reference(*self.value.split(".", 1))


class ResourceSpec(SpecModel):
    name: str
    type: str
    provider: str
    config: dict[str, Any]
    outputs: list[str]
    title: str | None = None


class AppSpec(SpecModel):
    name: str
    type: str
    provider: str
    infrastructure_type: str
    path: str
    config: dict[str, Any]
    environment_variables: dict[str, list[EnvVarSpec]]
    title: str | None = None
    description: str | None = None
    build: dict[str, Any] | None = None  # a vm app's build and deploy settings, defaults filled in
    deploy: dict[str, Any] | None = None
    depends_on: list[str] = []


class SecretSpec(SpecModel):
    """One Terraform variable, filled in CI as TF_VAR_<variable> from its source."""

    variable: str
    source: Literal["github", "sops"]
    key: str
    file: str | None = None


class StateSpec(SpecModel):
    bucket: str
    region: str
    endpoint: str


def state_key(project: str, environment: str) -> str:
    return f"projects/{project}/{environment}/terraform.tfstate"


class ProjectSpec(SpecModel):
    project_name: str
    webkit_version: str
    resources: list[ResourceSpec]
    apps: list[AppSpec]
    title: str | None = None
    description: str | None = None
    repo: str | None = None  # "owner/name"
    environments: list[str]
    branches: dict[str, str] = {}  # environment → its branch
    state: StateSpec
    secrets: list[SecretSpec]

    def to_json(self) -> str:
        """The project.auto.tfvars.json text: same spec, same bytes."""
        return self.model_dump_json(indent=2) + "\n"

    def backend(self, environment: str) -> dict:
        """The S3 backend's settings for `environment`'s state (Terraform JSON's and cdktf's
        S3Backend's names alike): the stack's backend, and what `webkit infra status` and
        `inventory` read the state through without synthesising."""
        return {
            "bucket": self.state.bucket, "key": state_key(self.project_name, environment), "region": self.state.region,
            "endpoints": {"s3": self.state.endpoint}, "use_path_style": True, "skip_credentials_validation": True,
            "skip_metadata_api_check": True, "skip_region_validation": True, "skip_requesting_account_id": True,
            "skip_s3_checksum": True,
        }

    @property
    def uses_sops(self) -> bool:
        return any(s.source == "sops" for s in self.secrets)

    def secrets_for(self, environment: str, source: str | None = None) -> list[SecretSpec]:
        """The secrets that the env vars of `environment` pass through Terraform (optionally of one
        source): a VM app's secrets never do (its deploy job reads them itself)."""
        from webkit.registry import kind_of

        used = {v.secret.variable for app in self.apps if kind_of(app.provider, app.infrastructure_type).env_in_terraform
                for v in app.environment_variables.get(environment, []) if v.secret}
        return [s for s in self.secrets if s.variable in used and source in (None, s.source)]
