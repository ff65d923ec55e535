"""The release workflow's VM app scenarios, run as GitHub runs them, against the deploy world
(tests/ghactions/world.py): real sshd and dockerd on a droplet booted from the synthesised user
data, GHCR as a local registry, a fake DigitalOcean firewall API whose rules gate port 22 through
iptables, the fake GitHub API and a Slack sink.

One world serves the module: the first merge deploys the app (the `released` fixture); each test
then starts from whatever serves and says what it expects relative to that, so no test depends on
another having run. A first deploy to a droplet that boots slowly, or whose first boot failed, gets a
world of its own (test_release_first_boot.py)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy_agent import droplet as d
from tests.ghactions.harness import DRIFT, RELEASE, Project
from tests.ghactions.runner import WorkflowRun, dispatch, push, schedule

# A world of its own (own namespace, dockerd, registry): its own xdist group, beside the agent's droplet.
pytestmark = [pytest.mark.e2e, pytest.mark.daemons, pytest.mark.xdist_group("release")]

SOPS_SECRET = "planted-sops-" + secrets.token_hex(8)
GITHUB_SECRET = "planted-github-" + secrets.token_hex(8)
CLOUD = ("DIGITALOCEAN_TOKEN", "B2_ACCESS_KEY", "B2_SECRET_KEY")
WRITE = {name: f"planted-write-{name.lower()}" for name in CLOUD}
READ_ONLY = {name: f"planted-read-only-{name.lower()}" for name in CLOUD}
MANIFEST = {
    "project": {"name": "site", "repo": "acme/site"},
    "environments": ["production"],
    "apps": [{
        "name": "cms", "type": "custom", "path": "services/cms",
        "infra": {"provider": "digitalocean", "type": "vm", "config": {"size": "s-1vcpu-1gb", "region": "nyc3"}},
        "build": {"port": 8080, "health_check_path": "/healthz"},
        "deploy": {"health_timeout": 8},
        "env": {"default": [
            {"key": "GREETING", "type": "value", "value": "hello"},
            {"key": "PAYLOAD_SECRET", "type": "secret", "from": "sops:secrets/cms.yaml:/PAYLOAD_SECRET"},
            {"key": "STRIPE_KEY", "type": "secret", "from": "github-secrets:STRIPE_KEY"},
        ]},
    }],
}
DOCKERFILE = """FROM scratch
ADD rootfs.tar /
ENV PORT=8080 VERSION={version}{extra}
CMD ["/bin/sh", "/app/serve"]
"""


def dockerfile(version: str, extra: str = "") -> str:
    return DOCKERFILE.format(version=version, extra=extra)


@dataclass
class Released:
    world: object
    project: Project
    first: WorkflowRun
    pr: int = 100

    def merge(self, files: dict, message: str) -> tuple[WorkflowRun, int]:
        """A pull request with `files`, merged into main: the release's run and the PR's number."""
        repo = self.project.repo
        before = repo.head("main")
        self.pr += 1
        branch = f"change-{self.pr}"
        repo.git("branch", branch, "main")
        repo.commit(files, message, branch=branch)
        repo.switch("main")
        repo.git("merge", "--quiet", "--no-ff", "-m", f"Merge pull request #{self.pr}", branch)
        self.project.github.merged[repo.head("main")] = self.pr
        return self.project.runner.run(RELEASE, push(repo, "main", before)), self.pr

    def deploy_version(self, version: str) -> WorkflowRun:
        run, _ = self.merge({"services/cms/Dockerfile": dockerfile(version)}, f"cms {version}")
        assert run.conclusion == "success", failure(run)
        assert self.serving() == f"version {version}"
        return run

    def serving(self) -> str:
        status, body = self.world.droplet.serving("/")
        assert status == 200, (status, body)
        return body.decode().strip()

    def comments(self, pr: int) -> list[str]:
        return [c["body"] for c in self.project.github.comments.get(pr, [])]

    def slack(self, since: int) -> list[str]:
        return [m["text"] for m in self.project.slack.messages[since:]]

    def deploy_firewall(self) -> str:
        [found] = [fw for fw, data in self.world.do_api.firewalls.items() if data["name"].endswith("-deploy")]
        return found

    def windows_closed(self) -> bool:
        return self.world.do_api.rules(self.deploy_firewall()) == []


def failure(run: WorkflowRun) -> str:
    return "\n\n".join(f"--- {job.name}: {job.conclusion}\n{job.log[-3000:]}" for job in run.jobs.values() if job.conclusion != "success")


def _world(tmp_path: Path, **options):
    from tests.ghactions.world import DeployWorld

    rootfs = d.app_rootfs(tmp_path / "rootfs.tar")
    files = {"services/cms/Dockerfile": dockerfile("v1")}
    world_cm = DeployWorld.started(
        tmp_path / "world", MANIFEST, {"STRIPE_KEY": GITHUB_SECRET, "WEBKIT_PLAN_KEY": "plan-key-" + secrets.token_hex(8)},
        sops_values={"secrets/cms.yaml": {"PAYLOAD_SECRET": SOPS_SECRET}}, files=files,
        environment_secrets={"plan": READ_ONLY, "production": WRITE}, variables={"WEBKIT_SSH_WAIT_SECONDS": "20"}, **options)
    return world_cm, rootfs


def _first_merge(world, rootfs: Path) -> tuple[Project, WorkflowRun]:
    project = world.project
    project.repo.commit({"services/cms/rootfs.tar": rootfs.read_bytes()}, "the app's files")
    project.github.merged[project.repo.head("main")] = 100
    return project, project.runner.run(RELEASE, push(project.repo, "main"))


@pytest.fixture(scope="session")  # session: once per xdist worker, which runs this whole group; module scope was
def released(tmp_path_factory):    # set up again whenever the worker ran another module's test in between
    tmp_path = tmp_path_factory.mktemp("release")
    world_cm, rootfs = _world(tmp_path)
    with world_cm as world:
        project, first = _first_merge(world, rootfs)
        assert first.conclusion == "success", failure(first)
        yield Released(world, project, first)


def test_the_first_merge_builds_deploys_and_reports_once(released):
    run = released.first
    assert {job.id: job.conclusion for job in run.jobs.values()} == {
        "plan": "success", "apply": "success", "build-cms": "success", "deploy-cms": "success"}
    deploy = run.jobs["Deploy cms (production)"]
    assert deploy.environment == "production", "GitHub records the deployment in the environment"
    assert "Serving at http://203.0.113." in deploy.summary
    [comment] = released.comments(100)
    assert comment.splitlines()[1].startswith("### ✅ cms (production): deployed sha ")
    assert any(m.startswith("✅ acme/site: cms (production): deployed sha ") for m in released.slack(0))
    state = released.world.droplet.agent_state("cms")
    assert state["current"]["sha"] == run.event.sha
    assert state["current"]["digest"] == run.jobs["Build cms"].outputs["digest"]
    assert released.windows_closed(), "the window closes after the deploy"
    opened = [rules for _, fw, rules in released.world.do_api.timeline if fw == released.deploy_firewall() and rules]
    assert opened and opened[0][0]["sources"]["addresses"] == [f"{released.world.runner_address}/32"], "open for the deploy"


def test_a_merge_serves_the_new_version_without_touching_terraform(released):
    version = "v-" + secrets.token_hex(3)
    run = released.deploy_version(version)
    jobs = {job.id: job.conclusion for job in run.jobs.values()}
    assert jobs["apply"] == "skipped", "a code-only merge plans no change and applies nothing"
    assert released.windows_closed()


def test_a_merge_that_touches_nothing_of_the_app_leaves_it_alone(released):
    before = released.serving()
    run, _ = released.merge({"README.md": "docs\n"}, "docs only")
    assert not run.triggered or all(job.id in ("plan", "apply") or job.conclusion == "skipped" for job in run.jobs.values())
    assert released.serving() == before


def test_a_broken_app_is_red_reported_once_and_the_old_version_keeps_serving(released):
    before = released.serving()
    state = released.world.droplet.agent_state("cms")
    slack_before = len(released.project.slack.messages)
    run, pr = released.merge({"services/cms/Dockerfile": dockerfile("broken", ' HEALTH_STATUS="500 Internal Server Error"')}, "broken")
    assert run.conclusion == "failure"
    deploy = run.jobs["Deploy cms (production)"]
    assert deploy.conclusion == "failure"
    [comment] = released.comments(pr)
    lines = comment.splitlines()
    assert lines[1].startswith("### ❌ cms (production): health failed: ")
    assert f"Still serving the previous version: sha {state['current']['sha'][:12]}." in lines
    assert any(line.startswith("Next:") and "version previous" in line for line in lines)
    [slack] = released.slack(slack_before)
    assert slack.startswith("❌ acme/site: cms (production): health failed")
    assert "Deploy failed::cms (production): health failed" in deploy.raw_log or "health failed" in deploy.log
    assert released.serving() == before
    assert released.windows_closed()


def test_a_rollback_by_dispatch_serves_the_previous_version(released):
    before = released.serving()
    released.deploy_version("v-" + secrets.token_hex(3))
    repo = released.project.repo
    run = released.project.runner.run(RELEASE, dispatch(repo, "main", {"app": "cms", "version": "previous"}))
    assert run.conclusion == "success", failure(run)
    assert {job.id for job in run.jobs.values() if job.conclusion != "skipped"} == {"deploy-cms"}
    assert released.serving() == before
    assert "rolled back to sha" in run.jobs["Deploy cms (production)"].summary
    assert released.windows_closed()


def test_a_rollback_runs_only_on_the_environments_branch(released):
    repo = released.project.repo
    repo.git("branch", "-f", "elsewhere", "main")
    run = released.project.runner.run(RELEASE, dispatch(repo, "elsewhere", {"app": "cms", "version": "previous"}))
    assert run.conclusion == "failure"
    [deploy] = [job for job in run.jobs.values() if job.id == "deploy-cms"]
    assert deploy.conclusion == "failure" and "Applies run only from main (production)" in deploy.log


def test_a_host_key_that_does_not_match_is_refused_and_explained(released):
    droplet = released.world.droplet
    before = released.serving()
    droplet.other_host_key = True
    droplet.stop_sshd()
    droplet.start_sshd()
    try:
        run, pr = released.merge({"services/cms/Dockerfile": dockerfile("v-" + secrets.token_hex(3))}, "while an impostor answers")
    finally:
        droplet.other_host_key = False
        droplet.stop_sshd()
        droplet.start_sshd()
    assert run.conclusion == "failure"
    [comment] = released.comments(pr)
    assert comment.splitlines()[1].startswith("### ❌ cms (production): host-key failed: the machine at 203.0.113.")
    assert "Host key verification failed" in comment and "man-in-the-middle" in comment
    assert "The droplet was not touched" in comment
    assert released.serving() == before
    assert released.windows_closed()


@pytest.mark.parametrize("what", ["firewall", "registry", "unreachable"])
def test_a_failure_on_the_way_is_red_names_its_phase_and_keeps_the_old_version(released, what):
    world, before = released.world, released.serving()
    expected = {"firewall": "window failed: DigitalOcean's API did not", "registry": "build failed: the image of cms",
                "unreachable": "connect failed: the droplet at 203.0.113."}[what]
    if what == "firewall":
        world.do_api.fail(500, from_call=len(world.do_api.calls) + 1)
    elif what == "registry":
        world.registry.refuse_pushes()
    else:
        world.droplet.stop_sshd()
    try:
        run, pr = released.merge({"services/cms/Dockerfile": dockerfile("v-" + secrets.token_hex(3))}, f"while the {what} fails")
    finally:
        if what == "firewall":
            world.do_api.failing = None
        elif what == "registry":
            world.registry.accept_pushes()
        else:
            world.droplet.start_sshd()
    assert run.conclusion == "failure"
    [comment] = released.comments(pr) or [failure(run)]
    assert comment.splitlines()[1].startswith(f"### ❌ cms (production): {expected}"), comment
    assert released.serving() == before
    assert released.windows_closed()


def test_no_planted_secret_reaches_logs_reports_state_user_data_or_the_image(released):
    project, world = released.project, released.world
    env = json.loads(world.droplet.docker("inspect", "--format", "{{json .Config.Env}}",
                                          world.droplet.agent_state("cms")["current"]["container"]).stdout)
    assert f"PAYLOAD_SECRET={SOPS_SECRET}" in env and f"STRIPE_KEY={GITHUB_SECRET}" in env, "the app gets its secrets"
    texts = [job.log for run in project.runner.runs for job in run.jobs.values()]
    texts += [job.summary for run in project.runner.runs for job in run.jobs.values()]
    texts += [c["body"] for cs in project.github.comments.values() for c in cs] + [m["text"] for m in project.slack.messages]
    texts += [json.dumps(project.state("production")), json.dumps(project.cloud_resources())]
    image = world.droplet.agent_state("cms")["current"]["image"] + "@" + world.droplet.agent_state("cms")["current"]["digest"]
    texts.append(world.droplet.docker("history", "--no-trunc", image).stdout)
    texts.append(world.droplet.docker("image", "inspect", image).stdout)
    for secret in (SOPS_SECRET, GITHUB_SECRET):
        assert not [t for t in texts if secret in t], secret


# --------------------------------------------------------------------------- app drift (#26)


def app_drift(released: Released) -> tuple[WorkflowRun, list[dict]]:
    """The daily drift check's run, and the app drift issues on the repository."""
    run = released.project.runner.run(DRIFT, schedule(released.project.repo))
    issues = [i for i in released.project.github.issues if i["title"] == "App drift detected (production/cms)"]
    return run, issues


