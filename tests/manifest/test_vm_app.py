"""A VM app's `build` and `deploy` settings: the Go tool's names, a Dockerfile that exists, build
arguments that are never secrets; and env values a process environment can hold (no NUL)."""

from __future__ import annotations

import pytest

from tests.conftest import plan_example, write_project
from webkit.manifest import read
from webkit.manifest.source import format_path


def project(tmp_path, build=None, deploy=None, dockerfile: str | None = "services/cms/Dockerfile"):
    manifest = plan_example()
    if build is not None:
        manifest["apps"][0]["build"] = build
        manifest["project"]["repo"] = "acme/site"  # the image is named after it
    if deploy is not None:
        manifest["apps"][0]["deploy"] = deploy
    folder = write_project(tmp_path, manifest, dockerfiles=False)
    if dockerfile:
        (folder / dockerfile).parent.mkdir(parents=True, exist_ok=True)
        (folder / dockerfile).write_text("FROM scratch\n")
    return read(folder / "app.json")


def errors(report) -> list[tuple[str, str]]:
    return [(format_path(p.path), report.describe(p)) for p in report.errors()]


def test_build_and_deploy_with_the_go_tools_names(tmp_path):
    report = project(tmp_path, build={"context": "services", "dockerfile": "cms/Dockerfile", "port": 3000,
                                      "health_check_path": "/api/health", "args": {"NODE_ENV": "production", "N": 2}},
                     deploy={"release_command": "npm run migrate", "health_timeout": 300})
    assert errors(report) == [] and [p for p in report.warnings() if p.path[:1] == ("apps",)] == []
    app = report.manifest.apps[0]
    assert (app.build.port, app.build.health_check_path, app.deploy.health_timeout) == (3000, "/api/health", 300)


def test_defaults_are_the_apps_folder_and_its_dockerfile(tmp_path):
    report = project(tmp_path, build={})
    assert errors(report) == []
    build = report.manifest.apps[0].build
    assert (build.dockerfile, build.port, build.health_check_path) == ("Dockerfile", 8080, "/")
    assert report.manifest.apps[0].deploy is None


@pytest.mark.parametrize("build, path", [
    ({"dockerfile": "docker/Dockerfile.prod"}, "apps[0].build.dockerfile"),
    ({"port": 3000}, "apps[0].build"),
])
def test_a_missing_dockerfile_is_an_error_with_its_path_and_line(tmp_path, build, path):
    report = project(tmp_path, build=build, dockerfile=None)
    [(where, line)] = errors(report)
    assert where == path
    expected = "services/cms/" + build.get("dockerfile", "Dockerfile")
    assert line.startswith(f"App 'cms' has no Dockerfile at {expected}: ")
    assert f"(app.json line {report.source.line_of(report.errors()[0].path)})" in line


def test_without_a_build_block_nothing_is_built_yet_so_nothing_is_checked(tmp_path):
    assert errors(project(tmp_path, dockerfile=None)) == []


@pytest.mark.parametrize("value", [
    "sops:secrets/cms.yaml:/NPM_TOKEN", "github-secrets:NPM_TOKEN", {"type": "secret", "from": "github-secrets:NPM_TOKEN"},
    {"source": "secret", "value": "NPM_TOKEN"},
])
def test_a_build_argument_is_never_a_secret(tmp_path, value):
    report = project(tmp_path, build={"args": {"NPM_TOKEN": value}})
    [(where, line)] = errors(report)
    assert where == "apps[0].build.args"
    assert "build argument NPM_TOKEN: build arguments are stored in the image" in line and "never a secret" in line


@pytest.mark.parametrize("build, deploy, path, words", [
    ({"port": 70000}, None, "apps[0].build.port", "70000 is more than 65535"),
    ({"health_check_path": "health"}, None, "apps[0].build.health_check_path", "is not an HTTP path"),
    ({"context": "../outside"}, None, "apps[0].build.context", "is not a folder inside the repository"),
    (None, {"health_timeout": 1}, "apps[0].deploy.health_timeout", "1 is less than 5"),
    (None, {"release_command": ""}, "apps[0].deploy.release_command", ""),
])
def test_bad_settings_name_their_path(tmp_path, build, deploy, path, words):
    report = project(tmp_path, build=build, deploy=deploy)
    [(where, line)] = errors(report)
    assert where == path and words in line


def test_an_env_value_with_nul_is_refused(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["env"]["production"].append({"key": "BAD", "type": "value", "value": "a\u0000b"})
    report = read(write_project(tmp_path, manifest) / "app.json")
    [(where, line)] = errors(report)
    assert where == "apps[0].env.production[1].value"
    assert "Env value of 'BAD' contains a NUL character" in line


def test_build_on_an_app_platform_app_is_ignored_and_said(tmp_path):
    manifest = plan_example()
    manifest["apps"].append({"name": "web", "type": "sveltekit", "path": "web", "build": {"port": 3000},
                             "infra": {"provider": "digitalocean", "type": "app", "config": {"image": {"repository": "w"}}}})
    report = read(write_project(tmp_path, manifest) / "app.json")
    assert errors(report) == []
    assert [(format_path(p.path), p.message) for p in report.warnings() if p.path[:1] == ("apps",)] == [
        ("apps[1].build", "App 'web' runs on app/digitalocean: only vm apps use 'build', it is ignored")]


def test_ssh_keys_on_a_vm_app_are_said_to_open_nothing(tmp_path):
    """Root logins are off on a VM app's droplet (first-boot user data): the keys DigitalOcean installs
    for root let nobody in, which a user who lists them must hear, with where to look instead."""
    manifest = plan_example()
    manifest["apps"][0]["infra"]["config"]["ssh_keys"] = ["ops laptop"]
    report = read(write_project(tmp_path, manifest) / "app.json")
    [(where, message)] = [(format_path(p.path), p.message) for p in report.warnings() if p.path[:1] == ("apps",)]
    assert where == "apps[0].infra.config.ssh_keys"
    assert "root cannot log in" in message and "deploy key" in message


def test_an_app_that_builds_an_image_needs_the_repository_its_image_is_named_after(tmp_path):
    manifest = plan_example()
    manifest["apps"][0]["build"] = {}
    folder = write_project(tmp_path, manifest)
    report = read(folder / "app.json")
    [(where, message)] = errors(report)
    assert where == "project"
    assert "ghcr.io/<owner>/<repo>-cms: set project.repo" in message
