"""Whatever a plan file holds, the comment script answers with a comment or one clear line."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import json_paths
from workflows import plan_comment as pc

PLAN = json.loads((Path(__file__).parents[1] / "fixtures" / "plans" / "every-action.json").read_text())
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)


PATHS = [p for p, _ in json_paths(PLAN) if p and len(p) <= 5]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=JSON)
def test_a_plan_broken_anywhere_gets_a_clear_answer(tmp_path, capsys, path, value):
    plan = copy.deepcopy(PLAN)
    target = plan
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    for command in (["render", "--plan-json", str(file)], ["render", "--plan-json", str(file), "--format", "json"],
                    ["changes", "--plan-json", str(file)]):
        code = pc.main(command)
        err = capsys.readouterr().err
        assert code in (0, 1)
        assert code == 0 or (err.startswith("✗ ") and err.count("\n") == 1), err


def test_deep_nesting_fifos_and_devices(tmp_path, capsys):
    import os

    deep = tmp_path / "deep.json"
    deep.write_text('{"format_version": "1.2", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    os.mkfifo(tmp_path / "fifo")
    for path, why in ((deep, "nests too deeply"), (tmp_path / "fifo", "not a regular file"), ("/dev/zero", "not a regular file")):
        assert pc.main(["render", "--plan-json", str(path)]) == 1
        assert why in capsys.readouterr().err
