"""A real OpenSSH server standing in for a VM app's droplet, configured from its first-boot user data.

It runs inside its own network and mount namespaces (`unshare -n -m`): loopback only, a private
`/run` (sshd's privilege-separation folder), a private `/home` holding the `deploy` user's home, and
`/etc/passwd` / `/etc/shadow` replaced (inside the namespace only) by copies that add that user, its
sudo rule in a private `/etc/sudoers.d` and a private `/var/lib` (where the deploy agent keeps its
files). Its settings are the user data's: the host key from `ssh_keys`, the authorised key line and
sudo rule of the deploy user, and the `sshd_config.d` drop-in included verbatim and first (for sshd
the first value wins). `address`: the droplet's public address (from the outputs) is added to the
namespace's loopback and listened on too, so a client that reads the outputs reaches the stand-in.
What a droplet has and a test cannot: PAM (`UsePAM no` here; a locked password `*`, as `!` is
refused without PAM) and strict file modes (the files live in the test's folder).

Clients run in the same namespaces (`nsenter`), exactly as the deploy job runs OpenSSH. Start it with
`running_sshd(folder, document)`: it is stopped by its own process handle however the test ends.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from constructs_lib.cloud_config import DEPLOY_USER, SSHD_DROP_IN
from tests.tools import require, require_root
from webkit.commands.vm_access import ssh_command

DEPLOY_UID = 4242
READY = "Server listening on {} port 22"

# Runs inside the new namespaces; the folder arrives in the environment, never in the script text.
# USER_SETUP needs a private /run and a mount namespace of its own (the world's droplets run it too).
USER_SETUP = """mkdir -m 0755 /run/sshd
mount -t tmpfs -o mode=0755 webkit-home /home
mkdir -p /home/deploy/.ssh
cp "$SSHD_DIR/authorized_keys" /home/deploy/.ssh/authorized_keys
chown -R "$DEPLOY_UID:$DEPLOY_UID" /home/deploy
chmod 0700 /home/deploy/.ssh
mount --bind "$SSHD_DIR/passwd" /etc/passwd
mount --bind "$SSHD_DIR/shadow" /etc/shadow
"""
SSHD_EXEC = 'exec "$SSHD" -D -e -f "$SSHD_DIR/sshd_config"\n'
_SETUP = ("set -eu\nip link set lo up\nmount -t tmpfs -o mode=0755 webkit-run /run\n" + USER_SETUP
          + 'mount --bind "$SSHD_DIR/sudoers.d" /etc/sudoers.d\nmount -t tmpfs -o mode=0755 webkit-var-lib /var/lib\n'
          + 'if [ -n "$ADDRESS" ]; then ip addr add "$ADDRESS/32" dev lo; fi\n' + SSHD_EXEC)


def _settings(document: dict) -> tuple[str, str, str, str]:
    """(host private key, the deploy user's authorised key line and sudo rule, the sshd drop-in) of user data."""
    [user] = [u for u in document["users"] if u["name"] == DEPLOY_USER]
    [authorized] = user["ssh_authorized_keys"]
    [drop_in] = [f["content"] for f in document["write_files"] if f["path"] == SSHD_DROP_IN]
    return document["ssh_keys"]["ed25519_private"], authorized, user["sudo"], drop_in


def write_settings(folder: Path, document: dict, listen: str = "127.0.0.1", address: str | None = None) -> None:
    """The files USER_SETUP and sshd read, from user data `document`; sshd listens on `listen`:22
    (and on `address`)."""
    host_key, authorized, sudo, drop_in = _settings(document)
    (folder / "ssh_host_ed25519_key").write_text(host_key)
    (folder / "ssh_host_ed25519_key").chmod(0o600)
    (folder / "authorized_keys").write_text(authorized + "\n")
    (folder / "00-webkit.conf").write_text(drop_in)
    passwd = Path("/etc/passwd").read_text()
    (folder / "passwd").write_text(passwd + f"{DEPLOY_USER}:x:{DEPLOY_UID}:{DEPLOY_UID}::/home/{DEPLOY_USER}:/bin/sh\n")
    (folder / "passwd").chmod(0o644)
    shadow = Path("/etc/shadow").read_text() if Path("/etc/shadow").exists() else ""
    (folder / "shadow").write_text(shadow + f"{DEPLOY_USER}:*:19000:0:99999:7:::\n")
    (folder / "shadow").chmod(0o640)
    (folder / "sudoers.d").mkdir(exist_ok=True)
    (folder / "sudoers.d" / "90-cloud-init-users").write_text(f"{DEPLOY_USER} {sudo}\n")  # as cloud-init writes it
    (folder / "sudoers.d" / "90-cloud-init-users").chmod(0o440)
    (folder / "sshd_config").write_text(
        f"Include {folder / '00-webkit.conf'}\n"
        f"ListenAddress {listen}\n" + (f"ListenAddress {address}\n" if address else "") + "Port 22\n"
        f"HostKey {folder / 'ssh_host_ed25519_key'}\nPidFile {folder / 'sshd.pid'}\n"
        "UsePAM no\nStrictModes no\nAuthorizedKeysFile .ssh/authorized_keys\nLogLevel VERBOSE\n"
        # as in Ubuntu's stock sshd_config on a droplet (Ansible copies its modules over SFTP)
        "Subsystem sftp /usr/lib/openssh/sftp-server\n"
    )


def ssh_argv(identity: Path, known_hosts: Path, alias: str, destination: str, command: str, tty: bool = False,
             connect_timeout: int = 10) -> list[str]:
    """OpenSSH as the deploy job runs it (webkit's own command, as `infra status` runs it), with
    `destination` as user@address and its connect timeout."""
    require("ssh", "openssh-client")
    user, _, address = destination.rpartition("@")
    return ssh_command(identity, known_hosts, alias, address, command, user=user or DEPLOY_USER, tty=tty,
                       connect_timeout=connect_timeout)


@dataclass
class Sshd:
    process: subprocess.Popen
    folder: Path
    log: list[str] = field(default_factory=list)

    def ssh(self, identity: Path, known_hosts: str, alias: str, command: str, *, user: str = DEPLOY_USER,
            tty: bool = False, timeout: float = 30) -> subprocess.CompletedProcess:
        """OpenSSH as the deploy job runs it: the host key pinned under `alias` in its own
        known_hosts file (`known_hosts` is that file's text), nothing of the machine's ssh config."""
        hosts = self.folder / f"known_hosts-{time.monotonic_ns()}"
        hosts.write_text(known_hosts)
        require("ssh", "openssh-client")
        argv = ssh_command(identity, hosts, alias, "127.0.0.1", command, user=user, tty=tty)  # webkit's own, as `infra status` runs it
        return self.run(argv, timeout=timeout)

    def run(self, argv: list[str], *, timeout: float = 30, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """A client program in the server's network and mount namespaces (its 127.0.0.1)."""
        return subprocess.run([require("nsenter", "util-linux"), "-t", str(self.process.pid), "-n", "-m", *argv],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def collect(process: subprocess.Popen, log: list[str], ready: threading.Event, listen: str = "127.0.0.1") -> None:
    """sshd's stderr into `log`; `ready` set once it listens."""
    assert process.stderr is not None
    for line in process.stderr:
        log.append(line.rstrip("\n"))
        if READY.format(listen) in line:
            ready.set()


def start(folder: Path, document: dict, address: str | None = None) -> Sshd:
    """sshd configured from first-boot user data `document`, listening in its own namespaces on
    127.0.0.1 (and on `address`)."""
    sshd = require("sshd", "openssh-server")
    require_root("sshd runs in its own network and mount namespaces")
    require("ip", "iproute2")
    unshare = require("unshare", "util-linux")
    folder.mkdir(parents=True, exist_ok=True)
    write_settings(folder, document, address=address)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SSHD_DIR": str(folder), "SSHD": sshd, "DEPLOY_UID": str(DEPLOY_UID),
           "ADDRESS": address or ""}
    process = subprocess.Popen([unshare, "-n", "-m", "--propagation", "private", "sh", "-c", _SETUP], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    server = Sshd(process, folder)
    ready = threading.Event()
    threading.Thread(target=collect, args=(process, server.log, ready), daemon=True).start()
    if not ready.wait(timeout=30):
        server.stop()
        raise RuntimeError("sshd did not start:\n" + "\n".join(server.log))
    return server


@contextmanager
def running_sshd(folder: Path, document: dict, address: str | None = None) -> Iterator[Sshd]:
    server = start(folder, document, address)
    try:
        yield server
    finally:
        server.stop()


def private_key_file(folder: Path, private_key: str, name: str = "deploy_key") -> Path:
    """A private key as OpenSSH wants it on disk (mode 0600)."""
    path = folder / name
    path.write_text(private_key)
    os.chmod(path, 0o600)
    return path
