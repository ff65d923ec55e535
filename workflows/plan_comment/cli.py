"""Terraform plan → a pull-request comment reviewers can trust.

The command line the workflows run (`python3 -I FOLDER`, FOLDER being this package's copy):

    render --plan-json FILE [--format markdown|json] [--environment E] [--error-log FILE]
           [--plan-log FILE] [--summary-out FILE] [--out FILE]
    post --body-file FILE --repo OWNER/NAME --pr N --environment E [--run-id ID]
    issue --body-file FILE --repo OWNER/NAME --title TITLE
    resolve --repo OWNER/NAME --title TITLE --note TEXT
    changes --plan-json FILE      (prints true or false: anything but provider noise?)
    failed --environment E --step NAME --reasons FILE --out FILE   (the comment of a run that failed early)
    failure --environment E [--error-log FILE]   (a failed plan's job summary)
    scrub LOG...                  (hides this step's TF_VAR_ values in Terraform's logs)

WEBKIT_PLAN_MASKS (one regular expression a line) hides whatever its patterns match, as
(masked), in everything rendered.

`post`, `issue` and `resolve` read the token from GITHUB_TOKEN and the API from GITHUB_API_URL;
issues count as the workflow's own only when GitHub Actions wrote them (WEBKIT_BOT_LOGIN, default
github-actions[bot]), so nobody can hijack the drift issue by opening one with the same title.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys

from .escape import fenced, inline_text
from .github import GitHub, GitHubError, resolve_issue, upsert_comment, upsert_issue
from .masks import MIN_SECRET, Masks, masked, masking, user_masks
from .model import PlanError, Summary
from .render import render_failure, render_fitting, run_link, utf8_size
from .summary import has_changes, summarize, summary_json
from .terraform import load_plan, plan_warnings

READ_LIMIT = 256 * 2**20  # a plan of thousands of resources is a few MiB


def _read(path: str) -> bytes:
    """A regular file, bounded (checked before opening: a FIFO blocks, /dev/zero never ends)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise PlanError(f"cannot read {path}: not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT + 1)
    except OSError as err:
        raise PlanError(f"cannot read {path}: {err.strerror}") from None
    if len(data) > READ_LIMIT:
        raise PlanError(f"cannot read {path}: larger than {READ_LIMIT // 2**20} MiB")
    return data


RECORDED = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*( \(sandbox\))?")  # what `webkit infra plan --json-out` writes


def recorded_environment(plan: dict) -> str | None:
    """The environment `webkit infra plan --json-out` saved with the plan ("webkit": {"environment"}),
    so a preview without -e names it; anything else there is ignored (it would reach the marker)."""
    saved = plan.get("webkit")
    environment = saved.get("environment") if isinstance(saved, dict) else None
    return environment if isinstance(environment, str) and RECORDED.fullmatch(environment) else None


def _summarize_file(plan_json: str, environment: str | None = None) -> Summary:
    try:
        plan = load_plan(_read(plan_json))
        return summarize(plan, environment or recorded_environment(plan))
    except RecursionError:
        raise PlanError("a value in the plan nests too deeply to show") from None


STEP_SUMMARY_LIMIT = 1024 * 1024 - 4096  # bytes: the runner drops a step's job summary over 1 MiB of UTF-8


def render_file(plan_json: str, fmt: str = "markdown", environment: str | None = None, error_log: str | None = None,
                plan_log: str | None = None, summary_out: str | None = None) -> str:
    """The comment (or the summary JSON). `plan_log`: Terraform's plan output, for its warnings.
    `summary_out`: also append the plan, cut only to the job summary's limit, to this file (CI's
    $GITHUB_STEP_SUMMARY); a comment that had to be cut then points there."""
    user_masks()  # a broken mask stops here, before anything is shown
    summary = _summarize_file(plan_json, environment)
    if fmt == "json":
        return summary_json(summary)
    masks = summary.masks  # logs are masked whole, before they are parsed, split or cut
    log = masks.text(_read(error_log).decode("utf-8", "replace")) if error_log else None
    if plan_log:
        summary = summary.with_warnings(plan_warnings(masks.text(_read(plan_log).decode("utf-8", "replace"))))
    try:
        full_plan = None
        if summary_out:
            used = os.path.getsize(summary_out) if os.path.isfile(summary_out) else 0  # this step's summary so far
            with open(summary_out, "a", encoding="utf-8") as handle:
                handle.write(render_fitting(summary, log, max(0, STEP_SUMMARY_LIMIT - used), size=utf8_size))
            full_plan = "the job summary of " + (run_link() or "this workflow run")
        return render_fitting(summary, log, full_plan=full_plan)
    except RecursionError:
        raise PlanError("a value in the plan nests too deeply to show") from None


def failure_summary(environment: str, error_log: str | None) -> str:
    """The job summary of a plan that failed after a merge: Terraform's error text through the
    comment's one escaping point, with the user's masks (nobody reads a comment then)."""
    text = _read(error_log).decode("utf-8", "replace") if error_log and os.path.lexists(error_log) else ""
    with masking(Masks()):
        lines = [f"## Plan failed for {inline_text(environment)}", ""]
        if text.strip():
            lines += fenced(masked(text).strip().splitlines()[-100:])
        else:
            lines.append("No plan ran: an earlier step failed (see the log).")
    return "\n".join(lines) + "\n"


def scrub(paths: list[str]) -> None:
    """Hide, in Terraform's logs, every value this step gave Terraform as TF_VAR_… (webkit passes
    only secrets that way): a failed plan has no plan JSON to learn its secrets from, and its error
    text can quote one. Rewritten in place, atomically; an absent log is skipped."""
    values = frozenset(v for k, v in os.environ.items() if k.startswith("TF_VAR_") and len(v) >= MIN_SECRET)
    masks = Masks(values, patterns=())
    for path in paths:
        if not os.path.lexists(path):
            continue
        text = _read(path).decode("utf-8", "replace")
        clean = masks.text(text)
        if clean != text:
            with open(f"{path}.scrub", "w", encoding="utf-8") as handle:
                handle.write(clean)
            os.replace(f"{path}.scrub", path)


def _github_from_env(repo: str) -> GitHub:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise GitHubError("GITHUB_TOKEN is not set")
    return GitHub(repo, token, os.environ.get("GITHUB_API_URL", "https://api.github.com"))


def _write_failure(environment: str | None, step: str, reasons_file: str | None, out: str) -> None:
    reasons = _read(reasons_file).decode("utf-8", "replace") if reasons_file and os.path.exists(reasons_file) else ""
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(render_failure(environment, step, reasons))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plan_comment.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="Plan JSON → comment markdown or summary JSON.")
    r.add_argument("--plan-json", required=True)
    r.add_argument("--format", choices=("markdown", "json"), default="markdown")
    r.add_argument("--environment")
    r.add_argument("--error-log", help="Terraform's output of a failed plan, shown in the comment.")
    r.add_argument("--plan-log", help="Terraform's plan output (stdout), for its warnings.")
    r.add_argument("--summary-out", help="Also append the whole plan here ($GITHUB_STEP_SUMMARY).")
    r.add_argument("--out", help="Write here instead of stdout.")
    p = sub.add_parser("post", help="Create or update the PR comment for an environment.")
    p.add_argument("--body-file", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--pr", required=True, type=int)
    p.add_argument("--environment")
    p.add_argument("--run-id", type=int, default=int(os.environ.get("GITHUB_RUN_ID") or 0))
    p.add_argument("--run-attempt", type=int, default=int(os.environ.get("GITHUB_RUN_ATTEMPT") or 0))
    i = sub.add_parser("issue", help="Open or update the one open issue with this title.")
    i.add_argument("--body-file", required=True)
    i.add_argument("--repo", required=True)
    i.add_argument("--title", required=True)
    h = sub.add_parser("changes", help="Print true when the plan changes anything but known provider noise.")
    h.add_argument("--plan-json", required=True)
    f = sub.add_parser("failed", help="The comment of a plan run that failed before Terraform ran.")
    f.add_argument("--environment")
    f.add_argument("--step", default="", help="The name of the step that failed.")
    f.add_argument("--reasons", help="The workflow's error lines (a missing file: none).")
    f.add_argument("--out", required=True)
    f = sub.add_parser("failure", help="The job summary of a failed plan: its error, escaped and masked.")
    f.add_argument("--environment", required=True)
    f.add_argument("--error-log")
    s = sub.add_parser("scrub", help="Hide this step's TF_VAR_ values in Terraform's logs (in place).")
    s.add_argument("logs", nargs="*")
    c = sub.add_parser("resolve", help="Close the open issue with this title, with a note.")
    c.add_argument("--repo", required=True)
    c.add_argument("--title", required=True)
    c.add_argument("--note", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            text = render_file(args.plan_json, args.format, args.environment, args.error_log, args.plan_log, args.summary_out)
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
        elif args.command == "post":
            body = _read(args.body_file).decode("utf-8")
            result = upsert_comment(_github_from_env(args.repo), args.pr, args.environment, body, (args.run_id, args.run_attempt))
            print(f"plan comment {result}" + (" (a newer run already commented)" if result == "skipped" else ""))
        elif args.command == "failed":
            _write_failure(args.environment, args.step, args.reasons, args.out)
        elif args.command == "failure":
            sys.stdout.write(failure_summary(args.environment, args.error_log))
        elif args.command == "scrub":
            scrub(args.logs)
        elif args.command == "changes":
            print("true" if has_changes(_summarize_file(args.plan_json)) else "false")
        elif args.command == "issue":
            body = _read(args.body_file).decode("utf-8")
            print(f"issue {upsert_issue(_github_from_env(args.repo), args.title, body)}")
        else:
            print(f"issue {resolve_issue(_github_from_env(args.repo), args.title, args.note)}")
    except (PlanError, GitHubError) as err:
        print(f"✗ {err}", file=sys.stderr)
        return 1
    return 0

