"""An app's environment as constructs see it: resolved values, secret or not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EnvValue:
    """One env var. `value` is a reference (`${…}`, or a cdktf token) or text made `literal`."""

    key: str
    value: str
    secret: bool
    # Where the deploy job reads a user secret itself ({"source": "github", "name": …}, or "sops"
    # with "file"; Terraform text), for an app whose env never passes through Terraform. Its
    # `value` is then empty: the secret is in no variable, output or state.
    source: Mapping[str, str] | None = None


def literal(text: str) -> str:
    """`text` for a Terraform string, which is a template: `${` and `%{` are escaped to stay text."""
    return text.replace("${", "$${").replace("%{", "%%{")


def literal_all(value):
    """`literal` on every string inside dicts and lists: a manifest's config as Terraform text."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, dict):
        return {key: literal_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literal_all(item) for item in value]
    return value
