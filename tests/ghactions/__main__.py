"""Run your project's generated workflows on this machine, offline, as GitHub would:

    python -m tests.ghactions --project PATH/TO/PROJECT [--keep DIR]

From a webkit checkout with the test extras (`pip install -e '.[test]'`). It copies app.json and
the sops files it names into a scratch repository (the state block pointed at a local S3), runs
`webkit update` there, then: a pull-request plan (the comment is printed), the merge's apply
against the simulated cloud, and a drift check. Repository secrets get planted stand-in values;
sops files are decrypted with your SOPS_AGE_KEY, as in CI. Exit 0 when every run ends as it should.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .harness import APPLY, DRIFT, PLAN, Project
from .runner import pull_request, push, schedule


def _secrets(project_dir: Path) -> dict[str, str]:
    from webkit import __version__
    from webkit.manifest import load
    from webkit.spec import to_spec
    from workflows.generate import Generation, required_secrets

    spec = to_spec(load(project_dir)[0], __version__)
    names = required_secrets(Generation(spec, {}, "", __version__))
    return {name: f"planted-{name.lower()}" for name in names if name != "SOPS_AGE_KEY"}


def _show(label: str, run) -> bool:
    print(f"\n=== {label}: {run.conclusion}")
    for job in run.jobs.values():
        print(f"--- {job.name}: {job.conclusion}")
        for step in job.steps:
            print(f"    {step.outcome:8} {step.name}")
        if job.conclusion == "failure":
            print(job.log[-4000:])
    return run.conclusion == "success"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.ghactions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path("."), help="the folder with app.json")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    project_dir = args.project.resolve()
    manifest = json.loads((project_dir / "app.json").read_text())
    sops = sorted({e["from"].split(":")[1] for app in manifest.get("apps", []) + [manifest.get("shared") or {}]
                   for env in (app.get("env") or {}).values() if isinstance(env, list)
                   for e in env if str(e.get("from", "")).startswith("sops:")})
    age_key = os.environ.get("SOPS_AGE_KEY")
    if sops and not age_key:
        print("✗ app.json reads sops files: set SOPS_AGE_KEY to the age key CI uses", file=sys.stderr)
        return 1
    files = {path: (project_dir / path).read_text() for path in sops}
    root = args.keep or Path(tempfile.mkdtemp(prefix="webkit-ghactions-"))
    root.mkdir(parents=True, exist_ok=True)
    with Project.started(root, manifest, _secrets(project_dir), files=files, age_key=age_key) as project:
        branch = "webkit-harness"
        project.change(lambda m: m["project"].__setitem__("description", (m["project"].get("description") or "") + " "), branch)
        ok = _show("pull request plan", project.runner.run(PLAN, pull_request(project.repo, 1, branch)))
        for comment in project.github.comments.get(1, []):
            print(comment["body"])
        before = project.repo.head("main")
        project.repo.git("checkout", "--quiet", "main")
        project.repo.git("merge", "--quiet", "--no-ff", "-m", "merge", branch)
        ok &= _show("apply after merge", project.runner.run(APPLY, push(project.repo, "main", before)))
        ok &= _show("drift check", project.runner.run(DRIFT, schedule(project.repo)))
    print(f"\n{'✓' if ok else '✗'} work folder: {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
