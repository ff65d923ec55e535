"""The inventory's one writer (webkit/commands/inventory.py) and the checks of what it takes from
the state (webkit/commands/vm_access.py), with arbitrary strings: whatever can write the state bucket must not
be able to add a variable, a host or an ssh option to the inventory, nor a line to known_hosts."""

from __future__ import annotations

import ipaddress
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import plan_example, write_project
from webkit.commands.inventory import inventory, known_hosts, write_inventory
from webkit.commands.vm_access import VmAccessError, checked_path, vm_hosts
from webkit.manifest import Manifest
from webkit.sandbox.keys import ed25519_attributes
from webkit.spec import to_spec

SPEC = to_spec(Manifest.model_validate(plan_example()), "0.1.0")
ALIAS = "webkit-my-website-production-cms"
HOST_KEY = ed25519_attributes()["public_key_openssh"].strip()
DEPLOY_KEY = ed25519_attributes()["private_key_openssh"]
GOOD = {"cms_ipv4_address": "203.0.113.7", "cms_ssh_host_key": HOST_KEY, "cms_deploy_key": DEPLOY_KEY}
PINNING = ["HostKeyAlias", "StrictHostKeyChecking", "UserKnownHostsFile", "GlobalKnownHostsFile", "IdentitiesOnly", "BatchMode"]


def state(**outputs) -> dict:
    return {"outputs": {name: {"value": value, "type": "string"} for name, value in (GOOD | outputs).items()}}


def hosts_of(**outputs):
    return vm_hosts(SPEC, "production", state(**outputs))


def test_the_outputs_of_an_applied_vm_app_make_its_host():
    [host], problems = hosts_of()
    assert problems == {}
    assert (host.app, host.alias, host.address, host.host_key, host.deploy_key) == ("cms", ALIAS, "203.0.113.7", HOST_KEY, DEPLOY_KEY)
    assert DEPLOY_KEY not in repr(host)
    assert known_hosts([host]) == f"{ALIAS} {HOST_KEY}\n"


def test_an_app_not_applied_yet_is_named_with_what_is_missing():
    hosts, problems = vm_hosts(SPEC, "production", {"outputs": {}})
    assert hosts == [] and problems == {"cms": "no cms_ipv4_address, cms_ssh_host_key, cms_deploy_key in the state of production: apply first"}


@given(st.one_of(st.text(), st.from_regex(r"[0-9.]{7,15}", fullmatch=True), st.integers(), st.none()))
@example("203.0.113.7\n  ansible_become: true")
@example("203.0.113.07")
@example("::1")
def test_an_address_goes_on_only_as_a_canonical_ipv4(value):
    hosts, problems = hosts_of(cms_ipv4_address=value)
    if hosts:
        assert isinstance(value, str) and str(ipaddress.IPv4Address(value)) == value == hosts[0].address
    else:
        assert problems["cms"].startswith("the output cms_ipv4_address is not an IPv4 address")


@given(st.one_of(st.text(), st.builds(lambda extra: HOST_KEY + extra, st.text(min_size=1)),
                 st.builds(lambda extra: extra + HOST_KEY, st.text(min_size=1)),
                 st.from_regex(r"ssh-ed25519 [A-Za-z0-9+/]{68}", fullmatch=True)))
@example(f"{HOST_KEY}\nevil.example ssh-ed25519 {HOST_KEY.split()[1]}")
@example(f"{HOST_KEY} comment")
@example("ssh-rsa " + HOST_KEY.split()[1])
def test_a_host_key_goes_on_only_as_one_ed25519_key(value):
    hosts, problems = hosts_of(cms_ssh_host_key=value)
    if hosts:
        assert value == hosts[0].host_key and known_hosts(hosts).count("\n") == 1
        assert value.split(" ")[0] == "ssh-ed25519" and len(value.split(" ")) == 2
    else:
        assert problems["cms"].startswith("the output cms_ssh_host_key is not an")


@given(st.text())
@example(DEPLOY_KEY.replace("-----END", "x: 1\n-----END"))
def test_a_deploy_key_goes_on_only_as_an_openssh_private_key(value):
    hosts, problems = hosts_of(cms_deploy_key=value)
    if not hosts:
        assert problems == {"cms": "the output cms_deploy_key is not an OpenSSH private key"}, "the value itself is never in a message"


