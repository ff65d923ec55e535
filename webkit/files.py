"""Reading inputs (regular files, bounded) and writing generated files (atomically, all or none,
and only when their bytes change)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Checked before opening: a FIFO would
    block the open, /dev/zero would grow memory without end. OSError with a sentence otherwise."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError("not a regular file")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"larger than {limit // 2**20} MiB")
    return data


def _mode(path: Path) -> int:
    """An existing file keeps its mode; a new one gets what the user's other files get (0644 under
    the usual umask), not mkstemp's 0600."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_all(files: dict[Path, str], mode: int | None = None) -> list[Path]:
    """Write every file whose bytes change, all or none: each goes to a temporary file beside it
    first, and only when all of them are written are they renamed into place. Returns those written.
    An OSError (full disk, a read-only folder, a file where a folder should be) leaves every target
    as it was and names the path."""
    pending: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            data = text.encode("utf-8")
            try:
                if path.read_bytes() == data:
                    continue
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                pass
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, _mode(path) if mode is None else mode)
    except BaseException:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in pending:
        os.replace(tmp, path)
    return [path for _, path in pending]


def write_atomic(path: Path, text: str, mode: int | None = None) -> bool:
    """Replace `path` by rename so readers never see half a file; False when it was already identical.
    `mode`: the file's mode (else an existing file keeps its own, a new one gets the usual)."""
    return bool(write_all({Path(path): text}, mode))
