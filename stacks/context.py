"""What a factory needs to know about the environment it builds into."""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs_lib.env import EnvValue
from webkit.manifest.catalog import cloud_name


@dataclass
class StackContext:
    project: str
    environment: str
    repo: str | None
    branch: str = "main"  # the environment's branch: what its App Platform apps build
    # app name → its env vars, resolved for this stack (filled by ProjectStack before apps are built)
    env_vars: dict[str, list[EnvValue]] = field(default_factory=dict)

    def name(self, name: str) -> str:
        """The cloud name: `<project>-<name>` in production, `<project>-<env>-<name>` elsewhere."""
        return cloud_name(self.project, self.environment, name)

    @property
    def tags(self) -> list[str]:
        return ["webkit", self.project, self.environment]
