"""The shell glue, run: each generated `run:` script executes under bash against stub
`terraform` and `sops` commands that record their arguments."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.workflows.conftest import copy_project, load_yaml, stack_of, steps
from tests.workflows.fake_github import FakeGitHub

SOPS_SECRET = "s3cr3t-value-from-sops"
GITHUB_SECRET = "gh-secret-value-42"

TERRAFORM_STUB = """#!/usr/bin/env bash
echo "terraform $*" >> "$STUB_LOG"
case "$1" in
  plan)
    [ "${TF_VAR_sops_secrets_cms_yaml_PAYLOAD_SECRET:-}" = "$EXPECT_SOPS" ] && echo "payload secret received" >> "$STUB_LOG"
    [ "${TF_VAR_github_STRIPE_SECRET_KEY:-}" = "$EXPECT_GITHUB" ] && echo "github secret received" >> "$STUB_LOG"
    if [ "${STUB_PLAN_EXIT:-2}" = 1 ]; then echo "Error: Invalid reference" >&2; exit 1; fi
    echo "plan output" > tfplan
    exit "${STUB_PLAN_EXIT:-2}" ;;
  show) echo '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a", "mode": "managed", "change": {"actions": ["update"], "before": {"x": 1}, "after": {"x": 2}}}]}' ;;
  output) echo '{"project": "my-website"}' ;;
esac
exit 0
"""
SOPS_STUB = """#!/usr/bin/env bash
echo "sops $*" >> "$STUB_LOG"
echo "$EXPECT_SOPS"
"""


def run_step(script: str, cwd: Path, env: dict, tmp: Path) -> subprocess.CompletedProcess:
    """As GitHub runs a step: `bash --noprofile --norc -eo pipefail`, with ${{ }} already evaluated."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in (("terraform", TERRAFORM_STUB), ("sops", SOPS_STUB)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(stat.S_IRWXU)
    base = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "STUB_LOG": str(tmp / "stub.log"),
        "GITHUB_OUTPUT": str(tmp / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "RUNNER_TEMP": str(tmp),
        "EXPECT_SOPS": SOPS_SECRET,
        "EXPECT_GITHUB": GITHUB_SECRET,
        "HOME": str(tmp),
    }
    text = script.replace("${{ '${{' }}", "${{")
    (tmp / "step.sh").write_text(text)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp / "step.sh")],
                          cwd=cwd, env=base | env, capture_output=True, text=True)


def step(doc: dict, name: str) -> dict:
    return next(s for _, s in steps(doc) if s.get("name") == name)


def outputs(tmp: Path) -> dict:
    path = tmp / "github_output"
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


@pytest.fixture
def example(projects, tmp_path) -> Path:
    return copy_project(projects["example"], tmp_path / "project")


def setup_action(project: Path) -> dict:
    return load_yaml(project / ".github/actions/webkit-terraform/action.yml")


def plan_workflow(project: Path) -> dict:
    return load_yaml(project / ".github/workflows/terraform-plan.yml")


