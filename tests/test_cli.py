"""The commands as a user runs them: output lines, exit codes, and no tracebacks."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLE, REPO, plan_example, write_project
from webkit.commands.cli import app

runner = CliRunner()


def webkit(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webkit", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_validate_example_passes_every_check():
    result = webkit("infra", "validate", "--project-dir", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "✓ Schema valid",
        "✓ All resource references resolve",
        "✓ Provider/type combinations supported",
    ]
    assert "✗" not in result.stdout + result.stderr


def test_validate_reports_missing_region_in_the_plans_words(tmp_path):
    manifest = plan_example()
    del manifest["apps"][0]["infra"]["config"]["region"]
    lines = json.dumps(manifest, indent=2).splitlines()
    config_line = 1 + next(i for i, text in enumerate(lines) if '"size": "s-2vcpu-4gb"' in text) - 1
    write_project(tmp_path, manifest)
    result = webkit("infra", "validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "✓ Schema valid" in result.stdout
    assert f"✗ Missing required config: apps[0].infra.config.region (app.json line {config_line})" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_malformed_json_names_line_and_column(tmp_path):
    write_project(tmp_path, '{"project": {"name": "x"},\n "apps": [}')
    result = webkit("infra", "validate", "-C", str(tmp_path))
    assert result.returncode == 1
    assert "app.json is not valid JSON" in result.stderr and "line 2, column 11" in result.stderr
    assert "Traceback" not in result.stderr


def test_schema_failure_says_other_checks_wait(tmp_path):
    write_project(tmp_path, {"project": {}})
    result = runner.invoke(app, ["infra", "validate", "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert "✗ Missing required key: project.name (app.json line 2)" in result.output
    assert "ℹ All resource references resolve: not checked until the schema is valid" in result.output


def test_strict_turns_warnings_into_errors(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["infra"]["config"]["vpc_name"] = "main"  # a key of a newer webkit, not a typo
    write_project(tmp_path, manifest)
    relaxed = runner.invoke(app, ["infra", "validate", "-C", str(tmp_path)])
    assert relaxed.exit_code == 0
    assert "⚠ Unknown key 'vpc_name': apps[0].infra.config.vpc_name" in relaxed.output
    assert runner.invoke(app, ["infra", "validate", "-C", str(tmp_path), "--strict"]).exit_code == 1


def test_missing_manifest_is_a_clear_error(tmp_path):
    result = webkit("infra", "validate", "-C", str(tmp_path))
    assert result.returncode == 1
    assert "app.json not found" in result.stderr


def test_usage_errors_exit_2():
    assert webkit("infra", "valdate").returncode == 2
    assert webkit("infra", "validate", "--no-such-flag").returncode == 2


def test_schema_is_generated_and_the_committed_copy_is_current():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "webkit app.json"
    assert result.output == (REPO / "schema" / "app.schema.json").read_text(), "run: webkit schema --out schema/app.schema.json"
    assert json.loads((EXAMPLE / "app.json").read_text())["$schema"] == "../../schema/app.schema.json"


def test_dry_run_writes_the_tfvars(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["infra", "plan", "--dry-run", "-C", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    tfvars = json.loads((out / "project.auto.tfvars.json").read_text())
    assert tfvars["project_name"] == "my-website"
    assert {a["name"]: a["infrastructure_type"] for a in tfvars["apps"]} == {"cms": "vm", "web": "app"}


def test_dry_run_on_a_broken_manifest_writes_nothing(tmp_path):
    write_project(tmp_path, {"project": {"name": "x"}, "apps": [{"name": "a"}]})
    result = runner.invoke(app, ["infra", "plan", "--dry-run", "-C", str(tmp_path), "--out", "out"])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


PLAN = REPO / "tests" / "fixtures" / "plans" / "every-action.json"


@pytest.mark.parametrize("command", [
    ["infra", "validate", "-C", str(EXAMPLE)],
    ["schema"],
    ["infra", "comment", "--plan-json", str(PLAN)],
    ["infra", "cost", "-C", str(EXAMPLE)],
], ids=["validate", "schema", "comment", "cost"])
def test_commands_that_do_not_synthesise_never_import_cdktf(command):
    code = (
        "import sys, runpy; sys.argv = ['webkit', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('webkit', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'cdktf' not in sys.modules and 'jsii' not in sys.modules, 'cdktf was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_comment_command(tmp_path):
    result = runner.invoke(app, ["infra", "comment", "--plan-json", str(PLAN), "--format", "json", "-e", "production"])
    assert result.exit_code == 0
    assert json.loads(result.output)["environment"] == "production"
    markdown = runner.invoke(app, ["infra", "comment", "--plan-json", str(PLAN)])
    assert markdown.output.startswith("<!-- webkit-plan-comment:default -->")
    (tmp_path / "x.json").write_text("not a plan")
    assert runner.invoke(app, ["infra", "comment", "--plan-json", str(tmp_path / "x.json")]).exit_code == 1
    assert runner.invoke(app, ["infra", "comment", "--plan-json", str(PLAN), "--format", "xml"]).exit_code == 2


def test_synth_writes_each_environment_like_cdktf(tmp_path):
    project = write_project(tmp_path / "p", json.loads((REPO / "tests" / "manifests" / "staging-and-production.json").read_text()))
    result = runner.invoke(app, ["infra", "synth", "-C", str(project)])
    assert result.exit_code == 0, result.output
    for env in ("production", "staging"):
        stack = json.loads((project / "cdktf.out" / "stacks" / env / "cdk.tf.json").read_text())
        assert stack["terraform"]["backend"]["s3"]["key"] == f"projects/shop/{env}/terraform.tfstate"
    only = runner.invoke(app, ["infra", "synth", "-C", str(project), "-e", "staging", "--out", str(tmp_path / "s")])
    assert only.exit_code == 0
    assert [p.name for p in (tmp_path / "s" / "stacks").iterdir()] == ["staging"]


def test_synth_of_a_broken_manifest_writes_nothing(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["env"]["production"][0]["from"] = "cache.url"
    write_project(tmp_path, manifest)
    result = runner.invoke(app, ["infra", "synth", "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown resource 'cache'" in result.output
    assert not (tmp_path / "cdktf.out").exists()


def test_dry_run_writes_the_synthesised_stacks(tmp_path):
    before = {p: p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["infra", "plan", "--dry-run", "-C", str(EXAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    stack = json.loads((tmp_path / "stacks" / "production" / "cdk.tf.json").read_text())
    assert "digitalocean_droplet" in stack["resource"]
    assert (tmp_path / ".github" / "workflows" / "terraform-plan.yml").is_file()
    after = {p: p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}
    assert after == before, "the dry run writes only into its output folder"


def test_a_synthesising_command_exits_cleanly_and_quickly(tmp_path):
    """After synthesis the CLI skips interpreter teardown: output is complete, Node leaves no files."""
    temp = tmp_path / "tmp"  # the test's own temp folder: other jsii processes on the machine do not count
    temp.mkdir()
    out = tmp_path / "out"
    result = webkit("infra", "synth", "-C", str(EXAMPLE), "--out", str(out), env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 0
    assert f"✓ Synthesised production: {out}/stacks/production/cdk.tf.json" in result.stdout
    assert result.stdout.strip().endswith(f"✓ Synthesised staging: {out}/stacks/staging/cdk.tf.json")
    assert list(temp.iterdir()) == []


def test_the_schema_accepts_our_manifests_and_flags_typos_for_editors():
    import jsonschema

    schema = json.loads((REPO / "schema" / "app.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in [EXAMPLE / "app.json", *sorted((REPO / "tests" / "manifests").glob("*.json"))]:
        assert list(validator.iter_errors(json.loads(path.read_text()))) == [], path
    typo = plan_example()
    typo["resources"][0]["config"]["regoin"] = "nyc3"
    assert any("regoin" in error.message for error in validator.iter_errors(typo)), "config is typed per kind"


def test_infra_version_is_a_version_never_yaml(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".github", ".webkit"))
    result = webkit("update", "-C", str(project), "--infra-version", "1.0\non: [push]\nfoo: bar")
    assert result.returncode == 2 and "is not a version such as 1.2.3" in result.stderr
    assert "Traceback" not in result.stderr and not (project / ".github").exists()


def test_a_near_miss_of_a_known_key_is_an_error_with_a_suggestion(tmp_path):
    manifest = plan_example()
    manifest["resources"][0]["config"]["engine_verison"] = "16"  # would have provisioned PostgreSQL 17
    manifest["apps"][0]["infra"]["config"]["vpc_name"] = "main"
    write_project(tmp_path, manifest)
    result = runner.invoke(app, ["update", "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert "✗ Unknown key 'engine_verison': did you mean 'engine_version'?: resources[0].config.engine_verison" in result.output
    assert "⚠ Unknown key 'vpc_name'" in result.output, "update shows the warnings beside its errors"
    assert not (tmp_path / ".github").exists()


def test_project_dir_works_before_or_after_the_command_and_never_twice():
    for args in (["-C", str(EXAMPLE), "infra", "validate"], ["infra", "-C", str(EXAMPLE), "validate"],
                 ["infra", "validate", "-C", str(EXAMPLE)], ["-C", str(EXAMPLE), "infra", "validate", "-C", str(EXAMPLE)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    clash = runner.invoke(app, ["-C", str(EXAMPLE), "infra", "validate", "-C", str(REPO)])
    assert clash.exit_code == 2 and "given more than once, naming different folders" in clash.output
    alone = runner.invoke(app, ["infra", "validate"])
    assert alone.exit_code == 1, "no -C anywhere is the current folder (the repository root has no app.json)"


def test_help_shows_flags_as_flags():
    for args in (["update", "--help"], ["infra", "plan", "--help"], ["--help"]):
        text = webkit(*args).stdout
        assert "<bool>" not in text and "\x1b[" not in text
    assert "--check " in webkit("update", "--help").stdout


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from webkit import console

    for no_color, coloured in ((None, True), ("1", False)):
        if no_color:
            monkeypatch.setenv("NO_COLOR", no_color)
        out = Terminal()
        monkeypatch.setattr(sys, "stdout", out)
        console.ok("done")
        assert ("\x1b[32m✓\x1b[0m done" in out.getvalue()) is coloured and "done" in out.getvalue()


def test_a_slow_step_shows_progress_on_a_terminal_only(monkeypatch):
    import time

    from webkit import console

    monkeypatch.setattr(console, "PROGRESS_AFTER", 0.05)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with console.progress("Synthesising"):
        time.sleep(0.3)
    assert "Synthesising…" in terminal.getvalue() and terminal.getvalue().endswith("\r\x1b[K"), "shown, then erased"
    quick = Terminal()
    monkeypatch.setattr(sys, "stderr", quick)
    with console.progress("Synthesising"):
        pass
    assert quick.getvalue() == "", "a quick step shows nothing"
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with console.progress("Synthesising"):
        time.sleep(0.3)
    assert piped.getvalue() == "", "nothing in a pipe or a CI log"
