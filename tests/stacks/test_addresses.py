"""Terraform addresses are an API: renaming one destroys and recreates what it names.

The snapshot lists every address the example and the test manifests produce. When it fails, the
change renamed or dropped an address: if that is on purpose, regenerate with
`WEBKIT_UPDATE_SNAPSHOTS=1 pytest tests/stacks/test_addresses.py` and explain the migration
(`terraform state mv` or a `moved` block) in the commit message.
"""

import os
from pathlib import Path

import pytest

from tests.stacks.conftest import MANIFESTS

SNAPSHOTS = Path(__file__).parent / "snapshots"


def addresses(stacks: dict[str, dict]) -> str:
    lines = []
    for env, stack in sorted(stacks.items()):
        for block, prefix in (("resource", ""), ("data", "data.")):
            for type_, items in sorted(stack.get(block, {}).items()):
                lines += [f"{env} {prefix}{type_}.{name}" for name in sorted(items)]
        lines += [f"{env} var.{name}" for name in sorted(stack.get("variable", {}))]
        lines += [f"{env} output.{name}" for name in sorted(stack.get("output", {}))]
    return "\n".join(lines) + "\n"


def check(name: str, stacks: dict[str, dict]) -> None:
    path = SNAPSHOTS / f"{name}.addresses.txt"
    actual = addresses(stacks)
    if os.environ.get("WEBKIT_UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert actual == path.read_text(), f"Terraform addresses changed for {name}: see this module's docstring"


def test_example_addresses(example):
    check("example", example)


def test_staging_and_production_addresses(two_envs):
    check("staging-and-production", two_envs)


@pytest.mark.parametrize("manifest", ["no-secrets"])
def test_other_manifest_addresses(manifest):
    from tests.stacks.conftest import synth

    check(manifest, synth(MANIFESTS / f"{manifest}.json"))


def test_a_rename_is_caught(example):
    renamed = {"production": dict(example["production"], resource=dict(example["production"]["resource"]))}
    resources = renamed["production"]["resource"]
    resources["digitalocean_database_cluster"] = {"db_cluster_1A2B3C4D": {}}
    assert addresses(renamed) != (SNAPSHOTS / "example.addresses.txt").read_text()
