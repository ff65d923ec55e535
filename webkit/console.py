"""Output in the plan's style: ✓ done, ✗ failed, ⚠ warning, ℹ information.

Colour only on a terminal; problems go to stderr so scripts can read stdout.
"""

from __future__ import annotations

import sys

_COLOURS = {"✓": "32", "✗": "31", "⚠": "33", "ℹ": "36"}


def _emit(mark: str, message: str, stream) -> None:
    if stream.isatty():
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
