"""The README's new-project path, run as written: from an empty folder to a sandbox plan, then the
pull-request plan of its generated workflows in the workflow harness (tests/ghactions)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def readme_block(heading: str) -> str:
    """The first ```bash block under `heading` in README.md."""
    text = (REPO / "README.md").read_text()
    section = text[text.index(f"\n## {heading}\n"):]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, f"README has no bash block under {heading}"
    return match.group(1)


def user_env(home: Path) -> dict[str, str]:
    """A user's shell: webkit (this venv's) on PATH, git with a name, no sops key, no CI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "GIT_", "CI", "GITHUB_"))}
    return env | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", "HOME": str(home),
                  "GIT_AUTHOR_NAME": "A User", "GIT_AUTHOR_EMAIL": "user@example.com",
                  "GIT_COMMITTER_NAME": "A User", "GIT_COMMITTER_EMAIL": "user@example.com"}


@pytest.mark.e2e
def test_the_readmes_new_project_path_ends_in_a_sandbox_plan_and_a_passing_pr_plan(tmp_path):
    script = readme_block("Start a new project")
    assert "webkit init" in script and "webkit infra plan --sandbox" in script and "webkit update" in script
    (tmp_path / "home").mkdir()
    env = user_env(tmp_path / "home")
    walked = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = walked.stdout + walked.stderr
    assert walked.returncode == 0, out
    assert "✓ Wrote app.json" in out and "✓ Wrote .sops.yaml" in out
    assert len(re.findall(r"^AGE-SECRET-KEY-1\w+$", walked.stdout, re.M)) == 1
    assert "webkit infra validate" in out and "✓ Schema valid" in out
    assert "✓ Planned production in the sandbox" in out
    assert "✓ Generated .github/workflows/terraform-plan.yml" in out
    project = tmp_path / "my-site"
    tracked = subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True, env=env).stdout.split()
    assert {"app.json", "app.schema.json", ".sops.yaml", "secrets/production.yaml", ".github/workflows/terraform-plan.yml"} <= set(tracked)
    assert not any(p.startswith(".webkit/") for p in tracked), "the sandbox's state stays out of git"

    harness = subprocess.run([sys.executable, "-m", "tests.ghactions", "--project", str(project), "--keep", str(tmp_path / "harness")],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert harness.returncode == 0, harness.stdout[-6000:] + harness.stderr[-3000:]
    assert re.search(r"^=== pull request plan \(production, into main\): success$", harness.stdout, re.M), harness.stdout[-3000:]
    assert "Traceback" not in harness.stdout + harness.stderr
