import json

from constructs_lib import cloud_config
from constructs_lib.compat import TerraformVariable
from constructs_lib.digitalocean import Droplet
from constructs_lib.env import EnvValue
from webkit.manifest.catalog import DropletConfig


def vm(size: str = "s", **config) -> DropletConfig:
    """A validated `vm` config, as app.json gives it (its defaults filled in by the model)."""
    return DropletConfig(region="nyc3", size=size, **config)


def test_droplet_defaults_and_first_boot_only_user_data(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm("s-2vcpu-4gb", tags=["mine", "webkit"]), tags=["webkit"])
    (droplet,) = harness.resources("digitalocean_droplet")
    assert droplet["image"] == "ubuntu-24-04-x64" and droplet["monitoring"] is True, "the model's defaults"
    assert droplet["tags"] == ["webkit", "mine"], "the stack's tags first, then the app's own, once"
    keys = cloud_config.FirstBootKeys(
        host_private_key=cloud_config.Expression("tls_private_key.cms_host_key.private_key_openssh"),
        host_public_key=cloud_config.Expression("tls_private_key.cms_host_key.public_key_openssh"),
        deploy_public_key=cloud_config.Expression("tls_private_key.cms_deploy_key.public_key_openssh"),
    )
    assert droplet["user_data"] == cloud_config.user_data(keys), "the one writer's user data, with the app's own keys"
    assert [key["algorithm"] for key in harness.resources("tls_private_key")] == ["ED25519"] * 2, "a host key and a deploy key"
    # Changing cloud-init or SSH keys must never replace a running machine.
    assert droplet["lifecycle"]["ignore_changes"] == ["user_data", "ssh_keys"]


def test_firewall_opens_ssh_to_configured_sources_and_web_to_all(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm(ssh_sources=["203.0.113.7/32"]))
    firewalls = json.loads(harness.synth())["resource"]["digitalocean_firewall"]
    inbound = {rule["port_range"]: rule["source_addresses"] for rule in firewalls["cms_firewall"]["inbound_rule"]}
    assert inbound == {"22": ["203.0.113.7/32"], "80": ["0.0.0.0/0", "::/0"], "443": ["0.0.0.0/0", "::/0"]}
    for firewall in firewalls.values():
        assert {rule["protocol"] for rule in firewall["outbound_rule"]} == {"tcp", "udp", "icmp"}
        assert firewall["droplet_ids"] == ["${digitalocean_droplet.cms_droplet.id}"]


def test_the_deploy_firewall_has_no_inbound_rules_and_ignores_those_a_deploy_adds(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm())
    deploy = json.loads(harness.synth())["resource"]["digitalocean_firewall"]["cms_deploy_firewall"]
    assert deploy["name"] == "site-cms-deploy"
    assert "inbound_rule" not in deploy, "port 22 opens only while a deploy runs, through the API"
    assert deploy["lifecycle"] == {"ignore_changes": ["inbound_rule"]}, "a plan never removes a deploy's open window"


def test_ssh_keys_by_fingerprint_id_or_name_and_reserved_ip(harness):
    fingerprint = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"
    Droplet(harness.stack, "cms", name="site-cms", config=vm(ssh_keys=[fingerprint, "12345", "ops laptop"], reserved_ip=True))
    synth = json.loads(harness.synth())
    (droplet,) = synth["resource"]["digitalocean_droplet"].values()
    assert droplet["ssh_keys"][:2] == [fingerprint, "12345"]
    # a name that is not a plain word gets a hash in its lookup's address, so "ops laptop" and
    # "ops_laptop" never share one (a data source: its address holds nothing to destroy)
    assert droplet["ssh_keys"][2] == "${data.digitalocean_ssh_key.cms_ssh_key_ops_laptop_7278e0df.id}"
    assert synth["data"]["digitalocean_ssh_key"]["cms_ssh_key_ops_laptop_7278e0df"]["name"] == "ops laptop"
    assert harness.has("digitalocean_reserved_ip", {"region": "nyc3"})


def test_outputs_carry_what_the_deploy_job_needs_and_no_user_secret(harness):
    token = TerraformVariable(harness.stack, "token", type="string", sensitive=True).string_value
    cms = Droplet(harness.stack, "cms", name="site-cms", config=vm(), env=[
        EnvValue("GREETING", 'say "hi" $${x}', False),
        EnvValue("DATABASE_URL", token, True),
        EnvValue("API_KEY", "", True, source={"source": "sops", "name": "API_KEY", "file": "secrets/x.yaml"}),
    ])
    outputs = {name: (harness.resolve(value), sensitive) for name, (value, sensitive) in cms.outputs().items()}
    assert outputs["env_values"] == ({"GREETING": 'say "hi" $${x}'}, False), "values as an object (Terraform text, already escaped)"
    assert outputs["env_sensitive_values"] == ({"DATABASE_URL": "${var.token}"}, True), (
        "a secret resource output apart, so that it never hides (or masks) the plain values in a plan")
    assert outputs["env_secret_sources"] == ([{"key": "API_KEY", "source": "sops", "name": "API_KEY", "file": "secrets/x.yaml"}], False), (
        "a user secret by its source only")
    assert outputs["deploy_key"] == ("${tls_private_key.cms_deploy_key.private_key_openssh}", True)
    assert outputs["ssh_host_key"] == ("${trimspace(tls_private_key.cms_host_key.public_key_openssh)}", False)


def test_ssh_key_names_never_share_a_lookup(harness):
    from constructs_lib.digitalocean import Droplet

    Droplet(harness.stack, "api", name="site-api",
            config=vm(ssh_keys=["deploy", "a b", "a_b", "a b", "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"]))
    lookups = json.loads(harness.synth())["data"]["digitalocean_ssh_key"]
    assert sorted(lookup["name"] for lookup in lookups.values()) == ["a b", "a_b", "deploy"]
    assert "api_ssh_key_deploy" in lookups, "a plain name keeps its address"


def test_no_ssh_sources_admits_nobody_to_port_22(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm())
    firewall = json.loads(harness.synth())["resource"]["digitalocean_firewall"]["cms_firewall"]
    assert [rule["port_range"] for rule in firewall["inbound_rule"]] == ["80", "443"], (
        "by default nobody reaches port 22 but a running deploy (an empty allow-list means nobody)")