def test_a_container_started_by_hand_opens_one_drift_issue_until_a_redeploy(released):
    droplet = released.world.droplet
    image = f"{droplet.agent_state('cms')['current']['image']}@{droplet.agent_state('cms')['current']['digest']}"
    droplet.docker("run", "-d", "--name", "by-hand", image)
    try:
        for _ in range(2):  # the next run updates the one issue, never a second
            run, issues = app_drift(released)
            assert run.jobs["App drift (production/cms)"].conclusion == "failure"
            [issue] = [i for i in issues if i["state"] == "open"]
            assert "A container the agent did not start: `by-hand`" in issue["body"]
        assert released.windows_closed()
    finally:
        droplet.docker("rm", "-f", "by-hand")
    released.deploy_version("v-" + secrets.token_hex(3))
    run, issues = app_drift(released)
    assert run.jobs["App drift (production/cms)"].conclusion == "success", failure(run)
    assert issues and all(i["state"] == "closed" for i in issues), "closed when what runs is what main says"


def test_a_rotated_github_secret_without_a_deploy_is_env_drift_by_name_only(released):
    """(Closing when equal again is the other drift test's: it needs a redeploy, which this one spares.)"""
    runner = released.project.runner
    rotated = "rotated-" + secrets.token_hex(8)
    old = runner.secrets["STRIPE_KEY"]
    runner.secrets["STRIPE_KEY"] = rotated
    try:
        run, issues = app_drift(released)
    finally:
        runner.secrets["STRIPE_KEY"] = old
    assert run.jobs["App drift (production/cms)"].conclusion == "failure"
    [issue] = [i for i in issues if i["state"] == "open"]
    assert "differs from what the release would send (names only): `STRIPE_KEY`" in issue["body"]
    assert "PAYLOAD_SECRET" not in issue["body"] and "GREETING" not in issue["body"]
    for text in (issue["body"], run.jobs["App drift (production/cms)"].log):
        assert rotated not in text and old not in text
