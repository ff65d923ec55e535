import json

from tests.conftest import EXAMPLE, plan_example
from tests.stacks.conftest import synth


def resource(stack: dict, type_: str, name: str) -> dict:
    return stack["resource"][type_][name]


def test_the_plans_example_synthesises_its_database_and_droplet():
    stack = synth(plan_example())["production"]
    cluster = resource(stack, "digitalocean_database_cluster", "db_cluster")
    assert {k: cluster[k] for k in ("name", "size", "version", "region", "engine")} == {
        "name": "my-website-db", "size": "db-s-1vcpu-1gb", "version": "17", "region": "nyc3", "engine": "pg",
    }
    droplet = resource(stack, "digitalocean_droplet", "cms_droplet")
    assert (droplet["name"], droplet["size"], droplet["region"]) == ("my-website-cms", "s-2vcpu-4gb", "nyc3")
    # DATABASE_URL reaches the deploy job as a reference to the database, resolved by Terraform.
    env = stack["output"]["cms_env_sensitive_values"]
    assert env["sensitive"] is True
    assert env["value"] == {"DATABASE_URL": "${digitalocean_database_connection_pool.db_pool.uri}"}
    assert stack["output"]["cms_env_values"] == {
        "value": {}, "sensitive": False, "description": "Env values the deploy job sends, as an object. Secret keys: none."}
    # ...and the database admits that droplet.
    rules = resource(stack, "digitalocean_database_firewall", "db_firewall")["rule"]
    assert rules == [{"type": "droplet", "value": "${digitalocean_droplet.cms_droplet.id}"}]


def test_app_platform_env_types(two_envs):
    (service,) = resource(two_envs["production"], "digitalocean_app", "web_app")["spec"]["service"]
    assert [(e["key"], e["type"], e["value"]) for e in service["env"]] == [
        ("PUBLIC_ASSETS_URL", "GENERAL", "https://${digitalocean_spaces_bucket.assets_bucket.bucket_domain_name}"),
        ("STRIPE_KEY", "SECRET", "${var.github_STRIPE_KEY}"),
        ("PUBLIC_SHOP_NAME", "GENERAL", "Acme Shop"),
    ]
    assert service["image"]["repository"] == "shop-web" and "github" not in service


def test_buckets_with_their_keys(two_envs):
    prod = two_envs["production"]
    assert resource(prod, "digitalocean_spaces_bucket", "assets_bucket")["name"] == "shop-assets"
    assert resource(prod, "digitalocean_spaces_key", "assets_key")["grant"][0]["bucket"] == (
        "${digitalocean_spaces_bucket.assets_bucket.name}"
    )
    assert resource(prod, "b2_bucket", "backups_bucket")["bucket_name"] == "shop-backups"
    assert resource(prod, "b2_application_key", "backups_key")["bucket_id"] == "${b2_bucket.backups_bucket.bucket_id}"
    assert set(prod["provider"]) == {"digitalocean", "b2", "tls"}, "tls: the VM app's keys"


def test_b2_and_tls_providers_only_when_used():
    assert set(synth(plan_example())["production"]["provider"]) == {"digitalocean", "tls"}, "tls: the VM app's keys"
    manifest = plan_example()
    manifest["apps"] = [{"name": "web", "type": "sveltekit", "path": "web",
                         "infra": {"provider": "digitalocean", "type": "app", "config": {"image": {"repository": "web"}}}}]
    assert set(synth(manifest)["production"]["provider"]) == {"digitalocean"}, "no VM app, no keys, no tls"


def test_staging_names_and_state_differ_from_production(two_envs):
    prod, staging = two_envs["production"], two_envs["staging"]
    assert resource(prod, "digitalocean_database_cluster", "db_cluster")["name"] == "shop-db"
    assert resource(staging, "digitalocean_database_cluster", "db_cluster")["name"] == "shop-staging-db"
    assert resource(staging, "digitalocean_app", "web_app")["spec"]["name"] == "shop-staging-web"
    assert prod["terraform"]["backend"]["s3"]["key"] == "projects/shop/production/terraform.tfstate"
    assert staging["terraform"]["backend"]["s3"]["key"] == "projects/shop/staging/terraform.tfstate"
    assert resource(staging, "digitalocean_project", "project")["environment"] == "Staging"


