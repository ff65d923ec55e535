import json

from tests.conftest import EXAMPLE, plan_example
from webkit.manifest import Manifest, load
from webkit.spec import to_spec

# The plan's section 3 output, verbatim, for its input.
PLAN_OUTPUT = {
    "project_name": "my-website",
    "webkit_version": "0.1.0",
    "resources": [
        {
            "name": "db",
            "type": "postgres",
            "provider": "digitalocean",
            "config": {"size": "db-s-1vcpu-1gb", "engine_version": "17", "region": "nyc3"},
            "outputs": ["connection_url", "host", "port"],
        }
    ],
    "apps": [
        {
            "name": "cms",
            "type": "payload",
            "provider": "digitalocean",
            "infrastructure_type": "vm",
            "path": "services/cms",
            "config": {"size": "s-2vcpu-4gb", "region": "nyc3"},
            "environment_variables": {
                "production": [{"key": "DATABASE_URL", "value_type": "resource_reference", "value": "db.connection_url"}]
            },
        }
    ],
}

# What webkit adds to the plan's shape: config defaults, the optional descriptive fields, the
# environments and state it provisions, and the secrets list the workflows fill in.
ADDED = {
    "title": None,
    "description": None,
    "repo": None,
    "environments": ["production"],
    "branches": {"production": "main"},
    "state": {
        "bucket": "webkit-terraform-state",
        "region": "us-west-000",
        "endpoint": "https://s3.us-west-000.backblazeb2.com",
    },
    "secrets": [],
}
ADDED_RESOURCE = {"title": None}
ADDED_RESOURCE_CONFIG = {"node_count": 1, "database": "app", "user": "app", "pool_size": 10}
ADDED_APP = {"title": None, "description": None, "build": None, "deploy": None, "depends_on": []}
ADDED_APP_CONFIG = {
    "image": "ubuntu-24-04-x64", "monitoring": True, "backups": False, "ssh_keys": [],
    "ssh_sources": [], "reserved_ip": False, "tags": [], "domain": None,
}


def test_the_plans_example_becomes_the_plans_output_plus_our_additions():
    spec = json.loads(to_spec(Manifest.model_validate(plan_example()), "0.1.0").to_json())
    expected = json.loads(json.dumps(PLAN_OUTPUT)) | ADDED
    expected["resources"][0] |= ADDED_RESOURCE
    expected["resources"][0]["config"] |= ADDED_RESOURCE_CONFIG
    expected["apps"][0] |= ADDED_APP
    expected["apps"][0]["config"] |= ADDED_APP_CONFIG
    assert spec == expected


def test_both_reference_syntaxes_give_the_same_spec():
    short = plan_example()
    short["apps"][0]["env"]["production"][0]["from"] = "db.connection_url"
    assert to_spec(Manifest.model_validate(short), "0.1.0") == to_spec(Manifest.model_validate(plan_example()), "0.1.0")


def test_env_kinds_shared_merge_and_secrets():
    manifest = plan_example()
    manifest["shared"] = {"env": {"production": [
        {"key": "SENTRY_DSN", "type": "secret", "from": "sops:secrets/shared.yaml:/SENTRY_DSN"},
        {"key": "LOG_LEVEL", "type": "value", "value": "info"},
    ]}}
    manifest["apps"][0]["env"]["production"] += [
        {"key": "LOG_LEVEL", "type": "value", "value": "debug"},
        {"key": "WORKERS", "type": "value", "value": 4},
        {"key": "PAYLOAD_SECRET", "type": "secret", "from": "github-secrets:PAYLOAD_SECRET"},
    ]
    spec = to_spec(Manifest.model_validate(manifest), "0.1.0")
    env = [(v.key, v.value_type, v.value) for v in spec.apps[0].environment_variables["production"]]
    assert env == [
        ("SENTRY_DSN", "sops_secret", "secrets/shared.yaml:/SENTRY_DSN"),
        ("LOG_LEVEL", "static", "debug"),  # the app's own entry wins, in the shared entry's place
        ("DATABASE_URL", "resource_reference", "db.connection_url"),
        ("WORKERS", "static", "4"),
        ("PAYLOAD_SECRET", "github_secret", "PAYLOAD_SECRET"),
    ]
    assert [s.model_dump() for s in spec.secrets] == [
        {"variable": "github_PAYLOAD_SECRET", "source": "github", "key": "PAYLOAD_SECRET", "file": None},
        {"variable": "sops_secrets_shared_yaml_SENTRY_DSN", "source": "sops", "key": "SENTRY_DSN",
         "file": "secrets/shared.yaml"},
    ]


def test_container_becomes_app_and_repo_is_normalised():
    manifest = plan_example()
    manifest["project"]["repo"] = "git@github.com:acme/site.git"
    manifest["apps"][0]["infra"] = {"provider": "digitalocean", "type": "container", "config": {}}
    spec = to_spec(Manifest.model_validate(manifest), "0.1.0")
    assert spec.apps[0].infrastructure_type == "app"
    assert spec.repo == "acme/site"


def test_declared_outputs_are_kept():
    manifest = plan_example()
    manifest["resources"][0]["outputs"] = ["host", "password"]
    assert to_spec(Manifest.model_validate(manifest), "0.1.0").resources[0].outputs == ["host", "password"]


def test_same_manifest_same_bytes():
    manifest, _ = load(EXAMPLE)
    assert to_spec(manifest, "0.1.0").to_json() == to_spec(load(EXAMPLE)[0], "0.1.0").to_json()


def test_default_env_merges_under_each_environment_key_by_key():
    manifest = plan_example()
    manifest["environments"] = ["production", "staging"]
    value = lambda key, text: {"key": key, "type": "value", "value": text}  # noqa: E731
    manifest["shared"] = {"env": {"default": [value("LOG", "info"), value("REGION", "eu")], "staging": [value("LOG", "debug")]}}
    cms = manifest["apps"][0]
    cms["env"] = {"default": [value("A", "app-default"), value("REGION", "app")], "production": [value("A", "prod")],
                  "dev": [value("A", "local"), value("DEV_ONLY", "localhost")]}
    blocks = to_spec(Manifest.model_validate(manifest), "0.1.0").apps[0].environment_variables
    env = {block: {v.key: v.value for v in variables} for block, variables in blocks.items()}
    # shared.default < shared.<env> < app.default < app.<env>; dev takes no default
    assert env["production"] == {"LOG": "info", "REGION": "app", "A": "prod"}
    assert env["staging"] == {"LOG": "debug", "REGION": "app", "A": "app-default"}
    assert env["dev"] == {"A": "local", "DEV_ONLY": "localhost"}
