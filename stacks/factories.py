"""Built-in factories: a ProjectSpec item → its construct. The registry names them by import path.

A factory is called as `factory(scope, item, context)`, where `item` is a ResourceSpec or an
AppSpec with its text escaped for Terraform; `context.config(item, Model)` is its config as its
kind's pydantic model (validated once by the stack): the construct's props. What the construct
must offer is in stacks/contracts.py; third-party factories follow the same contract (see README).
"""

from __future__ import annotations

from constructs_lib.backblaze import Bucket
from constructs_lib.compat import digitalocean, tls
from constructs_lib.digitalocean import AppPlatformService, Droplet, Postgres, SpacesBucket
from webkit.registry.backblaze import B2BucketConfig
from webkit.registry.digitalocean import AppPlatformConfig, DropletConfig, PostgresConfig, SpacesConfig
from webkit.spec import AppSpec, ResourceSpec

from .context import StackContext
from .contracts import AppFactory, ResourceFactory


def digitalocean_provider(scope, id: str):
    return digitalocean("provider").DigitaloceanProvider(scope, id)


def tls_provider(scope, id: str):
    return tls("provider").TlsProvider(scope, id)


def postgres(scope, resource: ResourceSpec, ctx: StackContext) -> Postgres:
    return Postgres(scope, resource.name, name=ctx.name(resource.name), config=ctx.config(resource, PostgresConfig), tags=ctx.tags)


def spaces_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> SpacesBucket:
    return SpacesBucket(scope, resource.name, name=ctx.name(resource.name), config=ctx.config(resource, SpacesConfig))


def b2_bucket(scope, resource: ResourceSpec, ctx: StackContext) -> Bucket:
    return Bucket(scope, resource.name, name=ctx.name(resource.name), config=ctx.config(resource, B2BucketConfig))


def droplet(scope, app: AppSpec, ctx: StackContext) -> Droplet:
    return Droplet(scope, app.name, name=ctx.name(app.name), config=ctx.config(app, DropletConfig), tags=ctx.tags, env=ctx.env_vars[app.name])


def app_platform(scope, app: AppSpec, ctx: StackContext) -> AppPlatformService:
    return AppPlatformService(scope, app.name, name=ctx.name(app.name), config=ctx.config(app, AppPlatformConfig), repo=ctx.repo,
                              source_dir=app.path, default_branch=ctx.branch, env=ctx.env_vars[app.name])


# mypy checks each factory against the stack's contract (stacks/contracts.py), as a plugin's can be
_RESOURCES: tuple[ResourceFactory, ...] = (postgres, spaces_bucket, b2_bucket)
_APPS: tuple[AppFactory, ...] = (droplet, app_platform)
