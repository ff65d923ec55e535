#!/usr/bin/env python3
"""webkit's deploy agent: runs on a VM app's droplet and moves it to a new version without downtime.

Contract (README, "The deploy agent"): `deploy_agent.py VERB` with VERB one of deploy, status,
rollback, logs; one JSON request on stdin, one JSON result on stdout ({ok, verb, app, phase, reason,
current, previous, ...}); exit 0 when ok, 1 when not, 2 for a wrong command line; progress on stderr.

Standard library only: it runs on the droplet's python3 (Ubuntu 24.04: 3.12) and in the tests (3.11).
It drives the `docker` CLI (honouring DOCKER_HOST) and keeps its state under one root directory
(default /var/lib/webkit, or $WEBKIT_ROOT). Env values travel only through the environment of the
`docker run` process (`--env KEY`, names only): never in argv, never in a file of ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

VERBS = ("deploy", "status", "rollback", "logs")
MAX_REQUEST = 1024 * 1024  # bytes; a request is a few KB, anything near this is a mistake
SLOTS = {1: 3001, 2: 3002}  # Caddy's two static upstreams, loopback only
KEEP_IMAGES = 3
CADDY = "webkit-caddy"
CADDY_DATA = "webkit-caddy-data"  # certificates survive a Caddy container's replacement
CADDY_HEALTH_INTERVAL = 2.0  # seconds, as written in the site block
LOG_LINES = 100
DOCKER_TIMEOUT = 600
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*$")
DOMAIN = re.compile(r"^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/?=&%-]*$")


class Failed(Exception):
    """A deploy stops: `phase` is where, the message is the reason (never a secret value)."""

    def __init__(self, phase: str, reason: str, **extra):
        super().__init__(reason)
        self.phase = phase
        self.extra = extra


STARTED = time.monotonic()


def say(message: str) -> None:
    """Human progress on stderr (the caller's log), seconds since the start first; never an env value (see Masker)."""
    print(f"webkit-deploy [{time.monotonic() - STARTED:5.1f}s] {MASK.apply(message)}", file=sys.stderr, flush=True)


class Masker:
    """Replaces every env value of the request (4 characters or more) in text leaving the agent."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def set(self, env: dict) -> None:
        self.values = sorted({v for v in env.values() if len(v) >= 4}, key=len, reverse=True)

    def apply(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "***")
        return text

    def deep(self, data):
        """The result with every string masked (before JSON escaping, which would hide a value from `apply`)."""
        if isinstance(data, str):
            return self.apply(data)
        if isinstance(data, dict):
            return {key: self.deep(value) for key, value in data.items()}
        if isinstance(data, list):
            return [self.deep(value) for value in data]
        return data


MASK = Masker()


# --------------------------------------------------------------------------- the request


def read_request(stream) -> dict:
    raw = stream.buffer.read(MAX_REQUEST + 1)
    if len(raw) > MAX_REQUEST:
        raise Failed("request", f"the request is larger than {MAX_REQUEST} bytes")
    try:
        request = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Failed("request", f"the request is not JSON: {error}") from None
    if not isinstance(request, dict):
        raise Failed("request", "the request must be a JSON object")
    if not isinstance(request.get("app"), str) or not NAME.fullmatch(request["app"]):
        raise Failed("request", "app: a name of lower-case letters, digits and '-' (at most 40) is required")
    return request


def _field(request: dict, key: str, kind, pattern=None, default=None, required=True, what="a valid value"):
    value = request.get(key, default)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise Failed("request", f"{key}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    if pattern is not None and not pattern.fullmatch(value):
        raise Failed("request", f"{key}: {value!r:.80} is not {what}")
    return value


def check_env(env) -> dict:
    if not isinstance(env, dict):
        raise Failed("request", "env: expected an object of names to string values")
    for key, value in env.items():
        if not ENV_KEY.fullmatch(key) or key.startswith("DOCKER_"):
            raise Failed("request", f"env: {key!r} is not a usable variable name (letters, digits, '_'; not DOCKER_*)")
        if not isinstance(value, str) or "\0" in value:
            raise Failed("request", f"env.{key}: the value must be a string without NUL")
    return env


def check_deploy(request: dict) -> dict:
    """The deploy request, checked: every field the deploy reads, with its default."""
    r = {"app": request["app"]}
    r["image"] = _field(request, "image", str, IMAGE, what="an image repository (lower case, such as ghcr.io/owner/repo-app)")
    if "@" in r["image"]:
        raise Failed("request", "image: give the repository without a tag or digest (the digest goes in `digest`)")
    # A rollback to an older commit names its image by tag (`sha-<commit>`); the agent pulls it and reads its digest.
    r["tag"] = _field(request, "tag", str, TAG, what="an image tag (sha-<commit>)", default=None, required=False)
    r["digest"] = _field(request, "digest", str, DIGEST, what="sha256: followed by 64 hex digits", default=None, required=r["tag"] is None)
    r["sha"] = _field(request, "sha", str, re.compile(r"^[0-9A-Za-z._-]{1,64}$"), what="a commit (letters, digits, '.', '_', '-')")
    r["run_url"] = _field(request, "run_url", str, default="")
    r["env"] = check_env(request.get("env", {}))
    r["port"] = _field(request, "port", int)
    if not 1 <= r["port"] <= 65535:
        raise Failed("request", f"port: {r['port']} is not a TCP port")
    r["health_path"] = _field(request, "health_path", str, HEALTH_PATH, default="/", what="a path starting with /")
    r["health_timeout"] = _field(request, "health_timeout", (int, float), default=60)
    r["soak_seconds"] = _field(request, "soak_seconds", (int, float), default=15)
    for key in ("health_timeout", "soak_seconds"):
        if not 0 <= r[key] <= 3600:
            raise Failed("request", f"{key}: {r[key]} is not between 0 and 3600 seconds")
    r["release_command"] = _field(request, "release_command", str, default=None, required=False)
    try:
        shlex.split(r["release_command"] or "")
    except ValueError as error:
        raise Failed("request", f"release_command: {error} (it is split as a shell would)") from None
    r["domains"] = _field(request, "domains", list)
    if not r["domains"] or not all(isinstance(d, str) and DOMAIN.fullmatch(d) for d in r["domains"]):
        raise Failed("request", "domains: a non-empty list of host names is required")
    r["caddy_image"] = _field(request, "caddy_image", str, re.compile(r"^[a-z0-9][a-z0-9._/:@-]*$"))
    r["tls"] = _field(request, "tls", str, re.compile(r"^(auto|internal|off)$"), default="auto", what="auto, internal or off")
    r["registry"] = _check_registry(request.get("registry"))
    return r


def _check_registry(registry) -> dict | None:
    if registry is None:
        return None
    if not isinstance(registry, dict) or not all(isinstance(registry.get(k), str) and registry.get(k) for k in ("server", "username", "password")):
        raise Failed("request", "registry: expected {server, username, password}, all non-empty strings")
    if not IMAGE.fullmatch(registry["server"]):
        raise Failed("request", "registry.server: a host name, such as ghcr.io")
    return registry


# --------------------------------------------------------------------------- docker


class Docker:
    """The docker CLI with a config directory of our own: no credentials but the lent one, ever."""

    def __init__(self, root: Path):
        self.exe = shutil.which("docker") or "docker"
        self.config = root / "docker-config"
        self.config.mkdir(mode=0o700, exist_ok=True)

    def env(self, extra: dict | None = None, config: Path | None = None) -> dict:
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")}
        return {**base, **(extra or {}), "DOCKER_CONFIG": str(config or self.config)}

    def run(self, *args: str, extra_env: dict | None = None, config: Path | None = None, stdin: str | None = None, check=True, timeout=None):
        try:
            done = subprocess.run(
                [self.exe, *args], input=stdin, capture_output=True, text=True, env=self.env(extra_env, config), timeout=timeout or DOCKER_TIMEOUT
            )
        except FileNotFoundError:
            raise Failed("docker", "the docker CLI is not installed on this machine") from None
        except subprocess.TimeoutExpired:
            raise Failed("docker", f"docker {args[0]} did not finish within {timeout or DOCKER_TIMEOUT} s") from None
        if check and done.returncode != 0:
            raise DockerError(args[0], done.stderr)
        return done

    def inspect(self, name: str) -> dict | None:
        done = self.run("container", "inspect", name, check=False)
        return json.loads(done.stdout)[0] if done.returncode == 0 else None

    def running(self, name: str) -> bool:
        info = self.inspect(name)
        return bool(info and info["State"]["Running"])

    def logs(self, name: str, lines: int = LOG_LINES) -> str:
        done = self.run("logs", "--tail", str(lines), name, check=False)
        return done.stdout + done.stderr


class DockerError(Exception):
    def __init__(self, command: str, stderr: str):
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        super().__init__(f"docker {command}: {lines[-1] if lines else 'failed'}")


# --------------------------------------------------------------------------- state


class State:
    """<root>/apps/<app>/state.json (current, previous, images, seq) and audit.log (one JSON line a verb)."""

    def __init__(self, root: Path, app: str):
        self.dir = root / "apps" / app
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.file = self.dir / "state.json"
        self.data = json.loads(self.file.read_text()) if self.file.exists() else {"current": None, "previous": None, "images": [], "seq": 0}

    def save(self) -> None:
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True))
        os.replace(tmp, self.file)

    def audit(self, result: dict) -> None:
        entry = {k: result.get(k) for k in ("verb", "ok", "phase", "reason", "rolled_back")}
        entry["time"] = now()
        entry["current"] = (result.get("current") or {}).get("sha")
        with (self.dir / "audit.log").open("a") as log:
            log.write(json.dumps(entry) + "\n")


@contextlib.contextmanager
def app_lock(root: Path, app: str, wait: float = 1800):
    """One deploy, rollback or status of an app at a time: a second caller waits (and says so)."""
    path = root / "apps" / app
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (path / "lock").open("w") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    say(f"another deploy of {app} is running; waiting for it")
                    told = True
                if time.monotonic() > deadline:
                    raise Failed("lock", f"another deploy of {app} held the lock for {wait:.0f} s") from None
                time.sleep(0.2)
        yield


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def fingerprint(root: Path, env: dict) -> str:
    """HMAC of the canonical env, keyed per host: equal envs compare equal, values cannot be guessed from it."""
    key_file = root / "host.key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
    canonical = json.dumps(env, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return "hmac-sha256:" + hmac.new(key_file.read_bytes(), canonical, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- host setup


def metadata_block_step(docker: Docker) -> None:
    """Containers must not reach the metadata service (it serves user data, so the host key)."""
    rule = ["DOCKER-USER", "-d", "169.254.169.254/32", "-j", "DROP"]
    if subprocess.run(["iptables", "-C", *rule], capture_output=True).returncode != 0:
        subprocess.run(["iptables", "-N", "DOCKER-USER"], capture_output=True)
        subprocess.run(["iptables", "-I", *rule], check=True, capture_output=True)
    unit = Path(os.environ.get("WEBKIT_SYSTEMD_DIR", "/etc/systemd/system"))
    if unit.parent.exists():  # persistent across reboots: dockerd recreates DOCKER-USER, this re-adds the rule after it
        unit.mkdir(parents=True, exist_ok=True)
        (unit / "webkit-metadata-block.service").write_text(METADATA_UNIT)
        wants = unit / "multi-user.target.wants"
        wants.mkdir(exist_ok=True)
        link = wants / "webkit-metadata-block.service"
        if not link.is_symlink():
            link.symlink_to(unit / "webkit-metadata-block.service")


METADATA_UNIT = """[Unit]
Description=webkit: containers may not reach the metadata service
After=docker.service
Requires=docker.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'iptables -C DOCKER-USER -d 169.254.169.254/32 -j DROP 2>/dev/null || iptables -I DOCKER-USER -d 169.254.169.254/32 -j DROP'

[Install]
WantedBy=multi-user.target
"""


def caddy_volume_step(docker: Docker) -> None:
    docker.run("volume", "create", CADDY_DATA)


# Numbered, idempotent, applied once each and recorded in <root>/host.json. Append; never renumber.
HOST_STEPS = [(1, "metadata-block", metadata_block_step), (2, "caddy-data-volume", caddy_volume_step)]


def host_setup(root: Path, docker: Docker) -> None:
    wait_for_cloud_init()
    record = root / "host.json"
    done = json.loads(record.read_text()) if record.exists() else {"steps": []}
    for number, name, step in HOST_STEPS:
        if number in done["steps"]:
            continue
        say(f"host setup step {number}: {name}")
        try:
            step(docker)
        except (subprocess.CalledProcessError, DockerError, OSError) as error:
            raise Failed("host-setup", f"host setup step {number} ({name}) failed: {error}") from None
        done["steps"].append(number)
        record.write_text(json.dumps(done))


def wait_for_cloud_init(timeout: float = 600) -> None:
    """First deploy right after creation: cloud-init may still install Docker. Only where it runs on this boot."""
    if not Path("/run/cloud-init").exists() or shutil.which("cloud-init") is None:
        return
    say("waiting for cloud-init to finish")
    try:
        done = subprocess.run(["cloud-init", "status", "--wait"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("host-setup", f"cloud-init had not finished after {timeout:.0f} s (see `cloud-init status --long`)") from None
    if done.returncode not in (0, 2):  # 2: finished with recoverable errors
        long = subprocess.run(["cloud-init", "status", "--long"], capture_output=True, text=True).stdout
        raise Failed("host-setup", f"cloud-init failed: {cloud_init_errors(long) or f'exit {done.returncode}'}")


def cloud_init_errors(long: str) -> str:
    """The failing modules from `cloud-init status --long`: the lines under `errors:` (each names
    its module), else its `detail:`."""
    errors, inside, detail = [], False, ""
    for line in long.splitlines():
        if line.startswith("errors:"):
            inside = True
        elif inside and line[:1] in (" ", "\t", "-"):
            errors.append(line.strip().lstrip("- ").strip())
        else:
            inside = False
            if line.startswith("detail:"):
                detail = line.removeprefix("detail:").strip()
    return "; ".join(e for e in errors if e) or detail


# --------------------------------------------------------------------------- Caddy


def site_block(app: str, domains: list[str], health_path: str, tls: str) -> str:
    """One site per app: two static upstreams, the first healthy one gets the traffic (no reload to switch)."""
    addresses = ", ".join(f"http://{d}" if tls == "off" else d for d in domains)
    upstreams = " ".join(f"127.0.0.1:{port}" for port in SLOTS.values())
    tls_line = "\ttls internal\n" if tls == "internal" else ""
    return (
        f"# webkit app {app}\n{addresses} {{\n{tls_line}\treverse_proxy {upstreams} {{\n\t\tlb_policy first\n"
        f"\t\thealth_uri {health_path}\n\t\thealth_interval {CADDY_HEALTH_INTERVAL:.0f}s\n"
        "\t\tlb_try_duration 30s\n\t\tlb_try_interval 250ms\n\t}\n}\n"
    )


CADDYFILE = "{\n\tadmin localhost:2019\n\tgrace_period 3s\n}\n\nimport /etc/caddy/sites/*.caddy\n"


def ensure_caddy(root: Path, docker: Docker, r: dict) -> None:
    """Caddy runs (host network, data volume, pinned image) with this app's site; reloads only when a site changed."""
    conf = root / "caddy"
    (conf / "sites").mkdir(parents=True, exist_ok=True)
    (conf / "Caddyfile").write_text(CADDYFILE)
    site = conf / "sites" / f"{r['app']}.caddy"
    text = site_block(r["app"], r["domains"], r["health_path"], r["tls"])
    changed = not site.exists() or site.read_text() != text
    site.write_text(text)
    info = docker.inspect(CADDY)
    if info and info["Config"]["Image"] != r["caddy_image"]:
        say("Caddy's image changed: replacing its container (certificates stay in its volume)")
        docker.run("rm", "-f", CADDY)
        info = None
    if info is None:
        if docker.run("image", "inspect", r["caddy_image"], check=False).returncode != 0:
            docker.run("pull", r["caddy_image"])
        docker.run(
            "run", "-d", "--name", CADDY, "--restart", "unless-stopped", "--network", "host",
            "-v", f"{CADDY_DATA}:/data", "-v", f"{conf}:/etc/caddy:ro", r["caddy_image"],
            "caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile",
        )  # fmt: skip
    elif not info["State"]["Running"]:
        docker.run("start", CADDY)
    elif changed:
        say(f"Caddy: site of {r['app']} changed, reloading")
        docker.run("exec", CADDY, "caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile")


# --------------------------------------------------------------------------- health


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer to report, not a place to go


_OPENER = urllib.request.build_opener(_NoRedirect)


def probe(port: int, path: str, host: str | None = None, timeout: float = 2.0) -> tuple[int | None, str]:
    """(HTTP status or None, what happened) for one GET of 127.0.0.1:<port><path>."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host} if host else {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            return response.status, f"answered {response.status}"
    except urllib.error.HTTPError as error:
        return error.code, f"answered {error.code}"
    except (OSError, urllib.error.URLError) as error:
        reason = getattr(error, "reason", error)
        return None, f"could not be reached ({reason})"


def health_gate(docker: Docker, container: str, port: int, path: str, timeout: float) -> None:
    """Until a 2xx or the timeout; a 3xx fails at once (it will not change); a container that exits fails at once."""
    start = time.monotonic()
    last = "was not tried"
    while True:
        status, last = probe(port, path)
        if status is not None and 200 <= status < 300:
            say(f"health check passed: GET {path} answered {status} after {time.monotonic() - start:.1f} s")
            return
        if status is not None and 300 <= status < 400:
            hint = "set build.health_check_path to a path that answers 2xx"
            raise Failed("health", f"health check failed: GET {path} answered {status} (a redirect): {hint}")
        info = docker.inspect(container)
        if not info or not info["State"]["Running"]:
            code = info["State"]["ExitCode"] if info else "?"
            raise Failed("health", f"health check failed: the container exited with code {code} before GET {path} answered 2xx")
        if time.monotonic() - start > timeout:
            raise Failed("health", f"health check failed: GET {path} {last} after {timeout:.0f} s")
        time.sleep(0.25)


# --------------------------------------------------------------------------- deploy


def version(r: dict, fp: str, container: str, slot: int) -> dict:
    return {"sha": r["sha"], "digest": r["digest"], "env_fingerprint": fp, "time": now(), "run_url": r["run_url"],
            "container": container, "slot": slot, "port": r["port"], "health_path": r["health_path"], "image": r["image"]}  # fmt: skip


def pull(root: Path, docker: Docker, r: dict) -> None:
    """Pull by digest (or by tag, which then names the digest); the lent token goes through stdin
    into a config directory removed right after."""
    ref = f"{r['image']}@{r['digest']}" if r["digest"] else f"{r['image']}:{r['tag']}"
    if r["digest"] and docker.run("image", "inspect", ref, check=False).returncode == 0:
        say(f"image {ref} is already here")
        return
    lent = Path(tempfile.mkdtemp(prefix="login-", dir=root))
    try:
        if r["registry"]:
            reg = r["registry"]
            docker.run("login", "--username", reg["username"], "--password-stdin", reg["server"], stdin=reg["password"], config=lent)
        start = time.monotonic()
        docker.run("pull", "--quiet", ref, config=lent)
        say(f"pulled {ref} in {time.monotonic() - start:.1f} s")
    except DockerError as error:
        raise Failed("pull", f"could not pull {ref}: {error}") from None
    finally:
        shutil.rmtree(lent, ignore_errors=True)
    if not r["digest"]:
        digests = json.loads(docker.run("image", "inspect", "--format", "{{json .RepoDigests}}", ref).stdout or "[]")
        found = [d.split("@", 1)[1] for d in digests if d.startswith(r["image"] + "@")]
        if not found:
            raise Failed("pull", f"{ref} has no digest from {r['image']}")
        r["digest"] = found[0]


def env_flags(env: dict) -> list[str]:
    return [flag for key in sorted(env) for flag in ("--env", key)]


def release(docker: Docker, r: dict) -> None:
    """The release command (migrations) in the new image, before any traffic moves; failure changes nothing for users."""
    if not r["release_command"]:
        return
    say("running the release command")
    ref = f"{r['image']}@{r['digest']}"
    done = docker.run("run", "--rm", "--init", *env_flags(r["env"]), ref, *shlex.split(r["release_command"]), extra_env=r["env"], check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-LOG_LINES:]
        raise Failed("release", f"the release command exited with code {done.returncode}; nothing changed", logs="\n".join(tail))


def start_slot(docker: Docker, r: dict, state: State, slot: int) -> str:
    state.data["seq"] += 1
    name = f"{r['app']}-{slot}-{state.data['seq']}"
    state.save()
    ref = f"{r['image']}@{r['digest']}"
    labels = ["--label", f"webkit.app={r['app']}", "--label", f"webkit.sha={r['sha']}"]
    say(f"starting {name} on 127.0.0.1:{SLOTS[slot]}")
    try:
        docker.run("run", "-d", "--init", "--restart", "unless-stopped", "--name", name, *labels,
                   "-p", f"127.0.0.1:{SLOTS[slot]}:{r['port']}", *env_flags(r["env"]), ref, extra_env=r["env"])  # fmt: skip
    except DockerError as error:
        docker.run("rm", "-f", name, check=False)
        raise Failed("start", f"could not start the new version: {error}") from None
    return name


def remove_strays(docker: Docker, app: str, keep: set[str]) -> None:
    """Containers of this app that are neither current nor previous (a crash mid-deploy leaves them)."""
    names = docker.run("ps", "-a", "--filter", f"label=webkit.app={app}", "--format", "{{.Names}}").stdout.split()
    for name in names:
        if name not in keep:
            docker.run("rm", "-f", name, check=False)


def deploy(root: Path, docker: Docker, request: dict) -> dict:
    r = check_deploy(request)
    MASK.set(r["env"])
    with app_lock(root, r["app"]):
        state = State(root, r["app"])
        result = {"verb": "deploy", "app": r["app"]}
        current = state.data["current"]
        try:
            result.update(_deploy(root, docker, r, state))
        except DockerError as error:
            result.update(ok=False, phase="docker", reason=str(error) + still_serving(current))
        except Failed as failure:
            result.update(ok=False, phase=failure.phase, reason=failure.args[0] + still_serving(current), **failure.extra)
        result.update(current=state.data["current"], previous=state.data["previous"])
        state.audit(result)
        return result


def _deploy(root: Path, docker: Docker, r: dict, state: State) -> dict:
    host_setup(root, docker)
    if not r["digest"]:
        pull(root, docker, r)  # by tag: the digest is known from here on
    fp = fingerprint(root, r["env"])
    current = state.data["current"]
    same = current and (current["digest"], current["env_fingerprint"]) == (r["digest"], fp)
    if same and docker.running(current["container"]) and probe(SLOTS[current["slot"]], current["health_path"])[0] in range(200, 300):
        return {"ok": True, "phase": "unchanged", "reason": f"{r['sha']} already runs healthy with this env: nothing to do"}
    keep = {v["container"] for v in (current, state.data["previous"]) if v}
    remove_strays(docker, r["app"], keep)
    ensure_caddy(root, docker, r)
    pull(root, docker, r)
    release(docker, r)
    slot = 2 if current and current["slot"] == 1 else 1
    name = start_slot(docker, r, state, slot)
    try:
        health_gate(docker, name, SLOTS[slot], r["health_path"], r["health_timeout"])
    except Failed as failure:
        failure.extra["logs"] = MASK.apply(docker.logs(name))
        docker.run("rm", "-f", name, check=False)
        raise
    new = version(r, fp, name, slot)
    switch(docker, current, new)
    soaked = soak(docker, r, new, current, state)
    if soaked is not None:
        return soaked
    state.data["previous"], state.data["current"] = current, new
    state.save()
    remove_strays(docker, r["app"], {v["container"] for v in (current, new) if v})  # the one before previous goes
    prune(docker, r["image"], state)
    say(f"done: {r['sha']} serves")
    return {"ok": True, "phase": "done", "reason": f"{r['sha']} serves {', '.join(r['domains'])}"}


def still_serving(current: dict | None) -> str:
    return f"; still serving the previous version: sha {current['sha']}" if current else "; nothing was serving before"


def switch(docker: Docker, old: dict | None, new: dict) -> None:
    """Caddy's active check must see the new slot healthy before the old one stops (it has no API to ask)."""
    if old is None:
        return
    time.sleep(2 * CADDY_HEALTH_INTERVAL + 0.5)
    say(f"traffic moves to {new['container']}; stopping {old['container']} (kept for rollback)")
    docker.run("stop", "--time", "10", old["container"], check=False)


def soak(docker: Docker, r: dict, new: dict, old: dict | None, state: State) -> dict | None:
    """Watch the new version for soak_seconds; a failure restarts the kept previous one. None when it held."""
    deadline = time.monotonic() + r["soak_seconds"]
    while time.monotonic() < deadline:
        status, what = probe(SLOTS[new["slot"]], new["health_path"])
        if status is None or not 200 <= status < 300:
            return roll_back_after_soak(docker, r, new, old, state, f"GET {new['health_path']} {what}")
        if r["tls"] == "off":  # through Caddy too, when it answers plain HTTP
            status, what = probe(80, new["health_path"], host=r["domains"][0], timeout=5)
            if status is None or not 200 <= status < 300:
                return roll_back_after_soak(docker, r, new, old, state, f"GET {new['health_path']} through Caddy {what}")
        time.sleep(0.5)
    return None


def roll_back_after_soak(docker: Docker, r: dict, new: dict, old: dict | None, state: State, what: str) -> dict:
    logs = MASK.apply(docker.logs(new["container"]))
    if old is None:
        reason = f"the new version failed after the switch ({what}); there is no previous version to roll back to"
        return {"ok": False, "phase": "soak", "reason": reason, "logs": logs}
    say(f"the new version failed after the switch ({what}): restarting {old['container']}")
    try:
        docker.run("start", old["container"])
        health_gate(docker, old["container"], SLOTS[old["slot"]], old["health_path"], 60)
    except (Failed, DockerError) as error:
        reason = f"the new version failed after the switch ({what}), and the previous one did not come back healthy ({error}): nothing healthy serves"
        return {"ok": False, "phase": "soak", "reason": reason, "rolled_back": False, "logs": logs}
    docker.run("rm", "-f", new["container"], check=False)
    reason = f"the new version failed after the switch ({what}): rolled back automatically; serving sha {old['sha']} again"
    return {"ok": False, "phase": "soak", "reason": reason, "rolled_back": True, "logs": logs}


def prune(docker: Docker, image: str, state: State) -> None:
    """Keep the last KEEP_IMAGES digests deployed; never remove the running or the kept previous one."""
    digest = state.data["current"]["digest"]
    images = [digest, *[d for d in state.data["images"] if d != digest]]
    protected = {v["digest"] for v in (state.data["current"], state.data["previous"]) if v}
    for old in images[KEEP_IMAGES:]:
        if old not in protected:
            docker.run("image", "rm", f"{image}@{old}", check=False)
    state.data["images"] = images[:KEEP_IMAGES]
    state.save()


# --------------------------------------------------------------------------- rollback, status, logs


def rollback(root: Path, docker: Docker, request: dict) -> dict:
    """To the kept previous container: no registry, no env needed (Docker keeps its config)."""
    app = request["app"]
    with app_lock(root, app):
        state = State(root, app)
        current, previous = state.data["current"], state.data["previous"]
        result = {"verb": "rollback", "app": app, "ok": False, "phase": "rollback"}
        if previous is None or docker.inspect(previous["container"]) is None:
            result["reason"] = "there is no previous version kept on this machine: deploy the commit you want instead"
        else:
            start = time.monotonic()
            try:
                docker.run("start", previous["container"])
                health_gate(docker, previous["container"], SLOTS[previous["slot"]], previous["health_path"], 60)
            except (Failed, DockerError) as error:
                docker.run("stop", previous["container"], check=False)
                result["reason"] = f"the previous version did not start healthy: {error}{still_serving(current)}"
            else:
                if current:
                    docker.run("stop", "--time", "10", current["container"], check=False)
                state.data["current"], state.data["previous"] = {**previous, "time": now()}, current
                state.save()
                result.update(ok=True, phase="done", reason=f"rolled back to sha {previous['sha']} in {time.monotonic() - start:.1f} s")
        result.update(current=state.data["current"], previous=state.data["previous"])
        state.audit(result)
        return result


def status(root: Path, docker: Docker, request: dict) -> dict:
    """Whether the current version runs healthy; for the drift check also what differs from the request's
    expectations (`env`: key names only; `sha`) and the containers on the machine the agent did not start."""
    env = check_env(request["env"]) if "env" in request else None
    MASK.set(env or {})
    sha = _field(request, "sha", str, required=False)
    state = State(root, request["app"])
    current = state.data["current"]
    result = {"verb": "status", "app": request["app"], "current": current, "previous": state.data["previous"], "phase": "status"}
    result["strays"] = strays(root, docker)
    if sha is not None:
        result["sha_matches"] = current is not None and current["sha"] == sha
    if env is not None:
        result["env_differs"] = env_differs(docker, current["container"], env) if current else None
    if current is None:
        return {**result, "ok": True, "running": False, "healthy": False, "reason": "nothing deployed yet"}
    running = docker.running(current["container"])
    code, what = probe(SLOTS[current["slot"]], current["health_path"]) if running else (None, "is not running")
    healthy = code is not None and 200 <= code < 300
    return {**result, "ok": healthy, "running": running, "healthy": healthy, "reason": f"{current['container']}: GET {current['health_path']} {what}"}


def _env_dict(entries: list[str] | None) -> dict[str, str]:
    return {key: value for key, _, value in (entry.partition("=") for entry in entries or [])}


def env_differs(docker: Docker, container: str, env: dict) -> list[str] | None:
    """Names (never values) of the keys whose value in the container is not the request's: changed, missing,
    or given by a deploy and no longer requested. The image's own ENV (PATH...) counts only when overridden.
    None when the container is gone (nothing to compare)."""
    info = docker.inspect(container)
    if info is None:
        return None
    running = _env_dict(info["Config"].get("Env"))
    done = docker.run("image", "inspect", info["Image"], check=False)
    image = _env_dict(json.loads(done.stdout)[0]["Config"].get("Env")) if done.returncode == 0 else {}
    differs = {key for key, value in env.items() if running.get(key) != value}
    differs |= {key for key, value in running.items() if key not in env and image.get(key) != value}
    return sorted(differs)


def strays(root: Path, docker: Docker) -> list[dict] | None:
    """Containers on the machine that are neither Caddy nor the current or previous version of an app the
    agent has state for (found by hand, or left by a crash mid-deploy). None when docker cannot list them."""
    known = {CADDY}
    for file in (root / "apps").glob("*/state.json"):
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(file.read_text())
            known |= {v["container"] for v in (data.get("current"), data.get("previous")) if isinstance(v, dict) and "container" in v}
    try:
        done = docker.run("ps", "-a", "--no-trunc", "--format", "{{.Names}}\t{{.Image}}\t{{.State}}", check=False)
    except Failed as failure:
        done = subprocess.CompletedProcess([], 1, "", failure.args[0])
    if done.returncode != 0:
        say(f"could not list the containers: {DockerError('ps', done.stderr)}")
        return None
    found = sorted(line.split("\t") for line in done.stdout.splitlines() if line.count("\t") == 2)
    return [{"name": name, "image": image, "running": state == "running"} for name, image, state in found if name not in known]


def logs(root: Path, docker: Docker, request: dict) -> dict:
    state = State(root, request["app"])
    which = request.get("which", "current")
    lines = request.get("lines", LOG_LINES)
    if which not in ("current", "previous") or not isinstance(lines, int) or isinstance(lines, bool):
        return {"verb": "logs", "app": request["app"], "ok": False, "phase": "request", "reason": "which: current or previous; lines: a number"}
    entry = state.data.get(which)
    if entry is None:
        return {"verb": "logs", "app": request["app"], "ok": False, "phase": "logs", "reason": f"there is no {which} version"}
    text = docker.logs(entry["container"], lines)
    return {"verb": "logs", "app": request["app"], "ok": True, "phase": "logs", "reason": entry["container"], "logs": text}


# --------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in VERBS:
        print(f"usage: deploy_agent.py {{{','.join(VERBS)}}} < request.json", file=sys.stderr)
        return 2
    verb = argv[0]
    os.umask(0o077)  # state, lock and audit log are root's alone
    root = Path(os.environ.get("WEBKIT_ROOT", "/var/lib/webkit"))
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        request = read_request(sys.stdin)
        docker = Docker(root)
        result = {"deploy": deploy, "status": status, "rollback": rollback, "logs": logs}[verb](root, docker, request)
    except Failed as failure:
        result = {"verb": verb, "ok": False, "phase": failure.phase, "reason": failure.args[0]}
    except (DockerError, OSError) as error:
        result = {"verb": verb, "ok": False, "phase": "docker", "reason": str(error)}
    print(json.dumps(MASK.deep(result), ensure_ascii=False))
    if not result["ok"]:
        say(f"{result['phase']}: {result['reason']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
