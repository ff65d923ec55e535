"""Free text from app.json crosses YAML, GitHub's expressions and a shell heredoc into the runner:
it must mean the same to every YAML parser and arrive as the very JSON webkit synthesised."""

from __future__ import annotations

import json
import subprocess

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.conftest import plan_example
from tests.ghactions.expressions import interpolate
from webkit.commands.synth import synthesize
from webkit.manifest import Manifest
from webkit.spec import to_spec
from workflows.generate import Generation, render_files

TRICKY = st.sampled_from(["\u0085", "\u2028", "\u2029", "\ufeff", "\x7f", "\x9b", "WEBKIT_STACK_EOF", "\nWEBKIT_STACK_EOF\n",
                          "${{ secrets.DIGITALOCEAN_TOKEN }}", "'", '"', "\\", "$(id)", "`id`", "\n", "\r\n", "#", ": x"])
TEXT = st.lists(st.one_of(TRICKY, st.text(max_size=6)), max_size=6).map("".join)


def setup_script(text: str, loader) -> str:
    action = loader(text)
    return next(s for s in action["runs"]["steps"] if s.get("id") == "write")["run"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXT, description=TEXT)
def test_free_text_means_the_same_to_every_parser_and_arrives_intact(tmp_path_factory, value, description):
    manifest = plan_example()
    manifest["project"]["description"] = description
    manifest["apps"][0]["env"]["production"].append({"key": "FREE", "type": "value", "value": value})
    spec = to_spec(Manifest.model_validate(manifest), "0.1.0")
    stacks = synthesize(spec)
    text = render_files(Generation(spec, stacks, "0" * 64, "0.1.0"))[".github/actions/webkit-terraform/action.yml"]
    script = setup_script(text, yaml.safe_load)  # YAML 1.1, as PyYAML and actionlint read it
    assert script == setup_script(text, YAML(typ="safe", pure=True).load)  # YAML 1.2, as GitHub's parser does
    work = tmp_path_factory.mktemp("stack")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", interpolate(script, {})],
                            env={"PATH": "/usr/bin:/bin", "WEBKIT_ENVIRONMENT": "production", "WEBKIT_DIR": str(work),
                                 "GITHUB_OUTPUT": str(work / "out")}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads((work / "cdk.tf.json").read_text()) == json.loads(stacks["production"])
