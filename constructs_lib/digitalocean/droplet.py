"""A Droplet for a VM app: the machine, its firewall, SSH keys, an optional reserved IP."""

from __future__ import annotations

import hashlib
import re

from constructs_lib.compat import Construct, Scope, TerraformResourceLifecycle, Token, digitalocean, ref
from constructs_lib.env import EnvValue, dotenv
from webkit.registry.digitalocean import DROPLET, DropletConfig

_droplet = digitalocean("droplet")
_firewall = digitalocean("firewall")
_reserved_ip = digitalocean("reserved_ip")
_ssh_key = digitalocean("data_digitalocean_ssh_key")

_FINGERPRINT = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){15}")
_ANYWHERE = ["0.0.0.0/0", "::/0"]

# Runs once, on first boot. Later changes are ignored (see lifecycle below), so editing it never
# replaces a running machine; the app's environment reaches the machine through the deploy step.
CLOUD_INIT = """#cloud-config
package_update: true
packages:
  - docker.io
  - docker-compose-v2
runcmd:
  - systemctl enable --now docker
  - mkdir -p /opt/app
"""


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
        user_data: str | None = None,
        env: list[EnvValue] | None = None,
    ):
        """`config`: the validated `vm` config of app.json; `tags` (the stack's) come before its own."""
        super().__init__(scope, id)
        self.env = list(env or [])
        tags = [*(tags or []), *(t for t in config.tags if t not in (tags or []))]
        self.droplet = _droplet.Droplet(
            self, "droplet", name=name, region=config.region, size=config.size, image=config.image, monitoring=config.monitoring,
            backups=config.backups, ssh_keys=[self._ssh_key(k) for k in dict.fromkeys(config.ssh_keys)] or None, tags=tags or None,
            user_data=CLOUD_INIT if user_data is None else user_data,
            # user_data and ssh_keys only matter at first boot; the provider would replace the droplet.
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(DROPLET.ignore_changes)),
        )
        droplet_ids = [Token.as_number(ref(self.droplet, "id"))]
        self.firewall = _firewall.Firewall(
            self, "firewall", name=name, droplet_ids=droplet_ids,
            inbound_rule=[
                # An empty ssh_sources admits nobody to port 22 (closed by default, never open by omission).
                *([_firewall.FirewallInboundRule(protocol="tcp", port_range="22", source_addresses=config.ssh_sources)]
                  if config.ssh_sources else []),
                _firewall.FirewallInboundRule(protocol="tcp", port_range="80", source_addresses=_ANYWHERE),
                _firewall.FirewallInboundRule(protocol="tcp", port_range="443", source_addresses=_ANYWHERE),
            ],
            outbound_rule=[
                _firewall.FirewallOutboundRule(protocol="tcp", port_range="1-65535", destination_addresses=_ANYWHERE),
                _firewall.FirewallOutboundRule(protocol="udp", port_range="1-65535", destination_addresses=_ANYWHERE),
                _firewall.FirewallOutboundRule(protocol="icmp", destination_addresses=_ANYWHERE),
            ],
        )
        self.reserved_ip = (
            _reserved_ip.ReservedIp(self, "reserved_ip", region=config.region, droplet_id=droplet_ids[0]) if config.reserved_ip else None
        )

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

    @property
    def env_file(self) -> str:
        """The app's environment as dotenv text, for the deploy step (secrets included: sensitive)."""
        return dotenv(self.env)

    def database_firewall_rule(self) -> dict:
        return {"type": "droplet", "value": ref(self.droplet, "id")}

    def outputs(self) -> dict[str, tuple[str, bool]]:
        """Stack outputs: name → (value, sensitive)."""
        return {"ipv4_address": (self.ipv4_address, False), "env": (self.env_file, True)}
