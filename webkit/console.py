"""Output in the plan's style: ✓ done, ✗ failed, ⚠ warning, ℹ information.

Colour only on a terminal, and never when NO_COLOR is set (no-color.org); problems go to stderr so
scripts can read stdout. A step that takes over a second shows a progress line on a terminal.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading

_COLOURS = {"✓": "32", "✗": "31", "⚠": "33", "ℹ": "36"}
PROGRESS_AFTER = 1.0  # seconds: quicker steps show nothing


def _colour(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _emit(mark: str, message: str, stream) -> None:
    if _colour(stream):
        mark = f"\033[{_COLOURS[mark]}m{mark}\033[0m"
    print(f"{mark} {message}", file=stream)


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
