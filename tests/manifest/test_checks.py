"""One failing manifest per validation rule: each must name its check, its path and its line."""

from __future__ import annotations

import json

import pytest

from tests.conftest import plan_example
from webkit.manifest.load import Report, check_text
from webkit.manifest.source import format_path


def report_for(manifest: dict | str) -> Report:
    text = manifest if isinstance(manifest, str) else json.dumps(manifest, indent=2)
    report = Report(file=__import__("pathlib").Path("app.json"), text=text)
    return check_text(report)


def mutated(change) -> dict:
    """The plan's example with its own state bucket (so it warns about nothing), changed."""
    manifest = plan_example()
    manifest["state"] = {"bucket": "my-website-tf-state"}
    change(manifest)
    return manifest


def app_env(m):
    return m["apps"][0]["env"]["production"]


def add_app_platform(m, **config):
    m["apps"].append({
        "name": "web", "type": "sveltekit", "path": "apps/web",
        "infra": {"provider": "digitalocean", "type": "app", "config": config},
    })


CASES = {
    # check, message fragment, path
    "project name required": (
        lambda m: m["project"].pop("name"), "schema", "Missing required key", "project.name"),
    "project name charset": (
        lambda m: m["project"].update(name="My_Site"), "schema",
        "'My_Site' is not a name of lowercase letters, digits and dashes that starts with a letter", "project.name"),
    "project name length": (
        lambda m: m["project"].update(name="a" * 41), "schema", "is longer than 40 characters", "project.name"),
    "repo form": (
        lambda m: m["project"].update(repo="not a repo"), "schema", 'expected "owner/name"', "project.repo"),
    "unknown environment in list": (
        lambda m: m.update(environments=["production", "qa"]), "schema", "'production' or 'staging'", "environments[1]"),
    "repeated environment": (
        lambda m: m.update(environments=["production", "production"]), "schema", "must not repeat", "environments"),
    "env var type": (
        lambda m: app_env(m)[0].update(type="magic"), "schema", "'value', 'from_resource' or 'secret'",
        "apps[0].env.production[0].type"),
    "unknown resource in reference": (
        lambda m: app_env(m)[0].update({"from": "resource:cache:url"}), "references", "unknown resource 'cache'",
        "apps[0].env.production[0].from"),
    "unknown output in reference": (
        lambda m: app_env(m)[0].update({"from": "db.bucket_name"}), "references", "postgres has no output 'bucket_name'",
        "apps[0].env.production[0].from"),
    "malformed reference": (
        lambda m: app_env(m)[0].update({"from": "db/connection_url"}), "references", "Malformed reference",
        "apps[0].env.production[0].from"),
    "declared output unknown": (
        lambda m: m["resources"][0].update(outputs=["host", "url"]), "references", "no output 'url'",
        "resources[0].outputs[1]"),
    "unsupported resource": (
        lambda m: m["resources"][0].update(provider="aws"), "kinds", "Unsupported resource postgres/aws",
        "resources[0].type"),
    "unsupported app infra": (
        lambda m: m["apps"][0]["infra"].update(type="lambda"), "kinds", "Unsupported app lambda/digitalocean",
        "apps[0].infra.type"),
    "resource kind used as app": (
        lambda m: m["apps"][0]["infra"].update(type="postgres"), "kinds", "Unsupported app postgres",
        "apps[0].infra.type"),
    "missing region on a resource": (
        lambda m: m["resources"][0]["config"].pop("region"), "config", "Missing required config",
        "resources[0].config.region"),
    "missing size on a droplet": (
        lambda m: m["apps"][0]["infra"]["config"].pop("size"), "config", "Missing required config",
        "apps[0].infra.config.size"),
    "invalid config value": (
        lambda m: m["resources"][0]["config"].update(node_count=5), "config", "5 is more than 3",
        "resources[0].config.node_count"),
    "app platform without a source": (
        lambda m: add_app_platform(m, region="nyc"), "config", "App Platform needs a source", "apps[1].infra.config"),
    "names unique across resources and apps": (
        lambda m: m["apps"][0].update(name="db"), "names", "already used by resources[0]", "apps[0].name"),
    "cloud name too long for App Platform in staging": (
        lambda m: (m.update(environments=["production", "staging"]),
                   add_app_platform(m, image={"repository": "web"}),
                   m["project"].update(name="a-rather-long-project")),
        "names", "does not fit in staging: App Platform app names must be 2-32", "apps[1].name"),
    "env key not an identifier": (
        lambda m: app_env(m)[0].update(key="DATABASE-URL"), "env", "not a valid identifier",
        "apps[0].env.production[0].key"),
    "env key twice": (
        lambda m: app_env(m).append(dict(app_env(m)[0])), "env", "given more than once",
        "apps[0].env.production[1].key"),
    "value missing": (
        lambda m: app_env(m).append({"key": "X", "type": "value"}), "env", "Missing 'value': type value takes 'value' (the literal text)",
        "apps[0].env.production[1]"),
    "from given to a value": (
        lambda m: app_env(m).append({"key": "X", "type": "value", "value": "1", "from": "db.host"}), "env",
        "Type value takes 'value' (the literal text), not 'from' as well ('db.host'): remove 'from', or change the type",
        "apps[0].env.production[1].from"),
    "from missing on a secret": (
        lambda m: app_env(m).append({"key": "X", "type": "secret"}), "env",
        "Missing 'from': type secret takes 'from' (a source such as sops:secrets/app.yaml:/KEY or github-secrets:KEY)",
        "apps[0].env.production[1]"),
    "unknown env block": (
        lambda m: m["apps"][0]["env"].update(prod=[]), "env", "Unknown environment 'prod'", "apps[0].env.prod"),
    "malformed secret": (
        lambda m: app_env(m).append({"key": "X", "type": "secret", "from": "vault:x"}), "secrets",
        "expected sops:<file>:/<KEY> or github-secrets:<KEY>", "apps[0].env.production[1].from"),
    "github secret reserved prefix": (
        lambda m: app_env(m).append({"key": "X", "type": "secret", "from": "github-secrets:GITHUB_TOKEN"}),
        "secrets", "cannot start with GITHUB_", "apps[0].env.production[1].from"),
    "sops file outside the repository": (
        lambda m: app_env(m).append({"key": "X", "type": "secret", "from": "sops:/etc/x.yaml:/KEY"}),
        "secrets", "must be a relative path inside the repository", "apps[0].env.production[1].from"),
    "sops path with a GitHub expression": (
        lambda m: app_env(m).append({"key": "X", "type": "secret", "from": "sops:secrets/${{ github.event.pull_request.title }}.yaml:/K"}),
        "secrets", "sops file 'secrets/${{ github.event.pull_request.title }}.yaml' must be", "apps[0].env.production[1].from"),
    "sops path read as an option": (
        lambda m: app_env(m).append({"key": "X", "type": "secret", "from": "sops:--output=/tmp/x:/K"}),
        "secrets", "no leading '-'", "apps[0].env.production[1].from"),
    "sops sources sharing a variable": (
        lambda m: app_env(m).extend([{"key": "X", "type": "secret", "from": "sops:secrets/api-prod.yaml:/K"},
                                     {"key": "Y", "type": "secret", "from": "sops:secrets/api_prod.yaml:/K"}]),
        "secrets", "'sops:secrets/api-prod.yaml:/K' and 'sops:secrets/api_prod.yaml:/K' would share", "apps[0].env.production[2].from"),
    "a template in a region": (
        lambda m: m["resources"][0]["config"].update(region='nyc3${file("/proc/self/environ")}'),
        "config", "'nyc3${file(\"/proc/self/environ\")}' is not a DigitalOcean region slug", "resources[0].config.region"),
    "a template in a domain": (
        lambda m: add_app_platform(m, domain=["www.example.com", '${file("/proc/self/environ")}']),
        "config", "is not a domain name such as www.example.com", "apps[1].infra.config.domain[1]"),
    "a state endpoint that is no URL": (
        lambda m: m.update(state={"endpoint": "https://x.example.com/${var.x}"}),
        "schema", "is not an https:// endpoint", "state.endpoint"),
    "an app path outside the repository": (
        lambda m: m["apps"][0].update(path="../elsewhere"), "schema", "is not a folder inside the repository", "apps[0].path"),
    "shared env is checked too": (
        lambda m: m.update(shared={"env": {"production": [{"key": "1X", "type": "value", "value": "v"}]}}),
        "env", "not a valid identifier", "shared.env.production[0].key"),
    "depends_on unknown": (
        lambda m: m["apps"][0].update(depends_on=["cache"]), "depends_on", "unknown 'cache'", "apps[0].depends_on[0]"),
    "depends_on itself": (
        lambda m: m["apps"][0].update(depends_on=["cms"]), "depends_on", "cannot depend on itself",
        "apps[0].depends_on[0]"),
}


