"""The shell glue, one `run:` script at a time; whole workflows run in tests/ghactions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.ghactions.services import FakeGitHub
from tests.workflows.conftest import copy_project, load_yaml, stack_of, steps


def run_step(script: str, cwd: Path, env: dict, tmp: Path) -> subprocess.CompletedProcess:
    """One `run:` script as GitHub runs it under the workflows' `defaults.run.shell: bash`, with
    ${{ }} already evaluated. Whole workflows run under tests/ghactions (real terraform and sops)."""
    base = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_OUTPUT": str(tmp / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "RUNNER_TEMP": str(tmp),
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
    written = json.loads((tmp_path / "tf" / "cdk.tf.json").read_text())
    assert written["output"]["cms_env_values"]["value"]["SNEAKY"] == "$${{ secrets.DIGITALOCEAN_TOKEN }}"


def test_stamp_check_passes_then_fails_when_app_json_changes(example, tmp_path):
    script = step(setup_action(example), "Check app.json matches these workflows")["run"]
    stamp = {"WEBKIT_STAMP": step(plan_workflow(example), "Set up Terraform and the stack")["with"]["stamp"]}
    assert run_step(script, example, stamp, tmp_path).returncode == 0
    mixed = run_step(script, example, {"WEBKIT_STAMP": "0" * 64}, tmp_path)
    assert mixed.returncode == 1 and "come from different `webkit update` runs" in mixed.stdout
    (example / "app.json").write_text((example / "app.json").read_text().replace("My Website", "My Site"))
    result = run_step(script, example, stamp, tmp_path)
    assert result.returncode == 1
    assert "app.json changed since the workflows were generated: run `webkit update`" in result.stdout


def test_failed_plan_fails_the_check_only_after_commenting(example):
    doc = plan_workflow(example)
    names = [s["name"] for _, s in steps(doc)]
    assert names.index("Comment the plan on the pull request") < names.index("Fail the check when the plan failed")
    fail = step(doc, "Fail the check when the plan failed")
    assert fail["if"] == "${{ steps.plan.outputs.exitcode != '0' && steps.plan.outputs.exitcode != '2' }}"


def test_slack_is_optional(example, tmp_path):
    apply = load_yaml(example / ".github/workflows/release.yml")
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
    (tmp_path / "plan-output.log").write_text("")  # the plan step writes both logs
    comment = str(example / ".github/actions/terraform-comment/plan_comment")
    with FakeGitHub() as github:
        env = {"PLAN_EXITCODE": str(code), "COMMENT_DIR": comment, "GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.url,
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
               "GITHUB_REPOSITORY": "acme/site", "WEBKIT_ENVIRONMENT": "production", "RUN_URL": "https://run", "SLACK_WEBHOOK_URL": ""}
        for _ in range(2):
            result = run_step(report, tmp_path, env, tmp_path)
            assert result.returncode == (1 if opened else 0), result.stderr
        titles = [i["title"] for i in github.issues]
    assert titles == (["Infrastructure drift detected (production)"] if opened else [])


def test_the_plan_is_never_protected_by_an_empty_key(example, tmp_path):
    apply = load_yaml(example / ".github/workflows/release.yml")
    (tmp_path / "tfplan").write_text("plan")
    (tmp_path / ".terraform.lock.hcl").write_text("lock")
    result = run_step(step(apply, "Encrypt the plan")["run"], tmp_path, {"WEBKIT_PLAN_KEY": "", "GITHUB_RUN_ID": "1"}, tmp_path)
    assert result.returncode == 1 and "refusing to protect the plan with an empty key" in result.stdout
    assert not (tmp_path / "plan-out" / "tfplan.enc").exists()


def test_a_failed_post_merge_plan_summary_escapes_and_masks_terraforms_error(example, tmp_path):
    """The apply workflow's plan-failure summary: Terraform's error text cannot close its code block
    (markdown/HTML injection), and the user's masks apply, as in the comment."""
    apply = load_yaml(example / ".github/workflows/release.yml")
    stop = step(apply, "Stop when the plan failed")
    assert stop["env"]["COMMENT_DIR"].endswith("/terraform-comment/plan_comment")
    (tmp_path / "plan-error.log").write_text("Error: account acct-42 refused\n```\n<img src=x onerror=alert(1)>\n# owned\n")
    env = {"COMMENT_DIR": str(example / ".github/actions/terraform-comment/plan_comment"), "PLAN_DIR": str(tmp_path),
           "WEBKIT_PLAN_MASKS": "acct-[0-9]+", "WEBKIT_ENVIRONMENT": "production", "GITHUB_REPOSITORY": "acme/site",
           "RUN_URL": "https://run", "SLACK_WEBHOOK_URL": ""}
    result = run_step(stop["run"], tmp_path, env, tmp_path)
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "summary.md").read_text() == (
        "## Plan failed for production\n\n````\nError: account (masked) refused\n```\n<img src=x onerror=alert(1)>\n# owned\n````\n")
    (tmp_path / "summary.md").unlink()
    (tmp_path / "plan-error.log").unlink()  # an earlier step failed: no plan ran
    run_step(stop["run"], tmp_path, env, tmp_path)
    assert (tmp_path / "summary.md").read_text() == "## Plan failed for production\n\nNo plan ran: an earlier step failed (see the log).\n"
