"""A release's first deploy to a droplet its own apply just created: it waits while the droplet
boots, and a first boot that failed is reported with the cloud-init module that failed. Each test
has a world of its own (tests/ghactions/world.py), booted by the release it runs."""

from __future__ import annotations

import pytest

from tests.ghactions.test_release import _first_merge, _world, failure
from tests.ghactions.world import CloudInit

pytestmark = [pytest.mark.e2e, pytest.mark.daemons, pytest.mark.xdist_group("first-boot")]


def test_the_first_deploy_waits_for_a_droplet_created_minutes_earlier(tmp_path):
    world_cm, rootfs = _world(tmp_path)
    with world_cm as world:
        world.droplet.boot_delay = 12
        world.droplet.cloud_init = CloudInit(delay=3)
        project, run = _first_merge(world, rootfs)
        assert run.conclusion == "success", failure(run)
        assert "Waiting for 203.0.113." in run.jobs["Deploy cms (production)"].log
        assert world.droplet.serving("/") == (200, b"version v1\n")


def test_a_first_boot_that_failed_is_reported_with_its_module(tmp_path):
    world_cm, rootfs = _world(tmp_path)
    with world_cm as world:
        world.droplet.cloud_init = CloudInit(failing_module="scripts_user")
        project, run = _first_merge(world, rootfs)
        assert run.conclusion == "failure"
        [comment] = [c["body"] for c in project.github.comments.get(100, [])]
        assert comment.splitlines()[1].startswith("### ❌ cms (production): host-setup failed: cloud-init failed")
        assert "scripts_user" in comment
