"""The deploy world: what a release workflow's build and deploy jobs reach, offline and for real.

    with DeployWorld.started(tmp_path, manifest, secrets, environment_secrets=…) as world:
        run = world.project.runner.run(RELEASE, push(world.project.repo, "main"))
        assert world.droplet.serving("/") == (200, b"version v1\\n")

One network namespace is the test's internet. In it run every job step (`Runner.netns_pid`), the
harness's services (FakeGitHub, SlackSink, moto's S3), `FakeDigitalOcean` (curl's
`https://api.digitalocean.com/` goes there), GHCR (Debian's docker-registry as `ghcr.io`, TLS from a
test CA) and the droplet. `https://api.ipify.org` answers `RUNNER_ADDRESS`, the address every
connection from a step to a droplet comes from (a route's `src` hint), so a firewall rule for that
address is the runner's window.

The droplet is one machine with a mount namespace of its own (tests/deploy_agent/droplet.py: a
private /run, overlays on /etc, /var and /usr/local/sbin) in that network: its dockerd (also on
/run/docker.sock, for `sudo docker` on it) runs from the start, with a Caddy image preloaded as
`CADDY_IMAGE` (the repository variable WEBKIT_CADDY_IMAGE). Docker's emulated actions (emulated.py)
build and push with that dockerd too, which reaches `ghcr.io` through the droplet's /etc/hosts;
the build removes its local image, so a deploy pulls by digest from the registry.

When a job starts (`Runner.before_job`), a droplet of the simulated cloud (WEBKIT_SANDBOX_CLOUD)
not booted yet boots: its IPv4 (and reserved IPs) become addresses in the namespace; its user data
sets up the `deploy` user (authorised key line, sudoers line), write_files (not daemon.json: this
dockerd is configured by its flags) and a real sshd on port 22 with the host key and drop-in of that
user data; firewalls are loaded into the fake API. Port 22 of the droplet is gated by iptables from
the rules of every firewall attached to it (Terraform's `ssh_sources` and the API's windows):
without a matching rule a connection is dropped (times out), as DigitalOcean's firewall does.

API (attributes of `DeployWorld`):
- `project`: the harness Project (its runner runs in the namespace); `net`: the Netns.
- `droplet` (`WorldDroplet`), before and after boot; `droplets`: app name → droplet, booted only.
  Options, set before the job that boots it: `boot_delay` (s until sshd answers: "created minutes
  earlier"; `math.inf`: never, unreachable), `other_host_key` (the machine shows another host key
  than its user data's: a mismatch), `cloud_init = CloudInit(delay=…, failing_module=None or
  "scripts_user")` (a stub first on root's PATH, and /run/cloud-init). After boot: `id`, `name`,
  `address`, `sshd_log`, `serving(path="/", host=None, https=False)` → (status, body) through
  Caddy, `containers()` → {name: running}, `agent_state(app)` → the agent's state.json or None,
  `ssh(identity, known_hosts_text, alias, command, stdin=None, connect_timeout=10)` from the
  runner's side, `exec(*cmd)` as root on the droplet, `docker(*args)`, `stop_sshd()` /
  `start_sshd()` (unreachable for a while; a restart applies a changed `other_host_key`).
- `do_api` (`FakeDigitalOcean`): `calls`, `timeline`, `rules(id)`, `fail(status, from_call=n)`.
- `registry` (`Registry`): `refuse_pushes()` / `accept_pushes()` (a read-only registry).
- `runner_address`, `caddy_image`, `do_token`.

Only one droplet at a time: apps on two droplets would share this namespace's ports 80/443/22 and
Docker's bridge. GHCR auth is not testable offline (the registry accepts any login).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import secrets as secrets_module
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from constructs_lib.cloud_config import DEPLOY_USER
from tests import netns, sshd
from tests.deploy_agent import droplet as d

from .emulated import NotEmulated
from .harness import Project
from .services import FakeDigitalOcean

RUNNER_ADDRESS = "198.51.100.7"  # TEST-NET-2: what api.ipify.org answers, and the source of a step's connections
GHCR_ADDRESS = "127.0.0.5"  # ghcr.io inside the world
# The registry listens here; a DNAT rule sends GHCR_ADDRESS:443 to it, because the droplet's Caddy
# (host network, that is the world's) binds :443 on every address.
REGISTRY_PORT = 5443
CADDY_IMAGE = "webkit-test/caddy:world"
NOT_WRITTEN = ("/etc/docker/daemon.json",)  # the world's dockerd has these settings as flags (a restart would refuse both)

# Inside the droplet's mount namespace at start (after droplet.py's own /run, /etc, /var).
_MACHINE_SETUP = """mount -t overlay overlay -o lowerdir=/usr/local/sbin,upperdir={d}/sbin-up,workdir={d}/sbin-work /usr/local/sbin
printf '127.0.0.1 localhost\\n::1 localhost ip6-localhost\\n127.0.1.1 %s\\n{ghcr} ghcr.io\\n' "$(hostname)" > /etc/hosts
mkdir -p /etc/docker/certs.d/ghcr.io
cp {d}/ghcr-ca.crt /etc/docker/certs.d/ghcr.io/ca.crt
"""

# Boots the droplet inside its namespaces: the deploy user (tests/sshd.py) and its sudoers line, once;
# then (and on each restart) its sshd.
_BOOT = """set -eu
install -m 0440 -o root -g root "$SSHD_DIR/sudoers" /etc/sudoers.d/90-cloud-init-users
""" + sshd.USER_SETUP

_CLOUD_INIT = """#!/bin/sh
# cloud-init stand-in of the deploy world (tests/ghactions/world.py)
. /usr/local/sbin/cloud-init.conf
wait=false; long=false
for arg in "$@"; do case "$arg" in --wait) wait=true ;; --long) long=true ;; esac; done
[ "$1" = status ] || { echo "cloud-init stand-in: only 'status' is emulated" >&2; exit 2; }
if $wait; then
  while [ "$(date +%s)" -lt "$DONE_AT" ]; do printf .; sleep 0.2; done
  echo
