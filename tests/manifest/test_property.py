"""Arbitrary JSON never crashes the loader: it validates or fails with problems (exit 1)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import plan_example
from tests.manifest.test_checks import report_for

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(["project", "resources", "apps", "env", "config", "infra", "name", "type", "provider",
                        "from", "value", "key", "outputs", "depends_on", "environments", "shared", "state", "repo"])


def _check(manifest_text: str) -> None:
    report = report_for(manifest_text)
    if report.ok():
        assert report.manifest is not None
    else:
        assert report.fatal or report.errors()
        for problem in report.errors():
            report.describe(problem)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes(value):
    _check(json.dumps(value))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(st.lists(keys | st.integers(0, 2), min_size=1, max_size=4), json_values), max_size=4))
def test_mutations_of_a_valid_manifest_never_crash(edits):
    manifest = plan_example()
    for path, value in edits:
        target = manifest
        for step in path[:-1]:
            if isinstance(target, dict) and step in target or isinstance(target, list) and isinstance(step, int) and step < len(target):
                target = target[step]
        if isinstance(target, dict):
            target[str(path[-1])] = value
        elif isinstance(target, list) and target:
            target[0] = value
    _check(json.dumps(manifest))


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text):
    _check(text)
