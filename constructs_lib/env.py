"""An app's environment as constructs see it: resolved values, secret or not."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from constructs_lib.compat import Fn

TOKEN_MARK = "${TfToken["  # how cdktf encodes a string token; checked in Python to spare a jsii call
_REFERENCE = re.compile(r"\$\{[^{}]*\}")  # one Terraform expression, as `compat.ref` writes it


@dataclass(frozen=True)
class EnvValue:
    """One env var. `value` is a reference (`${…}`, or a cdktf token) or text made `literal`."""

    key: str
    value: str
    secret: bool


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


def dotenv(env: list[EnvValue]) -> str:
    """`KEY="value"` lines; values are JSON-quoted (by Terraform for references) so any text is safe."""
    lines = []
    for item in env:
        if TOKEN_MARK in item.value:
            quoted = Fn.jsonencode(item.value)
        elif _REFERENCE.fullmatch(item.value):
            quoted = f"${{jsonencode({item.value[2:-1]})}}"
        else:
            quoted = json.dumps(item.value, ensure_ascii=False)
        lines.append(f"{item.key}={quoted}")
    return "".join(line + "\n" for line in lines)
