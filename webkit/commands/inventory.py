"""`webkit infra inventory`: an Ansible inventory of an environment's VM apps, with their host keys
pinned, so an agency can run its own playbooks against its droplets with host keys checked
(design/vm-apps.md, "Why not Ansible": webkit's own deploys do not use it).

Written into one folder: `inventory.yml` (a group named after the environment, a host per VM app
named by its pin alias), `known_hosts` (the pins), and a deploy key per app (`<alias>.key`, 0600).
Every value in the YAML is emitted by the YAML dumper from checked values (webkit/commands/vm_access.py),
never by formatting text; a path that OpenSSH or Ansible would read as syntax is refused.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import yaml

from constructs_lib.cloud_config import DEPLOY_USER
from webkit.commands.vm_access import VmHost, checked_path, option_args, pinned_options
from webkit.files import write_all

INVENTORY_FILE = "inventory.yml"
KNOWN_HOSTS_FILE = "known_hosts"
HEADER = ("# written by `webkit infra inventory` from the Terraform state: do not edit, run it again.\n"
          "# The keys beside this file are root on their VMs. Port 22 admits only each app's ssh_sources.\n")


def key_file(folder: Path, host: VmHost) -> Path:
    return folder / f"{host.alias}.key"


def known_hosts(hosts: list[VmHost]) -> str:
    return "".join(host.known_hosts_line for host in hosts)


def inventory(environment: str, hosts: list[VmHost], folder: Path) -> str:
    """The inventory YAML; `folder` is where its known_hosts and keys are (made absolute: a
    playbook runs from anywhere)."""
    folder = checked_path(folder)
    document = {"all": {"children": {environment: {"hosts": {
        host.alias: {
            "ansible_host": host.address,
            "ansible_user": DEPLOY_USER,
            "ansible_ssh_private_key_file": str(key_file(folder, host)),
            "ansible_ssh_common_args": shlex.join(option_args(pinned_options(host.alias, folder / KNOWN_HOSTS_FILE))),
            # the deploy key is `restrict`ed: no terminal, and Ansible asks for one (`-tt`) by default
            "ansible_ssh_use_tty": False,
            "ansible_python_interpreter": "auto_silent",
            "webkit_app": host.app,
        } for host in hosts
    }}}}}
    return HEADER + yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=10**6)


def write_inventory(folder: Path, environment: str, hosts: list[VmHost]) -> list[Path]:
    """The keys (0600 whatever they were), then the inventory and its known_hosts, in `folder`
    (made 0700 when missing): an inventory never names a key not written yet. Each file is
    replaced by rename. Returns the inventory's and known_hosts' paths."""
    folder = checked_path(folder)
    text = inventory(environment, hosts, folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = {key_file(folder, host): host.deploy_key for host in hosts}
    write_all(keys, mode=0o600)
    for path in keys:  # an unchanged key is not rewritten: its mode is set all the same
        os.chmod(path, 0o600)
    write_all({folder / INVENTORY_FILE: text, folder / KNOWN_HOSTS_FILE: known_hosts(hosts)})
    return [folder / INVENTORY_FILE, folder / KNOWN_HOSTS_FILE]
