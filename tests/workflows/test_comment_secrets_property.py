"""For any secret values (any characters, multi-line, long) and any plan built from them, nothing
the comment script renders (the comment, the job summary, the drift issue, the failure summary,
the graph) holds a secret or a user mask's match, however it is escaped."""

from __future__ import annotations

import html
import json
import re

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows import plan_comment as pc

CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
NASTY = st.sampled_from(["\n", '"', "\\", "<", ">", "&", "`", "|", "@", "://", "www.", "\r\n", "#", "[", "]", " "])
PIECE = st.lists(st.one_of(NASTY, st.text(CHARS, max_size=4)), max_size=6).map("".join)
LONG = st.text(CHARS, min_size=300, max_size=500)
TOKEN = st.from_regex(r"tok-[0-9a-f]{6}", fullmatch=True)
MASK = re.compile(r"tok-[0-9a-f]{6}")


@st.composite
def secrets(draw) -> list[str]:
    """Distinct secrets, each with a core that no template text holds, amid arbitrary characters."""
    count = draw(st.integers(1, 3))
    return [draw(st.one_of(PIECE, LONG)) + f"S3cr{i}t" + draw(PIECE) for i in range(count)]


def _rc(address: str, actions: list, before, after, **change) -> dict:
    return {"address": address, "type": address.split(".")[0].split("[")[0], "mode": "managed",
            "change": {"actions": actions, "before": before, "after": after, **change}}


def plan_from(values: list[str], noise: str, token: str) -> dict:
    """Every place a plan's text reaches the comment, fed with the secrets and a masked token."""
    first, last = values[0], values[-1]
    resources = [
        _rc("digitalocean_droplet.vm", ["update"], {"name": "old", "user_data": f"a\n{noise}\n"},
            {"name": first, "user_data": f"b\n{noise}{last}\n{token}\n", "tags": {last: token}, "note": f"{noise}{last}{noise}"}),
        _rc(f'digitalocean_database_cluster.db["{token}"]', ["delete", "create"], {"name": last}, {"name": token}),
        _rc(f'digitalocean_spaces_bucket.b["{first}"]', ["delete"], {"name": noise}, None),
        _rc("digitalocean_app.web", ["create"], None, {"spec": json.dumps({"env": first, "t": token}), "n": [noise, last]}),
    ]
    config = {"root_module": {
        "variables": {f"v{i}": {"sensitive": True} for i in range(len(values))},
        "resources": [{"address": "digitalocean_database_cluster.db"},
                      {"address": "digitalocean_app.web", "depends_on": ["digitalocean_database_cluster.db"]},
                      {"address": "digitalocean_droplet.vm", "depends_on": ["digitalocean_spaces_bucket.b"]}],
        "outputs": {"web_env": {"description": "KEY=value lines, values JSON-encoded. Secret keys: B."}}}}
    return {
        "format_version": "1.2",
        "variables": {f"v{i}": {"value": v} for i, v in enumerate(values)},
        "configuration": config,
        "resource_changes": resources,
        "resource_drift": [_rc("digitalocean_droplet.vm", ["update"], {"size": noise}, {"size": f"{first}{token}"})],
        "output_changes": {
            "site": {"actions": ["update"], "before": token, "after": [first, noise]},
            "web_env": {"actions": ["update"], "before": f"A={json.dumps(last)}\nB={json.dumps(noise)}\n",
                        "after": f"A={json.dumps(token)}\nB={json.dumps(first)}\nC={json.dumps(noise)}\n",
                        "before_sensitive": True, "after_sensitive": True}},
        "checks": [{"address": {"to_display": "check.health"}, "status": "fail",
                    "instances": [{"problems": [{"message": f"{noise}{last}"}]}]}],
    }


def readings(body: str) -> list[str]:
    """The text as posted, as GitHub shows it, and with the comment's own escapes undone."""
    shown = html.unescape(re.sub(r"<[^>]*>", "", cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)))
    undone = [shown, body]
    for text in list(undone):
        plain = text.replace("\u200b", "").replace("↵", "\n")
        for entity, char in {"#quot;": '"', "#lt;": "<", "#gt;": ">", "#35;": "#", "#96;": "`"}.items():
            plain = plain.replace(entity, char)
        undone += [plain, html.unescape(plain)]
    return undone


