"""A Droplet for a VM app: the machine, its keys, its two firewalls, an optional reserved IP.

Terraform makes the droplet's SSH host key and a deploy key (hashicorp/tls); first-boot user data
(constructs_lib/cloud_config.py) installs both, so the deploy job can pin the host and log in as
`deploy`. Nothing of the app's env reaches user data or Terraform: the deploy job reads the
outputs below and sends the env to the machine itself (design/vm-apps.md).
"""

from __future__ import annotations

import hashlib
import re

from constructs_lib import cloud_config
from constructs_lib.compat import Construct, Scope, TerraformResourceLifecycle, Token, digitalocean, ref, tls
from constructs_lib.env import EnvValue
from webkit.registry.digitalocean import DROPLET, DropletConfig

_droplet = digitalocean("droplet")
_firewall = digitalocean("firewall")
_reserved_ip = digitalocean("reserved_ip")
_ssh_key = digitalocean("data_digitalocean_ssh_key")
_private_key = tls("private_key")

_FINGERPRINT = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){15}")
_ANYWHERE = ["0.0.0.0/0", "::/0"]


def _ssh_key_id(name: str) -> str:
    """The lookup's construct id: the name when it is a plain word (`ssh_key_deploy`), else the
    name made safe plus a hash of it, so `a b` and `a_b` never meet. (A data source's address
    can change freely: nothing of it is in the state to destroy.)"""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return f"ssh_key_{name}"
    return f"ssh_key_{re.sub(r'[^A-Za-z0-9_-]', '_', name)[:40]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


class Droplet(Construct):
    """A VM app: changing its env or user data updates outputs, never replaces the machine."""

    def __init__(
        self,
        scope: Scope,
        id: str,
        *,
        name: str,
        config: DropletConfig,
        tags: list[str] | None = None,
        env: list[EnvValue] | None = None,
    ):
        """`config`: the validated `vm` config of app.json; `tags` (the stack's) come before its own;
        `env`: the app's env in this environment (user secrets by their source, never their value)."""
        super().__init__(scope, id)
        self.env = list(env or [])
        tags = [*(tags or []), *(t for t in config.tags if t not in (tags or []))]
        # Replacing either key breaks deploys (the droplet keeps the keys of its first boot): their
        # arguments are fixed here, no app.json setting reaches them (tests/test_changes.py).
        self.host_key = _private_key.PrivateKey(self, "host_key", algorithm="ED25519")
        self.deploy_key = _private_key.PrivateKey(self, "deploy_key", algorithm="ED25519")
        keys = cloud_config.FirstBootKeys(
            host_private_key=cloud_config.Expression(self._key("host_key", "private_key_openssh")),
            host_public_key=cloud_config.Expression(self._key("host_key", "public_key_openssh")),
            deploy_public_key=cloud_config.Expression(self._key("deploy_key", "public_key_openssh")),
        )
        self.droplet = _droplet.Droplet(
            self, "droplet", name=name, region=config.region, size=config.size, image=config.image, monitoring=config.monitoring,
            backups=config.backups, ssh_keys=[self._ssh_key(k) for k in dict.fromkeys(config.ssh_keys)] or None, tags=tags or None,
            user_data=cloud_config.user_data(keys),
            # user_data and ssh_keys only matter at first boot; the provider would replace the droplet.
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(DROPLET.ignore_changes)),
        )
        droplet_ids = [Token.as_number(ref(self.droplet, "id"))]
        outbound = [
            _firewall.FirewallOutboundRule(protocol="tcp", port_range="1-65535", destination_addresses=_ANYWHERE),
            _firewall.FirewallOutboundRule(protocol="udp", port_range="1-65535", destination_addresses=_ANYWHERE),
            _firewall.FirewallOutboundRule(protocol="icmp", destination_addresses=_ANYWHERE),
        ]
        self.firewall = _firewall.Firewall(
            self, "firewall", name=name, droplet_ids=droplet_ids,
            inbound_rule=[
                # Port 22 opens for a deploy (the deploy firewall below) or to fixed ssh_sources; an
                # empty list admits nobody (closed by default, never open by omission).
                *([_firewall.FirewallInboundRule(protocol="tcp", port_range="22", source_addresses=config.ssh_sources)]
                  if config.ssh_sources else []),
                _firewall.FirewallInboundRule(protocol="tcp", port_range="80", source_addresses=_ANYWHERE),
                _firewall.FirewallInboundRule(protocol="tcp", port_range="443", source_addresses=_ANYWHERE),
            ],
            outbound_rule=outbound,
        )
        # The deploy job adds a rule for its runner to this firewall and removes it afterwards. Terraform
        # ignores its inbound rules; any other change to it is a full PUT that would drop an open
        # window's rule, so nothing else of it may vary (DigitalOcean refuses a firewall with no rules:
        # it carries the outbound ones).
        self.deploy_firewall = _firewall.Firewall(
            self, "deploy_firewall", name=f"{name}-deploy", droplet_ids=droplet_ids, outbound_rule=outbound,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["inbound_rule"]),
        )
        self.reserved_ip = (
            _reserved_ip.ReservedIp(self, "reserved_ip", region=config.region, droplet_id=droplet_ids[0]) if config.reserved_ip else None
        )

    def _key(self, key: str, attribute: str) -> str:
        """A key's attribute as a Terraform expression (no `${}`), for user data."""
        return ref(getattr(self, key), attribute)[2:-1]

    def _ssh_key(self, key: str) -> str:
        """Fingerprints and numeric ids are used as they are; a name is looked up in the account."""
        if _FINGERPRINT.fullmatch(key) or key.isdigit():
            return key
        lookup = _ssh_key.DataDigitaloceanSshKey(self, _ssh_key_id(key), name=key)
        return ref(lookup, "id")

    @property
    def urn(self) -> str:
        return ref(self.droplet, "urn")

    @property
    def ipv4_address(self) -> str:
        return ref(self.reserved_ip, "ip_address") if self.reserved_ip else ref(self.droplet, "ipv4_address")

    def database_firewall_rule(self) -> dict:
        return {"type": "droplet", "value": ref(self.droplet, "id")}

    def _env(self, secret: bool) -> dict[str, str]:
        """Key → value of the env the deploy job reads from Terraform: literal values and resource
        references, which Terraform fills in; the secret ones (a database URL) or the others."""
        return {item.key: item.value for item in self.env if not item.source and item.secret == secret}

    def _env_secret_sources(self) -> list[dict[str, str]]:
        """Each user secret's key and where the deploy job reads it: names only, never a value."""
        return [{"key": item.key, **item.source} for item in self.env if item.source]

    def outputs(self) -> dict[str, tuple[object, bool]]:
        """Stack outputs: name → (value, sensitive), what the deploy job reads. The env is split so
        that plain values stay readable in a plan: a sensitive output hides (and its values mask)
        everything in it."""
        return {
            "ipv4_address": (self.ipv4_address, False),
            "ssh_host_key": (f"${{trimspace({self._key('host_key', 'public_key_openssh')})}}", False),
            "deploy_key": (ref(self.deploy_key, "private_key_openssh"), True),
            "deploy_firewall_id": (ref(self.deploy_firewall, "id"), False),  # the deploy job opens its window there
            "env_values": (self._env(secret=False), False),
            "env_sensitive_values": (self._env(secret=True), True),
            "env_secret_sources": (self._env_secret_sources(), False),
        }
