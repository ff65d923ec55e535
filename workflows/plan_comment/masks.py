"""The one place that hides what must not be shown: the plan's secret values and the user's
WEBKIT_PLAN_MASKS. Rendering masks through the masks of the summary being rendered (`masked`)."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading

from .model import SENSITIVE, PlanError

MASKED = "(masked)"
MIN_SECRET = 6  # shorter sensitive strings ("app", "true") would mask half the plan and hide nothing
MASK_SECONDS = 3.0  # WEBKIT_PLAN_MASKS' work on one text (+1 s a MiB): a backtracking pattern stops here


@functools.lru_cache(maxsize=4)
def _masks(spec: str) -> tuple:
    patterns = []
    for number, line in enumerate(spec.splitlines(), 1):
        if line.strip():
            try:
                pattern = re.compile(line)
            except re.error as err:
                raise PlanError(f"WEBKIT_PLAN_MASKS line {number} is not a regular expression: {err}") from None
            if pattern.search("") is not None:
                raise PlanError(f"WEBKIT_PLAN_MASKS line {number} matches the empty string: it would mask nothing, "
                                "or everything; make it match at least one character")
            patterns.append((number, pattern))
    return tuple(patterns)


def user_masks() -> tuple:
    """WEBKIT_PLAN_MASKS (a repository variable in CI): one regular expression a line; whatever
    one matches in a value, a diff, a warning or a log is shown as (masked), as tfcmt's masks."""
    return _masks(os.environ.get("WEBKIT_PLAN_MASKS", ""))


class _Slow(Exception):
    pass


class Hidden(str):
    """A plan value replaced by (sensitive): shown as is, not as a JSON string."""


class Masks:
    """The one place that hides what must not be shown: the plan's secret values and the user's
    masks, applied to raw text (never to a JSON-escaped rendering) before anything is cut,
    split into lines or escaped. Secrets are replaced longest first, in one pass, so one secret
    holding another never leaves a piece of the longer one."""

    def __init__(self, secrets=frozenset(), patterns: tuple | None = None):
        ordered = sorted({s for s in secrets if isinstance(s, str) and s}, key=lambda s: (-len(s), s))
        self.secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self.patterns = user_masks() if patterns is None else patterns
        self._done: dict[str, str] = {}  # render_fitting shows the same texts up to 16 times

    def text(self, text: str) -> str:
        """Every secret in `text` as (sensitive), every user mask's match as (masked)."""
        if text not in self._done:
            clean = self.secrets.sub(SENSITIVE, text) if self.secrets is not None else text
            self._done[text] = self._user_masks(clean) if self.patterns else clean
        return self._done[text]

    def leaf(self, text: str) -> str:
        """A plan value: wholly (sensitive) when it holds a secret (Terraform marks a value sensitive
        where it is declared, not where it is copied), else with the user masks' matches hidden."""
        if self.secrets is not None and self.secrets.search(text):
            return HIDDEN
        return self.text(text)

    def value(self, value):
        """A JSON value with every string in it (keys too) masked; same shape, same order."""
        if isinstance(value, str):
            return self.leaf(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            out: dict = {}
            for key, item in value.items():
                shown = self.text(key) if isinstance(key, str) else key
                while shown in out:  # two keys masked alike stay two entries
                    shown = f"{shown} "
                out[shown] = self.value(item)
            return out
        return value

    def _user_masks(self, text: str) -> str:
        """Each user mask's matches as (masked), bounded in time: Python's regular expressions
        backtrack, so `(a+)+$` takes years on 40 characters. SIGALRM interrupts the matcher (where
        there is one); each text gets MASK_SECONDS, and a second more per MiB."""
        running = [0]

        def replace(match) -> str:
            if match.end() == match.start():
                raise PlanError(f"WEBKIT_PLAN_MASKS line {running[0]} matched an empty string: make it match at least one character")
            return MASKED

        def masked_all(text: str) -> str:
            for running[0], pattern in self.patterns:
                text = pattern.sub(replace, text)
            return text

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return masked_all(text)

        def stop(*_):
            raise _Slow
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, MASK_SECONDS + len(text) / 2**20)
        try:
            return masked_all(text)
        except _Slow:
            raise PlanError(f"WEBKIT_PLAN_MASKS line {running[0]} took over {MASK_SECONDS:g} s on one value of {len(text)} "
                            "characters: a pattern with nested or overlapping repetition, such as (a+)+ or (a|a)*, "
                            "backtracks exponentially; write it without (for example a+)") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


HIDDEN = Hidden(SENSITIVE)
_ACTIVE: list[Masks] = []  # the masks of the summary being rendered (see masking)


@contextlib.contextmanager
def masking(masks: Masks):
    """Within it, every escaping point masks with `masks` (the summary being rendered's)."""
    _ACTIVE.append(masks)
    try:
        yield masks
    finally:
        _ACTIVE.pop()


def active_masks() -> Masks:
    return _ACTIVE[-1] if _ACTIVE else Masks()


def masked(text: str) -> str:
    """`text` with every secret value of the plan being rendered and every user mask's match hidden."""
    return active_masks().text(text)
