"""Construct tests synthesise a bare stack with cdktf's Testing helpers."""

import json

import pytest

from constructs_lib.compat import TerraformOutput, cdktf
from constructs_lib.stack import ReadableStack


class Harness:
    def __init__(self):
        self.app = cdktf.Testing.app()
        self.stack = ReadableStack(self.app, "test")
        self._probes = 0

    def resolve(self, value):
        """What Terraform will see for `value` (a token or a string with tokens in it)."""
        self._probes += 1
        name = f"probe{self._probes}"
        TerraformOutput(self.stack, name, value=value)
        return json.loads(self.synth())["output"][name]["value"]

    def synth(self) -> str:
        return cdktf.Testing.synth(self.stack)

    def resources(self, type_: str) -> list[dict]:
        return list(json.loads(self.synth()).get("resource", {}).get(type_, {}).values())

    def has(self, type_: str, properties: dict) -> bool:
        return cdktf.Testing.to_have_resource_with_properties(self.synth(), type_, properties)


@pytest.fixture
def harness() -> Harness:
    return Harness()
