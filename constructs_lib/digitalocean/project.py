"""A DigitalOcean project grouping every resource of one environment."""

from __future__ import annotations

from constructs_lib.compat import Construct, Scope, digitalocean

_project = digitalocean("project")

_ENVIRONMENTS = {"production": "Production", "staging": "Staging"}


class Project(Construct):
    def __init__(
        self, scope: Scope, id: str, *, name: str, environment: str, resources: list[str], description: str | None = None
    ):
        """`resources` are the URNs of what the project groups."""
        super().__init__(scope, id)
        self.project = _project.Project(
            self, "project", name=name, environment=_ENVIRONMENTS[environment], purpose="Web Application",
            description=description, resources=resources or None,
        )
