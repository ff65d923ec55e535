"""Built-in factories: a ProjectSpec item → its construct. The catalog names them by import path.

A factory is called as `factory(scope, item, context)`, where `item` is a ResourceSpec or an
AppSpec with its config defaults filled in. A resource construct offers `output(name)` for every
output of its kind and `urn`; an app construct offers `urn`, `outputs()` and
`database_firewall_rule()`. Third-party factories follow the same contract (see README).
"""

from __future__ import annotations

from constructs_lib.backblaze import Bucket
from constructs_lib.digitalocean import AppPlatformService, Droplet, Postgres, SpacesBucket
from webkit.manifest.catalog import AppPlatformConfig
from webkit.spec import AppSpec, ResourceSpec

from .context import StackContext


def postgres(scope, resource: ResourceSpec, ctx: StackContext) -> Postgres:
    return Postgres(scope, resource.name, name=ctx.name(resource.name), tags=ctx.tags, **resource.config)


def spaces_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> SpacesBucket:
    return SpacesBucket(scope, resource.name, name=ctx.name(resource.name), **resource.config)


def b2_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> Bucket:
    return Bucket(scope, resource.name, name=ctx.name(resource.name), **resource.config)


def droplet(scope, app: AppSpec, ctx: StackContext) -> Droplet:
    config = dict(app.config)
    tags = ctx.tags + [t for t in config.pop("tags") if t not in ctx.tags]
    return Droplet(scope, app.name, name=ctx.name(app.name), tags=tags, env=ctx.env[app.name], **config)


def app_platform(scope, app: AppSpec, ctx: StackContext) -> AppPlatformService:
    config = AppPlatformConfig.model_validate(app.config)
    return AppPlatformService(
        scope, app.name, name=ctx.name(app.name), region=config.region, repo=ctx.repo, source_dir=app.path,
        branch=config.branch, deploy_on_push=config.deploy_on_push,
        image=config.image.model_dump(exclude_none=True) if config.image else None,
        instance_count=config.instance_count, instance_size=config.instance_size, http_port=config.http_port,
        health_check_path=config.health_check_path, domains=config.domains, env=ctx.env[app.name],
    )
