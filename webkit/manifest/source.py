"""Read app.json text into plain data, remembering the line of every value.

The standard `json` module gives line and column for syntax errors but forgets where each value
stood; validation errors must name the line in app.json, so after `json.loads` has accepted the
text a small scanner walks it once more and records the line of every JSON path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # there at run time; typeshed omits it

Path = tuple[str | int, ...]

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")



def _matched(pattern: re.Pattern, text: str, pos: int) -> int:
    """Where `pattern`'s match at `pos` ends (text json.loads accepted always matches)."""
    match = pattern.match(text, pos)
    assert match is not None
    return match.end()

class ManifestSyntaxError(ValueError):
    """app.json is not JSON; carries the line and column of the fault."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"{message} (line {line}, column {column})")
        self.message, self.line, self.column = message, line, column


@dataclass
class Source:
    """Parsed JSON plus where each value stood in the text."""

    data: object
    lines: dict[Path, int]
    duplicate_keys: list[Path] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """Line of `path`, or of its nearest ancestor that exists (a missing key points at its object)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _hint(text: str, pos: int) -> str:
    """What usually causes this JSON error, said in the words of someone who wrote the file."""
    if not text.strip():
        return ": the file is empty (an app.json holds at least {\"project\": {\"name\": …}})"
    before, after = text[:pos].rstrip(), text[pos:]
    if after.startswith(("//", "/*")):
        return ": JSON has no comments (put notes in a \"description\")"
    if before.endswith(",") and after.lstrip()[:1] in ("}", "]"):
        return ": a comma before } or ] is not allowed in JSON (remove the trailing comma)"
    if after.startswith("'"):
        return ": JSON strings and keys take double quotes"
    return ""


def parse(text: str) -> Source:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise ManifestSyntaxError(err.msg + _hint(text, err.pos), err.lineno, err.colno) from None
    except ValueError as err:  # NaN / Infinity, which Python's json would otherwise accept
        raise ManifestSyntaxError(str(err), 1, 1) from None
    except RecursionError:
        raise ManifestSyntaxError("nested too deeply", 1, 1) from None
    scanner = _Scanner(text)
    try:
        scanner.value(())
    except RecursionError:
        raise ManifestSyntaxError("nested too deeply", 1, 1) from None
    return Source(data, scanner.lines, scanner.duplicates)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


class _Scanner:
    """Walks text that is already known to be valid JSON."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.duplicates: list[Path] = []

    def _advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def _skip_ws(self) -> None:
        self._advance(_matched(_WS, self.text, self.pos))

    def value(self, path: Path) -> None:
        self._skip_ws()
        self.lines[path] = self.line
        char = self.text[self.pos]
        if char == "{":
            self._object(path)
        elif char == "[":
            self._array(path)
        elif char == '"':
            self._advance(scanstring(self.text, self.pos + 1)[1])
        else:
            self._advance(_matched(_SCALAR, self.text, self.pos))

    def _object(self, path: Path) -> None:
        self._advance(self.pos + 1)
        seen: set[str] = set()
        self._skip_ws()
        if self.text[self.pos] == "}":
            self._advance(self.pos + 1)
            return
        while True:
            self._skip_ws()
            key_line = self.line
            key, end = scanstring(self.text, self.pos + 1)
            self._advance(end)
            if key in seen:
                self.duplicates.append(path + (key,))
            seen.add(key)
            self._skip_ws()
            self._advance(self.pos + 1)  # ':'
            self.value(path + (key,))
            self.lines[path + (key,)] = key_line
            self._skip_ws()
            closing = self.text[self.pos]
            self._advance(self.pos + 1)
            if closing == "}":
                return

    def _array(self, path: Path) -> None:
        self._advance(self.pos + 1)
        self._skip_ws()
        if self.text[self.pos] == "]":
            self._advance(self.pos + 1)
            return
        index = 0
        while True:
            self.value(path + (index,))
            index += 1
            self._skip_ws()
            closing = self.text[self.pos]
            self._advance(self.pos + 1)
            if closing == "]":
                return


def format_path(path: Path) -> str:
    """`("apps", 0, "infra", "config")` → `apps[0].infra.config`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(top level)"
