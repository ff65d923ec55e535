"""The plan comment: reading hostile input, exact counts, no secrets, fits GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows import plan_comment as pc

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"

# What Terraform itself prints for each shared fixture ("Plan: A to add, C to change, D to destroy",
# a replace counting one add and one destroy, data reads, moves and forgets outside those three),
# read off each file's resource_changes by hand; `errored` plans print no Plan line at all.
TERRAFORM_COUNTS = {
    "borchero__terraform-plan-comment__tests__fixtures__basic__3-remove__plan.json": (0, 0, 0),
    "borchero__terraform-plan-comment__tests__fixtures__basic__4-empty__plan.json": (0, 0, 0),
    "borchero__terraform-plan-comment__tests__fixtures__basic__6-terragrunt-multiplan__plan.json": (3, 0, 0),
    "borchero__terraform-plan-comment__tests__fixtures__basic__7-create-hundreds__plan.json": (300, 0, 0),
    "bridgecrewio__checkov__tests__terraform__runner__resources__plan_with_utf_16_encoding__tfplan.json": (3, 0, 0),
    "dineshba__tf-summarize__example__tfplan.json": (7, 0, 0),
    "hashicorp__terraform-json__testdata__action_reason__plan.json": (1, 0, 1),
    "hashicorp__terraform-json__testdata__identity__plan.json": (0, 1, 0),
    "hashicorp__terraform__internal__cloud__testdata__plan-import-config-gen__plan-redacted.json": (0, 0, 0),
    "hashicorp__terraform__internal__command__testdata__show-json-sensitive__output.json": (3, 0, 0),
    "hashicorp__terraform__internal__command__testdata__show-json__basic-delete__output.json": (0, 1, 1),
    "hashicorp__terraform__internal__command__testdata__show-json__plan-error__output.json": (0, 0, 0),
    "hashicorp__terraform__testing__equivalence-tests__outputs__data_read__plan.json": (3, 0, 0),
    "hashicorp__terraform__testing__equivalence-tests__outputs__drift_relevant_attributes__plan.json": (0, 2, 0),
    "hashicorp__terraform__testing__equivalence-tests__outputs__fully_populated_complex_update__plan.json": (0, 1, 0),
    "hashicorp__terraform__testing__equivalence-tests__outputs__local_provider_update__plan.json": (1, 0, 1),
    "hashicorp__terraform__testing__equivalence-tests__outputs__moved_simple__plan.json": (0, 0, 0),
    "hashicorp__terraform__testing__equivalence-tests__outputs__variables_and_outputs__plan.json": (0, 0, 0),
    "infracost__infracost__cmd__infracost__testdata__plan_with_terraform_wrapper.json": (2, 0, 0),
    "infracost__infracost__cmd__infracost__testdata__terraform_v0.14_plan.json": (12, 1, 0),
}


def summary_of(path: Path) -> dict:
    return json.loads(pc.render_file(str(path), "json"))


def test_every_shared_plan_renders_with_terraforms_counts(shared_fixtures):
    files = sorted((shared_fixtures / "terraform-plans").glob("*.json"))
    assert {f.name for f in files} == set(TERRAFORM_COUNTS)
    for file in files:
        assert pc.main(["render", "--plan-json", str(file), "--out", "/dev/null"]) == 0, file.name
        counts = summary_of(file)["counts"]
        assert (counts["add"], counts["change"], counts["destroy"]) == TERRAFORM_COUNTS[file.name], file.name


def test_shared_plans_special_cases(shared_fixtures):
    plans = shared_fixtures / "terraform-plans"
    errored = plans / "hashicorp__terraform__internal__command__testdata__show-json__plan-error__output.json"
    assert summary_of(errored)["errored"] is True
    assert "Plan failed" in pc.render_file(str(errored))
    moved = summary_of(plans / "hashicorp__terraform__testing__equivalence-tests__outputs__moved_simple__plan.json")
    assert moved["counts"]["move"] == 1 and moved["resources"][0]["previous_address"] == "tfcoremock_simple_resource.first"
    forget = plans / "borchero__terraform-plan-comment__tests__fixtures__basic__3-remove__plan.json"
    assert summary_of(forget)["counts"]["forget"] == 1
    assert "No changes" not in pc.render_file(str(forget))
    outputs = plans / "hashicorp__terraform__testing__equivalence-tests__outputs__variables_and_outputs__plan.json"
    assert "No changes" not in pc.render_file(str(outputs)) and "5 output change" in pc.render_file(str(outputs))
    terragrunt = summary_of(plans / "borchero__terraform-plan-comment__tests__fixtures__basic__6-terragrunt-multiplan__plan.json")
    assert len(terragrunt["resources"]) == 3
    imported = summary_of(plans / "hashicorp__terraform-json__testdata__identity__plan.json")
    assert imported["counts"]["import"] == 1 and imported["resources"][0]["action"] == "change+import"
    data = summary_of(plans / "hashicorp__terraform__testing__equivalence-tests__outputs__data_read__plan.json")
    assert data["counts"]["read"] == 1


def test_shared_sensitive_plan_hides_planted_values(shared_fixtures):
    path = shared_fixtures / "terraform-plans" / "hashicorp__terraform__internal__command__testdata__show-json-sensitive__output.json"
    raw = json.loads(path.read_text())
    secret = raw["resource_changes"][0]["change"]["after"]["password"]
    body = pc.render_file(str(path)) + pc.render_file(str(path), "json")
    assert secret and secret not in body


def test_every_action_kind_is_counted_like_terraform():
    summary = summary_of(PLANS / "every-action.json")
    assert summary["counts"] == {
        "add": 3, "change": 3, "destroy": 4, "replace": 2, "import": 1, "move": 1, "forget": 1, "read": 1,
    }
    actions = {r["address"]: r["action"] for r in summary["resources"] if "deposed" not in r}
    assert actions["digitalocean_database_cluster.db_cluster"] == "replace"
    assert actions["digitalocean_droplet.api_droplet"] == "replace"
    assert "digitalocean_vpc.main" not in actions, "no-op without import or move is not a change"


def test_planted_secrets_never_reach_markdown_or_json():
    text = (PLANS / "every-action.json").read_text()
    planted = {s for s in __import__("re").findall(r"PLANTED-[A-Z0-9-]*[A-Z0-9]", text)}
    assert len(planted) == 8
    out = pc.render_file(str(PLANS / "every-action.json"), environment="production")
    out += pc.render_file(str(PLANS / "every-action.json"), "json")
    assert not [s for s in planted if s in out]
    assert "(sensitive)" in out and "(known after apply)" in out


def test_risk_weighs_what_users_fear():
    summary = summary_of(PLANS / "every-action.json")
    assert summary["risk"]["level"] == "critical"
    assert any("stateful digitalocean_database_cluster.db_cluster" in r for r in summary["risk"]["reasons"])
    assert any("machine digitalocean_droplet.api_droplet" in r for r in summary["risk"]["reasons"])


def test_provider_noise_is_labelled_and_not_risky():
    summary = summary_of(PLANS / "noise-only.json")
    assert summary["resources"][0]["noise"] is True and summary["risk"]["score"] == 0
    body = pc.render_file(str(PLANS / "noise-only.json"))
    assert "known provider noise" in body and "issue 1603" in body


@pytest.mark.parametrize("name, headline", [
    ("move-only.json", "No infrastructure changes, but state changes: 1 move"),
    ("forget-only.json", "No infrastructure changes, but state changes: 1 forget"),
    ("output-only.json", "No infrastructure changes, but state changes: 1 output change"),
])
def test_state_only_plans_never_say_no_changes(name, headline):
    body = pc.render_file(str(PLANS / name))
    assert headline in body and "No changes" not in body


def test_sensitive_masks_apply_at_every_depth():
    change = {
        "before": {"a": [{"k": "v1", "s": "old-secret"}], "m": {"x": "old-map"}},
        "after": {"a": [{"k": "v2", "s": "new-secret"}], "m": {"x": "new-map"}},
        "before_sensitive": {"a": [{"s": True}], "m": True},
        "after_sensitive": {"a": [{"s": True}], "m": True},
        "after_unknown": {},
    }
    rows = pc.attribute_diff(change)
    assert ("a[0].k", '"v1"', '"v2"') in rows
    assert all("secret" not in b + c and "map" not in b + c for _, b, c in rows)


def big_plan(n: int) -> dict:
    return {"format_version": "1.2", "resource_changes": [
        {"address": f"digitalocean_droplet.web[{i}]", "mode": "managed", "type": "digitalocean_droplet",
         "change": {"actions": ["delete", "create"] if i % 7 == 0 else ["create"],
                    "before": {"name": f"web-{i}", "size": "s"} if i % 7 == 0 else None,
                    "after": {"name": f"web-{i}", "size": "m", "user_data": "x" * 200},
                    "after_unknown": {"id": True}, "after_sensitive": {"user_data": True}}}
        for i in range(n)]}


def test_thousands_of_resources_fit_github_and_keep_exact_counts(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(big_plan(3000)))
    body = pc.render_file(str(path), environment="production")
    assert len(body) < pc.MAX_COMMENT
    assert "**3000 to add, 0 to change, 429 to destroy**" in body
    assert "left out" in body or "more resources" in body


def test_reading_hostile_input(tmp_path):
    plan = {"format_version": "1.2", "resource_changes": [
        {"address": "a.b", "mode": "managed", "type": "a", "change": {"actions": ["create"], "after": {}}}]}
    text = json.dumps(plan)
    cases = {
        "utf16.json": ("\ufeff" + text).encode("utf-16-le"),
        "bom.json": b"\xef\xbb\xbf" + text.encode(),
        "wrapped.json": f"[command]/usr/bin/terraform show -json tfplan\n{text}\n::debug::stdout: {text}\n".encode(),
        "two.json": f"{text}\n{text}\n".encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        expected = 2 if name == "two.json" else 1
        assert summary_of(tmp_path / name)["counts"]["add"] == expected, name
    (tmp_path / "junk.json").write_bytes(b"Error: something broke\n{not json")
    with pytest.raises(pc.PlanError, match="no Terraform JSON plan found"):
        pc.render_file(str(tmp_path / "junk.json"))
    assert pc.main(["render", "--plan-json", str(tmp_path / "missing.json")]) == 1


def test_errored_plan_shows_the_error_log(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": "1.2", "errored": True}))
    (tmp_path / "err.log").write_text("Error: Invalid reference\n  on main.tf line 3\n")
    body = pc.render_file(str(tmp_path / "plan.json"), error_log=str(tmp_path / "err.log"))
    assert "Plan failed" in body and "Error: Invalid reference" in body


def test_the_marker_names_the_environment():
    body = pc.render_file(str(PLANS / "move-only.json"), environment="staging")
    assert body.startswith("<!-- webkit-plan-comment:staging -->")
