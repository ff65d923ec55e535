"""Output in the plan's style: ✓ done, ✗ failed, ⚠ warning, ℹ information.

Colour only on a terminal, and never when NO_COLOR is set (no-color.org); problems go to stderr so
scripts can read stdout. A step that takes over a second shows a progress line on a terminal.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import threading

_COLOURS = {"✓": "32", "✗": "31", "⚠": "33", "ℹ": "36"}
PROGRESS_AFTER = 1.0  # seconds: quicker steps show nothing


def _colour(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LISTED = 10  # names a message lists before "… and N more"


def _escaped(text: str) -> str:
    """Control characters (an escape sequence from an app.json key can retitle the window, hide
    lines or fake output) as visible `\\x1b`-style escapes; tabs and line breaks stay."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def shown(message: str) -> str:
    """A message safe for a terminal: escaped, and its later lines indented, so that no line of
    it (a key holding a line break) can pass for a message of its own."""
    return _escaped(message).replace("\n", "\n  ")


def listed(names, limit: int = LISTED) -> str:
    """`a, b, c`, or the first `limit` names and "… and N more": a message stays readable when a
    manifest holds thousands of resources."""
    names = [str(name) for name in names]
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" … and {len(names) - limit} more"


def _emit(mark: str, message: str, stream) -> None:
    """The one way webkit's messages reach the terminal: every message is escaped here."""
    if _colour(stream):
        mark = f"\033[{_COLOURS[mark]}m{mark}\033[0m"
    print(f"{mark} {shown(message)}", file=stream)


def text(body: str) -> None:
    """A multi-line text on stdout as it is (a plan summary, a comment), its controls escaped."""
    print(_escaped(body), end="")


def ok(message: str) -> None:
    _emit("✓", message, sys.stdout)


def info(message: str) -> None:
    _emit("ℹ", message, sys.stdout)


def warn(message: str) -> None:
    _emit("⚠", message, sys.stderr)


def fail(message: str) -> None:
    _emit("✗", message, sys.stderr)


@contextlib.contextmanager
def progress(message: str):
    """`message` with a spinner on stderr while the block runs, once it has run for a second, and
    erased when it ends; nothing at all when stderr is not a terminal (a pipe, CI's log)."""
    stream = sys.stderr
    if not stream.isatty():
        yield
        return
    done = threading.Event()

    def spin() -> None:
        if done.wait(PROGRESS_AFTER):
            return
        for frame in itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"):
            stream.write(f"\r{frame} {message}…")
            stream.flush()
            if done.wait(0.1):
                stream.write("\r\033[K")
                stream.flush()
                return

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        yield
    finally:
        done.set()
        spinner.join()
