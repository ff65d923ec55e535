"""The vocabulary of the registry: a provider, a kind of resource or app, a Terraform type and what
the real provider does to it. Plain data (and pydantic config models): importing it never imports
cdktf, so validation, the workflows and the sandbox can all read it."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Config(BaseModel):
    """Base of every `config` block: unknown keys are kept so they can be warned about."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


@dataclass(frozen=True)
class Output:
    name: str
    secret: bool = False


@dataclass(frozen=True)
class NameRule:
    """A DigitalOcean / B2 naming rule for the cloud name `<project>[-<env>]-<name>`."""

    min_length: int
    max_length: int
    pattern: str
    what: str

    def problem(self, name: str) -> str | None:
        if not self.min_length <= len(name) <= self.max_length:
            return f"{self.what} names must be {self.min_length}-{self.max_length} characters; '{name}' has {len(name)}"
        if not re.fullmatch(self.pattern, name):
            return f"'{name}' is not a valid {self.what} name"
        return None


@dataclass(frozen=True)
class Credential:
    """An environment variable a provider reads, and the GitHub secret CI fills it from."""

    env: str
    secret: str


@dataclass(frozen=True)
class TerraformType:
    """A Terraform resource (or `data.` source) type and what the real provider does to it, read
    from the provider's source: which attributes force a replacement (ForceNew) or are sensitive,
    whether it holds data (`stateful`: destroying or replacing it loses something), what a
    replacement means in words, and attributes changed in place in a notable way or never applied."""

    name: str
    force_new: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    stateful: bool = False
    replaced: str = ""
    in_place: Mapping[str, str] = field(default_factory=dict)
    never_applied: Mapping[str, str] = field(default_factory=dict)
    # How the simulated API behaves where it is unusual ("module:Class", see webkit/sandbox/behaviours.py)
    simulator: str = ""

    @property
    def bare(self) -> str:
        """The name without `data.`: how plans and the facts name it."""
        return self.name.removeprefix("data.")

    @property
    def data_source(self) -> bool:
        return self.name.startswith("data.")


@dataclass(frozen=True)
class Provider:
    """A Terraform provider: its manifest name (`provider` in app.json), its local name in the stack,
    registry source and version, the credentials it reads, the construct that configures it
    ("module:attribute", called as `construct(scope, id)`), and the types it emits on its own."""

    name: str
    local: str
    source: str
    version: str
    construct: str
    credentials: tuple[Credential, ...] = ()
    always: bool = False  # configured in every stack (the project resource needs it)
    types: tuple[TerraformType, ...] = ()

    @property
    def full_name(self) -> str:
        return f"registry.terraform.io/{self.source.lower()}"


@dataclass(frozen=True)
class Kind:
    """A supported (provider, type): how to check its config, what it outputs, what builds it.

    `factory` is an import path ("module:function") so that validating never imports cdktf; the
    function is called as `factory(scope, item_spec, context)` at synthesis (see stacks.factories).
    `types` are the Terraform types its construct emits, with their facts; `credentials` are what
    it needs beyond its provider's (a Spaces bucket needs Spaces keys).
    """

    provider: str
    type: str
    category: Literal["resource", "app"]
    config: builtins.type[Config]  # `type` is a field here
    name_rule: NameRule
    factory: str
    outputs: tuple[Output, ...] = ()
    default_outputs: tuple[str, ...] = ()
    # Its main cloud resource, and the attribute holding the cloud name: with the provider facts,
    # they say what a config change or a rename does to it (webkit.commands.changes).
    resource_type: str = ""
    name_attribute: str = "name"
    # Attributes its construct tells Terraform to ignore after creation (never a replacement).
    ignore_changes: tuple[str, ...] = ()
    types: tuple[TerraformType, ...] = ()
    credentials: tuple[Credential, ...] = ()
    # Providers its construct uses beyond its own (by name in PROVIDERS: a VM app's keys need "tls").
    providers: tuple[str, ...] = ()
    # False: the app's env reaches it in the deploy job, not through Terraform (a VM app), so its
    # user secrets never become Terraform variables or state.
    env_in_terraform: bool = True
    plugin: str = ""  # the entry point that added it; empty for a built-in kind

    def output(self, name: str) -> Output | None:
        return next((o for o in self.outputs if o.name == name), None)

    def secret(self, output: str) -> bool:
        """Whether the output is secret (one this kind does not have counts as secret)."""
        found = self.output(output)
        return found is None or found.secret

    @property
    def label(self) -> str:
        return f"{self.type}/{self.provider}"
