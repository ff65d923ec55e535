"""Reading inputs (regular files, bounded) and writing generated files (atomically, all or none,
and only when their bytes change).

Every path a user or a checkout controls is read through `read_regular`: a FIFO there would block
webkit for ever, a link to /dev/zero would fill its memory, a huge file would do the same slowly.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a folder or a socket (or, where refused, a symbolic link)."""


class TooLarge(OSError):
    """The file holds more bytes than its reader takes."""


def _not_regular(path: Path, what: str = "not a regular file") -> NotRegularFile:
    return NotRegularFile(errno.EINVAL, what, str(path))


def read_regular(path: Path, limit: int, follow: bool = True) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError naming the path otherwise.
    Opened without blocking (a FIFO's open waits for a writer) and checked on the open file, so
    a file swapped for a FIFO after a check cannot slip through. `follow=False`: a symbolic link
    is refused too (webkit's own working files, which nothing should redirect)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:
            raise _not_regular(path, "a symbolic link, not a regular file") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_regular(path)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(errno.EFBIG, f"larger than {_size(limit)}", str(path))
    return data


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"


def _same_bytes(path: Path, data: bytes, own: bool = False) -> bool:
    """Whether `path` already holds exactly `data`: False when it does not exist; OSError when
    something other than a regular file is there. A symbolic link is refused too: the rename
    would replace the link itself (as root, `--json-out /dev/stdout` replaced /dev/stdout)."""
    try:
        return read_regular(path, len(data), follow=False) == data
    except TooLarge:
        return False
    except (FileNotFoundError, NotADirectoryError):
        return False
    except NotRegularFile:
        if own:  # webkit's own file: whatever a checkout put there is replaced, never followed
            return False
        raise
    except IsADirectoryError:
        raise _not_regular(path, "a folder, where webkit writes a file") from None


def _mode(path: Path) -> int:
    """An existing file keeps its mode; a new one gets what the user's other files get (0644 under
    the usual umask), not mkstemp's 0600."""
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            return info.st_mode & 0o777
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_all(files: dict[Path, str], mode: int | None = None, own: bool = False) -> list[Path]:
    """Write every file whose bytes change, all or none: each goes to a temporary file beside it
    first, and only when all of them are written are they renamed into place. Returns those written.
    An OSError (full disk, a read-only folder, a file where a folder should be, a FIFO or a device
    where a file should be) leaves every target as it was and names the path. `own`: files only
    webkit writes (in .webkit/), where a link or a FIFO is replaced rather than refused."""
    pending: list[tuple[str, Path]] = []
    try:
        datas = {path: text.encode("utf-8") for path, text in files.items()}
        changed = [path for path, data in datas.items() if not _same_bytes(path, data, own)]
        for path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(datas[path])
            os.chmod(tmp, _mode(path) if mode is None else mode)
    except BaseException:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in pending:
        os.replace(tmp, path)
    return [path for _, path in pending]


def check_target(path: Path) -> None:
    """OSError now, before any work, when `write_atomic(path, …)` would refuse the path."""
    _same_bytes(Path(path), b"")


def write_atomic(path: Path, text: str, mode: int | None = None, own: bool = False) -> bool:
    """Replace `path` by rename so readers never see half a file; False when it was already identical.
    `mode`: the file's mode (else an existing file keeps its own, a new one gets the usual)."""
    return bool(write_all({Path(path): text}, mode, own))
