"""Real key pairs for the simulated `hashicorp/tls` provider (`tls_private_key`), made in Python.

The attributes are the provider's (v4) for an ED25519 key, in its formats: OpenSSH and PEM texts
each ending in a newline, fingerprints as `ssh-keygen -l` prints them. The keys are real, so a test
can start sshd with one and log in with the other.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _text(data: bytes) -> str:
    text = data.decode()
    return text if text.endswith("\n") else text + "\n"


def ed25519_attributes() -> dict[str, str]:
    """A new ED25519 key as `tls_private_key` reports it (computed attributes only)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    openssh_public = public.public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH).decode()
    blob = base64.b64decode(openssh_public.split()[1])
    md5 = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return {
        "private_key_openssh": _text(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, ser.NoEncryption())),
        "private_key_pem": _text(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())),
        "private_key_pem_pkcs8": _text(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())),
        "public_key_openssh": openssh_public + "\n",
        "public_key_pem": _text(public.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)),
        "public_key_fingerprint_md5": ":".join(md5[i:i + 2] for i in range(0, 32, 2)),
        "public_key_fingerprint_sha256": "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="),
    }
