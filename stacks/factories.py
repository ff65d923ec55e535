"""Built-in factories: a ProjectSpec item → its construct. The catalog names them by import path.

A factory is called as `factory(scope, item, context)`, where `item` is a ResourceSpec or an
AppSpec with its config defaults filled in and its text escaped for Terraform; the built-in ones
hand their construct that config as its kind's pydantic model (the construct's props). A resource construct offers `output(name)` for every
output of its kind and `urn`; an app construct offers `urn`, `outputs()` and
`database_firewall_rule()`. Third-party factories follow the same contract (see README).
"""

from __future__ import annotations

from constructs_lib.backblaze import Bucket
from constructs_lib.digitalocean import AppPlatformService, Droplet, Postgres, SpacesBucket
from webkit.manifest.catalog import kind_of
from webkit.spec import AppSpec, ResourceSpec

from .context import StackContext


def _config(item: ResourceSpec | AppSpec):
    """The item's config (defaults filled, text escaped for Terraform) as its kind's pydantic model:
    the construct's props. Escaping never changes a valid value's shape (no shape admits `${`)."""
    kind = kind_of(item.provider, item.type if isinstance(item, ResourceSpec) else item.infrastructure_type)
    return kind.config.model_validate(item.config)


def postgres(scope, resource: ResourceSpec, ctx: StackContext) -> Postgres:
    return Postgres(scope, resource.name, name=ctx.name(resource.name), config=_config(resource), tags=ctx.tags)


def spaces_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> SpacesBucket:
    return SpacesBucket(scope, resource.name, name=ctx.name(resource.name), config=_config(resource))


def b2_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> Bucket:
    return Bucket(scope, resource.name, name=ctx.name(resource.name), config=_config(resource))


def droplet(scope, app: AppSpec, ctx: StackContext) -> Droplet:
    return Droplet(scope, app.name, name=ctx.name(app.name), config=_config(app), tags=ctx.tags, env=ctx.env_vars[app.name])


def app_platform(scope, app: AppSpec, ctx: StackContext) -> AppPlatformService:
    return AppPlatformService(scope, app.name, name=ctx.name(app.name), config=_config(app), repo=ctx.repo, source_dir=app.path,
                              default_branch=ctx.branch, env=ctx.env_vars[app.name])
