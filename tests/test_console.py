"""What reaches the terminal: a user's text never carries control characters to it, and a message
that lists names stays readable whatever the manifest holds."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import plan_example, write_project
from tests.test_cli import webkit
from webkit import console

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@given(st.text())
def test_no_control_character_reaches_the_terminal_and_no_line_passes_for_a_message(text):
    shown = console.shown(text)
    assert not CONTROL.search(shown)
    assert all(line.startswith("  ") for line in shown.split("\n")[1:]), "a later line could fake ✓ or ✗"
    assert console.shown(text.replace("\x1b", "")).count("\\x1b") == text.count("\\x1b")


@given(st.lists(st.text(min_size=1, max_size=30), max_size=60), st.integers(min_value=1, max_value=20))
def test_a_listed_name_list_is_capped_and_says_how_many_more(names, limit):
    text = console.listed(names, limit)
    if len(names) <= limit:
        assert text == ", ".join(names)
    else:
        assert text.startswith(", ".join(names[:limit]) + " … ")
        assert text.endswith(f"… and {len(names) - limit} more")


def test_a_key_holding_escape_sequences_is_shown_escaped(tmp_path):
    manifest = plan_example()
    key = "x\x1b]0;owned\x07\x1b[2J\r✓ Validated app.json\n✓ all good"
    manifest["apps"][0][key] = 1  # an unknown key: a warning that names it
    result = webkit("infra", "validate", "-C", str(write_project(tmp_path, manifest)))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr and "\x07" not in result.stderr
    assert not any(line.startswith("✓") for line in result.stderr.splitlines())
    assert "Unknown key 'x\\x1b]0;owned\\x07\\x1b[2J\\x0d✓ Validated app.json\n  ✓ all good'" in result.stderr


def test_an_unknown_reference_lists_a_few_resources_not_thousands(tmp_path):
    manifest = plan_example()
    extra = [{"name": f"bucket{i:05d}", "type": "s3", "provider": "digitalocean"} for i in range(3000)]
    manifest["resources"] += extra
    manifest["apps"][0]["env"]["production"].append({"key": "X", "type": "from_resource", "from": "nowhere.url"})
    result = webkit("infra", "validate", "-C", str(write_project(tmp_path, manifest)))
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "unknown resource 'nowhere'" in line]
    assert "(resources: db, bucket00000, " in line and f"… and {len(manifest['resources']) - console.LISTED} more)" in line
    assert len(line) < 600
