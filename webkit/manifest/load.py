"""app.json on disk → a checked Manifest, or every problem with its path and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FilePath

from pydantic import ValidationError

from webkit.workspace import MANIFEST_FILE, MANIFEST_LIMIT

from .checks import Problem, check, is_vm, pydantic_problems
from .models import Manifest
from .source import ManifestSyntaxError, Source, format_path, parse
from .state import state_problems
from .upstream import translate
from .vm_app import check_files


@dataclass
class Report:
    """What loading found: the manifest (when its schema is valid) and every problem."""

    file: FilePath
    text: str = ""
    manifest: Manifest | None = None
    source: Source | None = None
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None  # unreadable or not JSON: nothing else could be checked

    def errors(self, strict: bool = False) -> list[Problem]:
        return [p for p in self.problems if strict or not p.warning]

    def warnings(self, strict: bool = False) -> list[Problem]:
        return [] if strict else [p for p in self.problems if p.warning]

    def ok(self, strict: bool = False) -> bool:
        return self.fatal is None and self.manifest is not None and not self.errors(strict)

    def describe(self, problem: Problem) -> str:
        line = self.source.line_of(problem.path) if self.source else None
        where = f" ({self.file.name} line {line})" if line else ""
        return f"{problem.message}: {format_path(problem.path)}{where}"

    def first_lines(self, strict: bool = False) -> list[str]:
        """One line per error, for commands that only need to say why they stop."""
        if self.fatal:
            return [self.fatal]
        return [self.describe(p) for p in self.errors(strict)]


class ManifestError(Exception):
    def __init__(self, report: Report):
        super().__init__("\n".join(report.first_lines()))
        self.report = report


def read(file: FilePath) -> Report:
    """Never raises for bad content: a missing or broken file is a Report with problems."""
    from webkit.files import read_regular

    report = Report(file)
    try:
        report.text = read_regular(file, MANIFEST_LIMIT).decode("utf-8-sig")
    except FileNotFoundError:
        report.fatal = f"{file} not found (run webkit in the project directory or pass --project-dir)"
        return report
    except UnicodeDecodeError as err:
        utf16 = err.object[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in err.object[:64]
        why = "it is UTF-16 (as Windows PowerShell's > writes): save it as UTF-8" if utf16 else f"{err.reason} at byte {err.start}"
        report.fatal = f"cannot read {file}: not UTF-8 text ({why})"
        return report
    except OSError as err:
        report.fatal = f"cannot read {file}: {err.strerror or err}"
        return report
    return check_text(report)


def check_text(report: Report) -> Report:
    try:
        report.source = parse(report.text)
    except ManifestSyntaxError as err:
        report.fatal = f"{report.file.name} is not valid JSON: {err}"
        return report
    report.problems += [Problem("schema", "Duplicate key (the last one wins)", p, warning=True) for p in report.source.duplicate_keys]
    data = report.source.data
    if not isinstance(data, dict):
        report.problems.append(Problem("schema", "The manifest must be a JSON object", ()))
        return report
    data, notes = translate(data)  # the Go tool's later format, where it means the same
    report.problems += [Problem("schema", note, path, warning=True) for path, note in notes]
    try:
        report.manifest = Manifest.model_validate(data)
    except ValidationError as err:
        report.problems += pydantic_problems(err, "schema")
        return report
    report.problems += check(report.manifest) + state_problems(report.manifest)
    report.problems += check_files(report.manifest, report.file.parent, is_vm)
    return report


def load(project_dir: FilePath, strict: bool = False) -> tuple[Manifest, Report]:
    """The checked manifest of a project, or ManifestError naming every error."""
    report = read(FilePath(project_dir) / MANIFEST_FILE)
    if not report.ok(strict):
        raise ManifestError(report)
    assert report.manifest is not None  # ok() says so
    return report.manifest, report
