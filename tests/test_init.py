"""`webkit init`, `-h` and finding app.json in a parent folder, as a user meets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.test_cli import webkit
from webkit.manifest import read
from webkit.manifest.schema import schema_text


def test_init_in_a_folder_with_code_writes_a_valid_app_json_whose_schema_resolves(tmp_path):
    folder = tmp_path / "My Site"
    folder.mkdir()
    (folder / "main.go").write_text("package main\n")
    result = webkit("init", "--repo", "acme/my-site", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["✓ Wrote app.json", "✓ Wrote app.schema.json"]
    assert "webkit infra validate" in result.stdout and "webkit infra plan --sandbox" in result.stdout and "webkit update" in result.stdout
    manifest = json.loads((folder / "app.json").read_text())
    assert manifest["project"] == {"name": "my-site", "repo": "acme/my-site"}
    assert read(folder / "app.json").ok()
    schema = folder / manifest["$schema"]  # resolves from app.json's folder, as editors resolve it
    assert schema.read_text() == schema_text()
    checked = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(folder / "app.json")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (folder / "main.go").read_text() == "package main\n"


def test_init_takes_the_repository_from_gits_origin(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:acme/shop.git"], check=True)
    result = webkit("init", "--name", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "app.json").read_text())["project"] == {"name": "shop", "repo": "acme/shop"}


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / "app.schema.json").write_text("mine\n")
    result = webkit("init", "--name", "shop", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "✗ app.schema.json already exists: init writes only new files (move it away, or run init in another folder)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.schema.json"]
    assert (tmp_path / "app.schema.json").read_text() == "mine\n"
    (tmp_path / "app.schema.json").unlink()
    (tmp_path / "app.json").write_text("{}")
    result = webkit("init", "-C", str(tmp_path))
    assert result.returncode == 1
    assert f"✗ {tmp_path / 'app.json'} already exists: init writes only new files (this folder has a project already" in result.stderr


def test_init_names_a_bad_project_name_or_repository(tmp_path):
    folder = tmp_path / "2024"
    folder.mkdir()
    result = webkit("init", cwd=folder)
    assert result.returncode == 1
    assert result.stderr.startswith("✗ the folder name '2024' is not a project name (lowercase letters, digits and dashes, "
                                    "starting with a letter, at most 40): pass --name my-site")
    result = webkit("init", "--name", "shop", "--repo", "not a repo", cwd=folder)
    assert result.returncode == 1
    assert result.stderr == "✗ --repo 'not a repo' is not a GitHub repository: pass owner/name, such as acme/my-site\n"
    assert list(folder.iterdir()) == []


def test_init_sops_makes_a_key_shown_once_and_a_secrets_file_only_that_key_opens(tmp_path):
    from webkit import sops

    result = webkit("init", "--sops", "--name", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    keys = [line for line in lines if line.startswith("AGE-SECRET-KEY-")]
    assert len(keys) == 1
    assert "Store it now as the GitHub secret SOPS_AGE_KEY" in result.stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == [".sops.yaml", "app.json", "app.schema.json", "secrets/production.yaml"]
    assert not any(keys[0] in p.read_text() for p in written), "the private key is stored nowhere"
    from pyrage import x25519

    recipient = str(x25519.Identity.from_str(keys[0]).to_public())
    assert f"age: {recipient}" in (tmp_path / ".sops.yaml").read_text()
    assert sops.keys_in(tmp_path / "secrets" / "production.yaml") == ["EXAMPLE_SECRET"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")} | {"SOPS_AGE_KEY": keys[0]}
    opened = subprocess.run([sops.binary(), "--decrypt", "secrets/production.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert opened.stdout == "EXAMPLE_SECRET: replace-me\n", opened.stderr
    # .sops.yaml's rule applies: a new file under secrets/ is encrypted for the same key
    (tmp_path / "plain.yaml").write_text("B: c\n")
    made = subprocess.run([sops.binary(), "--encrypt", "--filename-override", "secrets/other.yaml", "plain.yaml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True)
    assert made.returncode == 0 and recipient in made.stdout, made.stderr


def test_dash_h_is_help_everywhere():
    for args in ([], ["init"], ["update"], ["schema"], ["infra"], ["infra", "validate"], ["infra", "plan"], ["infra", "comment"]):
        short, long = webkit(*args, "-h"), webkit(*args, "--help")
        assert short.returncode == 0 and short.stdout == long.stdout and "Usage: " in short.stdout, args


def test_commands_find_app_json_in_a_parent_folder(tmp_path):
    (tmp_path / "app.json").write_text(json.dumps({"project": {"name": "shop"}}))
    deeper = tmp_path / "services" / "api"
    deeper.mkdir(parents=True)
    result = webkit("infra", "validate", cwd=deeper)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"ℹ Using {tmp_path / 'app.json'}"
    result = webkit("update", cwd=deeper)  # the generated files go beside app.json
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".github" / "workflows" / "terraform-plan.yml").is_file() and not (deeper / ".github").exists()
    lonely = tmp_path.parent / f"{tmp_path.name}-none"
    lonely.mkdir()
    result = webkit("infra", "validate", cwd=lonely)
    assert result.returncode == 1 and "app.json not found (run webkit in the project directory or pass --project-dir)" in result.stderr


def test_init_sops_without_a_key_generator_says_how_to_get_one_and_writes_nothing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from webkit.commands.cli import app

    monkeypatch.setitem(sys.modules, "pyrage", None)  # an install without the sops extra
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # and no age-keygen
    result = CliRunner().invoke(app, ["init", "--sops", "--name", "shop", "-C", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert result.output == "✗ making an age key needs pyrage or age-keygen: pip install 'webkit[sops]'\n"
    assert not (tmp_path / "site" / "app.json").exists() and not (tmp_path / "site" / ".sops.yaml").exists()


def test_init_in_another_folder_says_the_next_commands_with_that_folder(tmp_path):
    result = webkit("init", "-C", "new site", "--name", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "webkit -C 'new site' infra plan --sandbox   what Terraform would create, with no account" in lines
    assert read(tmp_path / "new site" / "app.json").ok()
