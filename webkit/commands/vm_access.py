"""Reaching a VM app's droplet from a laptop: its address, pinned host key and deploy key from the
environment's Terraform outputs, and OpenSSH run as the deploy job runs it (design/vm-apps.md,
"Reaching the VM").

The pin is a known_hosts line `webkit-<project>-<env>-<app> ssh-ed25519 AAAA…` used through
`HostKeyAlias`, so it holds whatever the IP. Every value read from the state is checked for its
shape here, before it reaches a file, a YAML document or a command line: the state is data that
whoever can write the bucket controls.

The deploy key is root on its VM (`deploy` may sudo): it is written only to files of mode 0600 and
never printed. Light: no cdktf.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from constructs_lib.cloud_config import DEPLOY_USER
from webkit.spec import AppSpec, ProjectSpec

# The deploy job uploads the agent here with each deploy; `webkit infra status` uploads its own copy.
AGENT_PATH = "/var/lib/webkit/agent/deploy_agent.py"
CONNECT_TIMEOUT = 10  # seconds: a closed port 22 (a droplet's firewall drops) answers nothing
_ED25519_BLOB = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"  # then the 32 bytes of the key
_HOST_KEY = re.compile(r"ssh-ed25519 ([A-Za-z0-9+/]{68})")
_PRIVATE_KEY = re.compile(r"-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{1,8000}-----END OPENSSH PRIVATE KEY-----\n?")
# What OpenSSH (`%` tokens, `${VAR}`, quotes, backslashes) or Ansible (`{{ }}` templates) would read
# as its own syntax in a path on their command lines; spaces are quoted, these are refused.
_PATH_SYNTAX = re.compile(r"[\x00-\x1f\x7f\"\\%${}]")


class VmAccessError(Exception):
    """An output of the state, or a path, that must not reach a file or a command line; the
    message names it (never a key's value)."""


@dataclass(frozen=True)
class VmHost:
    """One VM app of one environment, as its Terraform outputs describe it, every value checked."""

    app: str
    alias: str  # the known_hosts name of its pinned host key
    address: str  # IPv4, canonical form
    host_key: str  # `ssh-ed25519 AAAA…`
    deploy_key: str = field(repr=False)  # OpenSSH private key: root on the VM, never printed
    ssh_sources: tuple[str, ...] = ()

    @property
    def known_hosts_line(self) -> str:
        return f"{self.alias} {self.host_key}\n"


def host_alias(project: str, environment: str, app: str) -> str:
    return f"webkit-{project}-{environment}-{app}"


def vm_apps(spec: ProjectSpec) -> list[AppSpec]:
    """The project's VM apps (a DigitalOcean droplet each)."""
    return [app for app in spec.apps if (app.provider, app.infrastructure_type) == ("digitalocean", "vm")]


def checked_address(value: object) -> str:
    if not isinstance(value, str):
        raise VmAccessError("is not an IPv4 address")
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise VmAccessError("is not an IPv4 address") from None
    if str(address) != value:  # leading zeros and the like: only the canonical form goes on
        raise VmAccessError("is not an IPv4 address in its usual form")
    return value


def checked_host_key(value: object) -> str:
    """`ssh-ed25519 <base64>` of an ED25519 public key, and nothing else (no comment, no options)."""
    match = _HOST_KEY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise VmAccessError("is not an `ssh-ed25519 AAAA…` public key line")
    blob = base64.b64decode(match.group(1))
    if len(blob) != len(_ED25519_BLOB) + 32 or not blob.startswith(_ED25519_BLOB):
        raise VmAccessError("is not an ED25519 public key")
    return match.group(0)


def checked_private_key(value: object) -> str:
    if not isinstance(value, str) or not _PRIVATE_KEY.fullmatch(value):
        raise VmAccessError("is not an OpenSSH private key")
    return value if value.endswith("\n") else value + "\n"


def checked_path(path: Path) -> Path:
    """An absolute path that OpenSSH and Ansible read as the path it is."""
    absolute = Path(path).absolute()
    found = _PATH_SYNTAX.search(str(absolute))
    if found:
        raise VmAccessError(f"{absolute}: holds {found.group()!r}, which OpenSSH or Ansible would read as syntax: choose another folder")
    return absolute


def outputs_of(state: dict) -> dict[str, object]:
    """Output name → value of a Terraform state (`terraform state pull`'s JSON)."""
    outputs = state.get("outputs")
    if not isinstance(outputs, dict):
        return {}
    return {name: output.get("value") for name, output in outputs.items() if isinstance(output, dict)}


def vm_hosts(spec: ProjectSpec, environment: str, state: dict) -> tuple[list[VmHost], dict[str, str]]:
    """Each VM app of `environment` whose outputs are in the state and well formed, and for each
    other VM app the reason it is not (not applied yet, an output of the wrong shape)."""
    outputs = outputs_of(state)
    hosts: list[VmHost] = []
    problems: dict[str, str] = {}
    for app in vm_apps(spec):
        names = {what: f"{app.name}_{what}" for what in ("ipv4_address", "ssh_host_key", "deploy_key")}
        missing = [name for name in names.values() if name not in outputs]
        if missing:
            problems[app.name] = f"no {', '.join(missing)} in the state of {environment}: apply first"
            continue
        values = {}
        for what, check in (("ipv4_address", checked_address), ("ssh_host_key", checked_host_key), ("deploy_key", checked_private_key)):
            try:
                values[what] = check(outputs[names[what]])
            except VmAccessError as err:
                problems[app.name] = f"the output {names[what]} {err}"
                break
        if app.name in problems:
            continue
        sources = tuple(str(s) for s in app.config.get("ssh_sources") or ())
        hosts.append(VmHost(app.name, host_alias(spec.project_name, environment, app.name), values["ipv4_address"],
                            values["ssh_host_key"], values["deploy_key"], sources))
    return hosts, problems


def _quoted(path: Path) -> str:
    """A path as the value of an OpenSSH option: quoted, so a space does not split it in two."""
    return f'"{checked_path(path)}"'


def pinned_options(alias: str, known_hosts: Path) -> dict[str, str]:
    """OpenSSH options that check the host against its pin alone: this known_hosts, under `alias`,
    nothing of the machine's own files, never a prompt."""
    return {"HostKeyAlias": alias, "StrictHostKeyChecking": "yes", "UserKnownHostsFile": _quoted(known_hosts),
            "GlobalKnownHostsFile": "/dev/null", "IdentitiesOnly": "yes", "BatchMode": "yes"}


def option_args(options: dict[str, str]) -> list[str]:
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def ssh_command(identity: Path, known_hosts: Path, alias: str, address: str, command: str, *,
                user: str = DEPLOY_USER, tty: bool = False, connect_timeout: int = CONNECT_TIMEOUT) -> list[str]:
    """OpenSSH as the deploy job runs it, reading no ssh config of the machine's (`-F /dev/null`)."""
    ssh = shutil.which("ssh")
    if ssh is None:
        raise VmAccessError("no `ssh` on PATH: install OpenSSH's client")
    options = pinned_options(alias, known_hosts) | {"ConnectTimeout": str(connect_timeout),
                                                   "IdentityFile": _quoted(identity)}
    return [ssh, "-F", "/dev/null", *option_args(options), *(["-tt"] if tty else []), f"{user}@{address}", command]


def ssh_failure(result: subprocess.CompletedProcess) -> str:
    """What an OpenSSH exit 255 means, in a sentence, from its last line of errors."""
    lines = [line for line in (result.stderr or "").splitlines() if line.strip() and not line.startswith("Warning:")]
    last = lines[-1].strip() if lines else f"ssh exited {result.returncode}"
    if "Host key verification failed" in last:
        return "the host key differs from the one pinned in the state (Host key verification failed): this is not the machine Terraform made"
    if "Permission denied" in last:
        return f"the deploy key was refused ({last})"
    return f"port 22 did not answer ({last}): it admits only the app's ssh_sources, outside a deploy"
