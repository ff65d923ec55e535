"""GitHub Actions expressions (`${{ … }}`) with GitHub's semantics.

- `&&` and `||` return an operand, not a boolean (`a && 'x' || 'y'` is GitHub's ternary);
- `==`/`!=` compare strings case-insensitively and coerce mixed types to numbers
  (null → 0, true → 1, '' → 0, other strings → their number or NaN);
- a missing property is null; indexing null is null;
- truthiness: false, 0, -0, NaN, '' and null are falsy.

The status functions (`success()`, `failure()`, `always()`, `cancelled()`) read the `status`
the caller passes in.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<number>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class ExpressionError(ValueError):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read expression at {text[pos:]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Precedence, loosest first: ||, &&, == !=, < <= > >=, !, postfix (. [] call)."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'} in expression")
        self.pos += 1
        return token

    def parse(self):
        node = self.binary(0)
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")
        return node

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int):
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (token := self.peek()) and token[0] == "op" and token[1] in self.LEVELS[level]:
            self.pos += 1
            node = ("op", token[1], node, self.binary(level + 1))
        return node

    def unary(self):
        token = self.peek()
        if token and token == ("op", "!"):
            self.pos += 1
            return ("not", self.unary())
        return self.postfix(self.primary())

    def primary(self):
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(int(value, 16)) if value.startswith("0x") else float(value))
        if kind == "string":
            return ("lit", value[1:-1].replace("''", "'"))
        if value == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if kind == "name":
            literal = {"true": True, "false": False, "null": None}
            if value in literal:
                return ("lit", literal[value])
            if self.peek() == ("op", "("):
                self.pos += 1
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.binary(0))
                    if self.peek() == ("op", ","):
                        self.pos += 1
                self.take(")")
                return ("call", value.lower(), args)
            return ("context", value)
        raise ExpressionError(f"unexpected {value!r}")

    def postfix(self, node):
        while (token := self.peek()) in (("op", "."), ("op", "[")):
            self.pos += 1
            if token[1] == ".":
                kind, name = self.take()
                node = ("index", node, ("lit", "*" if name == "*" else name))
            else:
                index = self.binary(0)
                self.take("]")
                node = ("index", node, index)
        return node


# --------------------------------------------------------------------------- values


def to_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def truthy(value) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    return True


def to_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


def _equal(a, b) -> bool:
    if type(a) is not type(b) and not (_is_num(a) and _is_num(b)):
        if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
            return False
        return to_number(a) == to_number(b)
    if isinstance(a, str):
        return a.casefold() == b.casefold()
    if _is_num(a):
        return float(a) == float(b)
    return a is b if isinstance(a, (dict, list)) else a == b


def _is_num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(op: str, a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.casefold(), b.casefold()
    else:
        a, b = to_number(a), to_number(b)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _index(container, key):
    if key == "*":
        if isinstance(container, dict):
            return list(container.values())
        return list(container) if isinstance(container, list) else []
    if isinstance(container, dict):
        if isinstance(key, str):
            for name, value in container.items():
                if name.casefold() == key.casefold():
                    return value
        return None
    if isinstance(container, list) and _is_num(key) and 0 <= int(key) < len(container):
        return container[int(key)]
    if isinstance(container, list) and isinstance(key, str):  # filter: list.*.key
        return [_index(item, key) for item in container]
    return None


def _format(template: str, *args) -> str:
    out = re.sub(r"\{\{|\}\}|\{(\d+)\}", lambda m: m.group(0)[0] if m.group(1) is None else to_string(args[int(m.group(1))]), template)
    return out


FUNCTIONS = {
    "contains": lambda hay, needle: (
        any(_equal(item, needle) for item in hay) if isinstance(hay, list) else to_string(needle).casefold() in to_string(hay).casefold()
    ),
    "startswith": lambda s, p: to_string(s).casefold().startswith(to_string(p).casefold()),
    "endswith": lambda s, p: to_string(s).casefold().endswith(to_string(p).casefold()),
    "format": lambda template, *args: _format(to_string(template), *args),
    "join": lambda items, sep=",": to_string(sep).join(to_string(i) for i in items) if isinstance(items, list) else to_string(items),
    "tojson": lambda value: json.dumps(value, indent=2),
    "fromjson": lambda text: json.loads(text),
}


def evaluate(text: str, context: dict, status: str = "success") -> Any:
    """The value of one expression (without `${{ }}`)."""
    return _eval(_Parser(text).parse(), context, status)


def _eval(node, context: dict, status: str):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "context":
        return _index(context, node[1])
    if kind == "index":
        return _index(_eval(node[1], context, status), _eval(node[2], context, status))
    if kind == "not":
        return not truthy(_eval(node[1], context, status))
    if kind == "op":
        op, left = node[1], _eval(node[2], context, status)
        if op == "&&":
            return _eval(node[3], context, status) if truthy(left) else left
        if op == "||":
            return left if truthy(left) else _eval(node[3], context, status)
        right = _eval(node[3], context, status)
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        return _compare(op, left, right)
    if kind == "call":
        name, args = node[1], [_eval(a, context, status) for a in node[2]]
        if name in ("success", "failure", "always", "cancelled"):
            return {"success": status == "success", "failure": status == "failure", "always": True, "cancelled": status == "cancelled"}[name]
        if name == "hashfiles":
            raise ExpressionError("hashFiles() is not emulated")
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name}()")
        return FUNCTIONS[name](*args)
    raise ExpressionError(f"cannot evaluate {node!r}")


def interpolate(text: str, context: dict) -> str:
    """A string with every `${{ … }}` replaced by its value as text."""
    return EMBEDDED.sub(lambda m: to_string(evaluate(m.group(1), context)), text)


def condition(text: str | bool | None, context: dict, status: str) -> bool:
    """A job or step `if:`; without a status function it means `success() && (…)`."""
    if text is None:
        text = "success()"
    if isinstance(text, bool):
        text = "true" if text else "false"
    text = str(text).strip()
    if match := re.fullmatch(r"\$\{\{(.*)\}\}", text, re.DOTALL):
        text = match.group(1)
    if not re.search(r"\b(success|failure|always|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return truthy(evaluate(text, context, status))
