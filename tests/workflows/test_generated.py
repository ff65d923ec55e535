"""The generated .github/: linted by the real tools, shaped as DESIGN.md requires."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.conftest import load_yaml, steps

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


def workflows(project: Path) -> list[Path]:
    return sorted((project / ".github" / "workflows").glob("*.yml"))


def actions(project: Path) -> list[Path]:
    return sorted((project / ".github" / "actions").glob("*/action.yml"))


NAMES = ["example", "staging-and-production", "no-secrets"]


@pytest.mark.parametrize("name", NAMES)
def test_actionlint_with_shellcheck_finds_nothing(projects, name):
    result = subprocess.run([tool("actionlint"), "-shellcheck", tool("shellcheck"), *map(str, workflows(projects[name]))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("persona", ["regular", "auditor"])
@pytest.mark.parametrize("name", NAMES)
def test_zizmor_offline_finds_nothing(projects, name, persona):
    """The auditor persona too: no secret outside a GitHub environment, every write permission explained."""
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--persona", persona, str(projects[name] / ".github")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_json_schemas_of_workflows_and_actions(projects, name):
    for schema, files in (("vendor.github-workflows", workflows(projects[name])), ("vendor.github-actions", actions(projects[name]))):
        result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_composite_action_scripts_pass_shellcheck(projects, name, tmp_path):
    for path in actions(projects[name]):
        for _, step in steps(load_yaml(path)):
            if "run" in step:
                script = tmp_path / "script.sh"
                script.write_text("#!/usr/bin/env bash\n" + step["run"].replace("${{ '${{' }}", "${{"))
                result = subprocess.run([tool("shellcheck"), str(script)], capture_output=True, text=True)
                assert result.returncode == 0, f"{path}: {step['name']}\n{result.stdout}"


def test_security_shape(projects):
    for name in NAMES:
        for path in workflows(projects[name]):
            doc = load_yaml(path)
            assert doc["permissions"] == {}, path
            assert doc["defaults"] == {"run": {"shell": "bash"}}, "every run: step gets pipefail"
            for job_name, job in doc["jobs"].items():
                assert "timeout-minutes" in job, (path, job_name)
                assert job["permissions"].get("contents") == "read" or (job_name == "fork" and job["permissions"] == {})
                assert set(job["permissions"]) <= {"contents", "pull-requests", "issues", "packages"}
                # only a build job pushes images; a deploy job lends a read-only token to the droplet
                assert job["permissions"].get("packages", "read") == "read" or job_name.startswith("build-"), (path, job_name)
            for _, step in steps(doc):
                uses = step.get("uses", "")
                if uses and not uses.startswith("./"):
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses
                if uses.startswith("actions/checkout"):
                    assert step["with"]["persist-credentials"] is False
                if "run" in step:
                    expressions = re.findall(r"\$\{\{.*?\}\}", step["run"])
                    assert set(expressions) <= {"${{ '${{' }}"}, (path, step["name"], expressions)
            text = path.read_text()
            assert "pull_request_target" not in text
            assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d", text)


def test_plan_workflow(projects):
    doc = load_yaml(projects["staging-and-production"] / ".github/workflows/terraform-plan.yml")
    assert doc["on"]["pull_request"]["branches"] == ["main", "staging"]
    assert set(doc["on"]["pull_request"]["paths"]) >= {"app.json", "secrets/api.yaml"}
    job = doc["jobs"]["plan"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    plan = next(s for _, s in steps(doc) if s.get("id") == "plan")
    assert "-detailed-exitcode -out=tfplan" in plan["run"] and "-input=false" in plan["run"]
    assert "-lock-timeout=" in plan["run"]
    assert plan["env"]["TF_VAR_github_STRIPE_KEY"] == "${{ secrets.STRIPE_KEY }}"
    assert plan["env"]["TF_VAR_github_STRIPE_TEST_KEY"] == "${{ secrets.STRIPE_TEST_KEY }}"
    init = next(s for _, s in steps(doc) if s.get("name") == "Terraform init")
    assert set(init["env"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, "init sees only the backend keys"
    assert job["env"]["AWS_REQUEST_CHECKSUM_CALCULATION"] == "when_required"


def test_apply_workflow(projects):
    doc = load_yaml(projects["staging-and-production"] / ".github/workflows/release.yml")
    assert doc["on"]["push"]["branches"] == ["main", "staging"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert doc["concurrency"]["group"].startswith("webkit-state-shop-")
    plan, apply = doc["jobs"]["plan"], doc["jobs"]["apply"]
    assert apply["needs"] == "plan" and apply["environment"] == {"name": "${{ needs.plan.outputs.environment }}"}
    upload = next(s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "${{ runner.temp }}/plan-out" and upload["with"]["retention-days"] == 7
    encrypt = next(s for s in plan["steps"] if s["name"] == "Encrypt the plan")
    assert "openssl enc -aes-256-cbc" in encrypt["run"] and "rm -f tfplan" in encrypt["run"]
    assert "-mac HMAC" in encrypt["run"], "encrypt-then-MAC: the apply refuses a changed plan"
    run = next(s for s in apply["steps"] if s.get("id") == "apply")["run"]
    assert "terraform apply -input=false -lock-timeout=5m -no-color tfplan" in run
    assert "SLACK_WEBHOOK_URL" in next(s for s in apply["steps"] if s["name"] == "Notify Slack")["env"]


def test_drift_check_never_shares_the_apply_concurrency_group(projects):
    doc = load_yaml(projects["staging-and-production"] / ".github/workflows/terraform-drift-check.yml")
    assert "schedule" in doc["on"] and "workflow_dispatch" in doc["on"]
    job = doc["jobs"]["drift"]
    assert job["strategy"]["matrix"]["include"] == [{"environment": "production", "branch": "main"},
                                                    {"environment": "staging", "branch": "staging"}]
    checkout = next(s for s in job["steps"] if s["name"] == "Check out")
    assert checkout["with"]["ref"] == "${{ matrix.branch }}", "each environment from its own branch"
    # GitHub keeps one pending run per group: a shared group would let a drift check replace a pending apply.
    assert job["concurrency"] == {"group": "webkit-drift-shop-${{ matrix.environment }}", "cancel-in-progress": False}
    apply = load_yaml(projects["staging-and-production"] / ".github/workflows/release.yml")
    assert apply["concurrency"]["group"] != job["concurrency"]["group"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}


def test_only_the_secrets_the_manifest_uses(projects):
    text = "".join(p.read_text() for p in workflows(projects["no-secrets"]) + actions(projects["no-secrets"]))
    assert "SOPS_AGE_KEY" not in text and "sops" not in text.lower().replace("sops_", "")
    assert "B2_APPLICATION_KEY" not in text, "no B2 resource, no B2 provider credentials"
    assert "SPACES_ACCESS_KEY_ID" in text
    example = "".join(p.read_text() for p in actions(projects["example"]))
    assert "Install sops (checksum verified)" in example and "sha256sum --check --strict" in example


def test_header_stamps_version_and_hash_and_no_time(projects):
    """No clock (the same inputs give the same bytes); app.json's hash only where the file depends
    on it, so reverting an old merge does not conflict in the comment action's files."""
    import hashlib

    project = projects["example"]
    digest = hashlib.sha256((project / "app.json").read_bytes()).hexdigest()
    for path in workflows(project) + actions(project):
        first = path.read_text().splitlines()[0]
        source = "" if "terraform-comment" in str(path) else rf" from app.json \(sha256 {digest}\)"
        assert re.fullmatch(rf"# Generated by webkit \S+{source}\.", first), first
        assert "Do not edit" in path.read_text().splitlines()[1]


