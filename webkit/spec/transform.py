"""The plan's transformation rules: Manifest → ProjectSpec, a pure function."""

from __future__ import annotations

from webkit.manifest.catalog import INFRA_TYPE_ALIASES, kind_of
from webkit.manifest.models import ENV_BLOCKS, EnvVar, Manifest
from webkit.manifest.refs import Secret, parse_reference, parse_secret

from .models import AppSpec, EnvVarSpec, ProjectSpec, ResourceSpec, SecretSpec, StateSpec


def to_spec(manifest: Manifest, webkit_version: str) -> ProjectSpec:
    """Expects a manifest that passed the checks (references resolve, kinds are supported)."""
    secrets: dict[str, Secret] = {}
    apps = [_app(manifest, app, secrets) for app in manifest.apps]
    repo = manifest.project.repo_ref()
    return ProjectSpec(
        project_name=manifest.project.name,
        webkit_version=webkit_version,
        resources=[_resource(r) for r in manifest.resources],
        apps=apps,
        title=manifest.project.title,
        description=manifest.project.description,
        repo=f"{repo.owner}/{repo.name}" if repo else None,
        environments=list(manifest.environments),
        branches={e: manifest.branch_of(e) for e in manifest.environments},
        state=StateSpec(**manifest.state.model_dump(include={"bucket", "region", "endpoint"})),
        secrets=[
            SecretSpec(variable=s.variable, source=s.source, key=s.key, file=s.file)
            for s in sorted(secrets.values(), key=lambda s: s.variable)
        ],
    )


def filled_config(provider: str, type_: str, config: dict) -> dict:
    """The config with every default filled in; unknown keys (already warned about) dropped."""
    model = kind_of(provider, type_).config.model_validate(config)
    # env_from_shared is read by Manifest.env_for, not by the constructs
    return model.model_dump(mode="json", exclude=set(model.model_extra or {}) | {"env_from_shared"})


def _resource(resource) -> ResourceSpec:
    kind = kind_of(resource.provider, resource.type)
    return ResourceSpec(
        name=resource.name,
        type=resource.type,
        provider=resource.provider,
        config=filled_config(resource.provider, resource.type, resource.config),
        outputs=list(resource.outputs if resource.outputs is not None else kind.default_outputs),
        title=resource.title,
    )


def _app(manifest: Manifest, app, secrets: dict[str, Secret]) -> AppSpec:
    env = {}
    for block in ENV_BLOCKS:
        merged = manifest.env_for(app, block)
        if merged:
            env[block] = [_env_var(v, secrets) for v in merged]
    return AppSpec(
        name=app.name,
        type=app.type,
        provider=app.infra.provider,
        infrastructure_type=INFRA_TYPE_ALIASES.get(app.infra.type, app.infra.type),
        path=app.path,
        config=filled_config(app.infra.provider, app.infra.type, app.infra.config),
        environment_variables=env,
        title=app.title,
        description=app.description,
        build=_settings(app.build),
        deploy=_settings(app.deploy),
        depends_on=list(app.depends_on),
    )


def _settings(model) -> dict | None:
    return None if model is None else model.model_dump(mode="json", exclude=set(model.model_extra or {}))


def _env_var(var: EnvVar, secrets: dict[str, Secret]) -> EnvVarSpec:
    if var.type == "value":
        value = var.value
        text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        return EnvVarSpec(key=var.key, value_type="static", value=text)
    if var.type == "from_resource":
        return EnvVarSpec(key=var.key, value_type="resource_reference", value=str(parse_reference(var.from_ or "")))
    secret = parse_secret(var.from_ or "")
    assert isinstance(secret, Secret), "a checked manifest's secrets parse"
    secrets[secret.variable] = secret
    return EnvVarSpec(key=var.key, value_type="github_secret" if secret.source == "github" else "sops_secret", value=secret.value)