@pytest.mark.parametrize("change, check, fragment, path", CASES.values(), ids=CASES.keys())
def test_each_rule_reports_its_problem_with_path_and_line(change, check, fragment, path):
    report = report_for(mutated(change))
    errors = report.errors()
    assert [(p.check, format_path(p.path)) for p in errors] == [(check, path)], [report.describe(p) for p in errors]
    line = report.describe(errors[0])
    assert fragment in line
    assert line.endswith(f"(app.json line {report.source.line_of(errors[0].path)})")


def test_the_plan_example_is_valid():
    report = report_for(plan_example())
    assert report.errors() == []
    # it names no state bucket of its own: the default is a bucket the reader does not own
    assert [report.describe(p).split(":")[0] for p in report.warnings()] == ["No state block"]


def test_a_database_no_app_uses_in_an_environment_is_named():
    manifest = plan_example()
    manifest["environments"] = ["production", "staging"]
    (problem,) = [p for p in report_for(manifest).warnings() if p.message.startswith("Database")]
    assert problem.message.startswith("Database 'db' is used by no app in staging: its firewall admits nobody there")
    assert format_path(problem.path) == "resources[0]"


def test_every_problem_is_reported_in_one_run():
    def break_many(m):
        m["resources"][0]["config"].pop("region")
        app_env(m)[0]["from"] = "resource:cache:url"
        m["apps"][0]["depends_on"] = ["nothing"]

    checks = sorted(p.check for p in report_for(mutated(break_many)).errors())
    assert checks == ["config", "depends_on", "references"]