def test_comment_package_is_the_stand_alone_package(projects):
    copied = projects["example"] / ".github/actions/terraform-comment/plan_comment"
    from workflows import plan_comment

    source = Path(plan_comment.__file__).parent
    shipped = sorted(p.name for p in copied.iterdir() if p.name != "__pycache__")  # python3 writes one where it runs
    assert shipped == sorted(p.name for p in source.glob("*.py")), "every module, nothing else"
    for module in source.glob("*.py"):
        assert (copied / module.name).read_text().split("\n", 2)[2] == module.read_text(), module.name
    result = subprocess.run([sys.executable, "-I", str(copied), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, "runs with the standard library only"


def test_embedded_stack_is_the_synthesised_json(projects):
    from tests.workflows.conftest import stack_of

    action = (projects["example"] / ".github/actions/webkit-terraform/action.yml").read_text()
    assert json.dumps(stack_of(projects["example"], "production")["resource"]["digitalocean_droplet"]["cms_droplet"]["name"]) in action


def test_an_environment_can_name_its_branch(tmp_path):
    from tests.conftest import plan_example
    from tests.workflows.conftest import generate

    manifest = plan_example()
    manifest["environments"] = ["production", "staging"]
    manifest["branches"] = {"production": "release", "staging": "develop"}
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    project = generate(tmp_path / "p", tmp_path / "m.json")
    plan = load_yaml(project / ".github/workflows/terraform-plan.yml")
    apply = load_yaml(project / ".github/workflows/release.yml")
    drift = load_yaml(project / ".github/workflows/terraform-drift-check.yml")
    assert plan["on"]["pull_request"]["branches"] == apply["on"]["push"]["branches"] == ["release", "develop"]
    chosen = apply["jobs"]["plan"]["env"]["WEBKIT_ENVIRONMENT"]
    assert "github.ref_name == 'release' && 'production' || github.ref_name == 'develop' && 'staging'" in chosen
    assert [m["branch"] for m in drift["jobs"]["drift"]["strategy"]["matrix"]["include"]] == ["release", "develop"]
