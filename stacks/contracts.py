"""What the stack asks of a kind's factory and construct, as Protocols: mypy checks webkit's own
constructs against them (stacks/factories.py), and a plugin that annotates its factory with
`ResourceFactory` or `AppFactory` is checked the same way. The optional parts (`urn`,
`allow_from`, `dependables`) are runtime-checkable, so the stack asks `isinstance`, never `hasattr`."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from constructs_lib.compat import Construct
from webkit.spec import AppSpec, ResourceSpec

from .context import StackContext


class ResourceConstruct(Protocol):
    @property
    def node(self) -> Any:
        """It is a construct (its Terraform resources are found under its node)."""

    def output(self, name: str) -> Any:
        """The value (a Terraform reference) of each output its kind declares."""


class AppConstruct(Protocol):
    @property
    def node(self) -> Any:
        """It is a construct (its Terraform resources are found under its node)."""

    def outputs(self) -> dict[str, tuple[Any, bool]]:
        """Stack outputs: name → (value, sensitive)."""

    def database_firewall_rule(self) -> dict:
        """How a database's firewall admits it: `{"type": …, "value": …}`."""


@runtime_checkable
class InProject(Protocol):
    """A construct whose cloud resource belongs in the DigitalOcean project (B2 buckets do not)."""

    @property
    def urn(self) -> str: ...


@runtime_checkable
class Admits(Protocol):
    """A resource with a firewall: it admits each app that references it."""

    def allow_from(self, app: AppConstruct) -> None: ...


@runtime_checkable
class HasDependables(Protocol):
    """A construct whose `depends_on` targets are not all its resources (a database's firewall names
    the apps it admits, so waiting for it would be a cycle)."""

    @property
    def dependables(self) -> list: ...


class ResourceFactory(Protocol):
    def __call__(self, scope: Construct, resource: ResourceSpec, ctx: StackContext, /) -> ResourceConstruct: ...


class AppFactory(Protocol):
    def __call__(self, scope: Construct, app: AppSpec, ctx: StackContext, /) -> AppConstruct: ...


class PluginError(Exception):
    """A plugin's factory or construct broke its contract: one message naming the plugin, its kind
    and the item, never a traceback (the plugin is not the user's app.json, nor webkit's bug)."""

    def __init__(self, plugin: str, kind: str, item: str, problem: str):
        super().__init__(f"plugin {plugin} ({kind}), '{item}': {problem}")
