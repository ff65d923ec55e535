"""What a factory needs to know about the environment it builds into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from constructs_lib.env import EnvValue
from webkit.manifest.catalog import cloud_name
from webkit.registry import Config
from webkit.spec import AppSpec, ResourceSpec

C = TypeVar("C", bound=Config)


class FactoryError(Exception):
    """A factory asked for a config its kind does not declare (a plugin's mistake)."""


@dataclass
class StackContext:
    project: str
    environment: str
    repo: str | None
    branch: str = "main"  # the environment's branch: what its App Platform apps build
    # app name → its env vars, resolved for this stack (filled by ProjectStack before apps are built)
    env_vars: dict[str, list[EnvValue]] = field(default_factory=dict)
    # item name → its config, validated once by the stack (defaults filled, text escaped for Terraform)
    configs: dict[str, Config] = field(default_factory=dict)

    def name(self, name: str) -> str:
        """The cloud name: `<project>-<name>` in production, `<project>-<env>-<name>` elsewhere."""
        return cloud_name(self.project, self.environment, name)

    def config(self, item: ResourceSpec | AppSpec, model: type[C]) -> C:
        """The item's config as its kind's model (the construct's props), validated once, not again."""
        config = self.configs[item.name]
        if not isinstance(config, model):
            raise FactoryError(f"the factory asks for a {model.__name__}, but its kind's config is {type(config).__name__}")
        return config

    @property
    def tags(self) -> list[str]:
        return ["webkit", self.project, self.environment]
