"""A VM app's env output names its secret keys in its description, for the plan comment: what
the stack writes, the comment reads back exactly, for any keys app.json accepts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.env import EnvValue
from stacks.project_stack import _env_description
from webkit.manifest.refs import IDENTIFIER
from workflows import plan_comment

KEYS = st.lists(st.tuples(st.from_regex(IDENTIFIER, fullmatch=True), st.booleans()), max_size=8, unique_by=lambda k: k[0])


@given(keys=KEYS)
def test_the_comment_reads_back_exactly_the_secret_keys(keys):
    description = _env_description([EnvValue(key, "v", secret) for key, secret in keys])
    listed = plan_comment.SECRET_KEYS.search(description)
    assert listed is not None
    read = {key.strip() for key in listed.group(1).split(",")}
    secret = {key for key, is_secret in keys if is_secret}
    # "none" stands for no secret key: at worst it masks a plain key named `none` (closed by default)
    assert read == (secret or {"none"})
