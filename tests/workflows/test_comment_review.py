"""What a reviewer reads in the comment is true: each rule tested on an authored plan."""

from __future__ import annotations

import json

import pytest

from workflows import plan_comment as pc
from workflows.plan_comment.escape import inline_code, inline_text


def rc(address: str, actions: list, before=None, after=None, **change) -> dict:
    kind = address.split(".")[0]
    return {"address": address, "type": kind, "mode": "managed", "name": address.split(".")[1],
            "change": {"actions": actions, "before": before, "after": after, **change}}


def render(*changes, outputs=None, errored=False, detail=3) -> str:
    plan = {"format_version": "1.2", "resource_changes": list(changes), "output_changes": outputs or {}, "errored": errored}
    return pc.render(pc.summarize(plan, "production"), detail=detail)


def test_a_large_create_only_plan_is_not_headed_review_the_destroys():
    body = render(*[rc(f"digitalocean_spaces_key.k{i}", ["create"], None, {"name": f"k{i}"}) for i in range(60)])
    assert "Review the destroys" not in body and "A large change: review it with care" in body


def test_a_capped_list_says_how_many_there_are_and_how_many_are_listed():
    body = pc.render(pc.summarize({"format_version": "1.2", "resource_changes": [
        rc(f"digitalocean_spaces_key.k{i}", ["create"], None, {"name": f"k{i}"}) for i in range(3000)]}), detail=0, cap=750)
    assert "#### ✨ add (3000, 750 listed)" in body and "add (750)" not in body


def test_a_failed_plan_shows_no_counts_and_no_risk():
    body = render(errored=True)
    assert "❌" in body and "No plan" in body
    assert "0 to add" not in body and "Risk:" not in body


def test_a_rotated_password_shows_as_changed_beside_other_changes():
    change = rc("digitalocean_database_user.db_user", ["update"], {"password": "old-password-1", "name": "app"},
                {"password": "new-password-2", "name": "app2"},
                before_sensitive={"password": True}, after_sensitive={"password": True})
    body = render(change)
    assert "| <code>password</code> | (sensitive) | (sensitive, changed) |" in body
    assert "old-password-1" not in body and "new-password-2" not in body
    same = rc("digitalocean_database_user.db_user", ["update"], {"password": "same-password", "name": "app"},
              {"password": "same-password", "name": "app2"}, before_sensitive={"password": True}, after_sensitive={"password": True})
    assert "<code>password</code>" not in render(same), "an unchanged secret is not a row"


def test_a_copy_of_a_secret_is_masked_where_terraform_did_not_mark_it():
    cluster = rc("digitalocean_database_cluster.db", ["create"], None, {"password": "s3cret-pw-123"},
                 after_sensitive={"password": True})
    copy = rc("digitalocean_app.web", ["create"], None, {"env_value": "postgres://u:s3cret-pw-123@h/db"})
    body = render(cluster, copy)
    assert "s3cret-pw-123" not in body
    assert "| <code>env_value</code> |  | (sensitive) |" in body, "the copy's row is there, masked"


def test_one_huge_attribute_is_cut_and_every_other_diff_stays():
    huge = rc("digitalocean_app.web", ["update"], {"spec": "x"}, {"spec": "y" * 75_000})
    small = rc("digitalocean_droplet.vm", ["update"], {"size": "s-1vcpu-1gb"}, {"size": "s-2vcpu-2gb"})
    body = pc.render_fitting(pc.summarize({"format_version": "1.2", "resource_changes": [huge, small]}))
    assert '"s-2vcpu-2gb"' in body, "the small diff is still there"
    assert "… (+74702 characters)" in body and len(body) < 20_000


def test_partly_unknown_outputs_say_so_instead_of_null():
    outputs = {"ips": {"actions": ["create"], "before": None, "after": [None, "203.0.113.9"], "after_unknown": [True, False]}}
    body = render(outputs=outputs)
    assert inline_text('["(known after apply)", "203.0.113.9"]') in body and "null" not in body


def test_the_order_of_a_replacement_is_said():
    before = render(rc("digitalocean_droplet.vm", ["create", "delete"], {"image": "a"}, {"image": "b"}))
    after = render(rc("digitalocean_droplet.vm", ["delete", "create"], {"image": "a"}, {"image": "b"}))
    assert "the new one is created before the old one is destroyed" in before
    assert "the old one is destroyed before the new one exists: downtime" in after


