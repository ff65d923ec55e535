import pytest

from constructs_lib.digitalocean import AppPlatformService
from constructs_lib.env import EnvValue
from webkit.manifest.catalog import AppPlatformConfig


def test_github_source_env_types_and_domains(harness):
    AppPlatformService(
        harness.stack, "web", name="site-web", repo="acme/site", source_dir="apps/web",
        config=AppPlatformConfig(region="fra1", instance_count=2, http_port=3000, health_check_path="/health",
                                 domain=["www.site.com", "site.com"]),
        env=[EnvValue("PUBLIC_URL", "https://site.com", False), EnvValue("DATABASE_URL", "${x.uri}", True)],
    )
    (app,) = harness.resources("digitalocean_app")
    spec = app["spec"]
    assert spec["name"] == "site-web" and spec["region"] == "fra"
    (service,) = spec["service"]
    assert service["github"] == {"repo": "acme/site", "branch": "main", "deploy_on_push": True}
    assert service["source_dir"] == "apps/web" and service["instance_count"] == 2 and service["http_port"] == 3000
    assert service["health_check"] == {"http_path": "/health"}
    assert [(e["key"], e["type"]) for e in service["env"]] == [("PUBLIC_URL", "GENERAL"), ("DATABASE_URL", "SECRET")]
    assert spec["domain"] == [{"name": "www.site.com", "type": "PRIMARY"}, {"name": "site.com", "type": "ALIAS"}]


def test_image_source(harness):
    image = {"registry_type": "GHCR", "registry": "acme", "repository": "api", "tag": "1.2"}
    AppPlatformService(harness.stack, "api", name="site-api", config=AppPlatformConfig(image=image))
    (app,) = harness.resources("digitalocean_app")
    (service,) = app["spec"]["service"]
    assert service["image"] == {"registry_type": "GHCR", "registry": "acme", "repository": "api", "tag": "1.2"}
    assert "github" not in service


def test_needs_a_source(harness):
    with pytest.raises(ValueError, match="needs an image or a GitHub repo"):
        AppPlatformService(harness.stack, "api", name="site-api", config=AppPlatformConfig())


def test_secret_values_are_fingerprinted_as_live_references(harness):
    AppPlatformService(
        harness.stack, "web", name="site-web", repo="acme/site", config=AppPlatformConfig(),
        env=[EnvValue("PUBLIC_URL", "https://site.com", False), EnvValue("DATABASE_URL", "${x.uri}", True),
             EnvValue("MEDIA", 'https://${y.domain}/"a\\b"', True)],
    )
    (fingerprint,) = harness.resources("terraform_data")
    assert fingerprint["input"]["app"] == "digitalocean_app.web_app"
    # references stay live (cdktf's Fn would have escaped them to `$${…}` and hashed their text);
    # the public value is not part of it
    assert fingerprint["input"]["fingerprint"] == (
        '${sha256(join("\\n", ["${x.uri}", "https://${y.domain}/\\"a\\\\b\\""]))}')


def test_no_fingerprint_without_secrets(harness):
    AppPlatformService(harness.stack, "web", name="site-web", repo="acme/site", config=AppPlatformConfig(), env=[EnvValue("A", "b", False)])
    assert harness.resources("terraform_data") == []
