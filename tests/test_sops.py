"""sops files as validate and a local plan read them: key names in clear (no age key), values only
with the key CI uses, and never a value in a message."""

from __future__ import annotations

import os

import pytest

from tests.conftest import plan_example, write_project
from tests.test_cli import webkit
from webkit import __version__, sops
from webkit.commands.local import LocalError, sops_variables
from webkit.manifest import load
from webkit.spec import to_spec


@pytest.fixture
def age_key() -> tuple[str, str]:
    return sops.new_age_identity()


def project(folder, recipient: str, secrets: dict[str, str]):
    manifest = plan_example()
    manifest["state"] = {"bucket": "acme-tf-state"}
    # on an App Platform app: its secrets pass through Terraform (a VM app's never do)
    manifest["apps"].append({"name": "web", "type": "sveltekit", "path": "web", "env": {"production": [
        {"key": "PAYLOAD_SECRET", "type": "secret", "from": "sops:secrets/cms.yaml:/PAYLOAD_SECRET"},
        {"key": "SENTRY_DSN", "type": "secret", "from": "sops:secrets/shared.yaml:/SENTRY_DSN"},
    ]}, "infra": {"provider": "digitalocean", "type": "app", "config": {"image": {"repository": "web"}}}})
    write_project(folder, manifest)
    (folder / "secrets").mkdir()
    for name, text in secrets.items():
        (folder / "secrets" / name).write_text(sops.encrypt(text, recipient, name, folder))
    return folder


def line_of(folder, fragment: str) -> int:
    return 1 + next(i for i, line in enumerate((folder / "app.json").read_text().splitlines()) if fragment in line)


def test_validate_names_a_missing_sops_file_and_a_missing_key_without_an_age_key(tmp_path, age_key, monkeypatch):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRETS: s3cr3t-value\nOTHER: x\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    result = webkit("infra", "validate", cwd=folder, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "✗ sops file 'secrets/cms.yaml' has no key 'PAYLOAD_SECRET' (it has PAYLOAD_SECRETS, OTHER); add it with `sops secrets/cms.yaml`: "
        f"apps[1].env.production[0].from (app.json line {line_of(folder, 'secrets/cms.yaml')})",
        "✗ sops file 'secrets/shared.yaml' does not exist; create it with `sops secrets/shared.yaml`: "
        f"apps[1].env.production[1].from (app.json line {line_of(folder, 'secrets/shared.yaml')})",
    ]
    assert "s3cr3t" not in result.stdout + result.stderr


def test_validate_says_when_a_sops_file_is_not_encrypted(tmp_path, age_key):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRET: x\n"})
    (folder / "secrets" / "shared.yaml").write_text("SENTRY_DSN: plain-text\n")
    result = webkit("infra", "validate", cwd=folder)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "✗ sops file 'secrets/shared.yaml' is not encrypted with sops (no 'sops' metadata): encrypt it with `sops --encrypt --in-place`: "
        f"apps[1].env.production[1].from (app.json line {line_of(folder, 'secrets/shared.yaml')})"]
    assert "plain-text" not in result.stderr


def test_validate_passes_when_every_sops_key_is_there(tmp_path, age_key):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRET: a\n", "shared.yaml": "SENTRY_DSN: b\n"})
    result = webkit("infra", "validate", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "✓ Secret sources well formed" in result.stdout


def variables(folder) -> dict[str, str]:
    spec = to_spec(load(folder)[0], __version__)
    stack = {"variable": {s.variable: {} for s in spec.secrets}}
    return sops_variables(folder, spec, stack)


def test_a_local_plan_decrypts_sops_values_with_the_age_key_ci_uses(tmp_path, age_key, monkeypatch):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRET: p4yload\n", "shared.yaml": "SENTRY_DSN: https://k@s.example/1\n"})
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("SOPS_AGE_KEY", age_key[0])
    assert variables(folder) == {"TF_VAR_sops_secrets_cms_yaml_PAYLOAD_SECRET": "p4yload",
                                 "TF_VAR_sops_secrets_shared_yaml_SENTRY_DSN": "https://k@s.example/1"}
    monkeypatch.delenv("SOPS_AGE_KEY")
    key_file = tmp_path / "keys.txt"
    key_file.write_text(f"# created by hand\n{age_key[0]}\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    assert variables(folder)["TF_VAR_sops_secrets_cms_yaml_PAYLOAD_SECRET"] == "p4yload"
    monkeypatch.setenv("TF_VAR_sops_secrets_cms_yaml_PAYLOAD_SECRET", "given")  # a TF_VAR_ set by hand wins
    assert list(variables(folder)) == ["TF_VAR_sops_secrets_shared_yaml_SENTRY_DSN"]


def test_a_local_plan_without_the_age_key_or_with_another_says_so_and_shows_no_value(tmp_path, age_key, monkeypatch):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRET: p4yload\n", "shared.yaml": "SENTRY_DSN: d5n\n"})
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    with pytest.raises(LocalError) as unset:
        variables(folder)
    assert str(unset.value) == ("app.json reads secrets from sops files (secrets/cms.yaml:/PAYLOAD_SECRET, secrets/shared.yaml:/SENTRY_DSN): "
                                "set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE to the age key CI uses, or try the change with --sandbox")
    monkeypatch.setenv("SOPS_AGE_KEY", sops.new_age_identity()[0])
    with pytest.raises(LocalError) as wrong:
        variables(folder)
    assert str(wrong.value) == f"{folder / 'secrets/cms.yaml'}: cannot decrypt PAYLOAD_SECRET: the age key cannot open it"
    plain = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "AWS_", "DIGITALOCEAN", "TF_VAR_"))}
    result = webkit("infra", "plan", cwd=folder, env=plain)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "✗ missing credentials: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, DIGITALOCEAN_TOKEN, SOPS_AGE_KEY (or SOPS_AGE_KEY_FILE) "
        "for the sops secrets (the B2 state key as AWS_*, like CI does; secrets as TF_VAR_*), or try the change with --sandbox")
    # every other credential there: the plan decrypts before Terraform starts, and says when the key is not CI's
    given = plain | {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "DIGITALOCEAN_TOKEN": "t",
                     "SOPS_AGE_KEY": sops.new_age_identity()[0]}
    result = webkit("infra", "plan", cwd=folder, env=given)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "✗ secrets/cms.yaml: cannot decrypt PAYLOAD_SECRET: the age key cannot open it"
    assert not (folder / ".webkit" / "plan").exists(), "Terraform never started"
    assert "p4yload" not in result.stdout + result.stderr


def test_update_warns_about_a_sops_key_the_file_lacks_before_ci_does(tmp_path, age_key):
    folder = project(tmp_path, age_key[1], {"cms.yaml": "PAYLOAD_SECRET: a\n", "shared.yaml": "SENTRY: b\n"})
    result = webkit("update", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert ("⚠ sops file 'secrets/shared.yaml' has no key 'SENTRY_DSN' (it has SENTRY); add it with `sops secrets/shared.yaml`: "
            f"apps[1].env.production[1].from (app.json line {line_of(folder, 'secrets/shared.yaml')})") in result.stderr.splitlines()
