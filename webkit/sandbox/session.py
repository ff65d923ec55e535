"""A local, offline Terraform working directory for one environment of a project.

Real Terraform runs the synthesised stack against the simulated providers: state in a local
backend, the simulated cloud in a JSON file, both under the sandbox folder. Providers are started
once and attached (TF_REATTACH_PROVIDERS), which turns a plan/apply cycle from tens of seconds
into about one; `mirror=True` instead installs them into a filesystem mirror so that `init`,
version pinning and the lock file run exactly as for real providers.

The working folder `<root>/<environment>` is made anew by the first `write` of a session: only the
state (data, not code) is carried over from the last run, so a `.tf` file, a `.terraform/` or a
link that a checkout put there never reaches Terraform. Helper processes start with `-P` (the
folder they run in is not on their `sys.path`) in folders webkit owns.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from webkit.files import NotRegularFile, read_regular, write_atomic
from webkit.registry import credential_prefixes
from webkit.workspace import STACK_FILE, fresh_folder, own_folder

from . import schemas, terraform
from .schemas import FULL_NAMES

MIRROR_VERSIONS = schemas.VERSIONS
STATE_FILE = "terraform.tfstate"
OWN_FILES = ("cloud.json", "cloud.lock")  # the provider reads and locks them without following links
STATE_LIMIT = 256 * 2**20  # the state of thousands of resources is a few MiB


class SandboxError(RuntimeError):
    """Terraform failed in the sandbox; the message carries its output."""

    def __init__(self, args: list[str], result: subprocess.CompletedProcess):
        super().__init__(f"terraform {' '.join(args)} failed ({result.returncode}):\n{result.stderr or result.stdout}")
        self.result = result


class Sandbox:
    def __init__(self, root: Path, environment: str, mirror: bool = False):
        self.root = Path(root).absolute()  # helpers run in other folders and read these paths
        self.environment = environment
        self.dir = self.root / environment
        self.cloud = self.root / "cloud.json"
        self.mirror = mirror
        self._reattach: str | None = None
        self._fresh = False  # the working folder was made anew in this session

    # ------------------------------------------------------------------ setup

    def write(self, stack_json: str) -> None:
        """The synthesised stack, with its S3 backend replaced by a local one (override file)."""
        if not self._fresh:
            self._recreate()
        write_atomic(self.dir / STACK_FILE, stack_json, own=True)
        override = {"terraform": {"backend": {"local": {"path": STATE_FILE}}}}
        write_atomic(self.dir / "sandbox_override.tf.json", json.dumps(override, indent=2), own=True)

    def _recreate(self) -> None:
        """The working folder anew, holding the last run's state; the CLI config (and mirror) anew."""
        own_folder(self.root)
        for name in OWN_FILES:  # a link (or a FIFO) a checkout put there is removed, never followed
            path = self.root / name
            if path.is_symlink() or (path.exists() and not path.is_file()):
                path.unlink()
        try:
            state = read_regular(self.dir / STATE_FILE, STATE_LIMIT, follow=False)
        except (FileNotFoundError, NotADirectoryError, NotRegularFile):
            state = None  # none yet; or a FIFO, a device or a link, which no sandbox run wrote
        fresh_folder(self.root, self.environment)
        if state is not None:
            (self.dir / STATE_FILE).write_bytes(state)
        mirror = self.root / "mirror"
        if self.mirror:
            install_mirror(fresh_folder(self.root, "mirror"))
        write_atomic(self.root / "terraformrc", cli_config(mirror), own=True)
        self._fresh = True

    # ------------------------------------------------------------------ running

    def env(self, secrets: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_", *credential_prefixes()))}
        env |= {
            "TF_CLI_CONFIG_FILE": str(self.root / "terraformrc"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "WEBKIT_SANDBOX_CLOUD": str(self.cloud),
        }
        if self._reattach:
            env["TF_REATTACH_PROVIDERS"] = self._reattach
        env |= {f"TF_VAR_{name}": value for name, value in (secrets or {}).items()}
        return env

    @contextmanager
    def providers(self):
        """Start the simulated providers once for every command inside the block."""
        if self.mirror:
            yield self
            return
        processes: list[subprocess.Popen] = []
        attach: dict = {}
        env = self.env() | {"PYTHONUNBUFFERED": "1"}
        try:
            for short in FULL_NAMES:
                process = subprocess.Popen([sys.executable, "-P", "-m", "webkit.sandbox.provider", short, "--dev"],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=self.root)
                processes.append(process)
                for line in process.stdout or ():
                    if "TF_REATTACH_PROVIDERS=" in line:
                        attach |= json.loads(line.split("=", 1)[1].strip().strip("'"))
                        break
                else:
                    raise RuntimeError(f"simulated provider {short} did not start")
            self._reattach = json.dumps(attach)
            yield self
        finally:
            self._reattach = None
            for process in processes:
                process.kill()
                process.wait()

    def terraform(self, *args: str, secrets: dict[str, str] | None = None, ok=(0,)) -> subprocess.CompletedProcess:
        result = terraform.run(list(args), cwd=self.dir, env=self.env(secrets))
        if result.returncode not in ok:
            raise SandboxError(list(args), result)
        return result

    def init(self) -> None:
        self.terraform("init", "-input=false", "-no-color")

    def plan(self, secrets: dict[str, str] | None = None, out: str = "tfplan", destroy: bool = False) -> dict:
        """Plan (saved to `out`) and return `terraform show -json` of it."""
        args = ["plan", "-input=false", "-no-color", f"-out={out}"] + (["-destroy"] if destroy else [])
        self.terraform(*args, secrets=secrets)
        return json.loads(self.terraform("show", "-json", out).stdout)

    def apply(self, plan_file: str = "tfplan", secrets: dict[str, str] | None = None) -> None:
        self.terraform("apply", "-input=false", "-no-color", plan_file, secrets=secrets)

    def state(self) -> dict:
        path = self.dir / STATE_FILE
        return json.loads(read_regular(path, STATE_LIMIT, follow=False)) if path.exists() else {}

    def cloud_resources(self) -> dict:
        return json.loads(read_regular(self.cloud, STATE_LIMIT, follow=False))["resources"] if self.cloud.exists() else {}


def sandbox_secrets(stack: dict) -> dict[str, str]:
    """A value for every variable of the stack (only secrets are variables): recognisable, not real."""
    return {name: f"sandbox-{name.lower()}" for name in stack.get("variable", {})}


def cli_config(mirror: Path) -> str:
    """A Terraform CLI configuration that takes our providers from `mirror` and nothing from the network."""
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{mirror}"\n'
        f"    include = {json.dumps(sorted(FULL_NAMES.values()))}\n  }}\n"
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
    )


def install_mirror(mirror: Path) -> None:
    """The simulated providers as an unpacked filesystem mirror:
    <host>/<namespace>/<type>/<version>/<os_arch>/terraform-provider-<type>_v<version>."""
    for short, full in FULL_NAMES.items():
        host, namespace, name = full.split("/")
        version = MIRROR_VERSIONS[short]
        folder = mirror / host / namespace / name / version / "linux_amd64"
        folder.mkdir(parents=True, exist_ok=True)
        executable = folder / f"terraform-provider-{name}_v{version}"
        # -P: Terraform starts it in the working folder, which must not be on its sys.path
        executable.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -P -m webkit.sandbox.provider {short} \"$@\"\n")
        executable.chmod(0o755)
