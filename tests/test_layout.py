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


# --------------------------------------------------------------------------- the whole graph

def runtime_imports(path) -> set[str]:
    """Modules `path` imports when it runs (imports under `if TYPE_CHECKING:` are for mypy only)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def files(*folders: str):
    return [p for folder in folders for p in sorted((REPO / folder).rglob("*.py"))]


def reaches(names: set[str], *prefixes: str) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


CDKTF = ("cdktf", "constructs", "cdktf_cdktf_provider_digitalocean", "constructs_lib", "stacks")
# The bottom layers: what app.json may say and what webkit knows about providers. Nothing here runs
# back up into synthesis, the sandbox, the workflows or the commands.
BOTTOM = ("webkit/registry", "webkit/manifest", "webkit/spec")
ABOVE_BOTTOM = (*CDKTF, "workflows", "webkit.sandbox", "webkit.commands")


@pytest.mark.parametrize("path", files(*BOTTOM) + [REPO / "webkit" / "shapes.py", REPO / "webkit" / "provider_facts.py"],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_the_bottom_layers_import_nothing_above_them(path):
    assert not reaches(runtime_imports(path), *ABOVE_BOTTOM)


@pytest.mark.parametrize("path", files("webkit/registry"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_registry_sits_below_the_manifest(path):
    assert not reaches(runtime_imports(path), "webkit.manifest", "webkit.spec")


@pytest.mark.parametrize("path", files("constructs_lib"), ids=lambda p: str(p.relative_to(REPO)))
def test_constructs_read_only_the_registry(path):
    webkit = reaches(runtime_imports(path), "webkit")
    assert all(name == "webkit.registry" or name.startswith("webkit.registry.") for name in webkit), webkit
    assert not reaches(runtime_imports(path), "stacks", "workflows")


@pytest.mark.parametrize("path", files("workflows"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_workflows_never_import_cdktf(path):
    assert not reaches(runtime_imports(path), *CDKTF, "webkit.sandbox")


# the comment package, and the cost module it loads from beside it
COMMENT = sorted((REPO / "workflows" / "plan_comment").glob("*.py")) + [REPO / "workflows" / "do_cost.py"]


def test_the_comment_is_a_package_of_modules():
    assert {p.name for p in COMMENT} >= {"__init__.py", "__main__.py", "model.py", "render.py"}


@pytest.mark.parametrize("path", COMMENT, ids=lambda p: str(p.relative_to(REPO)))
def test_the_comment_imports_only_the_standard_library(path):
    """CI runs the copied package with the runner's python3 (`python3 -I FOLDER`): nothing else is
    installed there. Its own modules are imported relatively (level > 0), everything else by name;
    imports under `if TYPE_CHECKING:` count too, as any import would."""
    import sys

    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level and node.module}
    outside = {name.split(".")[0] for name in names} - set(sys.stdlib_module_names) - {"__future__"}
    assert not outside, outside
    assert not [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 1], "only siblings: .module"


@pytest.mark.parametrize("path", files("stacks"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_stacks_do_not_reach_the_sandbox_or_the_workflows(path):
    assert not reaches(runtime_imports(path), "workflows", "webkit.sandbox")
