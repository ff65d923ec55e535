"""The first-boot user data writer, checked by the real validators: Debian's `cloud-init schema`
(its exit code) and cloud-init 26.1's JSON Schema (what Ubuntu 24.04 runs) via check-jsonschema;
and, rendered by real Terraform, the same document as with the keys given as text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.cloud_config import (
    DEPLOY_USER,
    DOCKER_DAEMON,
    HOST_SETUP_VERSION,
    MARKER_PATH,
    SSHD_DROP_IN,
    Expression,
    FirstBootKeys,
    Text,
    user_data,
)
from tests.tools import require
from webkit.sandbox import terraform
from webkit.sandbox.keys import ed25519_attributes

SCHEMA_26_1 = Path(__file__).parent / "data" / "cloud-init-26.1-schema-cloud-config-v1.json"


def real_keys() -> tuple[dict, dict]:
    return ed25519_attributes(), ed25519_attributes()


def text_user_data(host: dict, deploy: dict) -> str:
    return user_data(FirstBootKeys(Text(host["private_key_openssh"]), Text(host["public_key_openssh"]),
                                   Text(deploy["public_key_openssh"])))


def files(document: dict) -> dict[str, str]:
    return {f["path"]: f["content"] for f in document["write_files"]}


def test_the_machine_gets_the_pinned_host_key_the_restricted_deploy_user_and_docker():
    host, deploy = real_keys()
    text = text_user_data(host, deploy)
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    assert document["ssh_keys"] == {"ed25519_private": host["private_key_openssh"],
                                    "ed25519_public": host["public_key_openssh"].strip()}
    assert document["ssh_deletekeys"] is True
    [user] = document["users"]
    assert user["name"] == DEPLOY_USER
    assert user["ssh_authorized_keys"] == [f"restrict {deploy['public_key_openssh'].strip()}"]
    assert document["disable_root"] is True and document["ssh_pwauth"] is False
    written = files(document)
    assert "AllowUsers deploy\n" in written[SSHD_DROP_IN] and "PermitRootLogin no\n" in written[SSHD_DROP_IN]
    assert "PasswordAuthentication no\n" in written[SSHD_DROP_IN]
    assert json.loads(written["/etc/docker/daemon.json"]) == DOCKER_DAEMON == {"log-driver": "local", "live-restore": True}
    assert json.loads(written[MARKER_PATH]) == {"host_setup_version": HOST_SETUP_VERSION}
    assert document["packages"] == ["docker.io"] and document["swap"]["filename"] == "/swapfile"
    assert len(text.encode()) < 3 * 1024, "a few KB (the API's limit is 64 KiB)"


def test_user_data_passes_debians_cloud_init_schema(tmp_path):
    cloud_init = require("cloud-init", "cloud-init")
    host, deploy = real_keys()
    good = tmp_path / "user-data.yaml"
    good.write_text(text_user_data(host, deploy))
    # the exit code, never --annotate (which exits 0 on errors)
    checked = subprocess.run([cloud_init, "schema", "--config-file", str(good)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the same validator refuses a broken document: the exit code is a real verdict
    broken = tmp_path / "broken.yaml"
    broken.write_text(good.read_text().replace("lock_passwd: true", "lock_passwd: maybe"))
    refused = subprocess.run([cloud_init, "schema", "--config-file", str(broken)], capture_output=True, text=True)
    assert refused.returncode == 1 and "lock_passwd" in refused.stdout + refused.stderr


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA_26_1), str(path)],
                          capture_output=True, text=True)


def test_user_data_passes_cloud_init_26_1_schema(tmp_path):
    host, deploy = real_keys()
    good = tmp_path / "user-data.yaml"
    good.write_text(text_user_data(host, deploy))
    checked = check_jsonschema(good)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(good.read_text().replace("size: auto", "size: huge"))
    assert check_jsonschema(broken).returncode == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.text(), st.text())
def test_any_key_text_stays_one_yaml_value(private, public, deploy):
    """Key material is quoted as JSON (a YAML double-quoted scalar): whatever it holds, the
    document keeps its shape and the value reads back exactly."""
    document = yaml.safe_load(user_data(FirstBootKeys(Text(private), Text(public), Text(deploy))))
    assert document["ssh_keys"] == {"ed25519_private": private, "ed25519_public": public.strip()}
    assert document["users"][0]["ssh_authorized_keys"] == [f"restrict {deploy.strip()}"]
    assert files(document)[SSHD_DROP_IN].endswith("AllowUsers deploy\n")


def terraform_rendered(folder: Path, host: dict, deploy: dict) -> str:
    """The user data as Terraform writes it at apply, the keys being Terraform values."""
    keys = FirstBootKeys(Expression("local.host.private_key_openssh"), Expression("local.host.public_key_openssh"),
                         Expression("local.deploy.public_key_openssh"))
    config = {"locals": {"host": host, "deploy": deploy}, "output": {"user_data": {"value": user_data(keys)}}}
    (folder / "main.tf.json").write_text(json.dumps(config))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for args in (["init", "-input=false"], ["apply", "-input=false", "-auto-approve"]):
        done = terraform.run(args, folder, env)
        assert done.returncode == 0, done.stdout + done.stderr
    return terraform.run(["output", "-raw", "user_data"], folder, env).stdout


def test_terraform_renders_the_same_document_as_the_keys_as_text(tmp_path):
    host, deploy = real_keys()
    rendered = terraform_rendered(tmp_path, host, deploy)
    assert yaml.safe_load(rendered) == yaml.safe_load(text_user_data(host, deploy))
    (tmp_path / "rendered.yaml").write_text(rendered)
    assert check_jsonschema(tmp_path / "rendered.yaml").returncode == 0
