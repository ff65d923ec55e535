"""A real sshd configured from the first-boot user data admits the deploy key only to a client that
pins the host key the way the deploy job does, and gives the restricted key no terminal."""

from __future__ import annotations

import pytest
import yaml

from tests.constructs_lib.test_cloud_config import real_keys, text_user_data
from tests.sshd import Sshd, private_key_file, running_sshd
from webkit.sandbox.keys import ed25519_attributes

ALIAS = "webkit-my-website-production-cms"  # what the deploy job writes in known_hosts


@pytest.fixture(scope="module")
def droplet(tmp_path_factory):
    """(sshd, host key, deploy key), the sshd set up from the user data the writer made for them."""
    host, deploy = real_keys()
    folder = tmp_path_factory.mktemp("sshd")
    with running_sshd(folder / "server", yaml.safe_load(text_user_data(host, deploy))) as server:
        yield server, host, deploy


def pin(host: dict) -> str:
    return f"{ALIAS} {host['public_key_openssh'].strip()}\n"


def test_the_deploy_key_gets_in_when_the_host_key_is_pinned(droplet, tmp_path):
    server, host, deploy = droplet
    done = server.ssh(private_key_file(tmp_path, deploy["private_key_openssh"]), pin(host), ALIAS, "id -un")
    assert (done.returncode, done.stdout) == (0, "deploy\n"), done.stderr + "\n".join(server.log[-20:])


@pytest.mark.parametrize("known_hosts", ["other", "none", "other alias"])
def test_a_wrong_or_missing_pin_fails_host_key_verification(droplet, tmp_path, known_hosts):
    server, host, deploy = droplet
    text = {"other": pin(ed25519_attributes()), "none": "",
            "other alias": f"webkit-another-app {host['public_key_openssh'].strip()}\n"}[known_hosts]
    done = server.ssh(private_key_file(tmp_path, deploy["private_key_openssh"]), text, ALIAS, "id -un")
    assert done.returncode == 255 and "Host key verification failed" in done.stderr
    assert done.stdout == ""


def test_another_key_or_user_is_refused(droplet, tmp_path):
    server, host, _ = droplet
    stranger = private_key_file(tmp_path, ed25519_attributes()["private_key_openssh"])
    refused = server.ssh(stranger, pin(host), ALIAS, "id -un")
    assert refused.returncode == 255 and "Permission denied" in refused.stderr
    # root (and every user but deploy) is refused by the drop-in even with the deploy key
    _, _, deploy = droplet
    as_root = server.ssh(private_key_file(tmp_path, deploy["private_key_openssh"], "deploy2"), pin(host), ALIAS,
                         "id -un", user="root")
    assert as_root.returncode == 255 and "Permission denied" in as_root.stderr


def test_the_restricted_key_gets_no_terminal(droplet: tuple[Sshd, dict, dict], tmp_path):
    server, host, deploy = droplet
    key = private_key_file(tmp_path, deploy["private_key_openssh"])
    forced = server.ssh(key, pin(host), ALIAS, "echo ran", tty=True)
    # OpenSSH closes a session whose explicitly requested terminal was refused: nothing runs
    assert "PTY allocation request failed" in forced.stderr
    assert (forced.returncode, forced.stdout) == (255, "")
    plain = server.ssh(key, pin(host), ALIAS, "tty")
    assert (plain.returncode, plain.stdout) == (1, "not a tty\n")