def test_each_environment_gets_only_its_own_env_and_secrets(two_envs):
    staging = two_envs["staging"]
    assert set(staging["variable"]) == {"github_STRIPE_TEST_KEY"}
    # the VM app's sops secret is no Terraform variable: its deploy job reads it (never in state)
    assert set(two_envs["production"]["variable"]) == {"github_STRIPE_KEY"}
    assert two_envs["production"]["output"]["api_env_secret_sources"]["value"] == [
        {"key": "JWT_SECRET", "source": "sops", "name": "JWT_SECRET", "file": "secrets/api.yaml"}]
    assert staging["output"]["api_env_secret_sources"]["value"] == []
    assert staging["output"]["api_env_values"]["value"]["LOG_LEVEL"] == "debug"
    assert "LOG_LEVEL" not in two_envs["production"]["output"]["api_env_values"]["value"]


def test_backend_is_b2_with_every_skip_flag(two_envs):
    backend = two_envs["production"]["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": "acme-terraform-state",
        "key": "projects/shop/production/terraform.tfstate",
        "region": "eu-central-003",
        "endpoints": {"s3": "https://s3.eu-central-003.backblazeb2.com"},
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        "skip_requesting_account_id": True,
        "skip_s3_checksum": True,
    }


def test_outputs_are_declared_ones_sensitive_where_secret_plus_summary(two_envs):
    outputs = two_envs["production"]["output"]
    assert {k: v.get("sensitive") for k, v in outputs.items() if k.startswith("db_")} == {
        "db_connection_url": True, "db_host": False, "db_password": True,
    }
    assert outputs["deployment_summary"]["value"] == {
        "project": "shop", "environment": "production", "resources_count": 3, "apps_count": 2,
    }


def test_depends_on_between_apps(two_envs):
    web = resource(two_envs["production"], "digitalocean_app", "web_app")
    assert "digitalocean_droplet.api_droplet" in web["depends_on"]


def test_project_groups_digitalocean_resources(two_envs):
    resources = resource(two_envs["production"], "digitalocean_project", "project")["resources"]
    assert resources == [
        "${digitalocean_database_cluster.db_cluster.urn}",
        "${digitalocean_spaces_bucket.assets_bucket.urn}",
        "${digitalocean_droplet.api_droplet.urn}",
        "${digitalocean_app.web_app.urn}",
    ]


def test_credentials_never_in_the_json(two_envs):
    for stack in two_envs.values():
        assert stack["provider"]["digitalocean"] == [{}]
        backend = stack["terraform"]["backend"]["s3"]
        assert not {"access_key", "secret_key", "token"} & set(backend)


def test_env_text_that_looks_like_terraform_stays_text():
    """Terraform reads JSON strings as templates: a value's `${` or `%{` would be evaluated."""
    manifest = plan_example()
    manifest["apps"][0]["env"]["production"].append({"key": "GREETING", "type": "value", "value": "costs ${5} %{if}"})
    manifest["project"]["description"] = "Our ${site}"
    stack = synth(manifest)["production"]
    assert stack["output"]["cms_env_values"]["value"]["GREETING"] == "costs $${5} %%{if}"
    assert resource(stack, "digitalocean_project", "project")["description"] == "Our $${site}"


def test_only_secrets_and_secret_outputs_are_app_platform_secrets(example):
    spec = example["production"]["resource"]["digitalocean_app"]["web_app"]["spec"]
    spec = spec[0] if isinstance(spec, list) else spec
    service = spec["service"][0] if isinstance(spec["service"], list) else spec["service"]
    types = {e["key"]: e["type"] for e in service["env"]}
    # a public bucket URL as SECRET would be App Platform noise in every plan for nothing
    assert types == {"SENTRY_DSN": "SECRET", "PUBLIC_SITE_NAME": "GENERAL", "DATABASE_URL": "SECRET",
                     "MEDIA_URL": "GENERAL", "STRIPE_SECRET_KEY": "SECRET"}


def test_each_environments_app_platform_app_builds_from_that_environments_branch(example):
    """Staging's app built and deployed `main` (the config's old default): staging showed what was
    already live instead of what merging into main would ship. The address is unchanged."""
    branches = {env: resource(example[env], "digitalocean_app", "web_app")["spec"]["service"][0]["github"]["branch"]
                for env in ("production", "staging")}
    assert branches == {"production": "main", "staging": "staging"}

    manifest = json.loads((EXAMPLE / "app.json").read_text())
    manifest["branches"] = {"staging": "develop"}
    web = next(a for a in manifest["apps"] if a["name"] == "web")
    stacks = synth(manifest)
    assert resource(stacks["staging"], "digitalocean_app", "web_app")["spec"]["service"][0]["github"]["branch"] == "develop"
    web["infra"]["config"]["branch"] = "release"
    stacks = synth(manifest)
    assert {env: resource(stacks[env], "digitalocean_app", "web_app")["spec"]["service"][0]["github"]["branch"]
            for env in ("production", "staging")} == {"production": "release", "staging": "release"}, "set explicitly, it wins"
