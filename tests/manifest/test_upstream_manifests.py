"""The Go tool's real manifests: the first version loads; every other one fails clearly."""

from webkit.manifest import read
from webkit.manifest.source import format_path

FIRST_VERSION = "ainsleydev__webkit@a5a0487f__internal__playground__app.json"


def test_first_version_reports_exactly_its_broken_reference(shared_fixtures):
    report = read(shared_fixtures / "upstream-manifests" / FIRST_VERSION)
    errors = report.errors()
    assert [(p.check, format_path(p.path)) for p in errors] == [("references", "apps[1].env.production[1].from")]
    assert "unknown resource 'object-store'" in report.describe(errors[0])
    assert report.describe(errors[0]).endswith("line 150)")


def test_every_other_upstream_manifest_gets_clear_errors(shared_fixtures):
    files = sorted((shared_fixtures / "upstream-manifests").glob("*.json"))
    assert len(files) >= 5
    for file in files:
        if file.name == FIRST_VERSION:
            continue
        report = read(file)
        assert report.fatal is None, file.name
        assert not report.ok(), file.name
        for problem in report.errors():
            line = report.describe(problem)
            assert f"({file.name} line " in line, line