def test_line_of_a_missing_key_is_its_object():
    manifest = mutated(lambda m: m["apps"][0]["infra"]["config"].pop("region"))
    text = json.dumps(manifest, indent=2)
    report = report_for(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if '"config": {' in row and i > 20)
    assert report.describe(report.errors()[0]).endswith(f"line {line})")


def test_unknown_keys_warn_with_their_path_and_strict_makes_them_errors():
    def newer(m):
        m["resources"][0]["config"]["maintenance_window"] = "sun"
        m["apps"][0]["enviroment"] = {}  # too far from any known key to guess

    report = report_for(mutated(newer))
    assert report.errors() == []
    assert sorted(format_path(p.path) for p in report.warnings()) == ["apps[0].enviroment", "resources[0].config.maintenance_window"]
    assert report.ok() and not report.ok(strict=True)
    assert len(report.errors(strict=True)) == 2


def test_duplicate_json_keys_warn():
    text = json.dumps(mutated(lambda m: None)).replace('"name": "my-website"', '"name": "x", "name": "my-website"')
    report = report_for(text)
    assert [report.describe(p).split(":")[0] for p in report.warnings()] == ["Duplicate key (the last one wins)"]


def test_the_go_tools_map_form_env_is_read_and_a_broken_one_gets_a_hint():
    manifest = mutated(lambda m: m["apps"][0].update(env={"production": {"A": {"source": "value", "value": "1"}}}))
    assert report_for(manifest).errors() == []
    broken = mutated(lambda m: m["apps"][0].update(env={"production": {"A": "1"}}))
    (problem,) = report_for(broken).errors()
    assert "nor the map form {KEY: {source, value}}" in problem.message


