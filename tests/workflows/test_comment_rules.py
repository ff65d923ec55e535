"""Each risk level and each noise rule of the comment, one behaviour per test (so that breaking a
rule in the comment package fails a test named for it)."""

from __future__ import annotations

from workflows import plan_comment as pc
from workflows.plan_comment.escape import inline_text


def rc(address: str, actions: list, before=None, after=None, **change) -> dict:
    return {"address": address, "type": address.split(".")[0], "mode": "managed",
            "change": {"actions": actions, "before": before, "after": after, **change}}


def summary(*changes) -> dict:
    return pc.summarize({"format_version": "1.2", "resource_changes": list(changes)}, "production")


def level(*changes) -> str:
    return summary(*changes).risk.level


def test_destroying_a_database_is_critical():
    assert level(rc("digitalocean_database_cluster.db_cluster", ["delete"], {"name": "db"})) == "critical"


def test_replacing_a_bucket_is_critical():
    assert level(rc("digitalocean_spaces_bucket.media_bucket", ["delete", "create"], {"name": "a"}, {"name": "b"})) == "critical"


def test_replacing_a_droplet_is_high():
    assert level(rc("digitalocean_droplet.cms_droplet", ["delete", "create"], {"image": "a"}, {"image": "b"})) == "high"


def test_destroying_something_stateless_is_medium():
    assert level(rc("digitalocean_firewall.cms_firewall", ["delete"], {"name": "fw"})) == "medium"


def test_more_than_fifty_changes_is_medium():
    assert level(*[rc(f"digitalocean_firewall.f{i}", ["create"], None, {"name": "x"}) for i in range(51)]) == "medium"
    assert level(*[rc(f"digitalocean_firewall.f{i}", ["create"], None, {"name": "x"}) for i in range(50)]) == "low"


def test_updates_and_creates_are_low():
    assert level(rc("digitalocean_droplet.cms_droplet", ["update"], {"tags": ["a"]}, {"tags": ["b"]}),
                 rc("digitalocean_firewall.fw", ["create"], None, {"name": "x"})) == "low"


def test_a_droplet_resize_is_medium_for_its_downtime():
    resize = summary(rc("digitalocean_droplet.cms_droplet", ["update"], {"size": "s-1vcpu-1gb"}, {"size": "s-2vcpu-2gb"}))
    assert resize.risk.level == "medium"
    assert "downtime" in resize.risk.reasons[0]


def test_a_database_region_change_is_a_migration_not_a_loss():
    move = summary(rc("digitalocean_database_cluster.db_cluster", ["update"], {"region": "nyc3"}, {"region": "ams3"}))
    assert move.risk.level == "medium" and "migrated in place" in move.risk.reasons[0]
    assert "data is lost" not in " ".join(move.risk.reasons)


def app_update(value_before: str, value_after: str, env_type: str = "SECRET") -> dict:
    env = lambda value: {"spec": [{"service": [{"env": [{"key": "K", "type": env_type, "value": value}]}]}]}  # noqa: E731
    return rc("digitalocean_app.web_app", ["update"], env(value_before), env(value_after))


def test_encrypted_secret_values_alone_are_noise():
    (item,) = summary(app_update("EV[1:abc]", "the-secret")).resources
    assert item.noise and not pc.has_changes(summary(app_update("EV[1:abc]", "the-secret")))


def test_a_secret_whose_fingerprint_changes_is_never_noise():
    fingerprint = rc("terraform_data.web_secrets", ["update"], {"input": {"app": "digitalocean_app.web_app", "fingerprint": "1"}},
                     {"input": {"app": "digitalocean_app.web_app", "fingerprint": "2"}})
    items = {i.address: i.noise for i in summary(app_update("EV[1:abc]", "new-secret"), fingerprint).resources}
    assert items == {"digitalocean_app.web_app": False, "terraform_data.web_secrets": False}


def test_a_general_value_change_is_never_noise():
    (item,) = summary(app_update("old", "new", env_type="GENERAL")).resources
    assert not item.noise


def test_a_secret_not_read_back_encrypted_is_a_real_change():
    (item,) = summary(app_update("plain-old", "plain-new")).resources
    assert not item.noise


def test_noise_is_only_about_app_platform():
    change = rc("digitalocean_droplet.vm", ["update"], {"spec": [{"env": [{"type": "SECRET", "value": "EV[1:x]"}]}]},
                {"spec": [{"env": [{"type": "SECRET", "value": "y"}]}]})
    (item,) = summary(change).resources
    assert not item.noise


def test_noise_does_not_count_toward_the_risk():
    assert summary(app_update("EV[1:abc]", "the-secret")).risk.score == 0


def test_noise_beside_an_output_change_is_not_called_nothing():
    """A VM app's env output changes (the apply runs and the droplet gets it) beside App Platform's
    noise: the headline says what will change."""
    plan = {"format_version": "1.2", "resource_changes": [app_update("EV[1:abc]", "the-secret")],
            "output_changes": {"vm_env": {"actions": ["update"], "before": 'A="1"\n', "after": 'A="2"\n'}}}
    body = pc.render(pc.summarize(plan, "production"))
    assert body.splitlines()[1] == ("## ℹ️ Terraform plan · production: Only known provider noise among the resources,"
                                    " but the apply changes: 1 output change")
    assert "nothing will really change" not in body


def test_re_encrypted_secrets_are_noise_under_drift_as_under_changes():
    """One rule for both places: App Platform's EV[…] re-encryption, seen by the refresh, is
    labelled in the drift section exactly as in the changes."""
    app = app_update("EV[1:abc]", "EV[1:xyz]")
    plan = {"format_version": "1.2", "resource_changes": [app_update("EV[1:xyz]", "the-secret")], "resource_drift": [app]}
    body = pc.render(pc.summarize(plan, "production"))
    noise = "provider noise: " + pc.NOISE_NOTE
    changes, drift = body.split("### 🌪️ Changed outside Terraform (drift)")
    assert inline_text(noise) in changes
    assert f"<summary><code>digitalocean_app.web_app</code>: update — {inline_text(noise)}</summary>" in drift
