"""The one place that imports cdktf and the prebuilt DigitalOcean bindings.

cdktf's start-up (Node plus the jsii assembly) costs over a second, so only synthesising code
imports this module. Moving to the community fork `cdktn` is a change of the imports below.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys


class NodeMissingError(RuntimeError):
    """cdktf runs its core in Node.js through jsii; without node nothing can be synthesised."""


def _require_node() -> None:
    node = os.environ.get("JSII_NODE") or "node"
    if shutil.which(node) is None:
        raise NodeMissingError(
            f"Node.js not found ('{node}' is not on PATH). cdktf needs Node.js 20 or newer to synthesise: "
            "install it (https://nodejs.org, or your package manager's nodejs) or point JSII_NODE at a node binary."
        )


_require_node()
# jsii prints a banner on every start for Node versions it calls end-of-life; our users cannot act on it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")  # majors, comma-separated
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

def _lazy_provider_package(name: str = "cdktf_cdktf_provider_digitalocean") -> None:
    """Register the provider package without running its __init__, which imports all 138
    resource modules; each module is then imported when first used (measured: bench/)."""
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        sys.modules[name] = importlib.util.module_from_spec(spec)


_lazy_provider_package()

import cdktf  # noqa: E402
from cdktf import (  # noqa: E402,F401
    App,
    Fn,
    S3Backend,
    TerraformDataSource,
    TerraformOutput,
    TerraformProvider,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformStack,
    TerraformVariable,
    Token,
)
from constructs import Construct  # noqa: E402,F401

CDKTF_VERSION = "0.21.0"


def digitalocean(module: str):
    """A submodule of the prebuilt DigitalOcean bindings, e.g. `digitalocean("droplet").Droplet`."""
    return importlib.import_module(f"cdktf_cdktf_provider_digitalocean.{module}")


__all__ = ["cdktf", "digitalocean"]
