"""A construct's props are its kind's validated config: each default, its description and its
validation live once, in the pydantic model (webkit/manifest/catalog.py)."""

from __future__ import annotations

import inspect

import pytest

from constructs_lib.backblaze import Bucket
from constructs_lib.digitalocean import AppPlatformService, Droplet, Postgres, SpacesBucket
from webkit.manifest.catalog import KINDS

CONSTRUCTS = {("digitalocean", "postgres"): Postgres, ("digitalocean", "s3"): SpacesBucket, ("backblaze", "s3"): Bucket,
              ("digitalocean", "vm"): Droplet, ("digitalocean", "app"): AppPlatformService}


@pytest.mark.parametrize("key", sorted(CONSTRUCTS), ids="/".join)
def test_a_construct_takes_its_kinds_config_and_repeats_none_of_it(key):
    parameters = inspect.signature(CONSTRUCTS[key].__init__).parameters
    config = KINDS[key].config
    assert "config" in parameters and parameters["config"].default is inspect.Parameter.empty
    assert parameters["config"].annotation == config.__name__, "typed as the kind's model"
    repeated = set(parameters) & set(config.model_fields) - {"tags"}  # a droplet's stack tags are not its own
    assert not repeated, f"{sorted(repeated)} belong to {config.__name__}, with their defaults"
