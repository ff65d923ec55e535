"""One Terraform stack per environment: backend, providers, secrets, resources, apps, outputs."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from constructs_lib.compat import (
    Construct,
    NamedOutput,
    NamedVariable,
    S3Backend,
    Scope,
    TerraformResource,
    address,
    ref,
)
from constructs_lib.digitalocean import Project
from constructs_lib.env import EnvValue, literal, literal_all
from constructs_lib.stack import ReadableStack
from webkit.registry import Kind, kind_of, providers_in_use
from webkit.spec import AppSpec, ProjectSpec, ResourceSpec

from .context import StackContext
from .contracts import Admits, AppConstruct, HasDependables, InProject, PluginError, ResourceConstruct


def _terraform_resources(construct: Construct | ResourceConstruct | AppConstruct) -> list[TerraformResource]:
    return [c for c in construct.node.find_all() if isinstance(c, TerraformResource)]


def _dependables(construct) -> list[TerraformResource]:
    """What `depends_on` waits for: the construct's own `dependables`, else all its resources.
    (A database's firewall names the apps it admits, so waiting for it would be a cycle.)"""
    return (construct.dependables if isinstance(construct, HasDependables) else None) or _terraform_resources(construct)


def _as_terraform_text(item: ResourceSpec | AppSpec):
    """The item with every string of its config (and its path) escaped for Terraform, which reads
    each JSON string as a template: the one place a manifest's text becomes Terraform text, so no
    factory (a plugin's neither) can pass `${…}` from app.json through as an expression."""
    update = {"config": literal_all(item.config)}
    if isinstance(item, AppSpec):
        update["path"] = literal(item.path)
    return item.model_copy(update=update)


def _load(path: str):
    """What a registry import path ("module:attribute") names."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@contextmanager
def plugin_contract(kind: Kind, item: str) -> Iterator[None]:
    """Whatever a plugin kind's factory or construct gets wrong becomes one PluginError naming the
    plugin, its kind and the item; a built-in kind's failure stays a bug (its traceback)."""
    if not kind.plugin:
        yield
        return
    try:
        yield
    except Exception as err:
        what = f"its factory {kind.factory}" if ":" in kind.factory else f"its factory path {kind.factory!r} (expected module:function)"
        raise PluginError(kind.plugin, kind.label, item, f"{what} failed: {type(err).__name__}: {err}") from None


class ProjectStack(ReadableStack):
    """The whole project in one environment. Construct ids are the manifest's names: they are
    Terraform addresses, so renaming one destroys and recreates what it names."""

    def __init__(self, scope: Scope, environment: str, spec: ProjectSpec):
        super().__init__(scope, environment)
        self.spec = spec
        self.environment = environment
        self.ctx = StackContext(spec.project_name, environment, spec.repo, spec.branches.get(environment, "main"))
        self._backend()
        for provider in providers_in_use(spec):  # credentials come from the environment (registry: required_credentials)
            _load(provider.construct)(self, provider.local)
        self.variables = {
            s.variable: NamedVariable(
                self, s.variable, type="string", sensitive=True,
                description=f"GitHub secret {s.key}" if s.source == "github" else f"sops secret {s.file}:/{s.key}",
            )
            for s in spec.secrets_for(environment)
        }
        self.resource_specs = {r.name: r for r in spec.resources}
        self.resources: dict[str, ResourceConstruct] = {r.name: self._resource(r) for r in spec.resources}
        self.apps: dict[str, AppConstruct] = {}
        for app in spec.apps:
            self.ctx.env_vars[app.name] = self._env(app)
            self.apps[app.name] = construct = self._app(app)
            self._wire(app, construct)
        self._depends_on()
        Project(
            self, "project", name=literal(self._project_name()), environment=environment,
            description=literal(spec.description) if spec.description else None,
            resources=[c.urn for c in (*self.resources.values(), *self.apps.values()) if isinstance(c, InProject)],
        )
        self._outputs()

    def _configure(self, item: ResourceSpec | AppSpec, kind: Kind):
        """The item as its factory sees it: its text escaped for Terraform, its config validated
        once into its kind's model (ctx.config), and the factory that builds it."""
        text = _as_terraform_text(item)
        self.ctx.configs[item.name] = kind.config.model_validate(text.config)
        return text, _load(kind.factory)

    def _resource(self, resource: ResourceSpec) -> ResourceConstruct:
        kind = kind_of(resource.provider, resource.type)
        with plugin_contract(kind, resource.name):
            text, factory = self._configure(resource, kind)
            construct = factory(self, text, self.ctx)
            for output in kind.outputs:  # every declared output has a value, or the plugin is named now
                construct.output(output.name)
        return construct

    def _app(self, app: AppSpec) -> AppConstruct:
        kind = kind_of(app.provider, app.infrastructure_type)
        with plugin_contract(kind, app.name):
            text, factory = self._configure(app, kind)
            construct = factory(self, text, self.ctx)
            construct.outputs()
        return construct

    def _project_name(self) -> str:
        project = self.spec.title or self.spec.project_name
        return project if self.environment == "production" else f"{project} ({self.environment})"

    def _backend(self) -> None:
        S3Backend(self, **self.spec.backend(self.environment))

    def _env_vars(self, app: AppSpec):
        return app.environment_variables.get(self.environment, [])

    def _env(self, app: AppSpec) -> list[EnvValue]:
        """Resolve each env var of this environment to a value or a Terraform reference; a user
        secret of an app whose env never passes through Terraform (a VM app) to where it is read."""
        in_terraform = kind_of(app.provider, app.infrastructure_type).env_in_terraform
        env = []
        for var in self._env_vars(app):
            secret = var.secret is not None
            if var.secret and not in_terraform:
                where = {"source": var.secret.source, "name": var.secret.key} | ({"file": literal(var.secret.file)} if var.secret.file else {})
                env.append(EnvValue(var.key, "", True, source=where))
                continue
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
            if isinstance(resource, Admits):
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
                            description=_ENV_DESCRIPTIONS.get(name))
        NamedOutput(
            self, "deployment_summary",
            value={
                "project": self.spec.project_name,
                "environment": self.environment,
                "resources_count": len(self.spec.resources),
                "apps_count": len(self.spec.apps),
            },
        )


# A VM app's env outputs say which of their keys are secret: the plan comment shows the others'
# values when they change (workflows/plan_comment/digitalocean.py, env_diff).
_ENV_DESCRIPTIONS = {
    "env_values": "Env values the deploy job sends, as an object. Secret keys: none.",
    "env_sensitive_values": "Env values from secret resource outputs, as an object. Secret keys: every key.",
}
