"""A VM app's `build` (how its image is made) and `deploy` (how a new version goes live) settings.

The names are the Go tool's (`build.dockerfile`, `build.port`, …). The image is built from the
repository, so nothing in it may be secret: build arguments are stored in the image (`docker
history` shows them), which is why they are plain values here and a secret source is refused.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from webkit.shapes import RepoPath, UrlPath

from .refs import IDENTIFIER, parse_secret

if TYPE_CHECKING:
    from .checks import Problem
    from .models import App, Manifest

NEVER_SECRET = ("build arguments are stored in the image, where anyone who can pull it reads them: never a secret "
                "(give it to the app as a `secret` env var at run time)")


class VmBuild(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    context: RepoPath | None = Field(None, description="Build context, relative to the repository root; default: the app's path.")
    dockerfile: RepoPath = Field("Dockerfile", description="The Dockerfile, relative to the build context.")
    port: int = Field(8080, ge=1, le=65535, description="The port the app listens on inside its container.")
    health_check_path: UrlPath = Field("/", description="A deploy goes live only once GET on this path answers 2xx.")
    args: dict[str, str | int | float | bool] = Field({}, description="Build arguments (plain values: never secrets).")

    @field_validator("dockerfile", mode="before")
    @classmethod
    def _true_is_the_default(cls, value):
        return "Dockerfile" if value is True else value  # the Go tool's docs write `"dockerfile": true`

    @field_validator("args", mode="before")
    @classmethod
    def _no_secrets(cls, value):
        if not isinstance(value, dict):
            return value
        for key, item in value.items():
            if not IDENTIFIER.fullmatch(str(key)):
                raise ValueError(f"build argument name '{key}' must be letters, digits and underscores")
            secret = isinstance(item, dict) and "secret" in (item.get("type"), item.get("source"))
            if secret or (isinstance(item, str) and not isinstance(parse_secret(item), str)):
                raise ValueError(f"build argument {key}: {NEVER_SECRET}")
        return value


class VmDeploy(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    release_command: str | None = Field(
        None, min_length=1, max_length=4096,
        description="Run in the new image before it takes traffic (migrations); if it fails, nothing changes for users.")
    health_timeout: int = Field(120, ge=5, le=1800, description="Seconds the new version has to pass its health check.")

    @field_validator("release_command")
    @classmethod
    def _no_nul(cls, value):
        if value is not None and "\x00" in value:
            raise ValueError("release_command cannot contain a NUL character")
        return value


def dockerfile_parts(context: str, dockerfile: str) -> tuple[str, str]:
    """(the build context, the Dockerfile within it), normalised ("" is the repository root)."""
    def clean(path: str) -> str:
        return "/".join(p for p in path.split("/") if p not in ("", "."))

    return clean(context), clean(dockerfile)


def dockerfile_of(app: App) -> str:
    """The Dockerfile's path relative to the repository root."""
    build = app.build or VmBuild()
    return "/".join(p for p in dockerfile_parts(build.context or app.path, build.dockerfile) if p)


def check_files(manifest: Manifest, project_dir: FilePath, is_vm) -> list[Problem]:
    """A VM app that says how its image is built (`build`) has that Dockerfile. (Without `build`
    nothing is built yet, so there is nothing to check.)"""
    from .checks import Problem

    problems = []
    for i, app in enumerate(manifest.apps):
        if app.build is None or not is_vm(app):
            continue
        relative = dockerfile_of(app)
        if not (project_dir / relative).is_file():
            named = "dockerfile" in app.build.model_fields_set
            problems.append(Problem(
                "config", f"App '{app.name}' has no Dockerfile at {relative}: a VM app deploys the image built from it "
                "(set build.context or build.dockerfile)", ("apps", i, "build", *(["dockerfile"] if named else []))))
    return problems