def leaks(body: str, values: list[str]) -> list[str]:
    found = []
    for text in readings(body):
        found += [v for v in values if v in text or v.replace("\n", " ") in text or v.replace("\r\n", "\n") in text]
        found += MASK.findall(text)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(values=secrets(), noise=PIECE, token=TOKEN, errored=st.booleans())
def test_no_rendered_output_holds_a_secret_or_a_masked_match(values, noise, token, errored, monkeypatch, tmp_path):
    monkeypatch.setenv("WEBKIT_PLAN_MASKS", MASK.pattern)
    document = plan_from(values, noise, token) | {"errored": errored}
    log = f"Error: {noise}{values[0]}\n{token}\n{values[-1]}"
    (tmp_path / "plan.json").write_text(json.dumps(document))
    (tmp_path / "error.log").write_text(log)
    (tmp_path / "plan.log").write_text(f"Warning: {values[-1]}\n\n{noise}{values[0]} {token}\n")
    summary_file = tmp_path / "summary.md"
    summary_file.write_text("")
    comment = pc.render_file(str(tmp_path / "plan.json"), error_log=str(tmp_path / "error.log"),
                             plan_log=str(tmp_path / "plan.log"), summary_out=str(summary_file))
    summary = pc.summarize(json.loads((tmp_path / "plan.json").read_text()), "production")
    # a failed plan in CI: the plan step scrubs its log with the TF_VAR_ values it gave Terraform
    (tmp_path / "failed.log").write_text(log)
    in_env = [v for v in values if "\x00" not in v]  # an environment variable cannot hold NUL
    for i, value in enumerate(in_env):
        monkeypatch.setenv(f"TF_VAR_v{i}", value)
    pc.scrub([str(tmp_path / "failed.log")])
    outputs = {"comment": comment, "job summary": summary_file.read_text(), "short comment": pc.render(summary, log, 1),
               "terminal": pc.terminal_summary(summary), "json": pc.summary_json(summary)}
    assert "```mermaid" in comment
    for name, body in outputs.items():
        assert not leaks(body, values), name
    assert not leaks(pc.failure_summary("production", str(tmp_path / "failed.log")), in_env), "failure summary"


KEYS = st.sampled_from(["A", "B", "DATABASE_URL", "API_KEY"])
ENV = st.dictionaries(KEYS, st.tuples(st.booleans(), PIECE.filter(lambda v: "S3cr" not in v)), max_size=4)


def dotenv(env: dict[str, tuple[bool, str]], secrets_of: dict[str, str]) -> str:
    return "".join(f"{key}={json.dumps(secrets_of[key] if secret else value)}\n" for key, (secret, value) in sorted(env.items()))


@settings(max_examples=80, deadline=None)
@given(before=ENV, after=ENV, values=secrets())
def test_no_env_edit_shows_a_secret(before, after, values):
    """Any edit of a VM app's env (keys added, removed, retyped between secret and plain, renamed:
    a rename is a removal and an addition) shows no secret of either side."""
    old = {key: f"{values[i % len(values)]}old{key}" for i, key in enumerate(sorted(before))}
    new = {key: f"{values[i % len(values)]}new{key}" for i, key in enumerate(sorted(after))}
    secret_keys = sorted(k for k, (secret, _) in after.items() if secret)
    document = {
        "format_version": "1.2",
        # only the new configuration's secrets are variables of this plan; the old ones are gone
        "variables": {f"v_{k}": {"value": new[k]} for k in secret_keys},
        "configuration": {"root_module": {
            "variables": {f"v_{k}": {"sensitive": True} for k in secret_keys},
            "outputs": {"vm_env": {"description": f"KEY=value lines, values JSON-encoded. Secret keys: {', '.join(secret_keys) or 'none'}."}}}},
        "output_changes": {"vm_env": {"actions": ["update"], "before": dotenv(before, old), "after": dotenv(after, new),
                                      "before_sensitive": True, "after_sensitive": True}},
    }
    summary = pc.summarize(document, "production")
    shown = [old[k] for k, (secret, _) in before.items() if secret] + [new[k] for k in secret_keys]
    for body in (pc.render(summary), pc.render_fitting(summary, limit=2000)):
        assert not [v for text in readings(body) for v in shown if v in text]
