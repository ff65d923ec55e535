"""Every attribute webkit emits exists in the provider schemas the simulated providers serve."""

import json

import pytest

from tests.sandbox.conftest import SOURCES, stacks_of
from webkit.sandbox import schemas

META = {"//", "lifecycle", "depends_on", "provider", "count", "for_each", "provisioner", "connection"}


def unknown_attributes(type_name: str, config: dict) -> list[str]:
    def walk(block: schemas.Block, values: dict, path: str) -> list[str]:
        found = []
        for key, value in values.items():
            if key in META and not path:
                continue
            if key in block.blocks:
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    found += walk(block.blocks[key].block, item, f"{path}{key}[{i}].")
            elif key not in block.attrs:
                found.append(f"{type_name}.{path}{key}")
            elif block.attrs[key].computed and not (block.attrs[key].optional or block.attrs[key].required):
                found.append(f"{type_name}.{path}{key} (computed only)")
        return found

    return walk(schemas.schema_for(type_name).block, config, "")


def emitted(stack: dict):
    for mode, prefix in (("resource", ""), ("data", "data.")):
        for type_name, items in stack.get(mode, {}).items():
            if type_name == "terraform_data":  # built into Terraform, no provider's schema
                continue
            for config in items.values():
                yield prefix + type_name, config


@pytest.mark.parametrize("name", SOURCES)
def test_every_emitted_attribute_is_in_the_schema(name):
    for text in stacks_of(SOURCES[name]).values():
        for type_name, config in emitted(json.loads(text)):
            assert unknown_attributes(type_name, config) == [], type_name


def test_a_misspelled_attribute_is_caught():
    assert unknown_attributes("digitalocean_droplet", {"name": "x", "sise": "s"}) == ["digitalocean_droplet.sise"]
    assert unknown_attributes("digitalocean_app", {"spec": [{"name": "x", "servce": []}]}) == ["digitalocean_app.spec[0].servce"]


def test_schemas_come_from_the_bindings():
    droplet = schemas.schema_for("digitalocean_droplet").block
    assert droplet.attrs["size"].required and droplet.attrs["ipv4_address"].computed
    assert droplet.attrs["image"].replace and not droplet.attrs["size"].replace
    assert "backup_policy" in droplet.blocks and droplet.blocks["backup_policy"].max_items == 1
    app = schemas.schema_for("digitalocean_app").block
    service = app.blocks["spec"].block.blocks["service"].block
    assert {"github", "image", "env", "health_check"} <= set(service.blocks)
    assert schemas.schema_for("digitalocean_database_cluster").block.attrs["uri"].sensitive
    assert schemas.schema_for("b2_application_key").block.attrs["application_key"].sensitive
