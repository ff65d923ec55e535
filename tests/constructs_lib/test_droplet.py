import json

from constructs_lib.compat import TerraformVariable
from constructs_lib.digitalocean import Droplet
from constructs_lib.env import EnvValue, dotenv
from webkit.manifest.catalog import DropletConfig


def vm(size: str = "s", **config) -> DropletConfig:
    """A validated `vm` config, as app.json gives it (its defaults filled in by the model)."""
    return DropletConfig(region="nyc3", size=size, **config)


def test_droplet_defaults_and_first_boot_only_user_data(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm("s-2vcpu-4gb", tags=["mine", "webkit"]), tags=["webkit"])
    (droplet,) = harness.resources("digitalocean_droplet")
    assert droplet["image"] == "ubuntu-24-04-x64" and droplet["monitoring"] is True, "the model's defaults"
    assert droplet["tags"] == ["webkit", "mine"], "the stack's tags first, then the app's own, once"
    assert droplet["user_data"].startswith("#cloud-config")
    # Changing cloud-init or SSH keys must never replace a running machine.
    assert droplet["lifecycle"]["ignore_changes"] == ["user_data", "ssh_keys"]


def test_firewall_opens_ssh_to_configured_sources_and_web_to_all(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm(ssh_sources=["203.0.113.7/32"]))
    (firewall,) = harness.resources("digitalocean_firewall")
    inbound = {rule["port_range"]: rule["source_addresses"] for rule in firewall["inbound_rule"]}
    assert inbound == {"22": ["203.0.113.7/32"], "80": ["0.0.0.0/0", "::/0"], "443": ["0.0.0.0/0", "::/0"]}
    assert {rule["protocol"] for rule in firewall["outbound_rule"]} == {"tcp", "udp", "icmp"}
    assert firewall["droplet_ids"] == ["${digitalocean_droplet.cms_droplet.id}"]


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


def test_env_file_is_dotenv_with_quoted_values_and_references(harness):
    token = TerraformVariable(harness.stack, "token", type="string", sensitive=True).string_value
    cms = Droplet(harness.stack, "cms", name="site-cms", config=vm(),
                  env=[EnvValue("GREETING", 'say "hi"', False), EnvValue("TOKEN", token, True)])
    text = harness.resolve(cms.env_file)
    assert text == 'GREETING="say \\"hi\\""\nTOKEN=${jsonencode(var.token)}\n'
    assert cms.outputs()["env"][1] is True, "the env output is sensitive"


def test_dotenv_of_nothing_is_empty():
    assert dotenv([]) == ""


def test_ssh_key_names_never_share_a_lookup(harness):
    from constructs_lib.digitalocean import Droplet

    Droplet(harness.stack, "api", name="site-api",
            config=vm(ssh_keys=["deploy", "a b", "a_b", "a b", "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"]))
    lookups = json.loads(harness.synth())["data"]["digitalocean_ssh_key"]
    assert sorted(lookup["name"] for lookup in lookups.values()) == ["a b", "a_b", "deploy"]
    assert "api_ssh_key_deploy" in lookups, "a plain name keeps its address"


def test_no_ssh_sources_admits_nobody_to_port_22(harness):
    Droplet(harness.stack, "cms", name="site-cms", config=vm(ssh_sources=[]))
    (firewall,) = json.loads(harness.synth())["resource"]["digitalocean_firewall"].values()
    assert [rule["port_range"] for rule in firewall["inbound_rule"]] == ["80", "443"], "an empty allow-list means nobody"
