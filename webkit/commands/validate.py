"""`webkit infra validate`: every check of the plan's section 13, as ✓/✗ lines."""

from __future__ import annotations

from pathlib import Path

from webkit import console
from webkit.manifest import MANIFEST_FILE, Report, read
from webkit.manifest.checks import CHECKS


def validate(project_dir: Path, strict: bool = False) -> Report:
    """Print one line per check and one per problem; the report says whether it passed."""
    report = read(Path(project_dir) / MANIFEST_FILE)
    if report.fatal:
        console.fail(report.fatal)
        return report
    if report.manifest is not None:
        from webkit.sops import file_problems

        report.problems += file_problems(report.manifest, Path(project_dir))
    for problem in report.warnings(strict):
        console.warn(report.describe(problem))
    errors = report.errors(strict)
    schema_failed = report.manifest is None
    for key, title in CHECKS:
        mine = [p for p in errors if p.check == key]
        if mine:
            for problem in mine:
                console.fail(report.describe(problem))
        elif schema_failed and key != "schema":
            console.info(f"{title}: not checked until the schema is valid")
        else:
            console.ok(title)
    if report.ok(strict):
        from webkit.commands.changes import report_changes

        report_changes(project_dir, report)
    return report
