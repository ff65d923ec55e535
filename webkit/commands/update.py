"""`webkit update`: app.json → synthesised stacks → the .github/ files that apply them.

Everything is rendered before anything is written; an invalid manifest or a failed synthesis
writes nothing. Unchanged files are not rewritten. The output depends only on app.json, the webkit
version and the plugins (no clock): reverting app.json and updating again restores every file.

When nothing changed since the last update, `webkit.commands.cache` answers without synthesising.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from webkit import console
from webkit.commands import cache
from webkit.commands.synth import prestart, synthesize
from webkit.files import NotRegularFile, TooLarge, read_regular, write_all
from webkit.workspace import GENERATED_LIMIT, MANIFEST_FILE, MANIFEST_LIMIT

if TYPE_CHECKING:  # imported when used: until a synthesis is certain this module stays light
    from webkit.manifest import Manifest
    from webkit.spec import ProjectSpec


# Paths webkit once generated and generates no more: update deletes a copy it wrote there (its
# header says so; --check reports it as stale) and leaves anything else there alone, with a warning.
RETIRED = (
    ".github/actions/terraform-comment/plan_comment.py",  # now the plan_comment/ package beside it
    ".github/workflows/terraform-apply.yml",  # now release.yml (#25)
)


@dataclass
class UpdateResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # --check: missing or different
    secrets: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # retired generated files deleted
    kept: list[str] = field(default_factory=list)  # retired paths holding a file webkit did not write


def stamp_hash(manifest: bytes) -> str:
    """The app.json hash the workflows check, carriage returns removed: Git for Windows checks out
    CRLF, the runner LF, and both are the same manifest (the check script removes them too)."""
    return hashlib.sha256(manifest.replace(b"\r", b"")).hexdigest()


def render(project_dir: Path, spec: ProjectSpec, stacks: dict[str, str], root: Path | None = None) -> tuple[dict[Path, str], list[str]]:
    """Every generated file under `root` (default: the project) → its final text, and the
    repository secrets the workflows read."""
    from workflows.generate import Generation, render_files, required_secrets

    root = root or project_dir
    manifest_hash = stamp_hash(read_regular(project_dir / MANIFEST_FILE, MANIFEST_LIMIT))
    generation = Generation(spec, stacks, manifest_hash, spec.webkit_version)
    files = {root / relative: text for relative, text in render_files(generation).items()}
    return files, required_secrets(generation)


def _existing(path: Path) -> str | None:
    """A generated file as it is now, when it is one webkit could have written (a larger one, or
    one that is not UTF-8, is not; a FIFO or a device there is an OSError naming it)."""
    try:
        return read_regular(path, GENERATED_LIMIT).decode("utf-8")
    except (FileNotFoundError, NotADirectoryError, TooLarge, UnicodeDecodeError):
        return None


def update(
    project_dir: Path, load: Callable[[], Manifest], version: str, check: bool = False, use_cache: bool = True
) -> UpdateResult:
    """`load` checks app.json; it runs on every update (warnings, --strict), after the cache is
    consulted, so that on a miss Node already boots for the synthesis while it runs."""
    hit = cache.cached(project_dir, version) if use_cache else None
    if hit is None:
        prestart()
    manifest = load()
    if hit is not None:
        result = UpdateResult(unchanged=hit["files"], secrets=hit["secrets"], environments=list(manifest.environments))
        return retire(project_dir, result, check)
    from webkit.spec import to_spec

    spec = to_spec(manifest, version)
    with console.progress("Synthesising with cdktf"):
        stacks = synthesize(spec)
    files, secrets = render(project_dir, spec, stacks)
    result = UpdateResult(secrets=secrets, environments=list(manifest.environments))
    written = set() if check else set(write_all(files))
    for path, text in files.items():
        relative = str(path.relative_to(project_dir))
        if not check:
            (result.written if path in written else result.unchanged).append(relative)
        elif _existing(path) == text:
            result.unchanged.append(relative)
        else:
            result.stale.append(relative)
    if use_cache and not check:  # --check writes nothing at all, not even the cache
        cache.remember(project_dir, version, {str(p.relative_to(project_dir)): t for p, t in files.items()}, secrets)
    return retire(project_dir, result, check)


def retire(project_dir: Path, result: UpdateResult, check: bool = False) -> UpdateResult:
    """Each RETIRED path that still holds a file webkit generated: deleted (`check`: reported as
    stale). A file there without webkit's header, a link or anything but a regular file is the
    user's: it stays, named in `result.kept`."""
    for relative in RETIRED:
        path = project_dir / relative
        if not path.is_symlink() and not path.exists():
            continue
        try:
            text: str | None = read_regular(path, GENERATED_LIMIT, follow=False).decode("utf-8")
        except (NotRegularFile, TooLarge, IsADirectoryError, UnicodeDecodeError):
            text = None
        from workflows.generate import is_generated

        if text is None or not is_generated(text):
            result.kept.append(relative)
        elif check:
            result.stale.append(relative)
        else:
            path.unlink()
            result.removed.append(relative)
    return result
