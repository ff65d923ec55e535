"""Terraform plan → a pull-request comment reviewers can trust.

Stand-alone on purpose: standard library only, so `webkit update` copies this folder into
`.github/actions/terraform-comment/plan_comment/` and CI runs it with the runner's python3 as
`python3 -I FOLDER <subcommand> …` (cli.py lists them), no webkit needed. `webkit infra comment`
runs the same code, imported as `workflows.plan_comment`.

One import scheme serves both: the modules import each other relatively (`from .model import …`),
so they work wherever the package is imported from. `python3 -I FOLDER` runs __main__.py as a
plain script with FOLDER as sys.path[0] and no package; __main__.py then loads FOLDER as the
package `plan_comment` (by its path, nothing added to sys.path) and calls its CLI. No module is
named like one of the standard library's, which FOLDER on sys.path would shadow.

The modules, from the bottom:
    model.py         the typed plan model (frozen dataclasses): built once, never changed after
    masks.py         the secrets and WEBKIT_PLAN_MASKS every shown text passes through
    values.py        plan values, generically: leaves, sensitive and unknown marks, attribute diffs
    terraform.py     what Terraform writes: the plan JSON read and checked, change kinds, warnings
    digitalocean.py  DigitalOcean's and webkit's rules: provider facts, App Platform noise, cost
    rules.py         generic risk rules
    summary.py       a plan → its Summary; the JSON view
    escape.py        the one escaping point for markdown, HTML and mermaid
    render.py        the comment, a pure function of a Summary
    github.py        posting the comment and the drift issue
    cli.py           the subcommands the workflows run
"""

from __future__ import annotations

from .cli import STEP_SUMMARY_LIMIT, failure_summary, main, render_file, scrub
from .digitalocean import FACTS, NOISE_NOTE, env_diff
from .masks import Masks
from .model import SENSITIVE, UNKNOWN, PlanError, Summary
from .render import MAX_COMMENT, marker, render, render_failure, render_fitting, terminal_summary
from .summary import has_changes, summarize, summary_json
from .terraform import plan_warnings
from .values import attribute_diff

__all__ = [
    "FACTS", "MAX_COMMENT", "NOISE_NOTE", "SENSITIVE", "STEP_SUMMARY_LIMIT", "UNKNOWN", "Masks", "PlanError", "Summary",
    "attribute_diff", "env_diff", "failure_summary", "has_changes", "main", "marker", "plan_warnings", "render", "render_failure",
    "render_file", "render_fitting", "scrub", "summarize", "summary_json", "terminal_summary",
]
