"""The deploy job's Python side (workflows/deploy_job.py), run as the job runs it: `python3 -I` on
real `terraform output -json`-shaped files, the real sops for sops secrets.

What a user would notice: every secret is masked before anything else is printed, the agent gets
each env value byte for byte, a missing secret is named (never shown), and a failed deploy's
report opens with its phase and reason and says what still serves."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ghactions.emulated import sops_path
from tests.ghactions.harness import age_identity, sops_encrypt

SCRIPT = Path(__file__).resolve().parents[2] / "workflows" / "deploy_job.py"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx7zVYpcyYqPfNqTUkDTvBDaxx4m0mC8S0mDgWIr0Kr"
DEPLOY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n"


def outputs(app: str = "cms", values=None, sensitive=None, sources=None, address="203.0.113.7") -> dict:
    data = {
        "ipv4_address": address,
        "ssh_host_key": HOST_KEY,
        "deploy_key": DEPLOY_KEY,
        "deploy_firewall_id": "fw-1",
        "env_values": values or {},
        "env_sensitive_values": sensitive or {},
        "env_secret_sources": sources or [],
    }
    return {f"{app}_{k}": {"sensitive": k in ("deploy_key", "env_sensitive_values"), "value": v} for k, v in data.items()}


def run(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "gh-output").touch()
    full = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(tmp_path / "gh-output"), **(env or {})}
    return subprocess.run([sys.executable, "-I", str(SCRIPT), *args], capture_output=True, text=True, env=full, cwd=tmp_path)


def prepare(tmp_path: Path, data: dict, *extra: str, env: dict | None = None, sha: str = "a" * 40, digest: str = "sha256:" + "1" * 64):
    (tmp_path / "outputs.json").write_text(json.dumps(data))
    return run(
        tmp_path,
        "prepare",
        f"--outputs={tmp_path / 'outputs.json'}",
        f"--dir={tmp_path / 'd'}",
        "--alias=webkit-p-production-cms",
        "--verb=deploy",
        f"--sha={sha}",
        f"--digest={digest}",
        "--run-url=https://github.test/run/1",
        "--caddy-image=caddy:2",
        "--registry-user=bot",
        f"--sops={sops_path()}",
        f"--workspace={tmp_path}",
        "--app",
        "cms",
        "--image",
        "ghcr.io/acme/site-cms",
        "--port",
        "3000",
        "--health-path",
        "/healthz",
        "--health-timeout",
        "60",
        *extra,
        env=env,
    )


def test_prepare_writes_the_pinned_host_private_key_and_the_request(tmp_path):
    done = prepare(
        tmp_path,
        outputs(values={"PUBLIC_URL": "https://x.test"}, sensitive={"DATABASE_URL": "postgres://u:pw@db/x"}),
        env={"REGISTRY_TOKEN": "ghs_lent"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp_path / "d"
    assert (folder / "known_hosts").read_text() == f"webkit-p-production-cms {HOST_KEY}\n"
    for name in ("deploy_key", "known_hosts", "request.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    request = json.loads((folder / "request.json").read_text())
    assert request["env"] == {"PUBLIC_URL": "https://x.test", "DATABASE_URL": "postgres://u:pw@db/x"}
    assert request["domains"] == ["203.0.113.7"] and request["tls"] == "off", "no domain: the droplet's address over HTTP"
    assert request["registry"] == {"server": "ghcr.io", "username": "bot", "password": "ghs_lent"}
    assert (request["image"], request["digest"], request["port"]) == ("ghcr.io/acme/site-cms", "sha256:" + "1" * 64, 3000)
    assert "::add-mask::postgres://u:pw@db/x" in done.stdout
    assert "pw@db" not in done.stdout.replace("::add-mask::postgres://u:pw@db/x", "")
    written = (tmp_path / "gh-output").read_text()
    assert "address=203.0.113.7\n" in written and "firewall=fw-1\n" in written and "url=http://203.0.113.7\n" in written


def test_a_domain_gets_https_and_becomes_the_environment_url(tmp_path):
    done = prepare(tmp_path, outputs(), "--domain", "cms.example.com")
    assert done.returncode == 0, done.stderr
    request = json.loads((tmp_path / "d" / "request.json").read_text())
    assert (request["domains"], request["tls"]) == (["cms.example.com"], "auto")
    assert "url=https://cms.example.com\n" in (tmp_path / "gh-output").read_text()


def test_secrets_come_from_sops_and_github_masked_and_a_missing_one_is_named_not_shown(tmp_path):
    key, recipient = age_identity()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "cms.yaml").write_text(sops_encrypt({"PAYLOAD_SECRET": "sops-value\nline two"}, recipient, tmp_path))
    sources = [
        {"key": "PAYLOAD_SECRET", "source": "sops", "file": "secrets/cms.yaml", "name": "PAYLOAD_SECRET"},
        {"key": "STRIPE", "source": "github", "name": "STRIPE_KEY"},
    ]
    done = prepare(tmp_path, outputs(sources=sources), env={"SOPS_AGE_KEY": key, "WEBKIT_SECRET_STRIPE_KEY": "sk_live_123"})
    assert done.returncode == 0, done.stdout + done.stderr
    env = json.loads((tmp_path / "d" / "request.json").read_text())["env"]
    assert env == {"PAYLOAD_SECRET": "sops-value\nline two", "STRIPE": "sk_live_123"}
    assert {"::add-mask::sops-value", "::add-mask::line two", "::add-mask::sk_live_123"} <= set(done.stdout.splitlines())

    (tmp_path / "d" / "note.json").unlink(missing_ok=True)
    missing = prepare(tmp_path, outputs(sources=sources), env={"SOPS_AGE_KEY": key})
    assert missing.returncode == 1
    note = json.loads((tmp_path / "d" / "note.json").read_text())
    assert note["phase"] == "secrets" and "GitHub secret STRIPE_KEY is not set" in note["reason"]
    assert "sops-value" not in missing.stdout.replace("::add-mask::sops-value", "") + missing.stderr


def test_a_rollback_to_a_commit_must_name_a_whole_commit(tmp_path):
    done = prepare(tmp_path, outputs(), sha="$(reboot)", digest="")
    assert done.returncode == 1
    assert "neither 'previous' nor a full 40-character commit" in json.loads((tmp_path / "d" / "note.json").read_text())["reason"]
    ok = prepare(tmp_path, outputs(), sha="b" * 40, digest="")
    assert ok.returncode == 0, ok.stderr
    request = json.loads((tmp_path / "d" / "request.json").read_text())
    assert request["tag"] == "sha-" + "b" * 40 and "digest" not in request


def test_outputs_that_are_not_what_terraform_makes_are_refused(tmp_path):
    for bad in (outputs(address="203.0.113.7; reboot"), {k: v for k, v in outputs().items() if k != "cms_deploy_key"}):
        done = prepare(tmp_path, bad)
        assert done.returncode == 1
        assert json.loads((tmp_path / "d" / "note.json").read_text())["phase"] == "outputs"
        (tmp_path / "d" / "note.json").unlink()


_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plain=_VALUES, secret=_VALUES)
def test_any_env_value_reaches_the_request_byte_for_byte(tmp_path, plain, secret):
    done = prepare(tmp_path, outputs(values={"PLAIN": plain}, sensitive={"SECRET": secret}))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "d" / "request.json").read_text())["env"] == {"PLAIN": plain, "SECRET": secret}


def report(tmp_path: Path, result: dict | None, note: dict | None = None, build: str = "success") -> tuple[int, str, dict]:
    folder = tmp_path / "r"
    folder.mkdir(exist_ok=True)
    for name, data in (("result.json", result), ("note.json", note)):
        (folder / name).unlink(missing_ok=True)
        if data is not None:
            (folder / name).write_text(json.dumps(data))
    done = run(
        tmp_path,
        "report",
        "--app=cms",
        "--environment=production",
        f"--dir={folder}",
        f"--result={folder / 'result.json'}",
        f"--note={folder / 'note.json'}",
        "--repository=acme/site",
        "--run-url=https://github.test/run/1",
        "--workflow=Release",
        "--url=http://203.0.113.7",
        f"--build={build}",
    )
    return done.returncode, done.stdout, {"md": (folder / "report.md").read_text(), "slack": json.loads((folder / "slack.json").read_text())["text"]}


def test_a_failed_deploy_reports_phase_reason_what_still_serves_and_the_next_step(tmp_path):
    old = {"sha": "0123456789abcdef", "digest": "sha256:" + "2" * 64, "time": "2026-12-01T10:00:00Z"}
    code, stdout, out = report(
        tmp_path,
        {"ok": False, "verb": "deploy", "phase": "health", "reason": "GET /healthz answered 500 after 60 s", "current": old, "previous": None},
    )
    assert code == 1
    assert stdout.startswith("::error title=Deploy failed::cms (production): health failed: GET /healthz answered 500 after 60 s")
    lines = out["md"].splitlines()
    assert lines[0] == "### ❌ cms (production): health failed: GET /healthz answered 500 after 60 s"
    assert "Still serving the previous version: sha 0123456789ab." in lines
    assert any(line.startswith("Next:") and "version previous" in line for line in lines)
    assert out["slack"].startswith("❌ acme/site: cms (production): health failed")


def test_a_failure_before_the_agent_says_the_droplet_was_not_touched(tmp_path):
    code, _, out = report(tmp_path, None, {"ok": False, "phase": "host-key", "reason": "Host key verification failed"})
    assert code == 1
    assert "host-key failed: Host key verification failed" in out["md"].splitlines()[0]
    assert "The droplet was not touched" in out["md"] and "man-in-the-middle" in out["md"]
    code, _, out = report(tmp_path, None, None, build="failure")
    assert code == 1 and "build failed: the image of cms was not built or pushed" in out["md"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=st.text(max_size=60))
def test_a_reason_from_a_containers_log_is_text_in_every_report(tmp_path, reason):
    """No HTML, no @-mention, no workflow command reaches the comment, Slack or the log from a reason."""
    code, stdout, out = report(tmp_path, {"ok": False, "verb": "deploy", "phase": "health", "reason": reason + "<b>@team ::stop-commands::x"})
    for text in (out["md"], out["slack"], stdout.split("::", 2)[-1]):
        assert "<b>" not in text and "@team" not in text and "::stop-commands" not in text


def test_container_logs_cannot_issue_workflow_commands(tmp_path):
    (tmp_path / "result.json").write_text(json.dumps({"ok": False, "logs": "boot\n::add-mask::x\n::error::forged"}))
    done = run(tmp_path, "logs", f"--result={tmp_path / 'result.json'}")
    lines = done.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and lines[-1] == f"::{token}::"
    assert "::error::forged" in lines[1:-1], "shown, but inside the block GitHub does not act on"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=40))
def test_a_release_command_from_app_json_reaches_the_deploy_script_as_one_argument(tmp_path, command):
    """app.json's release_command crosses YAML and the step's bash once, quoted: the deploy script
    gets it byte for byte as one argument, whatever it holds ($(…), quotes, newlines)."""
    from tests.conftest import plan_example
    from webkit.manifest import Manifest
    from webkit.spec import to_spec
    from workflows.generate import Generation, render_files

    manifest = plan_example()
    manifest["project"]["repo"] = "acme/site"
    manifest["apps"][0]["build"] = {}
    manifest["apps"][0]["deploy"] = {"release_command": command}
    spec = to_spec(Manifest.model_validate(manifest), "0.1.0")
    release = yaml.safe_load(render_files(Generation(spec, {"production": "{}"}, "0" * 64, "0.1.0"))[".github/workflows/release.yml"])
    [step] = [s for s in release["jobs"]["deploy-cms"]["steps"] if s.get("id") == "prepare"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "terraform").write_text("#!/bin/sh\necho '{}'\n")
    (bin_dir / "terraform").chmod(0o755)
    (tmp_path / "argv.py").write_text(f"import json, sys\nopen({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path), "DEPLOY_SCRIPT": str(tmp_path / "argv.py"),
           "GITHUB_OUTPUT": str(tmp_path / "out")}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[argv.index("--release-command") + 1] == command
