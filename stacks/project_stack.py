"""One Terraform stack per environment: backend, providers, secrets, resources, apps, outputs."""

from __future__ import annotations

import importlib

from constructs_lib.backblaze import B2Provider
from constructs_lib.compat import (
    Construct,
    NamedOutput,
    NamedVariable,
    S3Backend,
    Scope,
    TerraformResource,
    address,
    digitalocean,
    ref,
)
from constructs_lib.digitalocean import Project
from constructs_lib.env import EnvValue, literal, literal_all
from constructs_lib.stack import ReadableStack
from webkit.manifest.catalog import kind_of
from webkit.spec import AppSpec, ProjectSpec, ResourceSpec

from .context import StackContext


def state_key(project: str, environment: str) -> str:
    return f"projects/{project}/{environment}/terraform.tfstate"


def _terraform_resources(construct: Construct) -> list[TerraformResource]:
    return [c for c in construct.node.find_all() if isinstance(c, TerraformResource)]


def _dependables(construct: Construct) -> list[TerraformResource]:
    """What `depends_on` waits for: the construct's own `dependables`, else all its resources.
    (A database's firewall names the apps it admits, so waiting for it would be a cycle.)"""
    return getattr(construct, "dependables", None) or _terraform_resources(construct)


def _as_terraform_text(item: ResourceSpec | AppSpec):
    """The item with every string of its config (and its path) escaped for Terraform, which reads
    each JSON string as a template: the one place a manifest's text becomes Terraform text, so no
    factory (a plugin's neither) can pass `${…}` from app.json through as an expression."""
    update = {"config": literal_all(item.config)}
    if isinstance(item, AppSpec):
        update["path"] = literal(item.path)
    return item.model_copy(update=update)


def _factory(provider: str, type_: str):
    module, _, name = kind_of(provider, type_).factory.partition(":")
    return getattr(importlib.import_module(module), name)


class ProjectStack(ReadableStack):
    """The whole project in one environment. Construct ids are the manifest's names: they are
    Terraform addresses, so renaming one destroys and recreates what it names."""

    def __init__(self, scope: Scope, environment: str, spec: ProjectSpec):
        super().__init__(scope, environment)
        self.spec = spec
        self.environment = environment
        self.ctx = StackContext(spec.project_name, environment, spec.repo, spec.branches.get(environment, "main"))
        self._backend()
        digitalocean("provider").DigitaloceanProvider(self, "digitalocean")  # DIGITALOCEAN_TOKEN, SPACES_* from the environment
        if spec.uses_b2:
            B2Provider(self, "b2")  # B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY from the environment
        self.variables = {
            s.variable: NamedVariable(
                self, s.variable, type="string", sensitive=True,
                description=f"GitHub secret {s.key}" if s.source == "github" else f"sops secret {s.file}:/{s.key}",
            )
            for s in spec.secrets_for(environment)
        }
        self.resource_specs = {r.name: r for r in spec.resources}
        self.resources = {r.name: _factory(r.provider, r.type)(self, _as_terraform_text(r), self.ctx) for r in spec.resources}
        self.apps = {}
        for app in spec.apps:
            self.ctx.env_vars[app.name] = self._env(app)
            self.apps[app.name] = construct = _factory(app.provider, app.infrastructure_type)(self, _as_terraform_text(app), self.ctx)
            self._wire(app, construct)
        self._depends_on()
        Project(
            self, "project", name=literal(self._project_name()), environment=environment,
            description=literal(spec.description) if spec.description else None,
            resources=[c.urn for c in (*self.resources.values(), *self.apps.values()) if hasattr(c, "urn")],
        )
        self._outputs()

    def _project_name(self) -> str:
        project = self.spec.title or self.spec.project_name
        return project if self.environment == "production" else f"{project} ({self.environment})"

    def _backend(self) -> None:
        state = self.spec.state
        S3Backend(
            self, bucket=state.bucket, key=state_key(self.spec.project_name, self.environment), region=state.region,
            endpoints={"s3": state.endpoint}, use_path_style=True, skip_credentials_validation=True,
            skip_metadata_api_check=True, skip_region_validation=True, skip_requesting_account_id=True,
            skip_s3_checksum=True,
        )

    def _env_vars(self, app: AppSpec):
        return app.environment_variables.get(self.environment, [])

    def _env(self, app: AppSpec) -> list[EnvValue]:
        """Resolve each env var of this environment to a value or a Terraform reference."""
        env = []
        for var in self._env_vars(app):
            secret = var.secret is not None
            if var.reference:
                value = self.resources[var.reference.resource].output(var.reference.output)
                # only a secret output is secret: App Platform reads SECRET values back encrypted,
                # so every needless SECRET is noise in every plan
                resource = self.resource_specs[var.reference.resource]
                secret = kind_of(resource.provider, resource.type).secret(var.reference.output)
            elif var.secret:
                value = ref(self.variables[var.secret.variable])
            else:
                value = literal(var.value)
            env.append(EnvValue(var.key, value, secret=secret))
        return env

    def _wire(self, app: AppSpec, construct) -> None:
        """Admit the app through the firewall of every database it references."""
        referenced = dict.fromkeys(v.reference.resource for v in self._env_vars(app) if v.reference)
        for name in referenced:
            resource = self.resources[name]
            if hasattr(resource, "allow_from"):
                resource.allow_from(construct)

    def _depends_on(self) -> None:
        """An app's `depends_on`: each of its resources waits for every resource of the named ones."""
        built = {**self.resources, **self.apps}
        for app in self.spec.apps:
            # Plain `type.name` addresses: Terraform rejects interpolations in depends_on.
            after = [address(r) for name in app.depends_on for r in _dependables(built[name])]
            for resource in _terraform_resources(self.apps[app.name]) if after else []:
                resource.depends_on = [*(resource.depends_on or []), *after]

    def _outputs(self) -> None:
        for resource in self.spec.resources:
            kind = kind_of(resource.provider, resource.type)
            for name in resource.outputs:
                NamedOutput(
                    self, f"{resource.name}_{name}", value=self.resources[resource.name].output(name),
                    sensitive=kind.secret(name),
                )
        for app_name, construct in self.apps.items():
            for name, (value, sensitive) in construct.outputs().items():
                NamedOutput(self, f"{app_name}_{name}", value=value, sensitive=sensitive,
                            description=_env_description(self.ctx.env_vars[app_name]) if name == "env" else None)
        NamedOutput(
            self, "deployment_summary",
            value={
                "project": self.spec.project_name,
                "environment": self.environment,
                "resources_count": len(self.spec.resources),
                "apps_count": len(self.spec.apps),
            },
        )


def _env_description(env: list[EnvValue]) -> str:
    """Says which keys of an app's env output are secret: the plan comment shows the others'
    values when they change (workflows/plan_comment.py, env_diff). Keys are env names: plain text."""
    secret = sorted({v.key for v in env if v.secret})
    return f"KEY=value lines, values JSON-encoded. Secret keys: {', '.join(secret) or 'none'}."
