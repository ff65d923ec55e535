"""No string of app.json ever becomes a Terraform expression: every field, arbitrary text.

Terraform reads every JSON string as a template: `${…}` is an expression (`${file("/proc/self/environ")}`
would put CI's credentials in the plan and its comment), `%{…}` a directive. A value with a known
shape is rejected by validation, naming it; any other text reaches the stack escaped (`$${`, `%%{`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import json_paths
from tests.stacks.conftest import MANIFESTS, synth
from webkit.manifest.load import Report, check_text

MARK = "AUTHORMARK"
INJECTIONS = [f"${{upper({MARK})}}", f"%{{ if {MARK} }}x%{{ endif }}", f"${{{MARK}", f"%{{{MARK}}}"]


def base_manifest() -> dict:
    """Every kind, both environments, and every optional string field set."""
    manifest = json.loads((MANIFESTS / "staging-and-production.json").read_text())
    manifest["project"]["description"] = "A shop"
    manifest["branches"] = {"production": "main", "staging": "develop"}  # lands in GitHub expressions
    api, web = manifest["apps"]
    api["infra"]["config"] |= {"image": "ubuntu-24-04-x64", "tags": ["team-a"], "ssh_sources": ["203.0.113.0/24"]}
    web["infra"]["config"] |= {"health_check_path": "/health", "domain": ["shop.example.com"], "branch": "main",
                               "instance_size": "apps-s-1vcpu-1gb"}
    manifest["resources"][1]["config"]["cors"] = [{"allowed_origins": ["https://shop.example.com"], "allowed_headers": ["x-a"]}]
    manifest["resources"][0]["config"] |= {"engine_version": "16", "database": "shop", "user": "shop"}
    return manifest


BASE = base_manifest()
PATHS = sorted((path for path, value in json_paths(BASE) if isinstance(value, str)), key=str)


def put(manifest: dict, path: tuple, value: str) -> dict:
    out = copy.deepcopy(manifest)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def templates(text: str) -> list[str]:
    """The expressions and directives Terraform would evaluate in `text` (escapes skipped)."""
    found, i = [], 0
    while i < len(text) - 1:
        if text.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if text[i] in "$%" and text[i + 1] == "{":
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            found.append(text[i:j])
            i = j
            continue
        i += 1
    return found


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)


def test_the_template_reader_sees_what_terraform_sees():
    assert templates("a ${var.x} b") == ["${var.x}"]
    assert templates("a $${var.x} %%{ if } b") == []
    assert templates("$$${x}") == [] and templates("%{ if a }b%{ endif }") == ["%{ if a }", "%{ endif }"]


def rejected(manifest: dict) -> bool:
    report = check_text(Report(file=Path("app.json"), text=json.dumps(manifest)))
    return bool(report.fatal or report.errors())


AUTHOR_SYNTAX = (f"upper({MARK}", f"if {MARK}", f"{{{MARK}")  # the injections' own syntax, not a sanitised name


def assert_no_author_template(manifest: dict, where) -> None:
    for stack in synth(manifest).values():
        for text in all_strings(stack):
            assert not [t for t in templates(text) if any(s in t for s in AUTHOR_SYNTAX)], (where, text)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: ".".join(map(str, p)))
def test_every_field_refuses_or_escapes_a_template(path):
    for injection in INJECTIONS:
        manifest = put(BASE, path, f"a{injection}b")
        if not rejected(manifest):
            assert_no_author_template(manifest, path)


FREE_TEXT = [p for p in PATHS if not rejected(put(BASE, p, f"a{INJECTIONS[0]}b"))]


def test_free_text_is_what_we_think():
    assert {(".".join(map(str, p))) for p in FREE_TEXT} == {
        "project.title", "project.description", "apps.0.type", "apps.1.type", "apps.0.infra.config.ssh_keys.0",
        "apps.0.env.staging.1.value", "apps.1.env.production.2.value"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FREE_TEXT), before=st.text(max_size=8), injection=st.sampled_from(INJECTIONS),
       after=st.text(max_size=8))
def test_free_text_reaches_terraform_as_text_whatever_surrounds_it(path, before, injection, after):
    manifest = put(BASE, path, before + injection + after)
    if not rejected(manifest):
        assert_no_author_template(manifest, path)


SHAPED = [p for p in PATHS if p[-1] in {"region", "size", "engine_version", "image", "domain", "health_check_path",
                                          "branch", "instance_size", "endpoint", "bucket", "path"}
          or (len(p) > 1 and p[-2] in {"tags", "ssh_sources", "domain", "allowed_origins", "branches"})]


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(SHAPED), value=st.text(min_size=1, max_size=20))
def test_a_shaped_field_is_refused_naming_the_value(path, value):
    report = check_text(Report(file=Path("app.json"), text=json.dumps(put(BASE, path, value))))
    errors = report.errors()
    if not errors:
        assert not any(bad in value for bad in ("${", "%{", "\n", "'", '"', "`", " ", "$")), value
        return
    assert any(repr(value) in report.describe(e) for e in errors), [report.describe(e) for e in errors]
