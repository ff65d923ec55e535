"""What a reviewer reads in the comment is true: each rule tested on an authored plan."""

from __future__ import annotations

from workflows import plan_comment as pc


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
    assert pc._text('["(known after apply)", "203.0.113.9"]') in body and "null" not in body


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
