"""The comment of a plan run that failed before Terraform (plan_comment failed): whatever the
workflow's error lines hold stays inside its code block, and the user's masks hold there too."""

from __future__ import annotations

import re

from hypothesis import assume, given
from hypothesis import strategies as st

from workflows import plan_comment as pc

BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on
LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=BREAKS), max_size=80)


@given(step=LINE, reasons=st.lists(LINE, min_size=1, max_size=25))
def test_any_reason_text_stays_inside_its_code_block(step, reasons):
    text = "\n".join(reasons)
    assume(text.strip())
    body = pc.render_failure("staging", step, text)
    out = body.splitlines()
    assert out[0] == pc.marker("staging") and out[1] == "## ❌ Terraform plan · staging: failed before Terraform ran"
    start = out.index("### Why") + 2
    fence = out[start]
    assert re.fullmatch(r"`{3,}", fence) and out[-1] == fence, "the block opens after Why and closes last"
    assert out[start + 1:-1] == text.strip().splitlines()[-20:]
    assert all(fence not in line for line in out[start + 1:-1]), "no reason line can close the block"


def test_user_masks_hold_in_the_reasons(monkeypatch):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "codename-[a-z]+")
    body = pc.render_failure("production", "Check the secrets are set", "cannot decrypt KEY from codename-zebra.yaml\n")
    assert "codename" not in body and "(masked)" in body
    assert "_Check the secrets are set_ failed" in body


def test_no_reasons_points_at_the_log():
    body = pc.render_failure(None, "", "")
    assert "## ❌ Terraform plan: failed before Terraform ran" in body and "_an earlier step_ failed" in body
    assert "The step's log in the workflow run says why." in body
