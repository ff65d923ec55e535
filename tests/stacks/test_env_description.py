"""A VM app's env outputs say in their description which keys are secret, for the plan comment: what
the stack writes, the comment reads back, for any keys and values app.json accepts. The plain
values show key by key; every value of the sensitive output stays hidden."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stacks.project_stack import _ENV_DESCRIPTIONS
from webkit.manifest.refs import IDENTIFIER
from workflows import plan_comment

ENV = st.dictionaries(st.from_regex(IDENTIFIER, fullmatch=True), st.text(min_size=1, max_size=20), max_size=6)


def rows(name: str, before: dict, after: dict, sensitive: bool) -> list[tuple[str, str, str]] | None:
    change = {"actions": ["update"], "before": before, "after": after, "before_sensitive": sensitive, "after_sensitive": sensitive}
    configuration = {"root_module": {"outputs": {f"cms_{name}": {"description": _ENV_DESCRIPTIONS[name]}}}}
    return plan_comment.env_diff(f"cms_{name}", change, configuration)


@given(before=ENV, after=ENV)
def test_plain_values_show_by_key_and_sensitive_ones_never(before, after):
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    plain = rows("env_values", before, after, sensitive=False)
    hidden = rows("env_sensitive_values", before, after, sensitive=True)
    assert plain is not None and hidden is not None, "both descriptions are understood"
    assert [key for key, _, _ in plain] == [key for key, _, _ in hidden] == changed
    for key, old, new in hidden:
        assert {old, new} <= {"", plan_comment.SENSITIVE, "(sensitive, changed)"}, key
    for key, old, new in plain:
        assert plan_comment.SENSITIVE not in (old, new) or key == "none", key