def test_embedded_json_is_written_intact(example, tmp_path):
    script = step(setup_action(example), "Write the Terraform configuration")["run"]
    work = tmp_path / "tf"
    result = run_step(script, example, {"WEBKIT_ENVIRONMENT": "production", "WEBKIT_DIR": str(work)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((work / "cdk.tf.json").read_text()) == stack_of(example, "production")
    assert outputs(tmp_path)["directory"] == str(work)
    bad = run_step(script, example, {"WEBKIT_ENVIRONMENT": "qa", "WEBKIT_DIR": str(work)}, tmp_path)
    assert bad.returncode == 1 and "unknown environment qa" in bad.stdout


def test_expressions_in_user_values_stay_literal(projects, tmp_path):
    from tests.conftest import plan_example, write_project
    from tests.workflows.conftest import generate

    manifest = plan_example()
    manifest["apps"][0]["env"]["production"].append({"key": "SNEAKY", "type": "value", "value": "${{ secrets.DIGITALOCEAN_TOKEN }}"})
    folder = tmp_path / "sneaky"
    write_project(folder, manifest)
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    project = generate(tmp_path / "p", tmp_path / "m.json")
    script = step(setup_action(project), "Write the Terraform configuration")["run"]
    assert "${{ '${{' }} secrets.DIGITALOCEAN_TOKEN }}" in script
    run_step(script, project, {"WEBKIT_ENVIRONMENT": "production", "WEBKIT_DIR": str(tmp_path / "tf")}, tmp_path)
    # ...and Terraform's own template syntax is escaped too, so Terraform reads it back as text.
    assert "SNEAKY=\\\"$${{ secrets.DIGITALOCEAN_TOKEN }}\\\"" in (tmp_path / "tf" / "cdk.tf.json").read_text()


def test_stamp_check_passes_then_fails_when_app_json_changes(example, tmp_path):
    script = step(setup_action(example), "Check app.json matches these workflows")["run"]
    assert run_step(script, example, {}, tmp_path).returncode == 0
    (example / "app.json").write_text((example / "app.json").read_text().replace("My Website", "My Site"))
    result = run_step(script, example, {}, tmp_path)
    assert result.returncode == 1
    assert "app.json changed since the workflows were generated: run `webkit update`" in result.stdout


@pytest.mark.parametrize("code, errored", [(0, False), (2, False), (1, True)])
def test_plan_exit_codes_are_handled(example, tmp_path, code, errored):
    plan = step(plan_workflow(example), "Terraform plan")
    env = {"STUB_PLAN_EXIT": str(code), "SOPS_AGE_KEY": "AGE-SECRET-KEY-1", "TF_VAR_github_STRIPE_SECRET_KEY": GITHUB_SECRET}
    result = run_step(plan["run"], tmp_path, env, tmp_path)
    assert result.returncode == 0, "the step records the code; a later step fails the check after commenting"
    assert outputs(tmp_path)["exitcode"] == str(code)
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document.get("errored", False) is errored
    if errored:
        assert "Error: Invalid reference" in (tmp_path / "plan-error.log").read_text()
    log = (tmp_path / "stub.log").read_text()
    assert "terraform plan -input=false -lock-timeout=5m -no-color -detailed-exitcode -out=tfplan" in log
    assert "sops --decrypt --extract [\"PAYLOAD_SECRET\"] secrets/cms.yaml" in log
    assert "payload secret received" in log and "github secret received" in log


def test_no_secret_value_reaches_stdout(example, tmp_path):
    plan = step(plan_workflow(example), "Terraform plan")
    result = run_step(plan["run"], tmp_path, {"TF_VAR_github_STRIPE_SECRET_KEY": GITHUB_SECRET}, tmp_path)
    # The only line carrying a sops value is the runner command that masks it in the log.
    leaking = [line for line in result.stdout.splitlines() if SOPS_SECRET in line and not line.startswith("::add-mask::")]
    assert leaking == [] and GITHUB_SECRET not in result.stdout + result.stderr
    assert f"::add-mask::{SOPS_SECRET}" in result.stdout


def test_failed_plan_fails_the_check_only_after_commenting(example):
    doc = plan_workflow(example)
    names = [s["name"] for _, s in steps(doc)]
    assert names.index("Comment the plan on the pull request") < names.index("Fail the check when the plan failed")
    fail = step(doc, "Fail the check when the plan failed")
    assert fail["if"] == "${{ steps.plan.outputs.exitcode != '0' && steps.plan.outputs.exitcode != '2' }}"


def test_plan_travels_encrypted_and_decrypts(example, tmp_path):
    apply = load_yaml(example / ".github/workflows/terraform-apply.yml")
    work = tmp_path / "job1"
    work.mkdir()
    (work / "tfplan").write_text("PLAN WITH A DATABASE PASSWORD hunter2")
    (work / ".terraform.lock.hcl").write_text("# lock")
    env = {"DIGITALOCEAN_TOKEN": "do-token", "GITHUB_RUN_ID": "4242"}
    assert run_step(step(apply, "Encrypt the plan")["run"], work, env, tmp_path).returncode == 0
    assert not (work / "tfplan").exists()
    encrypted = (tmp_path / "tfplan.enc").read_bytes()
    assert b"hunter2" not in encrypted and b"PLAN" not in encrypted
    (tmp_path / "plan").mkdir()
    (tmp_path / "tfplan.enc").rename(tmp_path / "plan" / "tfplan.enc")
    job2 = tmp_path / "job2"
    job2.mkdir()
    assert run_step(step(apply, "Decrypt the plan")["run"], job2, env, tmp_path).returncode == 0
    assert (job2 / "tfplan").read_text() == "PLAN WITH A DATABASE PASSWORD hunter2"
    assert (job2 / ".terraform.lock.hcl").exists()
    wrong = run_step(step(apply, "Decrypt the plan")["run"], tmp_path / "plan", env | {"DIGITALOCEAN_TOKEN": "other"}, tmp_path)
    assert wrong.returncode != 0


def test_apply_runs_the_saved_plan_and_summarises(example, tmp_path):
    apply = load_yaml(example / ".github/workflows/terraform-apply.yml")
    result = run_step(step(apply, "Terraform apply (exactly the reviewed plan)")["run"], tmp_path,
                      {"TF_VAR_github_STRIPE_SECRET_KEY": GITHUB_SECRET}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "terraform apply -input=false -lock-timeout=5m -no-color tfplan" in (tmp_path / "stub.log").read_text()
    summary = run_step(step(apply, "Deployment summary")["run"], tmp_path, {"WEBKIT_ENVIRONMENT": "production"}, tmp_path)
    assert summary.returncode == 0 and '"project": "my-website"' in (tmp_path / "summary.md").read_text()


def test_slack_is_optional(example, tmp_path):
    apply = load_yaml(example / ".github/workflows/terraform-apply.yml")
    notify = step(apply, "Notify Slack")["run"]
    result = run_step(notify, tmp_path, {"SLACK_WEBHOOK_URL": "", "APPLY_OUTCOME": "success", "GITHUB_REPOSITORY": "a/b",
                                         "WEBKIT_ENVIRONMENT": "production", "RUN_URL": "u"}, tmp_path)
    assert result.returncode == 0 and result.stdout == ""


@pytest.mark.parametrize("code, opened", [(0, False), (2, True), (1, True)])
def test_drift_opens_one_issue_and_fails(example, tmp_path, code, opened):
    drift = load_yaml(example / ".github/workflows/terraform-drift-check.yml")
    report = step(drift, "Report drift")["run"]
    (tmp_path / "plan.json").write_text('{"format_version": "1.2", "resource_changes": []}')
    (tmp_path / "plan-error.log").write_text("")
    script = str(example / ".github/actions/terraform-comment/plan_comment.py")
    with FakeGitHub() as github:
        env = {"PLAN_EXITCODE": str(code), "COMMENT_SCRIPT": script, "GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.url,
               "GITHUB_REPOSITORY": "acme/site", "WEBKIT_ENVIRONMENT": "production", "RUN_URL": "https://run", "SLACK_WEBHOOK_URL": ""}
        for _ in range(2):
            result = run_step(report, tmp_path, env, tmp_path)
            assert result.returncode == (1 if opened else 0), result.stderr
        titles = [i["title"] for i in github.issues]
    assert titles == (["Infrastructure drift detected (production)"] if opened else [])
