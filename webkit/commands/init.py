"""`webkit init`: a new project's first files, as `cdktf init` gives one: a minimal valid app.json
with its JSON Schema beside it, and on request sops set up with a fresh age key.

Everything is rendered first and written only when none of the files exists: init never
overwrites, and a failure (no sops, no key generator) leaves the folder as it was.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from webkit.workspace import MANIFEST_FILE

SCHEMA_FILE = "app.schema.json"
SOPS_CONFIG = ".sops.yaml"
FIRST_SECRETS = "secrets/production.yaml"
NEXT_COMMANDS = (
    ("webkit infra validate", "check app.json after each edit (README: app.json)"),
    ("webkit infra plan --sandbox", "what Terraform would create, with no account"),
    ("webkit update", "write .github/workflows, then commit and push them"),
)


class InitError(Exception):
    """The folder or the options do not allow a new project; the message says why and what to do."""


@dataclass
class Started:
    files: dict[Path, str] = field(default_factory=dict)
    age_private_key: str | None = None  # shown once, never written


def project_name(folder: Path, given: str | None) -> str:
    """`given`, or the folder's name made into a project name (`My Site` → `my-site`)."""
    from webkit.shapes import NAME

    name = given if given is not None else re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    if not re.fullmatch(NAME, name) or len(name) > 40:
        what = f"--name {given!r}" if given is not None else f"the folder name {folder.resolve().name!r}"
        raise InitError(f"{what} is not a project name (lowercase letters, digits and dashes, starting with a letter, "
                        "at most 40): pass --name my-site")
    return name


def repository(folder: Path, given: str | None) -> str | None:
    """`given` as owner/name, else the GitHub repository of git's `origin` remote, if any."""
    from webkit.manifest.models import parse_repo

    if given is None:
        try:
            given = subprocess.run(["git", "-C", str(folder), "remote", "get-url", "origin"], capture_output=True,
                                   text=True, stdin=subprocess.DEVNULL).stdout.strip() or None
        except OSError:  # no git on this machine
            return None
        ref = parse_repo(given) if given else None
        return f"{ref.owner}/{ref.name}" if ref else None
    ref = parse_repo(given)
    if ref is None:
        raise InitError(f"--repo {given!r} is not a GitHub repository: pass owner/name, such as acme/my-site")
    return f"{ref.owner}/{ref.name}"


def manifest_text(name: str, repo: str | None) -> str:
    project: dict[str, str] = {"name": name} | ({"repo": repo} if repo else {})
    manifest = {"$schema": f"./{SCHEMA_FILE}", "project": project, "environments": ["production"], "resources": [], "apps": []}
    return json.dumps(manifest, indent=2) + "\n"


def sops_config(recipient: str) -> str:
    return ("# sops reads this: a file under secrets/ is encrypted for this age key (`sops secrets/<name>.yaml`\n"
            "# opens one in your editor). Add a teammate's public key after a comma.\n"
            "creation_rules:\n"
            f"  - path_regex: secrets/.*\\.(yaml|json)$\n    age: {recipient}\n")


def render(folder: Path, name: str | None, repo: str | None, sops: bool) -> Started:
    """Every file of the new project, keyed by path, without writing any."""
    from webkit.manifest.schema import schema_text

    started = Started()
    started.files[folder / MANIFEST_FILE] = manifest_text(project_name(folder, name), repository(folder, repo))
    started.files[folder / SCHEMA_FILE] = schema_text()
    if sops:
        from webkit import sops as sops_tool

        try:
            private, public = sops_tool.new_age_identity()
            plain = "EXAMPLE_SECRET: replace-me\n"  # no comment: sops would encrypt it into an unreadable line
            folder.mkdir(parents=True, exist_ok=True)
            started.files[folder / FIRST_SECRETS] = sops_tool.encrypt(plain, public, FIRST_SECRETS, folder)
        except sops_tool.SopsError as err:
            raise InitError(str(err)) from None
        started.files[folder / SOPS_CONFIG] = sops_config(public)
        started.age_private_key = private
    return started


def next_commands(folder: Path) -> str:
    """The next three commands, run from here: naming the new folder when it is another one
    (commands find app.json in parent folders, never below)."""
    import shlex

    here = folder.resolve() == Path.cwd()
    commands = [(c if here else c.replace("webkit ", f"webkit -C {shlex.quote(str(folder))} ", 1), why) for c, why in NEXT_COMMANDS]
    width = max(len(command) for command, _ in commands)
    return "\n".join(f"    {command.ljust(width)}   {why}" for command, why in commands)


def init(folder: Path, name: str | None = None, repo: str | None = None, sops: bool = False) -> Started:
    """Write a new project's files into `folder`; InitError (nothing written) when one exists."""
    from webkit.files import write_all

    folder = Path(folder)
    existing = [p for p in (MANIFEST_FILE, SCHEMA_FILE, *((SOPS_CONFIG, FIRST_SECRETS) if sops else ())) if (folder / p).exists()]
    if existing:
        raise InitError(f"{folder / existing[0]} already exists: init writes only new files "
                        + ("(this folder has a project already: run `webkit infra validate`)" if existing[0] == MANIFEST_FILE
                           else "(move it away, or run init in another folder)"))
    started = render(folder, name, repo, sops)
    write_all(started.files)
    return started
