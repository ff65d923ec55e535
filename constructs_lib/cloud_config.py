"""The one writer of a VM app's first-boot user data (cloud-init `#cloud-config` YAML).

Nothing in it comes from app.json: its only variable parts are key material, given either as
Terraform expressions (what the droplet construct passes; Terraform fills them in at apply) or as
text (what the tests pass, with real keys). Each such value is written as a JSON string, which is a
YAML double-quoted scalar: Terraform's `jsonencode` quotes it at apply, `json.dumps` here, so a
key's newlines can never break the document. Everything else is fixed text below.

What the machine gets (design/vm-apps.md, "First boot"): the SSH host key Terraform made (so CI can
pin it), a `deploy` user whose one key is `restrict <deploy key>` and who may sudo (the deploy key is
root on the VM), no root or password logins, Docker with the `local` log driver and live-restore,
swap, and a marker of the host-setup version for the deploy agent's later numbered steps.

Importing this module starts no cdktf (the tests use it directly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

# The host setup this first boot performs. The deploy agent's numbered host-setup steps start
# after it; bump it when the fixed text below changes what a new machine gets.
HOST_SETUP_VERSION = 1
MARKER_PATH = "/var/lib/webkit/first-boot.json"
DEPLOY_USER = "deploy"
# Sorts before cloud-init's own 50-cloud-init.conf: for sshd the first value read wins.
SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-webkit.conf"
SSHD_SETTINGS = (
    "PermitRootLogin no\n"
    "PasswordAuthentication no\n"
    "KbdInteractiveAuthentication no\n"
    f"AllowUsers {DEPLOY_USER}\n"
)
DOCKER_DAEMON = {"log-driver": "local", "live-restore": True}
SWAP_MAX_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Expression:
    """Key material as a Terraform expression (no `${}`), e.g. `tls_private_key.web_host_key.public_key_openssh`."""

    expression: str

    def scalar(self, prefix: str = "", trim: bool = False) -> str:
        value = f"trimspace({self.expression})" if trim else self.expression
        if prefix:  # a fixed word of ours (no quote, no `${`): a template inside the expression
            value = f'"{prefix}${{{value}}}"'
        return f"${{jsonencode({value})}}"


@dataclass(frozen=True)
class Text:
    """Key material as text (tests: real keys made in Python)."""

    text: str

    def scalar(self, prefix: str = "", trim: bool = False) -> str:
        return _double_quoted(prefix + (self.text.strip() if trim else self.text))


def _double_quoted(text: str) -> str:
    """A YAML double-quoted scalar in printable ASCII: every other character escaped, so that no
    line break (YAML also breaks lines at U+0085, U+2028, U+2029) or surrogate can change it."""
    def escaped(char: str) -> str:
        code = ord(char)
        if 0x20 <= code < 0x7F:
            return "\\" + char if char in '"\\' else char
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return '"' + "".join(escaped(c) for c in text) + '"'


Value = Expression | Text


@dataclass(frozen=True)
class FirstBootKeys:
    host_private_key: Value  # OpenSSH format, ED25519
    host_public_key: Value  # `ssh-ed25519 AAAA…`
    deploy_public_key: Value


def _document() -> dict:
    """The fixed part, key material as placeholders that `user_data` replaces."""
    return {
        # The image's own host keys go; given ssh_keys, cloud-init generates none: only the pinned one remains.
        "ssh_deletekeys": True,
        "ssh_keys": {"ed25519_private": "@HOST_PRIVATE@", "ed25519_public": "@HOST_PUBLIC@"},
        "disable_root": True,
        "ssh_pwauth": False,
        "users": [{
            "name": DEPLOY_USER,
            "shell": "/bin/bash",
            "lock_passwd": True,
            # The agent runs through sudo: whoever holds the deploy key is root on this VM.
            "sudo": "ALL=(ALL) NOPASSWD:ALL",
            "ssh_authorized_keys": ["@DEPLOY_KEY@"],
        }],
        "write_files": [
            {"path": SSHD_DROP_IN, "permissions": "0644", "content": SSHD_SETTINGS},
            {"path": "/etc/docker/daemon.json", "permissions": "0644", "content": json.dumps(DOCKER_DAEMON) + "\n"},
            {"path": MARKER_PATH, "permissions": "0644", "content": json.dumps({"host_setup_version": HOST_SETUP_VERSION}) + "\n"},
        ],
        "swap": {"filename": "/swapfile", "size": "auto", "maxsize": SWAP_MAX_BYTES},
        "package_update": True,
        "packages": ["docker.io"],
        # sshd normally starts after the drop-in is written; if it was already running, it rereads it
        "runcmd": [["systemctl", "enable", "--now", "docker"], ["systemctl", "try-restart", "ssh"]],
    }


def user_data(keys: FirstBootKeys) -> str:
    """The `#cloud-config` document for a VM app (a Terraform template when the keys are expressions)."""
    text = yaml.safe_dump(_document(), sort_keys=False, width=1000, default_flow_style=False)
    # The fixed text holds no `${` or `%{`: in a Terraform string that would be a template.
    assert "${" not in text and "%{" not in text
    for placeholder, scalar in (
        ("@HOST_PRIVATE@", keys.host_private_key.scalar()),
        ("@HOST_PUBLIC@", keys.host_public_key.scalar(trim=True)),
        ("@DEPLOY_KEY@", keys.deploy_public_key.scalar(prefix="restrict ", trim=True)),
    ):
        # safe_dump quotes a scalar that starts with `@` ('@X@'); it appears exactly once
        assert text.count(f"'{placeholder}'") == 1
        text = text.replace(f"'{placeholder}'", scalar)
    return "#cloud-config\n" + text