def test_the_comment_links_the_run_and_the_commit(monkeypatch):
    assert "workflow run" not in render()
    for key, value in {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/site",
                       "GITHUB_RUN_ID": "42", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567"}.items():
        monkeypatch.setenv(key, value)
    body = render()
    assert "[`0123456`](https://github.com/acme/site/commit/0123456789abcdef0123456789abcdef01234567)" in body
    assert "[workflow run 42](https://github.com/acme/site/actions/runs/42)" in body
    monkeypatch.setenv("GITHUB_SERVER_URL", "javascript:alert(1)//")
    assert "javascript" not in render(), "only what GitHub itself would set"


def test_a_sensitive_variable_masks_its_copies_and_a_plain_one_does_not():
    plan = {"format_version": "1.2",
            "variables": {"token": {"value": "tok-secret-99"}, "region": {"value": "nyc3-public"}},
            "configuration": {"root_module": {"variables": {"token": {"sensitive": True}, "region": {}}}},
            "resource_changes": [rc("digitalocean_app.web", ["create"], None, {"a": "tok-secret-99", "b": "nyc3-public"})]}
    body = pc.render(pc.summarize(plan, "production"))
    assert "tok-secret-99" not in body and '"nyc3-public"' in body


def diff_of(body: str, attribute: str) -> list[str]:
    after = body.split(f"Diff of {inline_code(attribute)}:", 1)[1]
    return after.split("```diff\n", 1)[1].split("\n```", 1)[0].splitlines()


def test_multi_line_text_gets_a_line_diff():
    old = "#cloud-config\npackages:\n  - docker.io\nruncmd:\n  - systemctl enable docker\n"
    new = old.replace("  - docker.io\n", "  - docker.io\n  - fail2ban\n")
    body = render(rc("digitalocean_droplet.vm", ["update"], {"user_data": old}, {"user_data": new}))
    assert "| <code>user_data</code> | see the diff below |  |" in body
    assert "+  - fail2ban" in diff_of(body, "user_data")
    assert "↵" not in body, "no escaped one-line rendering of the text"


def test_a_multi_line_value_holding_a_secret_gets_no_diff():
    cluster = rc("digitalocean_database_cluster.db", ["update"], {"password": "pw-secret-77"}, {"password": "pw-secret-77"},
                 before_sensitive={"password": True}, after_sensitive={"password": True})
    app = rc("digitalocean_droplet.vm", ["update"], {"user_data": "a\nDB=pw-secret-77\n"}, {"user_data": "b\nDB=pw-secret-77\n"})
    body = render(cluster, app)
    assert "pw-secret-77" not in body and "Diff of" not in body
    assert "| <code>user_data</code> | (sensitive) | (sensitive, changed) |" in body


def test_a_long_diff_is_cut_with_a_mark():
    old = "\n".join(f"line {i}" for i in range(300))
    new = "\n".join(f"line {i}!" for i in range(300))
    body = render(rc("digitalocean_droplet.vm", ["update"], {"user_data": old}, {"user_data": new}))
    assert len(diff_of(body, "user_data")) == 60 and "more diff lines not shown" in body


def env_plan(before: dict, after: dict, description: str | None, sensitive: bool = True) -> dict:
    """A plan that changes a VM app's env output (an object, as webkit writes them)."""
    outputs = {"cms_env": {"sensitive": sensitive, **({"description": description} if description else {})}}
    return {"format_version": "1.2", "resource_changes": [],
            "output_changes": {"cms_env": {"actions": ["update"], "before": before, "after": after,
                                           "before_sensitive": sensitive, "after_sensitive": sensitive}},
            "configuration": {"root_module": {"outputs": outputs}}}


def test_a_vm_env_change_says_which_keys_changed_and_hides_secret_ones():
    before = {"A": "1", "DATABASE_URL": "postgres://u:pw-one@h/db", "GONE": "x"}
    after = {"A": "2", "DATABASE_URL": "postgres://u:pw-two@h/db", "NEW": "y"}
    plan = env_plan(before, after, "Env values, as an object. Secret keys: DATABASE_URL.")
    body = pc.render(pc.summarize(plan, "production"))
    assert "| <code>cms_env</code> | update | 4 key(s) change, below |" in body
    # the old configuration's secret keys are not in the plan: before values stay hidden
    assert '| <code>A</code> | (sensitive) | "2" |' in body
    assert "| <code>DATABASE_URL</code> | (sensitive) | (sensitive, changed) |" in body
    assert '| <code>GONE</code> | (sensitive) |  |' in body and '| <code>NEW</code> |  | "y" |' in body
    assert "pw-one" not in body and "pw-two" not in body


@pytest.mark.parametrize("after", [{"A": "1"}, {"A": "1", "API_KEY": "now-a-plain-value"}], ids=["removed", "made-plain"])
def test_a_secret_removed_or_made_plain_is_not_shown_in_clear(after):
    before = {"A": "1", "API_KEY": "sk_live_old_secret"}
    plan = env_plan(before, after, "Env values, as an object. Secret keys: none.")
    body = pc.render(pc.summarize(plan, "production"))
    assert "sk_live_old_secret" not in body
    # a value inside a sensitive output is masked wherever it shows (webkit keeps plain values in the
    # non-sensitive `<app>_env_values`), so the plain one is hidden here too
    row = "| <code>API_KEY</code> | (sensitive) | " + ("" if "API_KEY" not in after else "(sensitive, changed)") + " |"
    assert row in body


def test_an_env_output_without_webkits_description_stays_one_sensitive_value():
    body = pc.render(pc.summarize(env_plan({"A": "1"}, {"A": "2"}, None), "production"))
    assert '"1"' not in body and '"2"' not in body and "| (sensitive) |" in body


def test_a_plain_env_output_shows_each_changed_value_on_both_sides():
    """webkit's `<app>_env_values`: not sensitive, so the key view shows what changes."""
    plan = env_plan({"A": "1", "B": "same"}, {"A": "2", "B": "same", "C": "3"}, "Env values. Secret keys: none.", sensitive=False)
    body = pc.render(pc.summarize(plan, "production"))
    assert "| <code>cms_env</code> | update | 2 key(s) change, below |" in body
    assert '| <code>A</code> | "1" | "2" |' in body and '| <code>C</code> |  | "3" |' in body and "<code>B</code>" not in body


def test_drift_shows_its_attribute_changes():
    drift = {"address": "digitalocean_droplet.vm", "type": "digitalocean_droplet", "mode": "managed",
             "change": {"actions": ["update"], "before": {"size": "s-1vcpu-1gb", "password": "pw-drifted-1"},
                        "after": {"size": "s-2vcpu-2gb", "password": "pw-drifted-2"},
                        "before_sensitive": {"password": True}, "after_sensitive": {"password": True}}}
    body = pc.render(pc.summarize({"format_version": "1.2", "resource_drift": [drift]}, "production"))
    assert "### 🌪️ Changed outside Terraform (drift)" in body
    assert '| <code>size</code> | "s-1vcpu-1gb" | "s-2vcpu-2gb" |' in body
    assert "| <code>password</code> | (sensitive) | (sensitive, changed) |" in body and "pw-drifted" not in body


def test_user_masks_hide_what_they_match_everywhere(monkeypatch):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "acct-[0-9]+\n\ninternal\\.example")
    change = rc("digitalocean_droplet.vm", ["update"], {"name": "acct-1234", "user_data": "a\nhost=db.internal.example\n"},
                {"name": "acct-5678", "user_data": "b\nhost=db.internal.example\n"})
    summary = pc.summarize({"format_version": "1.2", "resource_changes": [change]}, "production")
    summary = summary.with_warnings(pc.plan_warnings("Warning: account acct-99 is old\n\nsee acct-99\n"))
    body = pc.render(summary, "Error: acct-42 refused")
    assert "acct-" not in body and "internal" not in body
    assert '| <code>name</code> | "(masked)" | "(masked)" (changed; the difference is not shown) |' in body
    assert "(masked)" in "".join(diff_of(body, "user_data"))


