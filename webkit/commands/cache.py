"""What the last `webkit update` wrote, so an unchanged project is answered without synthesis.

`.webkit/update-cache.json` records a key (app.json's bytes, the stamped version, webkit's own
code and the installed plugins) and the digest of every file written. It is used only when the
key and every file still match; a stale, corrupt or missing cache is ignored, never trusted.
Light on purpose: no pydantic, no cdktf, so a cache hit costs milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path

from webkit.files import read_regular
from webkit.workspace import GENERATED_LIMIT, MANIFEST_FILE, MANIFEST_LIMIT, WEBKIT_DIR, workspace

CACHE_FILE = "update-cache.json"
CACHE_LIMIT = 2**20  # a digest per generated file: a few KiB


def _package_files(package: str, digest) -> None:
    """Paths, sizes and mtimes of a package's Python files (a plain module: its one file)."""
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        digest.update(f"{package}: missing\n".encode())
        return
    files = [p for folder in spec.submodule_search_locations or [] for p in sorted(Path(folder).rglob("*.py"))]
    for path in files or ([Path(spec.origin)] if spec.origin and spec.origin != "built-in" else []):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Everything that shapes the output besides app.json, read once per process: webkit's own code,
    and each plugin's entry point, distribution version and code (found without importing it)."""
    digest = hashlib.sha256()
    for package in ("webkit", "constructs_lib", "stacks", "workflows"):
        _package_files(package, digest)
    for entry in sorted(entry_points(group="webkit.constructs"), key=lambda e: e.name):
        dist = f"{entry.dist.name}=={entry.dist.version}" if entry.dist else "?"
        digest.update(f"{entry.name}={entry.value} from {dist}\n".encode())
        _package_files(entry.value.split(":")[0].split(".")[0], digest)
    return digest.hexdigest()


def _key(project_dir: Path, version: str) -> str:
    manifest = read_regular(project_dir / MANIFEST_FILE, MANIFEST_LIMIT)
    return hashlib.sha256(manifest + f"\0{version}\0{_code_fingerprint()}".encode()).hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cached(project_dir: Path, version: str) -> dict | None:
    """{"files": [...], "secrets": [...]} of the last update when nothing it depends on changed."""
    try:
        cache = json.loads(read_regular(project_dir / WEBKIT_DIR / CACHE_FILE, CACHE_LIMIT, follow=False))
        if cache["key"] != _key(project_dir, version):
            return None
        for relative, digest in cache["files"].items():
            if _digest(read_regular(project_dir / relative, GENERATED_LIMIT).decode()) != digest:
                return None
        return {"files": list(cache["files"]), "secrets": list(cache["secrets"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # UnicodeDecodeError is a ValueError
        return None


def remember(project_dir: Path, version: str, files: dict[str, str], secrets: list[str]) -> None:
    from webkit.files import write_atomic

    cache = {"key": _key(project_dir, version), "files": {p: _digest(t) for p, t in files.items()}, "secrets": secrets}
    try:
        write_atomic(workspace(project_dir, CACHE_FILE), json.dumps(cache, indent=2) + "\n", own=True)
    except OSError:
        pass  # the cache only saves time; a project folder we cannot write .webkit/ into works without it
