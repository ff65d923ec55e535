"""The module-wide droplet (dockerd, registry, Caddy image, app images) and per-test apps."""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.deploy_agent import droplet as d

AGENT = Path(__file__).resolve().parents[2] / "workflows" / "deploy_agent.py"
CADDY_IMAGE = "webkit-test/caddy:local"
VERSIONS = ("v1", "v2", "v3", "v4")


@dataclass
class World:
    droplet: d.Droplet
    digests: dict[str, str]
    token: str  # the registry password lent to the agent
    rootfs: Path

    def request(self, app: str, version: str = "v1", **over) -> dict:
        request = {
            "app": app, "image": f"{d.REGISTRY}/web", "digest": self.digests[version], "sha": version,
            "run_url": "https://github.test/o/r/actions/runs/1", "env": {}, "port": 8080, "health_path": "/healthz",
            "health_timeout": 10, "soak_seconds": 1, "domains": [f"{app}.test"], "caddy_image": CADDY_IMAGE, "tls": "off",
            "registry": {"server": d.REGISTRY, "username": "deployer", "password": self.token},
        }  # fmt: skip
        return {**request, **over}

    def agent(self, verb: str, request: dict | bytes) -> tuple[int, dict | None, str]:
        return self.droplet.agent(AGENT, verb, request)

    def deploy(self, app: str, version: str = "v1", **over) -> dict:
        code, result, output = self.agent("deploy", self.request(app, version, **over))
        assert code == 0 and result and result["ok"], output
        return result

    def serving(self, app: str) -> tuple[int, bytes]:
        return self.droplet.in_netns(d.get, 80, "/", f"{app}.test")

    def containers(self, app: str) -> dict[str, bool]:
        """name → running, for the app's containers."""
        out = self.droplet.docker("ps", "-a", "--filter", f"label=webkit.app={app}", "--format", "{{.Names}} {{.State}}").stdout
        return {name: state == "running" for name, state in (line.split() for line in out.splitlines())}

    def state(self, app: str) -> dict:
        return json.loads((self.droplet.base / "root" / "apps" / app / "state.json").read_text())

    def forget(self, app: str) -> None:
        """Remove the app's containers and records: the slots' ports are free for the next test."""
        names = list(self.containers(app))
        if names:
            self.droplet.docker("rm", "-f", *names)
        for file in ("state.json", "audit.log"):
            (self.droplet.base / "root" / "apps" / app / file).unlink(missing_ok=True)

    def add_image(self, tag: str, env: dict[str, str], rootfs: Path | None = None) -> str:
        """A new app image in the registry only (the daemon must pull it), its digest."""
        ref = f"{d.REGISTRY}/web:{tag}"
        d.import_image(self.droplet, rootfs or self.rootfs, ref, {"PORT": "8080", **env}, ["/bin/sh", "/app/serve"])
        digest = d.push(self.droplet, ref)
        self.droplet.docker("image", "rm", ref)
        return digest


def _need_tools() -> None:
    missing = d.missing_tools()
    if missing:
        message = "the deploy agent's daemon tests need: " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run installs them; CI may not skip)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    _need_tools()
    with d.droplet_for_module() as droplet:
        droplet.start_registry({"pusher": "push-password", "deployer": (token := "lent-" + secrets.token_hex(16))})
        droplet.docker("login", "--username", "pusher", "--password-stdin", d.REGISTRY, stdin="push-password")
        d.import_caddy(droplet, CADDY_IMAGE)
        world = World(droplet, {}, token, d.app_rootfs(droplet.base / "app.tar"))
        for version in VERSIONS:
            world.digests[version] = world.add_image(version, {"VERSION": version})
        yield world


@pytest.fixture
def app(world, request):
    """A fresh app name for one test, cleaned up after it (even when it failed)."""
    name = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:30].strip("-")
    world.forget(name)
    yield name
    world.forget(name)


@dataclass
class Load:
    """Clients hitting the app through Caddy until stopped (bounded: at most `limit` seconds)."""

    world: World
    host: str
    clients: int = 6
    limit: float = 180
    stop: threading.Event = field(default_factory=threading.Event)
    counts: dict = field(default_factory=lambda: {"ok": 0, "failed": 0, "empty_200": 0})
    versions: set = field(default_factory=set)
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Load:
        self.threads = [self.world.droplet.thread(self._client) for _ in range(self.clients)]
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _client(self) -> None:
        end = time.monotonic() + self.limit
        while not self.stop.is_set() and time.monotonic() < end:
            try:
                status, body = d.get(80, "/", self.host, timeout=40)
            except OSError as error:
                self._count("failed", repr(error))
                continue
            if status == 200 and not body:
                self._count("empty_200", "200 with an empty body")
            elif status != 200 or not body.startswith(b"version "):
                self._count("failed", f"{status} {body[:80]!r}")
            else:
                self._count("ok")
                with self.lock:
                    self.versions.add(body.decode().split()[1])
            time.sleep(0.02)

    def _count(self, what: str, error: str | None = None) -> None:
        with self.lock:
            self.counts[what] += 1
            if error:
                self.errors.append(error)
