import json

import pytest

from webkit.manifest.source import ManifestSyntaxError, format_path, parse


def test_every_value_has_its_line():
    text = '{\n  "a": 1,\n  "list": [\n    {"b": "x"},\n\n    true\n  ],\n  "s": "q\\"uoted\\n"\n}'
    source = parse(text)
    assert source.data == json.loads(text)
    assert source.lines[("a",)] == 2
    assert source.lines[("list",)] == 3
    assert source.lines[("list", 0)] == 4
    assert source.lines[("list", 0, "b")] == 4
    assert source.lines[("list", 1)] == 6
    assert source.lines[("s",)] == 8


def test_missing_key_points_at_its_object():
    source = parse('{\n "apps": [\n  {\n   "infra": {\n    "config": {}\n   }\n  }\n ]\n}')
    assert source.line_of(("apps", 0, "infra", "config", "region")) == 5


def test_syntax_error_names_line_and_column():
    with pytest.raises(ManifestSyntaxError) as err:
        parse('{\n  "a": 1,\n  "b": \n}')
    assert (err.value.line, err.value.column) == (4, 1)


def test_duplicate_keys_are_reported():
    assert parse('{"a": 1, "b": {"c": 1, "c": 2}}').duplicate_keys == [("b", "c")]


def test_byte_order_mark_is_accepted():
    assert parse('\ufeff{"a": 1}').data == {"a": 1}


@pytest.mark.parametrize(
    "path, text",
    [
        (("apps", 0, "infra", "config", "region"), "apps[0].infra.config.region"),
        (("$schema",), "$schema"),
        (("env", "odd key"), 'env["odd key"]'),
        ((), "(top level)"),
    ],
)
def test_format_path(path, text):
    assert format_path(path) == text