fi
if [ "$(date +%s)" -lt "$DONE_AT" ]; then echo "status: running"; exit 0; fi
if [ -z "$FAILING" ]; then
  echo "status: done"
  if $long; then
    printf 'extended_status: done\\nboot_status_code: enabled-by-generator\\ndetail: DataSourceDigitalOcean\\n'
    printf 'errors: []\\nrecoverable_errors: {}\\n'
  fi
  exit 0
fi
echo "status: error"
if $long; then
  printf 'extended_status: error - done\\nboot_status_code: enabled-by-generator\\ndetail: DataSourceDigitalOcean\\n'
  printf "errors:\\n\\t- ('%s', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))\\n" "$FAILING"
  printf 'recoverable_errors: {}\\n'
fi
exit 1
"""


@dataclass
class CloudInit:
    """The droplet's cloud-init: `status --wait` returns `delay` s after boot; `failing_module`
    makes it end in error (exit 1) with `status --long` naming that module."""

    delay: float = 0
    failing_module: str | None = None


class Registry:
    """Debian's docker-registry as ghcr.io: GHCR_ADDRESS:443 in the world (DNAT to REGISTRY_PORT),
    TLS from a test CA (`ca`).
    No auth: GHCR's is not testable offline."""

    def __init__(self, base: Path, net: netns.Netns):
        import trustme

        self.base, self.net = base, net
        base.mkdir(parents=True, exist_ok=True)
        authority = trustme.CA()
        cert = authority.issue_cert("ghcr.io")
        self.ca = base / "ca.crt"
        authority.cert_pem.write_to_path(str(self.ca))
        cert.cert_chain_pems[0].write_to_path(str(base / "server.crt"))
        cert.private_key_pem.write_to_path(str(base / "server.key"))
        self.process: subprocess.Popen | None = None
        self.readonly = False
        net.run("iptables", "-w", "-t", "nat", "-A", "OUTPUT", "-d", GHCR_ADDRESS, "-p", "tcp", "--dport", "443",
                "-j", "DNAT", "--to-destination", f"{GHCR_ADDRESS}:{REGISTRY_PORT}")

    def start(self, readonly: bool = False) -> None:
        self.stop()
        self.readonly = readonly
        config = self.base / "registry.yml"
        config.write_text(json.dumps({
            "version": 0.1, "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(self.base / "data")}, "delete": {"enabled": True},
                        "maintenance": {"readonly": {"enabled": readonly}}},
            "http": {"addr": f"{GHCR_ADDRESS}:{REGISTRY_PORT}",
                     "tls": {"certificate": str(self.base / "server.crt"), "key": str(self.base / "server.key")}},
        }))  # fmt: skip
        log = (self.base / "registry.log").open("a")
        self.process = subprocess.Popen([*netns.prefix(self.net.pid), "docker-registry", "serve", str(config)], stdout=log, stderr=log)
        self.net.call(self._wait)

    def _wait(self) -> None:
        import ssl

        context = ssl.create_default_context(cafile=str(self.ca))
        context.check_hostname = False  # asked by address; the certificate names ghcr.io
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"https://{GHCR_ADDRESS}/v2/", timeout=2, context=context):
                    return
            except (OSError, urllib.error.URLError):
                if self.process is None or self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the registry did not start: " + (self.base / "registry.log").read_text()[-2000:]) from None
                time.sleep(0.1)

    def refuse_pushes(self) -> None:
        """Restart read-only: pulls work, every push is refused (the "registry refusing the push" case)."""
        self.start(readonly=True)

    def accept_pushes(self) -> None:
        self.start(readonly=False)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class WorldDroplet:
    """The machine a cloud droplet boots on (see the module doc)."""

    def __init__(self, base: Path, net: netns.Netns, registry_ca: Path):
        self.base, self.net = base, net
        for sub in ("sbin-up", "sbin-work", "sshd"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(registry_ca, base / "ghcr-ca.crt")
        self.machine = d.Droplet(base, net_pid=net.pid, setup=_MACHINE_SETUP.format(d=base, ghcr=GHCR_ADDRESS), system_socket=True)
        self.docker_host = f"unix://{self.machine.sock}"
        self.boot_delay: float = 0  # math.inf: sshd never starts (unreachable)
        self.other_host_key = False  # the machine shows a host key other than its user data's (a mismatch)
        self.document: dict = {}  # the user data it booted from
        self._users_set_up = False
        self.cloud_init: CloudInit | None = None
        self.id: str | None = None
        self.name: str | None = None
        self.address: str | None = None
        self.addresses: list[str] = []
        self.sshd: subprocess.Popen | None = None
        self.sshd_log: list[str] = []
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        self.machine.start_dockerd()
        d.import_caddy(self.machine, CADDY_IMAGE)

    # ------------------------------------------------------------------ booting

    def boot(self, droplet: dict, addresses: list[str]) -> None:
        """Boot `droplet` (a cloud record): addresses now, sshd after `boot_delay` seconds."""
        self.document = document = yaml.safe_load(droplet["user_data"])
        self.id, self.name, self.address, self.addresses = str(droplet["id"]), droplet["name"], addresses[0], addresses
        for address in addresses:
            self.net.run("ip", "addr", "add", f"{address}/32", "dev", "lo")
            # a step's connection to the droplet comes from the runner's address, as from outside
            self.net.run("ip", "route", "replace", "table", "local", "local", address, "dev", "lo", "proto", "kernel",
                         "scope", "host", "src", RUNNER_ADDRESS)
        folder = self.base / "sshd"
        [user] = [u for u in document["users"] if u["name"] == DEPLOY_USER]
        sudo = user.get("sudo") or []
        (folder / "sudoers").write_text("".join(f"{DEPLOY_USER} {rule}\n" for rule in ([sudo] if isinstance(sudo, str) else sudo)))
        for file in document.get("write_files") or []:
            if file["path"] not in NOT_WRITTEN:
                self._write(file["path"], file.get("content", ""), file.get("permissions", "0644"))
        if self.cloud_init:
            conf = f"DONE_AT={int(time.time() + self.cloud_init.delay + 0.999)}\nFAILING='{self.cloud_init.failing_module or ''}'\n"
            self._write("/usr/local/sbin/cloud-init.conf", conf, "0644")
            self._write("/usr/local/sbin/cloud-init", _CLOUD_INIT, "0755")
            self.exec("mkdir", "-p", "/run/cloud-init")
        if self.boot_delay == math.inf:
            return
        if self.boot_delay:
            self._timer = threading.Timer(self.boot_delay, self._start_sshd)
            self._timer.daemon = True
            self._timer.start()
        else:
            self._start_sshd()

    def _start_sshd(self) -> None:
        document = copy.deepcopy(self.document)
        if self.other_host_key:
            from webkit.sandbox.keys import ed25519_attributes

            document["ssh_keys"]["ed25519_private"] = ed25519_attributes()["private_key_openssh"]
        sshd.write_settings(self.base / "sshd", document, listen="0.0.0.0")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SSHD_DIR": str(self.base / "sshd"),
               "SSHD": shutil.which("sshd", path="/usr/sbin:/usr/bin") or "sshd", "DEPLOY_UID": str(sshd.DEPLOY_UID)}
        script = ("" if self._users_set_up else _BOOT) + sshd.SSHD_EXEC
        self._users_set_up = True
        self.sshd = subprocess.Popen(self.machine.ns("sh", "-c", script), env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = threading.Event()
        threading.Thread(target=sshd.collect, args=(self.sshd, self.sshd_log, ready, "0.0.0.0"), daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("the droplet's sshd did not start:\n" + "\n".join(self.sshd_log))

    def stop_sshd(self) -> None:
        """The droplet stops answering SSH (connections refused); `start_sshd()` brings it back."""
        if self.sshd and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()

    def start_sshd(self) -> None:
        """(Re)start sshd now, with the current `other_host_key`."""
        self.stop_sshd()
        self._start_sshd()

    def _write(self, path: str, content: str, mode: str) -> None:
        script = 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"'
        subprocess.run(self.machine.ns("sh", "-c", script, "sh", path, mode), input=content, text=True, check=True)

    # ------------------------------------------------------------------ looking at it

    def exec(self, *cmd: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        """A command on the droplet, as root (its mounts and network)."""
        return subprocess.run(self.machine.ns(*cmd), capture_output=True, text=True, check=check, input=stdin, timeout=120)

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.machine.docker(*args, check=check)

    def serving(self, path: str = "/", host: str | None = None, https: bool = False, timeout: float = 10) -> tuple[int, bytes]:
        """GET `path` through the droplet's Caddy, from the runner's side: port 80, or 443 with
        `https` (SNI `host`, certificate not checked); `host` is the Host header (default: the address)."""
        if self.address is None:
            raise AssertionError("the droplet has not booted")
        return self.net.call(_get, self.address, path, host or self.address, https, timeout)

    def containers(self) -> dict[str, bool]:
        """name → running, for every container on the droplet."""
        out = self.docker("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout
        return {name: state == "running" for name, state in (line.split() for line in out.splitlines())}

    def agent_state(self, app: str) -> dict | None:
        """The deploy agent's record of `app` on the droplet (/var/lib/webkit), or None."""
        done = self.exec("cat", f"/var/lib/webkit/apps/{app}/state.json", check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def ssh(self, identity: Path, known_hosts: str, alias: str, command: str, stdin: str | None = None,
            connect_timeout: int = 10, timeout: float = 120) -> subprocess.CompletedProcess:
        """OpenSSH as the deploy job runs it (tests/sshd.py), from the runner's side of the world."""
        hosts = self.base / f"known_hosts-{time.monotonic_ns()}"
        hosts.write_text(known_hosts)
        argv = sshd.ssh_argv(identity, hosts, alias, f"{DEPLOY_USER}@{self.address}", command, connect_timeout=connect_timeout)
        return subprocess.run([*netns.prefix(self.net.pid), *argv], capture_output=True, text=True, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL, timeout=timeout)

    def close(self) -> None:
        if self._timer:
            self._timer.cancel()
        try:
            self.stop_sshd()
        finally:
            self.machine.close()


def _get(address: str, path: str, host: str, https: bool, timeout: float) -> tuple[int, bytes]:
    import http.client
    import socket
    import ssl

    if https:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(host, 443, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, 80, timeout=timeout)
    port = connection.port
    connection._create_connection = lambda _, *args: socket.create_connection((address, port), *args)  # type: ignore[attr-defined]
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class DeployWorld:
    def __init__(self, net: netns.Netns, droplet: WorldDroplet, registry: Registry, do_api: FakeDigitalOcean, do_token: str):
        self.net, self.droplet, self.registry, self.do_api, self.do_token = net, droplet, registry, do_api, do_token
        self.runner_address, self.caddy_image = RUNNER_ADDRESS, CADDY_IMAGE
        self.project: Project
        self._gated: set[str] = set()
        self.do_api.on_change = lambda firewall_id: self.apply_firewalls()
        net.run("ip", "addr", "add", f"{RUNNER_ADDRESS}/32", "dev", "lo")
        net.run("iptables", "-w", "-N", "WEBKIT-SSH")
        net.run("iptables", "-w", "-A", "WEBKIT-SSH", "-j", "DROP")

    @property
    def droplets(self) -> dict[str, WorldDroplet]:
        """App name → its droplet, once booted (a droplet named `<project>-<app>`)."""
        if self.droplet.name is None:
            return {}
        prefix = self.project.manifest["project"]["name"] + "-"
        return {self.droplet.name.removeprefix(prefix): self.droplet}

    def before_job(self, run, job_id: str) -> None:
        """Boot what the cloud has that is not booted yet; load its firewalls into the API."""
        resources = self.project.cloud_resources()
        for firewall_id, firewall in (resources.get("digitalocean_firewall") or {}).items():
            self.do_api.add_firewall(firewall_id, firewall["name"], firewall.get("droplet_ids") or [], firewall.get("inbound_rule") or [])
        droplets = resources.get("digitalocean_droplet") or {}
        if len(droplets) > 1:
            raise NotEmulated(f"the deploy world boots one droplet; the cloud has {len(droplets)}")
        for droplet_id, droplet in droplets.items():
            if self.droplet.id is None:
                reserved = [ip["ip_address"] for ip in (resources.get("digitalocean_reserved_ip") or {}).values()
                            if str(ip.get("droplet_id")) == str(droplet_id)]
                self.droplet.boot(droplet, [droplet["ipv4_address"], *reserved])
            elif self.droplet.id != str(droplet_id):
                raise NotEmulated("the droplet was replaced: the deploy world boots one droplet per test")
        self.apply_firewalls()

    def allowed_sources(self) -> list[str]:
        """IPv4 sources of every inbound tcp/22 rule of the firewalls attached to the droplet."""
        if self.droplet.id is None:
            return []
        sources: list[str] = []
        for firewall_id, firewall in list(self.do_api.firewalls.items()):
            if int(self.droplet.id) not in firewall["droplet_ids"]:
                continue
            for rule in self.do_api.rules(firewall_id):
                if rule["protocol"] == "tcp" and _covers_22(str(rule["ports"])):
                    sources += [a for a in rule["sources"].get("addresses", []) if ":" not in a and a not in sources]
        return sources

    def apply_firewalls(self) -> None:
        """iptables in the namespace: port 22 of the droplet's addresses open to the allowed sources only."""
        for address in self.droplet.addresses:
            if address not in self._gated:
                self.net.run("iptables", "-w", "-I", "INPUT", "-p", "tcp", "-d", address, "--dport", "22", "-j", "WEBKIT-SSH")
                self._gated.add(address)
        self.net.run("iptables", "-w", "-F", "WEBKIT-SSH")
        for source in self.allowed_sources():
            self.net.run("iptables", "-w", "-A", "WEBKIT-SSH", "-s", source, "-j", "ACCEPT")
        self.net.run("iptables", "-w", "-A", "WEBKIT-SSH", "-j", "DROP")

    @classmethod
    @contextmanager
    def started(cls, root: Path, manifest: dict, secrets: dict, do_token: str | None = None, **project_kwargs):
        """The world and its project; everything stops with the block, failed or not.

        `do_token`: the DigitalOcean token the fake API accepts; by default the DIGITALOCEAN_TOKEN
        of `environment_secrets["production"]` or of `secrets`, else a new one added to `secrets`.
        `project_kwargs` go to Project (the repository variable WEBKIT_CADDY_IMAGE is added)."""
        environment = (project_kwargs.get("environment_secrets") or {}).get("production") or {}
        token = do_token or environment.get("DIGITALOCEAN_TOKEN") or secrets.get("DIGITALOCEAN_TOKEN")
        if token is None:
            token = "dop_v1_" + secrets_module.token_hex(32)
            secrets = secrets | {"DIGITALOCEAN_TOKEN": token}
        with ExitStack() as stack:
            net = stack.enter_context(netns.Netns())
            registry = Registry(root / "ghcr", net)
            stack.callback(registry.stop)
            registry.start()
            # a short folder: containerd's socket path under it must fit a unix socket's 108 bytes
            base = Path(tempfile.mkdtemp(prefix="webkit-world-"))
            stack.callback(shutil.rmtree, base, True)
            droplet = WorldDroplet(base, net, registry.ca)
            stack.callback(droplet.close)
            droplet.start()
            do_api = stack.enter_context(FakeDigitalOcean(token, netns_pid=net.pid))
            world = cls(net, droplet, registry, do_api, token)
            machine = {"WEBKIT_HARNESS_HOSTS": json.dumps({"https://api.digitalocean.com/": do_api.url + "/"}),
                       "WEBKIT_HARNESS_ANSWERS": json.dumps({"https://api.ipify.org": RUNNER_ADDRESS})}
            variables = {"WEBKIT_CADDY_IMAGE": CADDY_IMAGE} | (project_kwargs.pop("variables", None) or {})
            world.project = stack.enter_context(Project.started(root, manifest, secrets, netns_pid=net.pid, machine=machine,
                                                                variables=variables, **project_kwargs))
            world.project.runner.docker_host = droplet.docker_host
            world.project.runner.before_job = world.before_job
            yield world
        if droplet.machine.cgroups():
            raise AssertionError(f"cgroups left behind: {droplet.machine.cgroups()}")


def _covers_22(ports: str) -> bool:
    if ports in ("0", "all", ""):
        return True
    low, _, high = ports.partition("-")
    with contextlib.suppress(ValueError):
        return int(low) <= 22 <= int(high or low)
    return False
