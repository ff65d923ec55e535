"""Run your project's generated workflows on this machine, offline, as GitHub would:

    python -m tests.ghactions --project PATH/TO/PROJECT [--keep DIR]

From a webkit checkout with the test extras (`pip install -e '.[test]'`). It copies app.json and
the sops files it names into a scratch repository (the state block pointed at a local S3), runs
`webkit update` there, then: a pull-request plan (the comment is printed), the merge's apply
against the simulated cloud, an apply of every other environment from its own branch, and a drift
check. Repository secrets get planted stand-in values. sops files are decrypted with your
SOPS_AGE_KEY, as in CI; without it (or without the files) each sops value is a planted stand-in,
encrypted for a key made for the run. Exit 0 when every run ends as it should, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .emulated import NotEmulated
from .harness import DRIFT, PLAN, RELEASE, Project
from .runner import dispatch, pull_request, push, schedule


class Stop(Exception):
    """The harness cannot start on this project; the message says why and what to do."""


def _spec(project_dir: Path):
    from webkit import __version__
    from webkit.manifest import ManifestError, load
    from webkit.spec import to_spec

    try:
        return to_spec(load(project_dir)[0], __version__)
    except ManifestError as err:
        raise Stop(f"{project_dir / 'app.json'} is not valid (`webkit infra validate` says more):\n  {err}") from None


def _secrets(spec) -> dict[str, str]:
    from webkit import __version__
    from workflows.generate import Generation, required_secrets

    names = required_secrets(Generation(spec, {}, "", __version__))
    return {name: f"planted-{name.lower()}" for name in names if name != "SOPS_AGE_KEY"}


def _sops(spec, project_dir: Path) -> dict:
    """Project arguments for the sops files: the user's own with their key, or planted stand-ins."""
    wanted: dict[str, set[str]] = {}
    for secret in spec.secrets:
        if secret.source == "sops" and secret.file:
            wanted.setdefault(secret.file, set()).add(secret.key)
    if not wanted:
        return {}
    age_key = os.environ.get("SOPS_AGE_KEY")
    missing = [path for path in wanted if not (project_dir / path).is_file()]
    if age_key and missing:
        raise Stop(f"SOPS_AGE_KEY is set but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing in {project_dir}: add it, or unset "
                   "SOPS_AGE_KEY to run with planted stand-in values")
    if age_key:
        print("ℹ sops files: yours, decrypted with SOPS_AGE_KEY")
        return {"files": {path: (project_dir / path).read_text() for path in wanted}, "age_key": age_key}
    print("ℹ sops files: planted stand-in values for " + ", ".join(sorted(wanted)) + " (set SOPS_AGE_KEY to use yours)")
    return {"sops_values": {path: {key: f"planted-sops-{key.lower()}" for key in sorted(keys)} for path, keys in wanted.items()}}


def _show(label: str, run) -> bool:
    print(f"\n=== {label}: {run.conclusion if run.triggered else 'not triggered'}")
    for job in run.jobs.values():
        print(f"--- {job.name}: {job.conclusion}")
        for step in job.steps:
            print(f"    {step.outcome:8} {step.name}")
        for level, message in job.annotations:
            if level == "notice":
                print(f"    ℹ {message}")
        if job.conclusion == "failure":
            print(job.log[-4000:])
    return run.triggered and run.conclusion == "success"


def _scenario(project: Project, spec) -> bool:
    """A pull request into the first environment's branch, its merge and apply, every other
    environment applied from its own branch, and the drift check. A failed run stops what depends on it."""
    first, *others = spec.environments
    base, branch = spec.branches[first], "webkit-harness"
    project.repo.switch(base)
    project.repo.switch(branch)
    project.change(lambda m: m["project"].__setitem__("description", (m["project"].get("description") or "") + " "), branch)
    if not _show(f"pull request plan ({first}, into {base})", project.runner.run(PLAN, pull_request(project.repo, 1, branch, base))):
        print(f"\nskipped: the applies and the drift check (the pull request plan into {base} failed)")
        return False
    for comment in project.github.comments.get(1, []):
        print(comment["body"])
    before = project.repo.head(base)
    project.repo.git("checkout", "--quiet", base)
    project.repo.git("merge", "--quiet", "--no-ff", "-m", "merge", branch)
    if not _show(f"release after merge ({first}, from {base})", project.runner.run(RELEASE, push(project.repo, base, before))):
        print("\nskipped: " + ", ".join(f"the apply of {e}" for e in others) + (", " if others else "")
              + f"the drift check (the apply of {first} failed)")
        return False
    ok = True
    for environment in others:
        run = project.runner.run(RELEASE, dispatch(project.repo, spec.branches[environment]))
        ok &= _show(f"release of {environment} (a manual run on its branch {spec.branches[environment]})", run)
    return _show("drift check", project.runner.run(DRIFT, schedule(project.repo))) and ok


def _run(args) -> bool:
    project_dir = args.project.resolve()
    if not (project_dir / "app.json").is_file():
        raise Stop(f"no app.json in {project_dir}: pass --project PATH, the folder that holds it")
    spec = _spec(project_dir)
    sops = _sops(spec, project_dir)
    manifest = json.loads((project_dir / "app.json").read_text())
    manifest.pop("$schema", None)  # a path relative to the project, which the scratch copy does not have
    built = [app["name"] for app in manifest.get("apps", []) if app.pop("build", None) is not None]
    if built:  # they need Docker with your base images, and a droplet: tests/ghactions/test_release.py runs them in a stand-in
        print(f"ℹ VM apps built and deployed on merge, not run here: {', '.join(built)} (the harness runs Terraform's part)")
    root = args.keep or Path(tempfile.mkdtemp(prefix="webkit-ghactions-"))
    root.mkdir(parents=True, exist_ok=True)
    with Project.started(root, manifest, _secrets(spec), **sops) as project:
        ok = _scenario(project, spec)
    print(f"\n{'✓' if ok else '✗'} work folder: {root}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.ghactions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path("."), help="the folder with app.json")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    try:
        return 0 if _run(args) else 1
    except Stop as err:
        print(f"✗ {err}", file=sys.stderr)
    except NotEmulated as err:
        print(f"✗ the workflows ask for something this harness cannot run as GitHub would: {err}", file=sys.stderr)
    except subprocess.CalledProcessError as err:
        print(f"✗ {' '.join(map(str, err.cmd))} failed (exit {err.returncode}): {(err.stderr or '').strip()}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - a user's tool ends with a sentence, not a traceback
        print(f"✗ the harness stopped: {type(err).__name__}: {err} (run with --keep DIR to look at its files)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
