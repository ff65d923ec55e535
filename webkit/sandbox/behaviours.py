"""How a simulated cloud API behaves where it is unusual, per Terraform type: the registry names a
type's behaviour ("module:Class", `TerraformType.simulator`), so a plugin's type can bring its own.
A type without one behaves as a plain API: what was stored is read back, every update is accepted."""

from __future__ import annotations

import functools
import hashlib
import importlib
import re

from .schemas import BY_LOCAL, served_types


class Behaviour:
    def created(self, planned: dict) -> dict:
        """The new resource with what the API makes for it beyond the plain computed values."""
        return planned

    def read(self, stored: dict) -> dict:
        """The resource as the API returns it."""
        return stored

    def refuse_update(self, current: dict, planned: dict) -> tuple[str, str] | None:
        """(summary, detail) of the API's error when it refuses this update, else None."""
        return None


class AppPlatform(Behaviour):
    def read(self, stored: dict) -> dict:
        return encrypt_secret_env(stored)


class Droplet(Behaviour):
    def refuse_update(self, current: dict, planned: dict) -> tuple[str, str] | None:
        # the real provider resizes in place (power off, resize, power on); the API refuses a smaller disk
        if not shrinks(current.get("size"), planned.get("size")):
            return None
        return ("Error resizing droplet", f"the API refused to resize {current.get('name')} from {current.get('size')} "
                f"to {planned.get('size')}: a droplet's disk cannot shrink")


class PrivateKey(Behaviour):
    """hashicorp/tls's `tls_private_key`: a real key pair (ED25519, the one algorithm webkit asks for)."""

    def created(self, planned: dict) -> dict:
        from .keys import ed25519_attributes  # cryptography: only where keys are made

        if planned.get("algorithm") != "ED25519":
            raise ValueError(f"the simulated tls_private_key makes ED25519 keys only, not {planned.get('algorithm')}")
        return {**planned, **ed25519_attributes()}


@functools.cache
def behaviour(type_name: str) -> Behaviour:
    """The behaviour the registry names for `type_name` (served by one of the simulated providers)."""
    local = type_name.removeprefix("data.").split("_", 1)[0]
    described = served_types(BY_LOCAL[local].name).get(type_name) if local in BY_LOCAL else None
    if described is None or not described.simulator:
        return Behaviour()
    module, _, name = described.simulator.partition(":")
    return getattr(importlib.import_module(module), name)()


def encrypt_secret_env(value):
    """App Platform as DigitalOcean runs it: a SECRET env value is read back encrypted (EV[…]), so
    every refresh differs from the configuration (digitalocean provider issue 1603)."""
    if isinstance(value, list):
        return [encrypt_secret_env(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: encrypt_secret_env(v) for k, v in value.items()}
    if out.get("type") == "SECRET" and isinstance(out.get("value"), str) and not out["value"].startswith("EV["):
        out["value"] = "EV[1:" + hashlib.sha256(out["value"].encode()).hexdigest()[:32] + "]"
    return out


_MEMORY = re.compile(r"(\d+)(gb|mb)\b")


def _memory_mb(size: str | None) -> int | None:
    match = _MEMORY.search(str(size or ""))
    return int(match.group(1)) * (1024 if match.group(2) == "gb" else 1) if match else None


def shrinks(old: str | None, new: str | None) -> bool:
    """A droplet resize to less memory (and disk): DigitalOcean cannot shrink a disk in place."""
    before, after = _memory_mb(old), _memory_mb(new)
    return before is not None and after is not None and after < before
