"""A project repository whose generated workflows run under `Runner`, with every service they need.

    with Project.started(tmp_path, manifest, sops_files) as project:
        run = project.runner.run(PLAN, pull_request(project.repo, 7, "feature"))
"""

from __future__ import annotations

import copy
import json
import subprocess
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests import netns

from . import emulated
from .runner import Repo, Runner, machine_env
from .services import FakeGitHub, S3Server, SlackSink

PLAN = ".github/workflows/terraform-plan.yml"
RELEASE = ".github/workflows/release.yml"
DRIFT = ".github/workflows/terraform-drift-check.yml"
STATE_BUCKET = "webkit-test-state"
STATE_REGION = "us-east-1"


def age_identity() -> tuple[str, str]:
    """(private key, public recipient) of a fresh age identity."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def sops_encrypt(values: dict[str, str], recipient: str, folder: Path) -> str:
    """YAML encrypted by the real sops for `recipient`."""
    import yaml

    plain = folder / "plain.yaml"
    plain.write_text(yaml.safe_dump(values))
    result = subprocess.run([str(emulated.sops_path()), "--encrypt", "--age", recipient, "--input-type", "yaml",
                             "--output-type", "yaml", str(plain)], capture_output=True, text=True, check=True)
    plain.unlink()
    return result.stdout


def generate(folder: Path) -> None:
    """`webkit update` in `folder`, with the sops release the harness can serve (see the package doc)."""
    import pytest

    from webkit import __version__
    from webkit.commands.update import update
    from webkit.manifest import load
    from workflows import generate as gen

    version, sha256 = emulated.sops_release()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gen, "SOPS_VERSION", version)
        mp.setattr(gen, "SOPS_SHA256", sha256)
        update(folder, lambda: load(folder)[0], __version__, use_cache=False)


class Project:
    """A repository with app.json, sops files and the generated .github/, plus its runner.

    `sops_values` are encrypted here for a fresh age key; `files` go in as they are (a user's own
    encrypted sops files, with `age_key` to read them). `netns_pid`: the services listen and the
    steps run in that process's network namespace (the deploy world's, world.py); `machine`: more
    of the runner's environment."""

    def __init__(self, root: Path, manifest: dict, secrets: dict[str, str], services: tuple,
                 sops_values: dict[str, dict[str, str]] | None = None, files: dict[str, str] | None = None,
                 age_key: str | None = None, environment_secrets: dict[str, dict[str, str]] | None = None,
                 variables: dict[str, str] | None = None, netns_pid: int | None = None, machine: dict[str, str] | None = None):
        self.root = root
        self.netns_pid = netns_pid
        self.extra_machine = machine or {}
        self.github, self.slack, self.s3 = services
        self.manifest = copy.deepcopy(manifest)
        self.manifest["state"] = {"bucket": STATE_BUCKET, "region": STATE_REGION, "endpoint": self.s3.endpoint}
        self.age_key, self.recipient = (age_key, None) if age_key else age_identity()
        self.sops_values = sops_values or {}
        self.repo = Repo(root / "repo", full_name=f"acme/{self.manifest['project']['name']}")
        files = {"app.json": json.dumps(self.manifest, indent=2) + "\n", ".gitignore": ".webkit/\n"} | (files or {})
        for path, values in self.sops_values.items():
            files[path] = sops_encrypt(values, self.recipient, root)
        for path, text in files.items():
            (self.repo.path / path).parent.mkdir(parents=True, exist_ok=True)
            (self.repo.path / path).write_text(text)
        generate(self.repo.path)
        self.repo.commit({}, "webkit update")
        for environment in self.manifest.get("environments", ["production"]):  # every environment's branch exists
            branch = self.manifest.get("branches", {}).get(environment) or {"production": "main", "staging": "staging"}[environment]
            if branch != "main":
                self.repo.git("branch", branch)
        self.secrets = secrets | {"SOPS_AGE_KEY": self.age_key, "SLACK_WEBHOOK_URL": self.slack.webhook}
        self.environment_secrets = environment_secrets or {}
        self.variables = variables or {}
        self.cloud = root / "cloud.json"
        self.runner = self._runner()

    def _runner(self) -> Runner:
        from webkit.sandbox.session import cli_config, install_mirror

        shims = self.root / "shims"
        shims.mkdir()
        (shims / "curl").write_text(emulated.CURL_SHIM)
        (shims / "curl").chmod(0o755)
        mirror = self.root / "mirror"
        install_mirror(mirror)
        machine = machine_env([shims], {
            "SSL_CERT_FILE": str(self.s3.ca),
            "WEBKIT_SANDBOX_CLOUD": str(self.cloud),
            "WEBKIT_HARNESS_RELEASES": json.dumps({url: str(path) for url, path in emulated.releases().items()}),
            "CHECKPOINT_DISABLE": "1",
        } | self.extra_machine)
        self.in_net(lambda: self.s3.client().create_bucket(Bucket=STATE_BUCKET))
        self.github.heads = self._head
        return Runner(self.repo, self.root / "runs", machine, github=self.github, secrets=self.secrets,
                      environment_secrets=self.environment_secrets, home_files={".terraformrc": cli_config(mirror)},
                      variables=self.variables, netns_pid=self.netns_pid)

    def in_net(self, fn, *args):
        """fn(*args) where the services are: in the world's network namespace if there is one."""
        return netns.call(self.netns_pid, fn, *args) if self.netns_pid else fn(*args)

    def _head(self, branch: str) -> str | None:
        try:
            return self.repo.head(branch)
        except subprocess.CalledProcessError:
            return None

    def change(self, edit, branch: str, message: str = "change app.json") -> str:
        """Edit the manifest on `branch` (a new branch starts from main), run `webkit update` there
        and commit both."""
        if branch != "main" and self._head(branch) is None:
            self.repo.switch("main")
        self.repo.switch(branch)
        self.manifest = json.loads((self.repo.path / "app.json").read_text())
        edit(self.manifest)
        (self.repo.path / "app.json").write_text(json.dumps(self.manifest, indent=2) + "\n")
        generate(self.repo.path)
        return self.repo.commit({}, message, branch=branch)

    def state(self, environment: str) -> dict | None:
        key = f"projects/{self.manifest['project']['name']}/{environment}/terraform.tfstate"
        client = self.s3.client()
        try:
            body = self.in_net(lambda: client.get_object(Bucket=STATE_BUCKET, Key=key)["Body"].read())
        except client.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def cloud_resources(self) -> dict:
        return json.loads(self.cloud.read_text())["resources"] if self.cloud.exists() else {}

    @classmethod
    @contextmanager
    def started(cls, root: Path, manifest: dict, secrets: dict, netns_pid: int | None = None, **kwargs):
        """The project with its services running; they stop with the block, failed or not."""
        with ExitStack() as stack:
            services = (stack.enter_context(FakeGitHub(netns_pid=netns_pid)), stack.enter_context(SlackSink(netns_pid)),
                        stack.enter_context(S3Server(root / "s3", netns_pid)))
            yield cls(root, manifest, secrets, services, netns_pid=netns_pid, **kwargs)