def test_a_broken_mask_stops_the_render_with_its_line(monkeypatch, tmp_path):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", "fine\n([unclosed")
    (tmp_path / "plan.json").write_text('{"format_version": "1.2"}')
    with pytest.raises(pc.PlanError, match="WEBKIT_PLAN_MASKS line 2 is not a regular expression"):
        pc.render_file(str(tmp_path / "plan.json"))


def test_a_cut_comment_says_what_was_cut_and_points_to_the_whole_plan(monkeypatch, tmp_path):
    for key, value in {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/site",
                       "GITHUB_RUN_ID": "42", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567"}.items():
        monkeypatch.setenv(key, value)
    plan = {"format_version": "1.2", "resource_changes": [
        rc(f"digitalocean_spaces_bucket.b{i}", ["update"], {"name": "a" * 200, "n": i}, {"name": "b" * 200, "n": i}) for i in range(150)]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    summary_file = tmp_path / "summary.md"
    comment = pc.render_file(str(tmp_path / "plan.json"), summary_out=str(summary_file))
    assert len(comment) < pc.MAX_COMMENT
    assert "_Cut to fit GitHub's 65,536-character comment limit (attribute diffs left out). The whole plan is in the job summary" \
           " of [workflow run 42](https://github.com/acme/site/actions/runs/42)._" in comment
    whole = summary_file.read_text()
    assert len(whole) > pc.MAX_COMMENT and "Cut to fit" not in whole and whole.count('"bbbbbbbb') == 150


def test_a_medium_risk_that_is_not_large_is_not_called_large():
    body = render(rc("digitalocean_droplet.vm", ["update"], {"size": "s-1vcpu-1gb"}, {"size": "s-2vcpu-2gb"}))
    assert "Review with care" in body and "A large change" not in body and "downtime" in body


def test_the_graph_shows_every_dependant_of_a_replaced_resource():
    config = {"root_module": {"resources": [
        {"address": "digitalocean_database_cluster.db", "expressions": {}},
        {"address": "digitalocean_database_connection_pool.pool", "expressions": {"cluster_id": {"references": [
            "digitalocean_database_cluster.db.id", "digitalocean_database_cluster.db"]}}},
        {"address": "digitalocean_droplet.vm", "expressions": {"user_data": {"references": [
            "digitalocean_database_connection_pool.pool.uri", "digitalocean_database_connection_pool.pool"]}}},
        {"address": "digitalocean_app.web", "depends_on": ["digitalocean_database_cluster.db"], "expressions": {}},
    ]}}
    plan = {"format_version": "1.2", "configuration": config, "resource_changes": [
        rc('digitalocean_database_cluster.db["a\\"]b"]', ["delete", "create"], {"name": "x"}, {"name": "y"}),
        rc("digitalocean_database_connection_pool.pool", ["update"], {"n": 1}, {"n": 2}),
    ]}
    body = pc.render(pc.summarize(plan, "production"))
    graph = body.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert 'digitalocean_database_cluster.db[#quot;a\\#quot;]b#quot;]' in graph, "a for_each key cannot end the label"
    assert "digitalocean_database_connection_pool.pool (change)" in graph
    assert "digitalocean_droplet.vm (no change)" in graph, "a dependant two steps away, unchanged"
    assert "digitalocean_app.web (no change)" in graph, "depends_on is a dependency too"
    assert graph.count("-->|used by|") == 3


def test_the_job_summary_fits_the_runners_limit_in_bytes(tmp_path):
    """The runner drops a step summary over 1 MiB of bytes: text of 3-byte characters under the
    limit in characters is over it in bytes, and must be cut to fit."""
    plan = {"format_version": "1.2", "resource_changes": [
        rc(f"digitalocean_spaces_bucket.b{i}", ["update"], {"name": "€" * 299, "n": i}, {"name": "€" * 298, "n": i}) for i in range(1000)]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    summary_file = tmp_path / "summary.md"
    summary_file.write_bytes(b"earlier output of this step\n")
    pc.render_file(str(tmp_path / "plan.json"), summary_out=str(summary_file))
    whole = pc.render(pc.summarize(plan))
    assert len(whole) < pc.STEP_SUMMARY_LIMIT < len(whole.encode("utf-8")), "under the limit in characters, over it in bytes"
    written = summary_file.read_bytes()
    assert len(written) <= 1024 * 1024 and written.startswith(b"earlier output of this step\n")
    assert "#### ✏️ change (1000)" in written.decode("utf-8")
    assert written.decode("utf-8").endswith("\n_Cut to fit the 1 MiB limit of a step's job summary (attribute diffs left out)."
                                            " `terraform show` of the plan file has all of it._\n")


def test_the_risk_line_says_what_set_the_level_and_shows_no_unexplained_score():
    """A score of 12 was "low" on one plan and "medium" on another: the level comes from the
    riskiest change, so the comment shows the level and the change that set it."""
    many = render(*[rc(f"digitalocean_spaces_key.k{i}", ["update"], {"n": 1}, {"n": 2}) for i in range(6)])
    resize = render(rc("digitalocean_droplet.vm", ["update"], {"size": "s-1vcpu-1gb"}, {"size": "s-2vcpu-2gb"}))
    assert "Risk: 🟢 **low**\n" in many and "score" not in many
    (line,) = [x for x in resize.splitlines() if x.startswith("Risk:")]
    assert line == ("Risk: 🟡 **medium**, set by the riskiest change: digitalocean_droplet.vm: size resized in place: DigitalOcean"
                    " powers the droplet off, resizes it and powers it on (downtime); a smaller disk is refused by the API"
                    " when the plan is applied")


@pytest.mark.parametrize("recorded, marker", [({"environment": "staging"}, "staging"), ({"environment": "x -->\n<h1>"}, "default"),
                                              ({"environment": 3}, "default"), ("production", "default")])
def test_the_environment_saved_with_a_plan_names_the_comment_when_no_environment_is_given(tmp_path, recorded, marker):
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": "1.2", "webkit": recorded}))
    assert pc.render_file(str(tmp_path / "plan.json")).startswith(f"<!-- webkit-plan-comment:{marker} -->\n")
    assert pc.render_file(str(tmp_path / "plan.json"), environment="qa").startswith("<!-- webkit-plan-comment:qa -->\n")


def test_a_create_shows_what_was_set_and_names_what_is_known_after_apply():
    after = {"name": "web", "region": "ams", "urn": None, "id": None,
             "spec": [{"alert": [], "domain": [], "ingress": {}, "service": [{"name": "web", "env": [], "instance_count": 1}]}]}
    unknown = {"id": True, "urn": True, "live_url": True, "spec": [{"service": [{"id": True}]}]}
    body = render(rc("digitalocean_app.web", ["create"], None, after, after_unknown=unknown))
    block = body.split("<details>", 1)[1].split("</details>", 1)[0]
    assert block.split("\n", 2)[2] == (
        "| attribute | before | after |\n|---|---|---|\n"
        '| <code>name</code> |  | "web" |\n'
        '| <code>region</code> |  | "ams" |\n'
        f"| {inline_code('spec[0].service[0].instance_count')} |  | 1 |\n"
        f'| {inline_code("spec[0].service[0].name")} |  | "web" |\n'
        f"\nKnown after apply: {inline_text('id, live_url, spec[0].service[0].id, urn')}\n\n")


def test_an_output_shows_none_of_its_parts_either_side_marks_sensitive():
    """The rule of every before/after view: secret when either side says so, at any depth (a short
    PIN is no plan-wide secret value, so only the marks can hide it)."""
    outputs = {"login": {"actions": ["update"], "before": {"user": "a", "pin": "1234", "old": "9876"},
                         "after": {"user": "b", "pin": "4321", "old": "5555"},
                         "before_sensitive": {"old": True}, "after_sensitive": {"pin": True}}}
    body = render(outputs=outputs)
    assert f'| <code>login</code> | update | {inline_text(json.dumps({"old": "(sensitive)", "pin": "(sensitive)", "user": "b"}))} |' in body
    assert "4321" not in body and "5555" not in body


def test_an_env_key_known_only_after_apply_is_listed_not_dropped():
    """Terraform leaves a key whose value is unknown out of `after` (a reference to a resource being
    created or replaced): the key view says it changes, never that it is removed or untouched."""
    plan = env_plan({"A": "1", "DB_HOST": "old.example"}, {"A": "1"}, "Env values. Secret keys: none.", sensitive=False)
    plan["output_changes"]["cms_env"]["after_unknown"] = {"DB_HOST": True, "NEW_HOST": True}
    body = pc.render(pc.summarize(plan, "production"))
    assert "| <code>cms_env</code> | update | 2 key(s) change, below |" in body
    assert '| <code>DB_HOST</code> | "old.example" | (known after apply) |' in body
    assert "| <code>NEW_HOST</code> |  | (known after apply) |" in body
