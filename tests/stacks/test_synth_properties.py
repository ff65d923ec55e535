"""Properties of every synthesised stack: deterministic, portable, and free of secret values."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE, REPO
from tests.stacks.conftest import MANIFESTS, spec_of
from webkit.commands.synth import SynthError, synthesize

ALL = [EXAMPLE, *sorted(MANIFESTS.glob("*.json"))]
SECRET_ATTRIBUTES = re.compile(r"\.(uri|password|secret_key|application_key|private_uri)\b|var\.")


@pytest.mark.parametrize("source", ALL, ids=lambda p: p.stem if p.suffix else p.name)
def test_two_runs_same_bytes_and_nothing_machine_specific(source):
    first = synthesize(spec_of(source))
    assert first == synthesize(spec_of(source))
    for text in first.values():
        assert str(REPO) not in text and os.path.expanduser("~") not in text
        assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", text), "a timestamp in the JSON"


@pytest.mark.parametrize("source", ALL, ids=lambda p: p.stem if p.suffix else p.name)
def test_secrets_are_variables_and_sensitive_values_stay_sensitive(source):
    for text in synthesize(spec_of(source)).values():
        stack = json.loads(text)
        for name, variable in stack.get("variable", {}).items():
            assert variable["sensitive"] is True and "default" not in variable, name
        for name, output in stack.get("output", {}).items():
            if SECRET_ATTRIBUTES.search(json.dumps(output["value"])):
                assert output.get("sensitive") is True, f"output {name} carries a secret but is not sensitive"


def test_unknown_environment_is_a_clear_error():
    from tests.conftest import plan_example

    with pytest.raises(SynthError, match="unknown environment staging"):
        synthesize(spec_of(plan_example()), ["staging"])  # production only


def test_cdktf_synth_app_writes_the_same_json_as_webkit(tmp_path):
    """cdktf.json runs `python -m stacks`; cdktf passes its output folder in CDKTF_OUTDIR."""
    env = dict(os.environ, CDKTF_OUTDIR=str(tmp_path))
    subprocess.run([sys.executable, "-m", "stacks", "--project-dir", str(EXAMPLE)], check=True, env=env,
                   capture_output=True)
    assert (tmp_path / "stacks" / "production" / "cdk.tf.json").read_text() == synthesize(spec_of(EXAMPLE))["production"]
    assert json.loads((REPO / "cdktf.json").read_text())["app"] == "python -m stacks --project-dir examples/my-website"


def test_an_unusable_node_is_a_clear_error(tmp_path):
    env = os.environ | {"JSII_NODE": str(tmp_path / "node")}
    result = subprocess.run([sys.executable, "-m", "webkit", "infra", "synth", "-C", str(EXAMPLE), "--out", str(tmp_path)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert f"JSII_NODE is '{tmp_path / 'node'}', which is not a Node.js executable" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_error_about_the_configuration_is_a_synthesis_error_and_a_bug_is_not(monkeypatch, tmp_path):
    """A construct's own error, or one raised in cdktf's JavaScript, is worded for the user; any
    other exception is a bug in webkit and surfaces as itself, never as "synthesis failed"."""
    import stacks.factories
    from constructs_lib.compat import App, Construct, ConstructError, is_synthesis_error
    from tests.conftest import plan_example

    app = App(outdir=str(tmp_path))  # the default, cdktf.out/ in the working directory, is the checkout
    Construct(app, "twice")
    with pytest.raises(Exception) as javascript:
        Construct(app, "twice")  # cdktf's JavaScript refuses a second construct of that id
    assert is_synthesis_error(javascript.value)

    def refusing(*args, **kwargs):
        raise ConstructError("droplet cms cannot be built")
    monkeypatch.setattr(stacks.factories, "droplet", refusing)
    with pytest.raises(SynthError, match="synthesis failed: droplet cms cannot be built"):
        synthesize(spec_of(plan_example()))

    def buggy(*args, **kwargs):
        return {}["a bug"]
    monkeypatch.setattr(stacks.factories, "droplet", buggy)
    with pytest.raises(KeyError):
        synthesize(spec_of(plan_example()))
