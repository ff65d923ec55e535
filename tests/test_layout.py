"""The import graph runs one way: the commands (webkit/commands) use everything below them, and
nothing below imports a command."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO

BELOW = [p for package in ("webkit", "constructs_lib", "stacks", "workflows") for p in sorted((REPO / package).rglob("*.py"))
         if "commands" not in p.relative_to(REPO).parts and p.name != "__main__.py"]  # `python -m webkit` runs the CLI


def imported(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", BELOW, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_below_the_commands_imports_them(path):
    assert not [name for name in imported(path) if name.startswith("webkit.commands")]


def test_the_commands_package_is_where_the_entry_point_is():
    assert 'webkit = "webkit.commands.cli:run"' in (REPO / "pyproject.toml").read_text()
    assert [name for name in imported(REPO / "webkit" / "__main__.py") if name.startswith("webkit.commands")]
