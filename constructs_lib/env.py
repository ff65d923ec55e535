"""An app's environment as constructs see it: resolved values, secret or not."""

from __future__ import annotations

import json
from dataclasses import dataclass

from constructs_lib.compat import Fn

TOKEN_MARK = "${TfToken["  # how cdktf encodes a string token; checked in Python to spare a jsii call


@dataclass(frozen=True)
class EnvValue:
    """One env var. `value` may be a Terraform token (a reference or a variable)."""

    key: str
    value: str
    secret: bool


def dotenv(env: list[EnvValue]) -> str:
    """`KEY="value"` lines; values are JSON-quoted (by Terraform for tokens) so any text is safe."""
    lines = []
    for item in env:
        quoted = Fn.jsonencode(item.value) if TOKEN_MARK in item.value else json.dumps(item.value, ensure_ascii=False)
        lines.append(f"{item.key}={quoted}")
    return "".join(line + "\n" for line in lines)