_SEGMENT = st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(_SEGMENT)
@example("a b'c #d: e")
@example("{{ lookup('pipe', 'id') }}")
@example("%d ${HOME} \\ \"")
@example("x\ny: 1")
def test_the_inventory_holds_its_paths_as_they_are_or_refuses_them(segment):
    folder = Path("/tmp/inventories") / segment
    [host], _ = hosts_of()
    try:
        text = inventory("production", [host], folder)
    except VmAccessError as err:
        assert any(c in segment for c in "\"\\%${}") or any(ord(c) < 0x20 or ord(c) == 0x7f for c in segment), err
        return
    document = yaml.safe_load(text)
    assert list(document) == ["all"] and list(document["all"]) == ["children"] and list(document["all"]["children"]) == ["production"]
    [(alias, variables)] = document["all"]["children"]["production"]["hosts"].items()
    assert alias == ALIAS and variables["ansible_host"] == "203.0.113.7" and variables["ansible_user"] == "deploy"
    assert variables["ansible_ssh_private_key_file"] == str(folder / f"{ALIAS}.key")
    args = shlex.split(variables["ansible_ssh_common_args"])  # as Ansible splits them
    assert args[::2] == ["-o"] * len(PINNING) and [a.split("=", 1)[0] for a in args[1::2]] == PINNING
    assert f'UserKnownHostsFile="{folder}/known_hosts"' in args and f"HostKeyAlias={ALIAS}" in args
    assert DEPLOY_KEY.splitlines()[1] not in text


def test_a_relative_folder_is_written_absolute():
    assert checked_path(Path("inventory")) == Path.cwd() / "inventory"


def test_the_files_are_private_where_they_must_be(tmp_path):
    hosts, _ = hosts_of()
    folder = tmp_path / "new" / "inventory"
    write_inventory(folder, "production", hosts)
    key = folder / f"{ALIAS}.key"
    assert key.read_text() == DEPLOY_KEY and key.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    key.chmod(0o644)
    write_inventory(folder, "production", hosts)
    assert key.stat().st_mode & 0o777 == 0o600, "an unchanged key gets its mode back"


def test_ansible_reads_a_hostile_folder_back_as_it_is(tmp_path):
    """Ansible's own inventory parser, on the paths that stress quoting most without being refused."""
    folder = tmp_path / "a b'c #d: e"
    hosts, _ = hosts_of()
    write_inventory(folder, "production", hosts)
    binary = Path(sys.executable).parent / "ansible-inventory"
    env = {"ANSIBLE_HOME": str(tmp_path / "home"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "LC_ALL": "C.UTF-8",
           "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "PATH": "/usr/bin:/bin"}
    (tmp_path / "ansible.cfg").write_text("")
    listed = subprocess.run([str(binary), "-i", str(folder / "inventory.yml"), "--list"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    variables = json.loads(listed.stdout)["_meta"]["hostvars"][ALIAS]
    assert variables["ansible_ssh_private_key_file"] == str(folder / f"{ALIAS}.key")
    assert f'UserKnownHostsFile="{folder}/known_hosts"' in shlex.split(variables["ansible_ssh_common_args"])
    assert json.loads(listed.stdout)["production"]["hosts"] == [ALIAS]


def _webkit(*args, cwd, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "webkit", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def test_a_project_without_vm_apps_has_no_inventory(tmp_path):
    manifest = plan_example()
    manifest["apps"] = []
    write_project(tmp_path, manifest)
    result = _webkit("infra", "inventory", "--sandbox", cwd=tmp_path)
    assert result.returncode == 1 and "app.json has no VM app" in result.stderr


def test_without_state_or_credentials_it_says_what_is_missing(tmp_path):
    write_project(tmp_path, plan_example())
    sandbox = _webkit("infra", "inventory", "--sandbox", cwd=tmp_path)
    assert sandbox.returncode == 1 and "no Terraform state for production (sandbox) yet: run `webkit infra apply --sandbox` first" in sandbox.stderr
    real = _webkit("infra", "status", cwd=tmp_path, env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert real.returncode == 1 and "missing credentials: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in real.stderr
    other = _webkit("infra", "inventory", "-e", "staging", cwd=tmp_path)
    assert other.returncode == 2 and "--environment staging is not in app.json's environments (production)" in other.stderr


@pytest.mark.parametrize("bad", ["x%d", "x${HOME}", 'x"y'])
def test_a_folder_ssh_would_misread_is_refused(bad):
    with pytest.raises(VmAccessError, match="which OpenSSH or Ansible would read as syntax"):
        checked_path(Path("/tmp") / bad)
