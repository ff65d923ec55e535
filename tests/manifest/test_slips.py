"""Slips that used to pass every local check, each with the exact message a user reads: what was
given, where (path and line), and the fix."""

from __future__ import annotations

import json

import pytest

from tests.manifest.test_checks import app_env, mutated, report_for


def line_of(text: str, fragment: str, last: bool = False) -> int:
    lines = [i for i, line in enumerate(text.splitlines()) if fragment in line]
    return 1 + (lines[-1] if last else lines[0])


def errors(manifest: dict) -> list[str]:
    report = report_for(json.dumps(manifest, indent=2))
    return [report.describe(p) for p in report.errors()]


@pytest.mark.parametrize(("variable", "message"), [
    ({"key": "X", "type": "value", "from": "db.host"},
     "Type value takes 'value' (the literal text), not 'from' ('db.host'); for a resource's output use type from_resource: "
     "apps[0].env.production[1].from"),
    ({"key": "X", "type": "value", "from": "github-secrets:X"},
     "Type value takes 'value' (the literal text), not 'from' ('github-secrets:X'); for a secret use type secret: "
     "apps[0].env.production[1].from"),
    ({"key": "X", "type": "value", "from": "https://example.com"},
     "Type value takes 'value' (the literal text), not 'from' ('https://example.com'); for a literal write 'value' instead of 'from': "
     "apps[0].env.production[1].from"),
    ({"key": "X", "type": "from_resource", "value": "db.host"},
     "Type from_resource takes 'from' (a reference such as resource:db:connection_url or db.connection_url), not 'value' ('db.host'); "
     "move the reference to 'from': apps[0].env.production[1].value"),
    ({"key": "X", "type": "from_resource", "value": 8080},
     "Type from_resource takes 'from' (a reference such as resource:db:connection_url or db.connection_url), not 'value' (8080); "
     "for a literal use type value: apps[0].env.production[1].value"),
    ({"key": "X", "type": "secret", "value": "hunter2"},
     "Type secret takes 'from' (a source such as sops:secrets/app.yaml:/KEY or github-secrets:KEY), not 'value' (a value, not shown); "
     "a secret's value never goes in app.json: put it in a sops file or a GitHub secret and name that in 'from': "
     "apps[0].env.production[1].value"),
    ({"key": "X", "type": "secret", "from": "db.password"},
     "Malformed secret source 'db.password': expected sops:<file>:/<KEY> or github-secrets:<KEY>; for a resource's output use "
     "type from_resource: apps[0].env.production[1].from"),
    ({"key": "X", "type": "from_resource", "from": "github-secrets:STRIPE_KEY"},
     "Malformed reference 'github-secrets:STRIPE_KEY' (expected resource:<name>:<output> or <name>.<output>); for a secret use "
     "type secret: apps[0].env.production[1].from"),
])
def test_a_type_and_fields_that_do_not_match_name_what_was_given_and_what_the_type_takes(variable, message):
    manifest = mutated(lambda m: app_env(m).append(variable))
    text = json.dumps(manifest, indent=2)
    field = "value" if "value" in variable else "from"
    line = line_of(text, '"' + field + '": ', last=True)
    assert errors(manifest) == [f"{message} (app.json line {line})"]
    assert "hunter2" not in "".join(errors(manifest))


def _rename(path: tuple, old: str, new: str):
    def change(manifest: dict) -> None:
        target = manifest
        for part in path:
            target = target[part]
        target[new] = target.pop(old)
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_rename(("resources", 0, "config"), "region", "regoin"),
     "Unknown key 'regoin': did you mean 'region'? ('region' is required): resources[0].config.regoin"),
    (_rename(("apps", 0, "infra", "config"), "size", "sise"),
     "Unknown key 'sise': did you mean 'size'? ('size' is required): apps[0].infra.config.sise"),
    (_rename((), "project", "porject"),
     "Unknown key 'porject': did you mean 'project'? ('project' is required): porject"),
    (_rename(("apps", 0), "infra", "infar"),
     "Unknown key 'infar': did you mean 'infra'? ('infra' is required): apps[0].infar"),
])
def test_a_typo_of_a_required_key_suggests_the_key(change, message):
    manifest = mutated(change)
    typo = message.split("'")[1]
    line = line_of(json.dumps(manifest, indent=2), '"' + typo + '"')
    assert errors(manifest) == [f"{message} (app.json line {line})"]
