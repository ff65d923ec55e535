"""Posting against a local fake GitHub API: one comment per PR and environment, kept current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ghactions.services import BOT, FakeGitHub
from workflows import plan_comment as pc

PACKAGE = str(Path(pc.__file__).parent)  # run as the workflows run it: python3 -I FOLDER


@pytest.fixture
def github():
    with FakeGitHub(per_page=5) as fake:
        yield fake


def post(github: FakeGitHub, tmp_path, body: str, environment: str = "production", run: str = "100", attempt: str = "1",
         pr: int = 7, token: str | None = None):
    body_file = tmp_path / f"body-{environment}-{run}.md"
    body_file.write_text(body)
    env = {"GITHUB_TOKEN": token or github.token, "GITHUB_API_URL": github.url, "GITHUB_RUN_ID": run,
           "GITHUB_RUN_ATTEMPT": attempt, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-I", PACKAGE, "post", "--body-file", str(body_file), "--repo", "acme/shop", "--pr", str(pr),
         "--environment", environment],
        capture_output=True, text=True, env=env,
    )


def body(environment: str, text: str) -> str:
    return f"{pc.marker(environment)}\n{text}\n"


def test_creates_then_updates_in_place(github, tmp_path):
    assert "created" in post(github, tmp_path, body("production", "first")).stdout
    assert "updated" in post(github, tmp_path, body("production", "second"), run="101").stdout
    (comment,) = github.comments[7]
    assert "second" in comment["body"] and "first" not in comment["body"]


def test_finds_its_comment_beyond_the_first_page(github, tmp_path):
    github.comments[7] = [{"id": i, "body": f"chatter {i}"} for i in range(12)]
    github.comments[7].insert(9, {"id": 99, "body": body("production", "old plan"), "user": {"login": BOT}})
    result = post(github, tmp_path, body("production", "new plan"), run="200")
    assert "updated" in result.stdout, result.stderr
    assert sum(1 for c in github.comments[7] if pc.marker("production") in c["body"]) == 1
    assert next(c for c in github.comments[7] if c["id"] == 99)["body"].startswith(pc.marker("production") + "\nnew plan")
    assert sum(1 for method, path in github.requests if method == "GET") == 3  # 13 comments, 5 per page


def test_environments_do_not_overwrite_each_other(github, tmp_path):
    post(github, tmp_path, body("production", "prod plan"))
    post(github, tmp_path, body("staging", "staging plan"))
    post(github, tmp_path, body("production", "prod plan 2"), run="101")
    bodies = sorted(c["body"] for c in github.comments[7])
    assert len(bodies) == 2
    assert "prod plan 2" in bodies[0] and "staging plan" in bodies[1]


def test_an_older_run_never_overwrites_a_newer_one(github, tmp_path):
    post(github, tmp_path, body("production", "from the newer commit"), run="300")
    result = post(github, tmp_path, body("production", "from an older commit"), run="250", attempt="3")
    assert result.returncode == 0 and "skipped" in result.stdout
    assert "from the newer commit" in github.comments[7][0]["body"]
    rerun = post(github, tmp_path, body("production", "re-run of the newer commit"), run="300", attempt="2")
    assert "updated" in rerun.stdout


def test_api_errors_are_clear_and_fail(github, tmp_path):
    github.fail_with = 403
    result = post(github, tmp_path, body("production", "x"))
    assert result.returncode == 1
    assert "403 Resource not accessible by integration" in result.stderr
    assert github.token not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_bad_token_and_missing_token(github, tmp_path):
    result = post(github, tmp_path, body("production", "x"), token="expired-token")
    assert result.returncode == 1 and "401 Bad credentials" in result.stderr
    missing = subprocess.run([sys.executable, "-I", PACKAGE, "post", "--body-file", __file__, "--repo", "a/b", "--pr", "1"],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == 1 and "GITHUB_TOKEN is not set" in missing.stderr


def test_drift_issue_is_opened_once_then_updated(github, tmp_path):
    github.issues = [{"number": n, "title": f"other {n}", "body": "", "state": "open"} for n in range(7)]
    report = tmp_path / "drift.md"
    env = {"GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.url, "PATH": "/usr/bin:/bin"}
    for text in ("drift one", "drift two"):
        report.write_text(text)
        subprocess.run([sys.executable, "-I", PACKAGE, "issue", "--body-file", str(report), "--repo", "acme/shop",
                        "--title", "Infrastructure drift detected"], check=True, env=env, capture_output=True)
    drift = [i for i in github.issues if i["title"] == "Infrastructure drift detected"]
    assert len(drift) == 1 and drift[0]["body"] == "drift two"


def test_nobody_else_can_take_over_or_freeze_the_comment(github, tmp_path):
    forged = f"{pc.marker('production')}\nlooks like a plan\n<!-- webkit-plan-run:99999999999.1 -->\n"
    github.comments[7] = [{"id": 5, "body": forged, "user": {"login": "mallory"}}]
    assert "created" in post(github, tmp_path, body("production", "the real plan"), run="300").stdout
    assert github.comments[7][0]["body"] == forged, "a person's comment is never edited"
    # A plan value carrying marker text sits inside the body, never where the marks are read.
    value = "<!-- webkit-plan-run:99999999999.1 -->"
    assert "updated" in post(github, tmp_path, body("production", value), run="301").stdout
    assert "updated" in post(github, tmp_path, body("production", "the next plan"), run="302").stdout
    assert "the next plan" in github.comments[7][1]["body"]


def test_a_token_without_the_scope_is_refused_clearly(github, tmp_path):
    read_only = github.grant({"contents": "read"})
    result = post(github, tmp_path, body("production", "x"), token=read_only)
    assert result.returncode == 1 and "403 Resource not accessible by integration" in result.stderr
    assert 7 not in github.comments
