"""The one place that imports cdktf and the prebuilt DigitalOcean bindings (constructs and the
Backblaze bindings take cdktf's classes from here); its sibling `kernel.py` is the one place that
works with jsii's internals (its Node process, the bindings' assemblies).

cdktf's start-up (Node plus the jsii assembly) costs over a second, so only synthesising code
imports this module. Moving to the community fork `cdktn` is a change of the imports below.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from typing import Any

from constructs_lib import kernel, node


class ConstructError(ValueError):
    """A construct was given props it cannot build (ours raise it; it names the construct)."""


def is_synthesis_error(err: BaseException) -> bool:
    """Whether `err` is about the configuration being synthesised, not a bug in webkit: one of
    our construct errors, or an error raised in cdktf's JavaScript (which jsii raises as JSIIError,
    or as a RuntimeError caused by a JavaScriptError)."""
    from jsii.errors import JavaScriptError, JSIIError

    return isinstance(err, (ConstructError, JSIIError)) or (
        isinstance(err, RuntimeError) and isinstance(err.__cause__, JavaScriptError)
    )


node.use()  # cdktf runs its core in Node.js through jsii: NodeError when there is none to use
kernel.configure_node()
kernel.prestart()  # Node boots and loads the assemblies while Python imports the bindings below

def _lazy_provider_package(name: str = "cdktf_cdktf_provider_digitalocean") -> None:
    """Register the provider package without running its __init__, which imports all 138
    resource modules; each module is then imported when first used (measured: bench/)."""
    if name not in sys.modules:
        found = importlib.util.find_spec(name)
        if found is not None:  # else the import below says it is missing
            sys.modules[name] = importlib.util.module_from_spec(found)


_lazy_provider_package()
_lazy_provider_package("cdktf_cdktf_provider_tls")

import cdktf  # noqa: E402
import constructs  # noqa: E402
from cdktf import (  # noqa: E402,F401
    App,
    Fn,
    S3Backend,
    TerraformDataSource,
    TerraformOutput,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformStack,
    TerraformVariable,
    Token,
)

# --------------------------------------------------------------------------- readable addresses


def readable_id(segments) -> str:
    """The Terraform name of an element at `segments` below its stack: the path joined by `_`,
    a segment repeating its parent dropped (`project/project` → `project`). Manifest names hold
    no `_`, so these cannot collide. Terraform addresses are an API: changing this function
    moves every resource of every user (the address snapshots in the tests guard it)."""
    segments = list(segments)
    return "_".join(s for i, s in enumerate(segments) if i == 0 or s != segments[i - 1])


Scope = constructs.Construct  # what a construct is created in: a stack, an App, another construct


class Construct(constructs.Construct):
    """A construct that remembers its path below the stack, so the elements created in it can be
    named from Python: asking Node for each element's path costs three jsii messages each."""

    def __init__(self, scope: constructs.Construct, id: str):
        super().__init__(scope, id)
        parent = getattr(scope, "_webkit_path", None)
        self._webkit_path = None if parent is None else (*parent, id)


def _name(element, scope, id: str) -> None:
    parent = getattr(scope, "_webkit_path", None)
    if parent is not None:  # elsewhere the stack's allocateLogicalId callback names it
        element._webkit_id = readable_id((*parent, id))
        element.override_logical_id(element._webkit_id)


@functools.cache
def _terraform_type(cls: Any) -> str:
    return cls.TF_RESOURCE_TYPE


def address(element) -> str:
    """`type.name` of a resource or data source (without `data.`), as `depends_on` takes it."""
    logical_id = getattr(element, "_webkit_id", None)
    if logical_id is None:
        return f"{element.terraform_resource_type}.{element.friendly_unique_id}"
    cls: Any = type(element)
    return f"{_terraform_type(cls)}.{logical_id}"


def ref(element, attribute: str | None = None) -> str:
    """A Terraform reference to `element`'s `attribute` (to a variable's value without one).

    For elements named from Python it is written here, `${digitalocean_droplet.web_droplet.id}`:
    the same text cdktf resolves its token to, without the jsii round trip that reading the
    attribute costs (at hundreds of resources those reads were a third of the synthesis).
    Other elements give cdktf's token."""
    logical_id = getattr(element, "_webkit_id", None)
    if logical_id is None:
        return element.string_value if attribute is None else Token.as_string(getattr(element, attribute))
    if attribute is None:
        return f"${{var.{logical_id}}}"
    data = "data." if isinstance(element, TerraformDataSource) else ""
    return f"${{{data}{address(element)}.{attribute}}}"


@functools.cache
def named(cls: Any) -> type:
    """`cls`, naming each instance by its construct path as soon as it is created."""

    def __init__(self, scope, id, *args, **kwargs):  # noqa: N807 (becomes the class's __init__)
        cls.__init__(self, scope, id, *args, **kwargs)
        _name(self, scope, id)

    return type(cls.__name__, (cls,), {"__init__": __init__, "__module__": cls.__module__, "__doc__": cls.__doc__})


class _Bindings:
    """A module of the prebuilt bindings whose resources and data sources name themselves."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if isinstance(value, type) and issubclass(value, (TerraformResource, TerraformDataSource)):
            return named(value)
        return value


def digitalocean(module: str):
    """A submodule of the prebuilt DigitalOcean bindings, e.g. `digitalocean("droplet").Droplet`."""
    return _Bindings(importlib.import_module(f"cdktf_cdktf_provider_digitalocean.{module}"))


def tls(module: str):
    """A submodule of the prebuilt hashicorp/tls bindings, e.g. `tls("private_key").PrivateKey`."""
    return _Bindings(importlib.import_module(f"cdktf_cdktf_provider_tls.{module}"))


NamedOutput = named(TerraformOutput)
NamedVariable = named(TerraformVariable)


class TerraformData(named(TerraformResource)):  # type: ignore[misc]  # a class made at run time
    """`terraform_data` (built into Terraform: no provider) with an `input`, written as cdktf's
    DataResource writes it but without DataResource's check at synthesis, which runs `terraform
    version` once per resource: it made `webkit update` need Terraform on PATH and cost a process
    per App Platform app (synthesis of 100 apps took twice as long; bench/)."""

    def __init__(self, scope: Scope, id: str, *, input: Any):
        super().__init__(scope, id, terraform_resource_type="terraform_data",
                         terraform_generator_metadata=TerraformProviderGeneratorMetadata(provider_name="terraform"))
        self._input = input

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {"input": self._input}

__all__ = [
    "Construct", "ConstructError", "NamedOutput", "Scope", "NamedVariable", "TerraformData", "address", "cdktf", "digitalocean", "named",
    "readable_id", "ref", "tls",
]