def test_container_is_an_alias_of_app():
    manifest = plan_example()
    add_app_platform(manifest, image={"repository": "web"})
    manifest["apps"][1]["infra"]["type"] = "container"
    assert report_for(manifest).errors() == []


def test_repo_forms():
    for repo in ("owner/name", "git@github.com:owner/name.git", "https://github.com/owner/name", {"owner": "o", "name": "n"}):
        manifest = plan_example()
        manifest["project"]["repo"] = repo
        add_app_platform(manifest)
        assert report_for(manifest).errors() == [], repo


def test_top_level_must_be_an_object():
    assert [p.message for p in report_for("[1, 2]").errors()] == ["The manifest must be a JSON object"]


def test_malformed_json_names_line_and_column():
    report = report_for('{\n  "project": {"name": "x"},\n  "apps": [,]\n}')
    assert report.fatal == "app.json is not valid JSON: Expecting value (line 3, column 12)"


def test_an_app_without_env_in_one_environment_is_named():
    manifest = mutated(lambda m: m.update(environments=["production", "staging"]))
    messages = [p.message for p in report_for(manifest).warnings()]
    assert "App 'cms' gets no env vars in staging (it has some in production): add a 'default' group for every " \
           "environment, or a 'staging' list" in messages
    manifest["apps"][0]["env"]["default"] = manifest["apps"][0]["env"].pop("production")
    assert report_for(manifest).warnings() == [], "a default group reaches staging, and the database with it"


@pytest.mark.parametrize("text, hint", [
    ("", "the file is empty"),
    ('{\n  // my site\n  "project": {"name": "x"}\n}', "JSON has no comments"),
    ('{"project": {"name": "x",}}', "a comma before } or ] is not allowed in JSON"),
    ('{"resources": [{"name": "db"},]}', "a comma before } or ] is not allowed in JSON"),
    ("{'project': 1}", "JSON strings and keys take double quotes"),
])
def test_invalid_json_says_the_usual_cause(text, hint):
    assert hint in report_for(text).fatal


def test_a_utf16_manifest_says_so(tmp_path):
    from webkit.manifest.load import read

    (tmp_path / "app.json").write_bytes('{"project": {"name": "x"}}'.encode("utf-16"))
    assert "it is UTF-16 (as Windows PowerShell's > writes): save it as UTF-8" in read(tmp_path / "app.json").fatal


@pytest.mark.parametrize("change, text", [
    (lambda m: app_env(m)[0].update(type="valu"), "'valu' is not one of 'value', 'from_resource' or 'secret'"),
    (lambda m: m["resources"][0]["config"].update(node_count="three"), "'three' is not a whole number"),
    (lambda m: m["apps"][0]["infra"]["config"].update(backups="yes please"), "'yes please' is not true or false"),
    (lambda m: m.update(resources={"db": {}}), "an object is not a list"),
])
def test_messages_name_the_value_as_written_and_no_pydantic_text(change, text):
    report = report_for(mutated(change))
    lines = [report.describe(p) for p in report.errors()]
    assert any(text in line for line in lines), lines
    assert not any(word in line for line in lines for word in ("Input should", "pattern", "type=", "function-after"))


def test_branches_must_belong_to_environments_and_differ():
    stray = report_for(mutated(lambda m: m.update(branches={"staging": "develop"})))
    assert [p.message for p in stray.errors()] == ["branches names 'staging', which is not in environments"]
    shared = report_for(mutated(lambda m: m.update(environments=["production", "staging"], branches={"staging": "main"})))
    assert "production and staging cannot share the branch 'main'" in [p.message for p in shared.errors()]
    quoted = report_for(mutated(lambda m: m.update(branches={"production": "it's"})))  # it lands in ${{ }} expressions
    assert "is not a git branch name" in quoted.describe(quoted.errors()[0])
