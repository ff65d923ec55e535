"""The comment's one escaping point for markdown and HTML (and mermaid labels): every text from a
plan goes through here, masked first with the masks of the summary being rendered."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .masks import masked

# Every character markdown or HTML could act on, as an entity: a value from a plan is text, never a
# tag, a comment (a forged marker), a link, emphasis or a table cell's end. GitHub finds mentions in
# the rendered text, where an entity is an `@` again: a zero-width space after it breaks the mention.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>`|\\[]*~#!"} | {"@": "@\u200b", "\n": "↵", "\r": "↵"})


# GFM links bare URLs (scheme://…, www.…): the character that starts one becomes an entity, which
# the renderer turns back into itself after it looked for links, so a copied value is the real one.
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=www)\.")


def inline_text(text: str) -> str:
    """A plan value (or any text holding one) as one line of inert markdown, masked first."""
    return _escaped(masked(text))


@functools.lru_cache(maxsize=1 << 16)  # render_fitting renders the same values up to 16 times
def _escaped(text: str) -> str:
    text = text.replace("\r\n", "\n").translate(_ENTITIES)
    if "//" in text or "." in text:
        text = _AUTOLINK.sub(lambda m: f"&#{ord(m.group())};", text)
    return text


def inline_code(text: str) -> str:
    return f"<code>{inline_text(text)}</code>"


def fenced(lines: Sequence[str], info: str = "") -> list[str]:
    """A code block no line of `lines` can close: the fence is longer than any backtick run in them.
    The lines come from masked text (masked whole, before it was split); masked again here, as
    every escaping point masks what it is given."""
    lines = masked("\n".join(lines)).split("\n") if lines else []
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *lines, fence]


def mermaid_label(text: str) -> str:
    """A quoted mermaid label: its own entity syntax (#quot;), so for_each keys cannot end it."""
    return "".join({'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "`": "#96;"}.get(c, c) for c in masked(text).replace("\n", " "))
