"""The deploy agent against the real thing: dockerd, a registry standing in for GHCR, Caddy, all in a namespace.

One droplet (conftest.world) serves the module; each test deploys its own app and removes it after.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deploy_agent import droplet as d
from tests.deploy_agent.conftest import Load

# One pytest-xdist worker runs the whole module (--dist loadgroup): one droplet (dockerd, a registry,
# the images, a 700 MB tmpfs) for the module, not one per worker. Its tests mostly wait on daemons and
# timers; the extra worker of `-n auto` (tests/conftest.py) keeps the cores busy meanwhile.
pytestmark = [pytest.mark.daemons, pytest.mark.xdist_group("droplet")]


def test_ten_deploys_under_load_lose_no_request(world, app):
    world.deploy(app, "v1")
    took = []
    with Load(world, f"{app}.test") as load:
        for n in range(10):
            version = ("v2", "v3", "v4", "v1")[n % 4]
            start = time.monotonic()
            code, result, output = world.agent("deploy", world.request(app, version, env={"DEPLOY": str(n)}))
            took.append(time.monotonic() - start)
            assert code == 0 and result["phase"] == "done" and result["current"]["sha"] == version, output
    print(f"deploys under load took {statistics.median(took):.1f} s (median), {max(took):.1f} s (max); the last one:\n{output}")
    assert load.counts["failed"] == 0 and load.counts["empty_200"] == 0, (load.counts, load.errors[:5])
    assert load.counts["ok"] > 100 and load.versions == {"v1", "v2", "v3", "v4"}
    assert world.serving(app) == (200, b"version v3\n")
    # the old container is stopped and kept; images beyond the last 3 are pruned, never the running one
    assert sorted(world.containers(app).values()) == [False, True]
    local = world.droplet.docker("images", "--digests", "--format", "{{.Digest}}", f"{d.REGISTRY}/web").stdout.split()
    assert sorted(local) == sorted(world.digests[v] for v in ("v1", "v2", "v3"))


def test_host_setup_blocks_the_metadata_address_once(world, app):
    world.deploy(app, "v1")
    world.deploy(app, "v2")  # host setup is recorded: not run again
    rules = subprocess.run(world.droplet.ns("iptables", "-S", "DOCKER-USER"), capture_output=True, text=True, check=True).stdout
    assert rules.count("-A DOCKER-USER -d 169.254.169.254/32 -j DROP") == 1, rules
    assert json.loads((world.droplet.base / "root" / "host.json").read_text()) == {"steps": [1, 2]}
    unit = world.droplet.base / "etc-up" / "systemd" / "system"  # the droplet's /etc (an overlay)
    assert "169.254.169.254" in (unit / "webkit-metadata-block.service").read_text()
    assert (unit / "multi-user.target.wants" / "webkit-metadata-block.service").is_symlink()
    assert "webkit-caddy-data" in world.droplet.docker("volume", "ls", "--format", "{{.Name}}").stdout


def test_same_version_and_env_is_a_no_op(world, app):
    code, first, output = world.agent("deploy", world.request(app, "v1", env={"A": "1"}))
    print(output)
    again = world.deploy(app, "v1", env={"A": "1"})
    assert again["phase"] == "unchanged" and again["current"] == first["current"]
    assert world.deploy(app, "v1", env={"A": "2"})["phase"] == "done", "a changed env is a deploy"


def _refused(world, app: str, request: dict | bytes, phase: str) -> dict:
    """Run a deploy that must fail; check that users saw no change, and return the result."""
    def seen():
        state = world.state(app)
        return world.containers(app), state["current"], state["previous"], world.serving(app)

    before = seen()
    code, result, output = world.agent("deploy", request)
    assert code == 1 and result is not None and result["ok"] is False, output
    assert result["phase"] == phase, result
    assert seen() == before
    return result


def test_failing_health_check_keeps_the_old_version_serving(world, app):
    world.deploy(app, "v1")
    request = world.request(app, "v2", env={"HEALTH_STATUS": "500 Internal Server Error"}, health_timeout=3)
    result = _refused(world, app, request, "health")
    assert "GET /healthz answered 500 after 3 s" in result["reason"], result["reason"]
    assert "still serving the previous version: sha v1" in result["reason"]
    assert result["current"]["sha"] == "v1"


def test_redirecting_health_check_says_to_set_the_path(world, app):
    world.deploy(app, "v1")
    result = _refused(world, app, world.request(app, "v2", env={"HEALTH_STATUS": "302 Found"}), "health")
    assert "answered 302" in result["reason"] and "set build.health_check_path" in result["reason"]


def test_failure_after_the_switch_rolls_back_automatically(world, app):
    world.deploy(app, "v1")
    code, result, output = world.agent("deploy", world.request(app, "v2", env={"FAIL_AFTER": "6"}, soak_seconds=10))
    assert code == 1 and result["phase"] == "soak" and result["rolled_back"] is True, output
    assert "rolled back automatically" in result["reason"] and result["current"]["sha"] == "v1"
    assert world.serving(app) == (200, b"version v1\n")
    assert list(world.containers(app).values()) == [True], "the failed version's container is gone"


def test_rollback_without_the_registry_is_quick(world, app):
    world.deploy(app, "v1")
    world.deploy(app, "v2")
    world.droplet.stop_registry()
    try:
        start = time.monotonic()
        code, result, output = world.agent("rollback", {"app": app})
        elapsed = time.monotonic() - start
    finally:
        world.droplet.start_registry({"pusher": "push-password", "deployer": world.token})
    assert code == 0 and result["current"]["sha"] == "v1" and result["previous"]["sha"] == "v2", output
    assert world.serving(app) == (200, b"version v1\n")
    print(f"rollback took {elapsed:.2f} s (agent process, wall clock)")
    assert elapsed < 5, "the issue's bound for a rollback"
    code, result, _ = world.agent("rollback", {"app": app})
    assert code == 0 and result["current"]["sha"] == "v2", "rolling back twice returns to where it was"


HARD_VALUES = ["two\nlines", "quotes \" and '", "$HOME ${X} $(id)", "back\\slash\\n", "line\u2028separator", "naïve — 日本", "", " spaced ", "a=b=c"]
env_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
env_keys = st.from_regex(r"\AT_[A-Z0-9_]{1,12}\Z")


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.dictionaries(env_keys, env_values, max_size=8))
def test_env_values_arrive_byte_exact(world, app, extra):
    env = {**{f"HARD_{n}": value for n, value in enumerate(HARD_VALUES)}, **extra}
    world.forget(app)
    world.deploy(app, "v1", env=env)
    status, body = world.droplet.in_netns(d.get, 80, "/env", f"{app}.test")
    seen = dict(entry.split(b"=", 1) for entry in body.split(b"\0") if entry)
    assert status == 200 and {key: seen.get(key.encode()) for key in env} == {key: value.encode() for key, value in env.items()}


def test_concurrent_deploys_of_one_app_serialise(world, app):
    world.deploy(app, "v1")
    outcomes: list = []
    runs = [threading.Thread(target=lambda v=v: outcomes.append(world.agent("deploy", world.request(app, v)))) for v in ("v2", "v3")]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert [code for code, _, _ in outcomes] == [0, 0], [out for _, _, out in outcomes]
    assert sum("another deploy of" in out for _, _, out in outcomes) == 1, "one waited for the other"
    first, second = sorted((result for _, result, _ in outcomes), key=lambda r: r["current"]["time"])
    assert second["previous"]["sha"] == first["current"]["sha"], "the second deploy saw the first one's result"
    assert sorted(world.containers(app).values()) == [False, True]


def test_dockerd_restart_keeps_the_app_serving(world, app):
    world.deploy(app, "v1")
    container = world.state(app)["current"]["container"]
    started = world.droplet.docker("inspect", "--format", "{{.State.StartedAt}}", container).stdout
    with Load(world, f"{app}.test", clients=4) as load:
        time.sleep(1)
        world.droplet.stop_dockerd()
        time.sleep(1)
        world.droplet.start_dockerd()
        time.sleep(2)
    assert load.counts["failed"] == 0 and load.counts["empty_200"] == 0, (load.counts, load.errors[:5])
    assert load.counts["ok"] > 20
    assert world.droplet.docker("inspect", "--format", "{{.State.StartedAt}}", container).stdout == started, "live-restore: not restarted"


def _grep_droplet(world, needle: str) -> str:
    """Files on the droplet (its /etc, /var, /run, Docker's data root, the agent's root) holding needle."""
    base = world.droplet.base
    where = ["/run", str(base / "etc-up"), str(base / "var-up"), str(base / "data"), str(base / "root"), str(base / "exec")]
    done = subprocess.run(world.droplet.ns("grep", "-rlF", "--binary-files=text", needle, *where), capture_output=True, text=True)
    return done.stdout


def test_registry_token_is_not_on_disk_after_the_deploy(world, app):
    digest = world.add_image("token", {"VERSION": "token"})
    code, result, output = world.agent("deploy", world.request(app, "v1", digest=digest))
    assert code == 0 and "pulled" in output, output  # the lent token was used
    assert _grep_droplet(world, world.token) == ""
    assert not list((world.droplet.base / "root").glob("login-*")), "the temporary DOCKER_CONFIG is removed"


def test_no_secret_value_in_the_agents_output_or_logs(world, app):
    secret = "s3cret-" + "x" * 8
    world.deploy(app, "v1", env={"API_KEY": secret})
    # a version that logs its env and fails its health check: its log lines come back in the result, masked
    request = world.request(app, "v2", env={"API_KEY": secret, "LOG_ENV": "1", "HEALTH_STATUS": "500 Oops"}, health_timeout=2)
    code, result, output = world.agent("deploy", request)
    assert code == 1 and "API_KEY=***" in result["logs"], output
    assert secret not in output and world.token not in output
    for verb in ("status", "rollback", "logs"):
        assert secret not in world.agent(verb, {"app": app})[2]
    agent_files = subprocess.run(["grep", "-rlF", secret, str(world.droplet.base / "root")], capture_output=True, text=True)
    assert agent_files.stdout == "", "no secret in the agent's state or audit log"


def test_malformed_or_oversized_requests_change_nothing(world, app):
    world.deploy(app, "v1")
    assert "not JSON" in _refused(world, app, b'{"app": "x",', "request")["reason"]
    assert "larger than" in _refused(world, app, b" " * (2 * 1024 * 1024), "request")["reason"]
    assert "JSON object" in _refused(world, app, b"[1]", "request")["reason"]
    bad_env = world.request(app, "v2", env={"BAD KEY": "x"})
    assert "BAD KEY" in _refused(world, app, bad_env, "request")["reason"]
    assert "digest" in _refused(world, app, world.request(app, "v2", digest="sha256:123"), "request")["reason"]


def test_an_image_or_digest_that_does_not_exist_changes_nothing(world, app):
    world.deploy(app, "v1")
    missing = "sha256:" + "0" * 64
    assert "could not pull" in _refused(world, app, world.request(app, "v2", digest=missing), "pull")["reason"]
    assert "could not pull" in _refused(world, app, world.request(app, "v2", image=f"{d.REGISTRY}/nothing-here"), "pull")["reason"]


def test_a_port_the_image_does_not_listen_on_changes_nothing(world, app):
    world.deploy(app, "v1")
    result = _refused(world, app, world.request(app, "v2", port=9999, health_timeout=3), "health")
    assert "GET /healthz" in result["reason"] and "after 3 s" in result["reason"]


def test_a_failing_release_command_changes_nothing(world, app):
    world.deploy(app, "v1", release_command="sh -c 'test -n \"$API_KEY\"'", env={"API_KEY": "given"})
    request = world.request(app, "v2", release_command="sh -c 'echo migrating; exit 3'")
    result = _refused(world, app, request, "release")
    assert "exited with code 3" in result["reason"] and "migrating" in result["logs"]


def test_a_disk_too_full_to_pull_changes_nothing(world, app):
    world.deploy(app, "v1")
    big = world.add_image("big", {"VERSION": "big"}, rootfs=d.app_rootfs(world.droplet.base / "big.tar", ballast=24 * 1024 * 1024))
    data = world.droplet.base / "data"
    free = int(subprocess.run(world.droplet.ns("df", "-B1", "--output=avail", str(data)), capture_output=True, text=True).stdout.split()[-1])
    filler = data / "filler"
    subprocess.run(world.droplet.ns("fallocate", "-l", str(free - 8 * 1024 * 1024), str(filler)), check=True)
    try:
        result = _refused(world, app, world.request(app, "v2", digest=big), "pull")
    finally:
        subprocess.run(world.droplet.ns("rm", "-f", str(filler)), check=True)
    assert "no space left on device" in result["reason"], result["reason"]
    assert json.dumps(result).count("still serving the previous version: sha v1") == 1


def test_a_rollback_to_a_commit_names_its_image_by_tag_and_records_its_digest(world, app):
    """The release workflow's dispatch with a commit has no build job, so no digest: the agent pulls
    `sha-<commit>` and from then on knows the image by the digest the registry gave."""
    world.deploy(app, "v1")
    tag = "sha-" + "c" * 40
    digest = world.add_image(tag, {"VERSION": "tagged"})
    request = {k: v for k, v in world.request(app, "v1", sha="c" * 40, tag=tag).items() if k != "digest"}
    code, result, output = world.agent("deploy", request)
    assert code == 0 and result["phase"] == "done", output
    assert result["current"]["digest"] == digest and result["previous"]["sha"] == "v1"
    assert world.serving(app) == (200, b"version tagged\n")


def test_status_names_drifted_env_keys(world, app):
    planted = {"A": "alpha-planted-1", "B": "bravo-planted\nsecond-line-planted"}
    world.deploy(app, "v1", env=planted)
    code, result, output = world.agent("status", {"app": app, "sha": "v1", "env": planted})
    assert code == 0 and result["env_differs"] == [] and result["sha_matches"] is True, output
    drifted = {"B": "bravo-changed\nsecond-line-changed", "C": "charlie-planted"}  # A removed, B changed, C added
    code, result, output = world.agent("status", {"app": app, "sha": "v2", "env": drifted})
    assert code == 0 and result["env_differs"] == ["A", "B", "C"] and result["sha_matches"] is False, output
    assert result["ok"] is True, "ok still means: the current version runs healthy"
    for value in [*planted.values(), *drifted.values()]:
        for part in [value, *value.splitlines()]:
            assert part not in output and part not in json.dumps(result, ensure_ascii=False), part


def test_status_lists_containers_the_agent_did_not_start(world, app):
    world.deploy(app, "v1")
    image = f"{d.REGISTRY}/web@{world.digests['v1']}"  # here since the deploy
    world.droplet.docker("rm", "-f", "intruder", check=False)
    try:
        world.droplet.docker("run", "-d", "--name", "intruder", image)
        code, result, output = world.agent("status", {"app": app})
    finally:
        world.droplet.docker("rm", "-f", "intruder", check=False)
    assert code == 0 and {"name": "intruder", "image": image, "running": True} in result["strays"], output
    names = {stray["name"] for stray in result["strays"]}
    assert not names & {*world.containers(app), "webkit-caddy"} and "env_differs" not in result
