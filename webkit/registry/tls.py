"""hashicorp/tls: keys made by Terraform, kept in the state. A VM app's construct uses it for the
droplet's SSH host key and its deploy key (design/vm-apps.md). No manifest item names this provider:
kinds list it in `Kind.providers`. Version: what the prebuilt binding `cdktf-cdktf-provider-tls`
11.0.1 pins (its `TlsProvider` generator metadata); facts read from the provider's source at v4.1.0
(`internal/provider/resource_private_key.go`: every argument is ForceNew, the private key
attributes are Sensitive)."""

from __future__ import annotations

from .model import Provider, TerraformType

PRIVATE_KEY = TerraformType(
    "tls_private_key", force_new=("algorithm", "ecdsa_curve", "rsa_bits"),
    sensitive=("private_key_pem", "private_key_openssh", "private_key_pem_pkcs8"),
    replaced="a new key pair: the droplet keeps the old keys it got at first boot, so deploys to it fail until it is rebuilt",
    simulator="webkit.sandbox.behaviours:PrivateKey",
)

PROVIDER = Provider("tls", "tls", "hashicorp/tls", "4.1.0", "stacks.factories:tls_provider", types=(PRIVATE_KEY,))
