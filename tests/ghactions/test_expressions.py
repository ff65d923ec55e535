"""The harness's `${{ }}` evaluator against GitHub's documented semantics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ghactions.expressions import condition, evaluate, interpolate, truthy

CONTEXT = {
    "github": {"ref_name": "main", "base_ref": "staging", "event": {"pull_request": {"number": 7}}},
    "steps": {"plan": {"outputs": {"exitcode": "2"}, "outcome": "success"}},
    "matrix": {"environment": "production"},
}


@pytest.mark.parametrize("expression, value", [
    ("github.ref_name == 'main' && 'production' || 'staging'", "production"),
    ("github.base_ref == 'main' && 'production' || github.base_ref == 'staging' && 'staging' || ''", "staging"),
    ("'' && 'x' || 'fallback'", "fallback"),  # && and || return an operand
    ("null || 0 || 'last'", "last"),
    ("'MAIN' == github.ref_name", True),  # strings compare case-insensitively
    ("steps.plan.outputs.exitcode == 2", True),  # '2' coerced to a number
    ("steps.plan.outputs.exitcode != '0' && steps.plan.outputs.exitcode != '2'", False),
    ("steps.missing.outputs.exitcode", None),  # a missing property is null
    ("github.event.pull_request.number", 7),
    ("github['ref_name']", "main"),
    ("null == 0", True),
    ("true == 1", True),
    ("'' == 0", True),
    ("'abc' == 0", False),  # NaN is equal to nothing
    ("!steps.plan", False),
    ("format('{0}-{1}', 'a', 2)", "a-2"),
    ("contains('Hello', 'ELL')", True),
    ("startsWith(github.ref_name, 'ma')", True),
    ("fromJSON('[1, 2]')[1]", 2),
    ("1 < 2 && 'b' > 'A'", True),
])
def test_semantics(expression, value):
    result = evaluate(expression, CONTEXT)
    assert result == value and isinstance(result, bool) == isinstance(value, bool)


def test_null_against_a_string_zero():
    # GitHub coerces both sides to numbers when the types differ: null → 0, '0' → 0.
    assert evaluate("steps.missing.outputs.exitcode == '0'", CONTEXT) is True


def test_conditions_get_an_implicit_success():
    assert condition("steps.plan.outputs.exitcode == '2'", CONTEXT, "success")
    assert not condition("steps.plan.outputs.exitcode == '2'", CONTEXT, "failure")
    assert condition("${{ always() && steps.plan.outcome == 'success' }}", CONTEXT, "failure")
    assert condition("${{ failure() || steps.plan.outputs.exitcode == '1' }}", CONTEXT, "failure")
    assert condition(None, CONTEXT, "success") and not condition(None, CONTEXT, "failure")


def test_interpolation_writes_values_as_github_does():
    text = interpolate("env=${{ matrix.environment }} n=${{ github.event.pull_request.number }} b=${{ true }} x=${{ null }}", CONTEXT)
    assert text == "env=production n=7 b=true x="


@given(st.text(max_size=30))
def test_any_string_literal_reads_back(text):
    quoted = "'" + text.replace("'", "''") + "'"
    assert evaluate(quoted, {}) == text
    assert evaluate(f"{quoted} == {quoted.upper()}", {}) is (text.casefold() == text.upper().casefold())


@given(st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3)))
def test_truthiness_matches_github(value):
    falsy = value is None or value is False or value == "" or (not isinstance(value, bool) and value == 0)
    assert truthy(value) is not falsy
    assert not truthy(math.nan)
