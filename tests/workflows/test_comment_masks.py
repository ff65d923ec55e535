"""Masking is one mechanism: raw values, the whole text, before anything is cut, split or escaped."""

from __future__ import annotations

import json
import time

import pytest

from workflows import plan_comment as pc
from workflows.plan_comment import masks as comment_masks

PEM = '-----BEGIN KEY-----\nMIIEv"gIBADAN\\Bgkqhki\n-----END KEY-----\n'


def rc(address: str, actions: list, before=None, after=None, **change) -> dict:
    return {"address": address, "type": address.split(".")[0], "mode": "managed",
            "change": {"actions": actions, "before": before, "after": after, **change}}


def plan_with(secret: str, *changes, **extra) -> dict:
    """A plan whose sensitive variable holds `secret`, with these resource changes."""
    return {"format_version": "1.2", "variables": {"key": {"value": secret}},
            "configuration": {"root_module": {"variables": {"key": {"sensitive": True}}}},
            "resource_changes": list(changes), **extra}


def render(plan: dict, error_log: str | None = None, detail: int = 3) -> str:
    return pc.render(pc.summarize(plan, "production"), error_log, detail)


def test_a_secret_with_a_newline_a_quote_or_a_backslash_is_recognised_in_a_value():
    equal = rc("digitalocean_droplet.a", ["update"], {"ssh": "old"}, {"ssh": PEM})
    inside = rc("digitalocean_droplet.b", ["update"], {"env": {"K": "x"}}, {"env": {"K": f"prefix {PEM} suffix"}})
    body = render(plan_with(PEM, equal, inside))
    assert "MIIEv" not in body and "Bgkqhki" not in body
    assert '| <code>ssh</code> | "old" | (sensitive) |' in body
    assert '| <code>env.K</code> | "x" | (sensitive) |' in body


def test_a_user_mask_spanning_lines_hides_a_multi_line_value_its_diff_and_the_log(monkeypatch):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "(?s)BEGIN KEY.*?END KEY")
    change = rc("digitalocean_droplet.vm", ["update"], {"user_data": "a\n" + PEM}, {"user_data": "b\n" + PEM})
    body = render({"format_version": "1.2", "resource_changes": [change]}, "Error: bad key\n" + PEM)
    assert "MIIEv" not in body and "Bgkqhki" not in body
    assert "-----(masked)-----" in body


def test_a_value_is_masked_before_it_is_cut(monkeypatch):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "tok-[0-9]{20}")
    token = "tok-" + "1" * 20
    line = "x" * 290 + token + "y" * 50  # the cut at 300 characters splits the token
    value, diff = rc("digitalocean_droplet.vm", ["update"], {"n": "a"}, {"n": line}), rc(
        "digitalocean_droplet.web", ["update"], {"user_data": "a\nb\n"}, {"user_data": f"a\n{line}\n"})
    body = render({"format_version": "1.2", "resource_changes": [value, diff]})
    assert "tok-1" not in body and body.count("(masked)") == 2


def test_mermaid_labels_are_masked(monkeypatch):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "client-[a-z]+")
    config = {"root_module": {"resources": [
        {"address": "digitalocean_database_cluster.db", "expressions": {}},
        {"address": "digitalocean_app.web", "depends_on": ["digitalocean_database_cluster.db"], "expressions": {}}]}}
    plan = {"format_version": "1.2", "configuration": config, "resource_changes": [
        rc('digitalocean_database_cluster.db["client-acme"]', ["delete", "create"], {"name": "x"}, {"name": "y"})]}
    graph = render(plan).split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert "client-acme" not in graph
    assert 'n0["digitalocean_database_cluster.db[#quot;(masked)#quot;]"]' in graph


@pytest.mark.parametrize("order", [0, 1])
def test_one_secret_holding_another_is_masked_whole_whatever_the_order(order):
    short, long = "hunter22", "hunter22-and-more"
    secrets = [short, long] if order else [long, short]
    masks = pc.Masks(frozenset(secrets))
    assert masks.text(f"Error: auth {long} refused") == "Error: auth (sensitive) refused"


def test_an_errored_plan_masks_the_secrets_of_the_environment_in_its_logs(tmp_path, monkeypatch):
    """In CI a failed plan has no plan JSON to learn secrets from: the plan step scrubs the logs
    with the values it passed to Terraform (TF_VAR_…) before anything shows them."""
    log = tmp_path / "plan-error.log"
    log.write_text(f"Error: POST https://api failed: token={PEM} and sk_live_123456\n")
    monkeypatch.setenv("TF_VAR_github_KEY", PEM)
    monkeypatch.setenv("TF_VAR_sops_x_STRIPE", "sk_live_123456")
    assert pc.main(["scrub", str(log), str(tmp_path / "absent.log")]) == 0
    assert log.read_text() == "Error: POST https://api failed: token=(sensitive) and (sensitive)\n"


def test_a_mask_that_backtracks_forever_stops_with_its_line(monkeypatch, tmp_path):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "fine\n(a+)+$")
    monkeypatch.setattr(comment_masks, "MASK_SECONDS", 0.5)
    plan = {"format_version": "1.2", "resource_changes": [rc("digitalocean_droplet.vm", ["update"], {"n": "a"}, {"n": "a" * 40 + "b"})]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    started = time.monotonic()
    with pytest.raises(pc.PlanError, match=r"WEBKIT_PLAN_MASKS line 2 took over 0.5 s on one value of 41 characters: .* \(a\+\)\+"):
        pc.render_file(str(tmp_path / "plan.json"))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("mask", ["x*", "^", "a|", "(?=a)"])
def test_a_mask_matching_the_empty_string_is_refused_with_its_line(monkeypatch, tmp_path, mask):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", f"fine\n\n{mask}")
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": "1.2", "resource_changes": [
        rc("digitalocean_droplet.vm", ["update"], {"n": "a"}, {"n": "ab"})]}))
    with pytest.raises(pc.PlanError, match="WEBKIT_PLAN_MASKS line 3 (matches|matched) (the|an) empty string"):
        pc.render_file(str(tmp_path / "plan.json"))


def test_the_time_bound_is_per_text_so_a_large_plan_with_fair_masks_renders(monkeypatch):
    """A budget shared by the whole render blamed a fair mask for a large plan on a busy machine."""
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "acct-[0-9]+\ninternal\\.example")
    monkeypatch.setattr(comment_masks, "MASK_SECONDS", 0.2)
    plan = {"format_version": "1.2", "resource_changes": [
        rc(f"digitalocean_droplet.d{i}", ["update"], {"name": f"acct-{i}", "user_data": "a\nb\n" * 50},
           {"name": f"b{i}", "user_data": "a\nc\n" * 50}) for i in range(1500)]}
    started = time.monotonic()
    body = pc.render_fitting(pc.summarize(plan, "production"))
    assert time.monotonic() - started > 0.2 and "acct-" not in body
