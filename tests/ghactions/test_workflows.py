"""The generated workflows, run end to end as GitHub runs them (see tests/ghactions/__init__.py):
real Terraform against the simulated providers, real sops, S3 state on moto over HTTPS, a fake
GitHub API and a Slack sink. Each test is one thing a user would notice on a real repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO, write_project
from tests.ghactions.harness import DRIFT, PLAN, RELEASE, Project
from tests.ghactions.runner import dispatch, pull_request, push, schedule

pytestmark = pytest.mark.e2e

SOPS = {
    "secrets/cms.yaml": {"PAYLOAD_SECRET": "payload-s3cret-from-sops"},
    "secrets/shared.yaml": {"SENTRY_DSN": "https://sentry-s3cret@example.invalid/1"},
    "secrets/api.yaml": {"JWT_SECRET": "jwt-s3cret-from-sops"},
}
# The layout README recommends: app secrets (here at repository level) and the plan key everywhere;
# cloud credentials read-only in the `plan` environment, write-capable only where applies run.
SECRETS = {
    "STRIPE_SECRET_KEY": "sk_live_planted_stripe",
    "STRIPE_KEY": "sk_live_planted_shop_stripe",
    "STRIPE_TEST_KEY": "sk_test_planted_shop_stripe",
    "WEBKIT_PLAN_KEY": "planted-plan-encryption-key",
}
CLOUD = ("DIGITALOCEAN_TOKEN", "B2_ACCESS_KEY", "B2_SECRET_KEY", "DO_SPACES_ACCESS_KEY", "DO_SPACES_SECRET_KEY")
READ_ONLY = {name: f"planted-read-only-{name.lower()}" for name in CLOUD}
WRITE = {name: f"planted-write-{name.lower()}" for name in CLOUD}
ENVIRONMENT_SECRETS = {"plan": READ_ONLY, "production": WRITE, "staging": WRITE}


def manifest(name: str) -> dict:
    path = EXAMPLE / "app.json" if name == "example" else REPO / "tests" / "manifests" / f"{name}.json"
    data = json.loads(path.read_text())
    data.pop("$schema", None)
    for app in data.get("apps", []):  # these scenarios are Terraform's; test_release.py builds and deploys
        app.pop("build", None)
    return data


def sops_files(data: dict) -> dict:
    used = json.dumps(data)
    return {path: values for path, values in SOPS.items() if path in used}


@pytest.fixture
def example(tmp_path):
    with Project.started(tmp_path, manifest("example"), SECRETS, sops_values=sops_files(manifest("example")),
                         environment_secrets=ENVIRONMENT_SECRETS) as project:
        yield project


@pytest.fixture
def shop(tmp_path):
    data = manifest("staging-and-production")
    with Project.started(tmp_path, data, SECRETS, sops_values=sops_files(data), environment_secrets=ENVIRONMENT_SECRETS) as project:
        yield project


def rename_site(value: str):
    def edit(m: dict) -> None:
        web = next(a for a in m["apps"] if a["name"] == "web")
        next(e for e in web["env"]["production"] if e["key"] == "PUBLIC_SITE_NAME")["value"] = value
    return edit


def planted(project: Project) -> list[str]:
    """Every secret value the workflows could see: repository secrets, sops values, job tokens."""
    values = [v for v in project.secrets.values() if v and v != project.slack.webhook]
    values += [v for secrets in project.environment_secrets.values() for v in secrets.values()]
    values += [v for values in project.sops_values.values() for v in values.values()]
    return values + list(project.github.tokens)


def assert_nothing_leaked(project: Project) -> None:
    """No secret in a visible log, a comment, an issue, a step summary, an artifact or Slack."""
    places = {"comments": json.dumps(project.github.comments), "issues": json.dumps(project.github.issues),
              "slack": json.dumps(project.slack.messages)}
    for run in project.runner.runs:
        for job in run.jobs.values():
            places[f"log of {job.name}"] = job.log
            places[f"summary of {job.name}"] = job.summary
            # Beyond GitHub's masking: a secret only ever appears on the line that masks it.
            places[f"raw log of {job.name}"] = "".join(
                line for line in job.raw_log.splitlines(keepends=True) if not line.startswith("::add-mask::"))
        for path in run.artifacts.rglob("*"):
            if path.is_file():
                places[f"artifact {path.name}"] = path.read_bytes().decode("latin-1")
    for value in planted(project):
        for place, text in places.items():
            assert value not in text, f"a secret value reached {place}"


def comments(project: Project, pr: int = 7) -> list[dict]:
    return project.github.comments.get(pr, [])


# --------------------------------------------------------------------------- pull requests


def test_pull_request_plan_comments_once_and_keeps_the_comment_current(example):
    example.change(rename_site("My Site"), "feature")
    first = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
    assert first.conclusion == "success", first.jobs["Plan (production)"].log[-3000:]
    (comment,) = comments(example)
    assert "15 to add" in comment["body"] and comment["user"]["login"] == "github-actions[bot]"
    job = first.jobs["Plan (production)"]
    assert job.permissions == {"contents": "read", "pull-requests": "write"}
    assert job.step("Terraform plan").outputs["exitcode"] == "2"

    example.change(rename_site("My Other Site"), "feature")
    second = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
    assert second.conclusion == "success"
    (comment,) = comments(example)
    assert '"My Other Site"' in comment["body"], "the same comment, updated in place"

    stale = example.runner.run(PLAN, first.event.rerun())
    assert stale.conclusion == "success"
    assert "a newer run already commented" in stale.jobs["Plan (production)"].log
    (comment,) = comments(example)
    assert '"My Other Site"' in comment["body"], "a re-run of the older run does not overwrite it"
    assert_nothing_leaked(example)


def test_a_pull_request_that_does_not_touch_the_infrastructure_runs_nothing(example):
    example.repo.commit({"README.md": "docs only\n"}, "docs", branch="docs")
    run = example.runner.run(PLAN, pull_request(example.repo, 8, "docs"))
    assert not run.triggered


def test_a_changed_sops_file_triggers_a_plan_wherever_it_lives(tmp_path):
    from tests.ghactions.harness import sops_encrypt

    data = manifest("example")
    cms = next(a for a in data["apps"] if a["name"] == "cms")
    next(e for e in cms["env"]["default"] if e["key"] == "PAYLOAD_SECRET")["from"] = "sops:deploy/cms.enc.yaml:/PAYLOAD_SECRET"
    sops = {"deploy/cms.enc.yaml": SOPS["secrets/cms.yaml"], "secrets/shared.yaml": SOPS["secrets/shared.yaml"]}
    with Project.started(tmp_path, data, SECRETS, sops_values=sops, environment_secrets=ENVIRONMENT_SECRETS) as project:
        text = sops_encrypt({"PAYLOAD_SECRET": "rotated-payload-s3cret"}, project.recipient, project.root)
        project.repo.commit({"deploy/cms.enc.yaml": text}, "rotate", branch="rotate")
        run = project.runner.run(PLAN, pull_request(project.repo, 9, "rotate"))
    assert run.triggered and run.conclusion == "success", run.jobs["Plan (production)"].log[-2000:]


def test_an_unset_github_secret_fails_before_terraform_and_names_it(tmp_path):
    secrets = {k: v for k, v in SECRETS.items() if k != "STRIPE_SECRET_KEY"}
    with Project.started(tmp_path, manifest("example"), secrets, sops_values=sops_files(manifest("example")),
                         environment_secrets=ENVIRONMENT_SECRETS) as project:
        project.change(rename_site("My Site"), "feature")
        run = project.runner.run(PLAN, pull_request(project.repo, 7, "feature"))
    job = run.jobs["Plan (production)"]
    assert job.conclusion == "failure"
    check = job.step("Check the secrets are set")
    assert check.outcome == "failure" and "not set: STRIPE_SECRET_KEY" in check.output
    assert job.step("Terraform init").outcome == "skipped" and job.step("Terraform plan").outcome == "skipped"
    (comment,) = comments(project)  # every failed plan run says so where the reviewer reads
    assert "failed before Terraform ran" in comment["body"] and "not set: STRIPE_SECRET_KEY" in comment["body"]


def test_app_json_with_windows_line_endings_passes_the_stamp_check(example):
    text = json.dumps(example.manifest, indent=2).replace("\n", "\r\n")
    (example.repo.path / "app.json").write_bytes(text.encode())  # the user's CRLF working copy
    from tests.ghactions.harness import generate

    example.repo.commit({}, "prepare", branch="crlf")
    (example.repo.path / "app.json").write_bytes(text.replace("Payload CMS", "Payload  CMS").encode())
    generate(example.repo.path)
    example.repo.commit({}, "edit on Windows", branch="crlf")  # core.autocrlf=input: LF in the repository
    assert b"\r" not in example.repo.git("show", "crlf:app.json").encode()
    run = example.runner.run(PLAN, pull_request(example.repo, 7, "crlf"))
    job = run.jobs["Plan (production)"]
    assert job.step("Set up Terraform and the stack").outcome == "success", job.log[-2000:]
    assert run.conclusion == "success"


def test_a_mixed_set_of_generated_files_is_refused(example):
    old_plan = (example.repo.path / PLAN).read_text()
    example.change(rename_site("Half updated"), "half")
    example.repo.commit({PLAN: old_plan}, "an interrupted update left the old plan workflow", branch="half")
    run = example.runner.run(PLAN, pull_request(example.repo, 7, "half"))
    job = run.jobs["Plan (production)"]
    assert job.conclusion == "failure" and "come from different `webkit update` runs" in job.log
    assert job.step("Terraform plan").outcome == "skipped"


def test_a_fork_pull_request_says_plainly_that_no_plan_ran(example):
    example.change(rename_site("From a fork"), "fork-branch")
    run = example.runner.run(PLAN, pull_request(example.repo, 11, "fork-branch", fork=True))
    assert run.jobs["Plan (production)"].conclusion == "skipped"
    notice = run.jobs["No plan for a fork"]
    assert notice.conclusion == "failure", "never reads as a plan that passed"
    assert "No Terraform plan ran" in notice.summary and "pull requests from forks no secrets" in notice.summary
    assert run.conclusion == "failure" and comments(example, 11) == []


# --------------------------------------------------------------------------- merge and apply


def merge(project: Project, edit, branch: str = "main"):
    before = project.repo.head(branch)
    project.change(edit, branch)
    return project.runner.run(RELEASE, push(project.repo, branch, before))


def test_merge_applies_exactly_the_reviewed_plan_and_keeps_state_in_the_bucket(example):
    run = merge(example, rename_site("Merged"))
    plan, apply = run.jobs["Plan (production)"], run.jobs["Apply (production)"]
    assert plan.conclusion == "success", plan.log[-3000:]
    assert apply.conclusion == "success", apply.log[-3000:]
    assert apply.environment == "production" and run.concurrency == {"group": "webkit-state-my-website-production",
                                                                      "cancel-in-progress": False}
    assert run.retention == {f"tfplan-production-{run.event.run_id}-1": 7}
    state = example.state("production")
    assert state and any(r["type"] == "digitalocean_droplet" for r in state["resources"])
    assert "Deployed production" in apply.summary
    assert "Terraform plan · production" in plan.summary and "Cut to fit" not in plan.summary, "the whole plan"
    assert any("infrastructure applied" in m["text"] for m in example.slack.messages)
    assert len(example.cloud_resources()["digitalocean_droplet"]) == 1, "the apply reached the (simulated) cloud"

    again = merge(example, rename_site("Merged again"))
    assert again.jobs["Apply (production)"].conclusion == "success"
    assert_nothing_leaked(example)


def test_a_vm_env_change_is_reviewed_key_by_key_with_the_users_masks(tmp_path):
    with Project.started(tmp_path, manifest("example"), SECRETS, sops_values=sops_files(manifest("example")),
                         environment_secrets=ENVIRONMENT_SECRETS, variables={"WEBKIT_PLAN_MASKS": "codename-[a-z]+"}) as example:
        assert merge(example, rename_site("Live")).jobs["Apply (production)"].conclusion == "success"

        def edit(m: dict) -> None:
            cms = next(a for a in m["apps"] if a["name"] == "cms")
            next(e for e in cms["env"]["production"] if e["key"] == "PUBLIC_API_URL")["value"] = "https://codename-zebra.example"
        example.change(edit, "feature")
        run = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
        job = run.jobs["Plan (production)"]
        assert run.conclusion == "success", job.log[-3000:]
        (comment,) = comments(example)
        body = comment["body"]
        assert "| <code>cms_env_values</code> | update | 1 key(s) change, below |" in body
        # ("&#58;" keeps GitHub from linking the value and is a real ":" when copied; both sides show:
        # `cms_env_values` holds plain values only, the secret ones are in other outputs)
        assert '| <code>PUBLIC_API_URL</code> | "https&#58;//api.mysite.com" | "https&#58;//(masked).example" |' in body
        assert "codename" not in body and "codename" not in job.summary, "the user's mask holds in the comment and the summary"
        assert "cms_env_values" in job.summary, "the whole plan is in the job summary too"
        assert_nothing_leaked(example)


def test_write_capable_credentials_reach_only_the_apply(example):
    example.change(rename_site("Reviewed"), "feature")
    pr = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
    merged = merge(example, rename_site("Merged"))
    drift = example.runner.run(DRIFT, schedule(example.repo))
    jobs = [*pr.jobs.values(), *merged.jobs.values(), *drift.jobs.values()]
    assert {j.name: j.environment for j in jobs} == {
        "Plan (production)": "plan", "No plan for a fork": None, "Apply (production)": "production",
        "Drift (production)": "plan", "Drift (staging)": "plan"}
    for job in jobs:
        wrote = set(WRITE.values()) & job.masks  # every secret a job can read is masked in its log
        assert (wrote == set(WRITE.values())) if job.environment == "production" else not wrote, job.name
    assert merged.jobs["Apply (production)"].conclusion == "success"


def test_a_changed_byte_in_the_saved_plan_fails_the_apply(example):
    def tamper(run, job):
        if job.id == "plan":
            (encrypted,) = run.artifacts.rglob("tfplan.enc")
            data = bytearray(encrypted.read_bytes())
            data[len(data) // 2] ^= 1
            encrypted.write_bytes(bytes(data))

    example.runner.after_job = tamper
    run = merge(example, rename_site("Tampered"))
    apply = run.jobs["Apply (production)"]
    assert apply.conclusion == "failure"
    assert "refusing to apply it" in apply.step("Decrypt the plan").output
    assert apply.step("Terraform apply (exactly the reviewed plan)").outcome == "skipped"
    assert example.state("production") is None


def test_a_manual_run_on_another_branch_never_applies(example):
    example.change(rename_site("Not reviewed"), "feature")
    run = example.runner.run(RELEASE, dispatch(example.repo, "feature"))
    plan = run.jobs["Plan ()"]
    assert plan.conclusion == "failure" and "Applies run only from main (production)" in plan.log
    assert run.jobs["Apply ()"].conclusion == "skipped" and example.state("production") is None


def test_a_manual_run_on_the_environment_branch_applies(example):
    run = example.runner.run(RELEASE, dispatch(example.repo, "main"))
    assert run.jobs["Apply (production)"].conclusion == "success", run.jobs["Plan (production)"].log[-2000:]


def test_re_running_an_old_apply_says_it_was_superseded_and_applies_nothing(example):
    old = merge(example, rename_site("Old"))
    assert old.jobs["Apply (production)"].conclusion == "success"
    new = merge(example, rename_site("New"))
    assert new.jobs["Apply (production)"].conclusion == "success"
    serial, slack = example.state("production")["serial"], len(example.slack.messages)
    rerun = example.runner.run(RELEASE, old.event.rerun())
    plan = rerun.jobs["Plan (production)"]
    # Said as what happened, not as a failed plan: the run is not red and Slack hears nothing.
    notice = (f"Superseded by {new.event.sha}: main moved on since {old.event.sha}, so nothing was applied "
              "(the newest commit's run applies it)")
    assert ("notice", notice) in plan.annotations and notice in plan.summary
    assert plan.conclusion == "success" and rerun.conclusion == "success"
    assert all(s.outcome == "skipped" for s in plan.steps[1:]) and rerun.jobs["Apply (production)"].conclusion == "skipped"
    assert example.state("production")["serial"] == serial and len(example.slack.messages) == slack


def test_an_apply_overtaken_while_it_waited_for_approval_applies_nothing_and_says_so(example):
    def push_while_waiting(run, job):
        if job.id == "plan":
            example.repo.commit({"NOTES.md": "a newer commit\n"}, "newer", branch="main")
    example.runner.after_job = push_while_waiting
    run = merge(example, rename_site("Overtaken"))
    apply = run.jobs["Apply (production)"]
    assert run.jobs["Plan (production)"].conclusion == "success" and apply.conclusion == "success"
    assert any(level == "notice" and text.startswith("Superseded by ") and "nothing was applied" in text
               for level, text in apply.annotations)
    assert all(s.outcome == "skipped" for s in apply.steps[1:]), "no download, no apply, no Slack"
    assert example.state("production") is None and example.slack.messages == []


def test_a_failed_post_merge_plan_notifies_slack_and_writes_the_summary(example):
    example.s3.client().delete_bucket(Bucket="webkit-test-state")  # the state bucket is gone
    run = merge(example, rename_site("Nowhere"))
    plan = run.jobs["Plan (production)"]
    assert plan.conclusion == "failure" and run.jobs["Apply (production)"].conclusion == "skipped"
    assert "Plan failed for production" in plan.summary
    assert any("plan failed, nothing was applied" in m["text"] for m in example.slack.messages)


def test_after_a_partial_apply_re_run_failed_jobs_says_to_re_run_all_and_re_run_all_recovers(example):
    """README, When things go wrong: the apply failed after changing some resources. "Re-run failed
    jobs" reuses the first attempt's plan, which Terraform refuses as stale: it says which button
    works. "Re-run all jobs" plans again from the state and applies what is left."""
    assert merge(example, rename_site("Live")).jobs["Apply (production)"].conclusion == "success"

    def shrink_and_rename(m: dict) -> None:
        rename_site("Half applied")(m)
        next(a for a in m["apps"] if a["name"] == "cms")["infra"]["config"]["size"] = "s-1vcpu-2gb"
    run = merge(example, shrink_and_rename)  # DigitalOcean refuses to shrink a droplet's disk
    assert run.jobs["Apply (production)"].conclusion == "failure" and "disk cannot shrink" in run.jobs["Apply (production)"].log
    assert "Half applied" in json.dumps(example.cloud_resources()["digitalocean_app"]), "partial: the app changed"

    failed_jobs = example.runner.rerun_failed(RELEASE, run)
    assert failed_jobs.jobs["Plan (production)"] is run.jobs["Plan (production)"], "the plan job is not run again"
    apply = failed_jobs.jobs["Apply (production)"]
    (stale,) = [text for level, text in apply.annotations if level == "error" and "stale" in text]
    assert stale.startswith("The saved plan is stale") and "Use Re-run all jobs, not Re-run failed jobs" in stale
    assert any("saved plan is stale, nothing was applied; use Re-run all jobs" in m["text"] for m in example.slack.messages)

    resize_droplet_behind_terraforms_back(example, "s-1vcpu-1gb")  # the cause, dealt with in the console
    all_jobs = example.runner.run(RELEASE, failed_jobs.event.rerun())
    assert all_jobs.event.run_attempt == 3 and all_jobs.conclusion == "success", all_jobs.jobs["Apply (production)"].log[-2000:]
    (droplet,) = [r for r in example.state("production")["resources"] if r["type"] == "digitalocean_droplet"]
    assert droplet["instances"][0]["attributes"]["size"] == "s-1vcpu-2gb"
    assert_nothing_leaked(example)


# --------------------------------------------------------------------------- drift


def resize_droplet_behind_terraforms_back(project: Project, size: str) -> None:
    """What someone clicking in DigitalOcean's console does to production's droplet (the simulated
    cloud: type → id → attributes)."""
    cloud = json.loads(project.cloud.read_text())
    (droplet,) = [d for d in cloud["resources"]["digitalocean_droplet"].values() if d["name"] == "my-website-cms"]
    droplet["size"] = size
    project.cloud.write_text(json.dumps(cloud))


def apply_staging(project: Project) -> None:
    """A manual run of the apply on the staging branch, as a team does to bring staging up."""
    run = project.runner.run(RELEASE, dispatch(project.repo, "staging"))
    assert run.jobs["Apply (staging)"].conclusion == "success", run.jobs["Plan (staging)"].log[-2000:]


def test_drift_opens_one_issue_updates_it_and_closes_it_when_gone(example):
    assert merge(example, rename_site("Live")).jobs["Apply (production)"].conclusion == "success"
    apply_staging(example)
    lookalike = {"number": 1, "title": "Infrastructure drift detected (production)", "body": "a user's issue",
                 "state": "open", "user": {"login": "someone", "type": "User"}}
    example.github.issues.append(lookalike)
    clean = example.runner.run(DRIFT, schedule(example.repo))
    assert clean.conclusion == "success", clean.jobs["Drift (production)"].log[-2000:]

    resize_droplet_behind_terraforms_back(example, "s-8vcpu-16gb")
    for _ in range(2):
        drift = example.runner.run(DRIFT, schedule(example.repo))
        job = drift.jobs["Drift (production)"]
        assert job.conclusion == "failure", job.log[-2000:]
        assert job.concurrency == {"group": "webkit-drift-my-website-production", "cancel-in-progress": False}
    ours = [i for i in example.github.issues if i["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and ours[0]["state"] == "open" and "digitalocean_droplet.cms_droplet" in ours[0]["body"]
    assert lookalike["body"] == "a user's issue" and lookalike["state"] == "open", "only the workflow's own issue counts"
    assert any("Drift detected in production" in m["text"] for m in example.slack.messages)

    resize_droplet_behind_terraforms_back(example, "s-2vcpu-4gb")
    gone = example.runner.run(DRIFT, schedule(example.repo))
    assert gone.conclusion == "success"
    assert ours[0]["state"] == "closed" and lookalike["state"] == "open"
    assert_nothing_leaked(example)


# --------------------------------------------------------------------------- every kind, two environments


def test_staging_and_production_plan_and_apply_each_from_their_own_branch(shop):
    shop.repo.commit({}, "staging branch", branch="staging")
    edit = lambda m: m["apps"][0]["env"]["staging"][1].__setitem__("value", "info")  # noqa: E731
    run = merge(shop, edit, branch="staging")
    apply = run.jobs["Apply (staging)"]
    assert apply.conclusion == "success", (run.jobs["Plan (staging)"].log + apply.log)[-3000:]
    assert apply.environment == "staging" and shop.state("staging") and shop.state("production") is None

    def prod(m):
        m["apps"][1]["env"]["production"][2]["value"] = "Acme Shop!"

    shop.change(prod, "feature")
    pr = shop.runner.run(PLAN, pull_request(shop.repo, 5, "feature", base="main"))
    assert pr.conclusion == "success", pr.jobs["Plan (production)"].log[-3000:]
    assert "production" in comments(shop, 5)[0]["body"]

    production = merge(shop, prod)
    assert production.jobs["Apply (production)"].conclusion == "success", production.jobs["Apply (production)"].log[-3000:]
    assert shop.state("production") and shop.state("staging")["serial"] >= 1
    kinds = {r["type"] for r in shop.state("production")["resources"] if r["mode"] == "managed"}
    assert {"digitalocean_database_cluster", "digitalocean_spaces_bucket", "b2_bucket", "digitalocean_droplet",
            "digitalocean_app", "digitalocean_reserved_ip"} <= kinds
    drift = shop.runner.run(DRIFT, schedule(shop.repo))
    assert {j.name: j.conclusion for j in drift.jobs.values()} == {"Drift (production)": "success", "Drift (staging)": "success"}
    assert shop.github.issues == []
    assert_nothing_leaked(shop)


def test_the_harness_refuses_what_it_cannot_emulate(example):
    from tests.ghactions.emulated import NotEmulated

    workflow = (example.repo.path / PLAN).read_text().replace("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
                                                             "actions/checkout@v7")
    example.repo.commit({PLAN: workflow, "app.json": json.dumps(example.manifest) + "\n"}, "unpinned", branch="unpinned")
    with pytest.raises(NotEmulated, match="full commit SHA"):
        example.runner.run(PLAN, pull_request(example.repo, 3, "unpinned"))


def test_generated_files_have_ordinary_modes(example):
    for path in (example.repo.path / ".github").rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o644, path
    assert Path(example.repo.path / "app.json").exists()


def test_app_platform_secret_noise_never_alarms_or_redeploys_but_a_rotated_secret_does(example):
    assert merge(example, rename_site("Live")).jobs["Apply (production)"].conclusion == "success"
    apply_staging(example)
    # Every later plan shows digitalocean_app.web_app changed: DigitalOcean returns its SECRET env encrypted.
    drift = example.runner.run(DRIFT, schedule(example.repo))
    job = drift.jobs["Drift (production)"]
    assert job.step("Terraform plan").outputs == {"exitcode": "2", "changes": "false"}
    assert job.conclusion == "success" and "Only known provider noise" in job.log
    assert example.github.issues == [] and not any("Drift" in m["text"] for m in example.slack.messages)
    again = example.runner.run(RELEASE, dispatch(example.repo, "main"))
    assert again.jobs["Plan (production)"].conclusion == "success"
    assert again.jobs["Apply (production)"].conclusion == "skipped", "noise alone never redeploys the app"

    example.runner.secrets["STRIPE_SECRET_KEY"] = "sk_live_rotated_stripe"
    rotated = example.runner.run(DRIFT, schedule(example.repo))
    assert rotated.jobs["Drift (production)"].conclusion == "failure", "a changed secret is a change, not noise"
    (issue,) = example.github.issues
    assert "a secret value of digitalocean_app.web_app changes" in issue["body"]
    applied = example.runner.run(RELEASE, dispatch(example.repo, "main"))
    assert applied.jobs["Apply (production)"].conclusion == "success"
    assert_nothing_leaked(example)


def test_a_user_can_run_the_harness_on_the_bundled_two_environment_example(tmp_path, capsys, monkeypatch):
    """README's `python -m tests.ghactions` on the example as it ships (no sops files, no age key):
    planted sops values, each environment applied from its own branch, a green drift check."""
    from tests.ghactions.__main__ import main

    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    assert main(["--project", str(EXAMPLE), "--keep", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    assert "planted stand-in values for secrets/cms.yaml, secrets/shared.yaml" in out
    assert "=== pull request plan (production, into main): success" in out and "webkit-plan-comment:production" in out
    assert "=== release after merge (production, from main): success" in out
    assert "=== release of staging (a manual run on its branch staging): success" in out
    assert "=== drift check: success" in out and "--- Drift (staging): success" in out


def test_the_harness_says_why_it_cannot_start_without_a_traceback(tmp_path, capsys, monkeypatch):
    from tests.ghactions.__main__ import main

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "app.json").write_text('{"project": {"name": "x"}, "apps": [')
    assert main(["--project", str(tmp_path / "broken")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("✗ ") and "app.json is not valid" in err and "Traceback" not in err

    write_project(tmp_path / "site", (EXAMPLE / "app.json").read_text())
    monkeypatch.setenv("SOPS_AGE_KEY", "AGE-SECRET-KEY-1PLANTED")
    assert main(["--project", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert "SOPS_AGE_KEY is set but secrets/cms.yaml, secrets/shared.yaml are missing" in err

    assert main(["--project", str(tmp_path / "nowhere")]) == 1
    assert "no app.json in" in capsys.readouterr().err


# --------------------------------------------------------------------------- environments not provisioned yet


def test_a_declared_environment_nobody_provisioned_is_no_drift_and_no_failure(example):
    """The example declares staging; before anyone pushes its branch, and after the branch exists
    but before its first apply, the daily check says so and stays green. Only state alarms."""
    example.repo.git("branch", "-D", "staging")
    first = example.runner.run(DRIFT, schedule(example.repo))
    assert {j.name: j.conclusion for j in first.jobs.values()} == {"Drift (production)": "success", "Drift (staging)": "success"}
    staging = first.jobs["Drift (staging)"]
    assert ("notice", "staging: not provisioned yet (no branch `staging`), so no drift to check") in staging.annotations
    assert staging.step("Check out").outcome == "skipped" and "not provisioned yet" in staging.summary
    production = first.jobs["Drift (production)"]
    assert ("notice", "production: not provisioned yet (no state: nothing was applied from branch `main`), so no drift to check"
            ) in production.annotations
    assert production.step("Terraform plan").outcome == "skipped"

    assert merge(example, rename_site("Live")).jobs["Apply (production)"].conclusion == "success"
    example.repo.git("branch", "staging", "main")  # pushed, never applied
    second = example.runner.run(DRIFT, schedule(example.repo))
    assert {j.name: j.conclusion for j in second.jobs.values()} == {"Drift (production)": "success", "Drift (staging)": "success"}
    staging = second.jobs["Drift (staging)"]
    assert ("notice", "staging: not provisioned yet (no state: nothing was applied from branch `staging`), so no drift to check"
            ) in staging.annotations
    assert second.jobs["Drift (production)"].step("Terraform plan").outcome == "success", "provisioned: checked"
    assert example.github.issues == [] and not any("Drift" in m["text"] for m in example.slack.messages)

    resize_droplet_behind_terraforms_back(example, "s-8vcpu-16gb")
    third = example.runner.run(DRIFT, schedule(example.repo))
    assert third.jobs["Drift (production)"].conclusion == "failure", "state exists: drift alarms"
    assert [i["title"] for i in example.github.issues] == ["Infrastructure drift detected (production)"]


# --------------------------------------------------------------------------- a plan that fails before Terraform


def test_a_plan_that_fails_before_terraform_replaces_the_green_comment_with_why(example):
    """The comment is the reviewer's truth: after a green plan, a push whose run stops before
    Terraform (app.json edited without `webkit update`, a sops key the file lacks) says so there."""
    example.change(rename_site("Green"), "feature")
    assert example.runner.run(PLAN, pull_request(example.repo, 7, "feature")).conclusion == "success"
    assert "15 to add" in comments(example)[0]["body"]

    stale = dict(example.manifest, project=dict(example.manifest["project"], title="Edited by hand"))
    example.repo.commit({"app.json": json.dumps(stale, indent=2) + "\n"}, "no webkit update", branch="feature")
    run = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
    assert run.conclusion == "failure"
    (comment,) = comments(example)
    body = comment["body"]
    assert "## ❌ Terraform plan · production: failed before Terraform ran" in body and "15 to add" not in body
    assert "_Set up Terraform and the stack_ failed" in body
    assert "app.json changed since the workflows were generated: run `webkit update` and commit the result" in body

    def lacking_key(m: dict) -> None:
        # a secret the plan reads: the App Platform app's (a VM app's secrets never reach Terraform)
        next(e for e in m["shared"]["env"]["default"] if e["key"] == "SENTRY_DSN")["from"] = "sops:secrets/shared.yaml:/NO_SUCH_KEY"
    example.change(lacking_key, "feature")
    run = example.runner.run(PLAN, pull_request(example.repo, 7, "feature"))
    assert run.conclusion == "failure"
    body = comments(example)[0]["body"]
    assert "_Terraform plan_ failed" in body and "cannot decrypt NO_SUCH_KEY from secrets/shared.yaml" in body, body
    assert "not found" in body, "sops's own reason"
    assert_nothing_leaked(example)
