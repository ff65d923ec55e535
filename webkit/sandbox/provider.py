"""Simulated `digitalocean/digitalocean` and `Backblaze/b2` providers, for real Terraform offline.

They speak the real plugin protocol (through the `tf` package), offer the schemas of
`schemas.py`, and keep a simulated cloud in a JSON file (WEBKIT_SANDBOX_CLOUD): create, read,
update and delete act on it, computed attributes get plausible values (ids, URNs, IPs, connection
strings), and a resource removed from that file is gone, as drift would be.

    python -m webkit.sandbox.provider digitalocean|b2 [--dev]
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tf import schema as tfs
from tf import types as tft
from tf.gen import tfplugin_pb2 as pb
from tf.iface import DataSource, Provider, Resource
from tf.provider import _decode_state, _encode_state_d
from tf.runner import run_provider
from tf.types import Unknown
from tf.utils import Diagnostics

from webkit.files import read_regular, write_atomic

from . import schemas
from .behaviours import behaviour
from .schemas import FULL_NAMES

CLOUD_LIMIT = 256 * 2**20

# --------------------------------------------------------------------------- schema → tf


class ListBlock(tfs.NestedBlock):
    """A list-nested block (the `tf` package ships set-nested blocks only)."""

    def __init__(self, type_name: str, block: tfs.Block, max_items: int | None = None):
        super().__init__(type_name, tfs.NestMode.Set, block, max_items=max_items)

    def to_pb(self):
        message = super().to_pb()
        message.nesting = pb.Schema.NestedBlock.NestingMode.LIST
        return message

    def encode(self, value: Any) -> Any:
        if value in (None, Unknown):
            return value
        return [_encode_state_d(self._amap(), self._bmap(), v, None) for v in value]

    def decode(self, value: Any) -> Any:
        if value in (None, Unknown):
            return value
        return [_decode_state(Diagnostics(), self._amap(), self._bmap(), v)[1] for v in value]

    def semantically_equal(self, a_decoded, b_decoded) -> bool:
        return a_decoded == b_decoded


def _tf_type(kind) -> tft.TfType:
    if isinstance(kind, tuple):
        container, element = kind
        inner = _tf_type(element)
        return tft.Map(inner) if container == "map" else tft.List(inner)
    return {"string": tft.String(), "number": tft.Number(), "bool": tft.Bool()}[kind]


def _tf_block(block: schemas.Block) -> tuple[list[tfs.Attribute], list[tfs.NestedBlock]]:
    attributes = [
        tfs.Attribute(a.name, _tf_type(a.type), required=a.required, optional=a.optional, computed=a.computed,
                      sensitive=a.sensitive, requires_replace=a.replace)
        for a in block.attrs.values()
    ]
    nested = []
    for nb in block.blocks.values():
        attrs, blocks = _tf_block(nb.block)
        nested.append(ListBlock(nb.name, tfs.Block(attributes=attrs, block_types=blocks), max_items=nb.max_items))
    return attributes, nested


def tf_schema(type_name: str) -> tfs.Schema:
    attributes, blocks = _tf_block(schemas.schema_for(type_name).block)
    return tfs.Schema(version=0, attributes=attributes, block_types=blocks)


# --------------------------------------------------------------------------- the cloud


class Cloud:
    """Resources by type and id in one JSON file, safe across threads and processes."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def open(self):
        """The cloud's data, written back when the block ends. Its files are never followed
        through a link (a checkout may hold .webkit/): the sandbox replaces such links first."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = json.loads(read_regular(self.path, CLOUD_LIMIT, follow=False))
            except FileNotFoundError:
                data = {"counter": 1000, "resources": {}}
            yield data
            write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True), own=True)
        finally:
            os.close(lock)


def _cloud() -> Cloud:
    return Cloud(Path(os.environ.get("WEBKIT_SANDBOX_CLOUD", "sandbox-cloud.json")))


_SIZE = re.compile(r"(\d+)vcpu-(\d+)(gb|mb)")


@dataclass(frozen=True)
class _New:
    """A resource being created, as its computed values are made from it."""

    type_name: str
    state: dict
    serial: int
    token: str  # a hex digest unique to the resource and attribute
    label: str  # its name, as clouds build host names from it

    @property
    def region(self) -> str:
        return self.state.get("region") or "nyc3"


def _id(new: _New) -> str:
    if new.type_name in ("digitalocean_droplet", "digitalocean_reserved_ip"):
        return str(new.serial)
    t = new.token
    return f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:32]}"


def _urn(new: _New) -> str:
    kind = {"digitalocean_database_cluster": "dbaas", "digitalocean_spaces_bucket": "space"}.get(new.type_name, new.type_name.split("_", 1)[1])
    return f"do:{kind}:{new.state.get('id') or new.serial}"


# attribute → its value for a new resource of any type that has it
_COMPUTED = {
    "id": _id,
    "urn": _urn,
    "ipv4_address": lambda n: f"203.0.113.{n.serial % 250 + 1}",
    "ip_address": lambda n: f"203.0.113.{n.serial % 250 + 1}",
    "ipv4_address_private": lambda n: f"10.10.0.{n.serial % 250 + 1}",
    "bucket_domain_name": lambda n: f"{n.label}.{n.region}.digitaloceanspaces.com",
    "endpoint": lambda n: f"{n.region}.digitaloceanspaces.com",
    "live_url": lambda n: f"https://{n.label}-{n.token[:5]}.ondigitalocean.app",
    "default_ingress": lambda n: f"https://{n.label}-{n.token[:5]}.ondigitalocean.app",
    "live_domain": lambda n: f"{n.label}-{n.token[:5]}.ondigitalocean.app",
    **dict.fromkeys(("access_key", "application_key_id", "bucket_id", "account_id"), lambda n: n.token[:20]),
    **dict.fromkeys(("secret_key", "application_key", "account_auth_token"), lambda n: f"sim-secret-{n.token[:32]}"),
    "s3_api_url": lambda n: "https://s3.us-west-004.backblazeb2.com",
    "api_url": lambda n: "https://api004.backblazeb2.com",
    "download_url": lambda n: "https://f004.backblazeb2.com",
    "created_at": lambda n: "2026-01-01T00:00:00Z",
    "updated_at": lambda n: "2026-01-01T00:00:00Z",
    "status": lambda n: "active",
}
_DATABASE = {"host", "private_host", "database", "user", "port", "password", "role", "uri", "private_uri"}


def _database_value(new: _New, name: str, data: dict) -> Any:
    """A database cluster's, user's or pool's connection values, consistent with its cluster."""
    cluster = data["resources"].get("digitalocean_database_cluster", {}).get(str(new.state.get("cluster_id")), {})
    host = cluster.get("host") or f"{new.label}-do-user-0.db.ondigitalocean.com"
    port = 25061 if "pool" in new.type_name else 25060
    if name in ("uri", "private_uri"):
        database = new.state.get("db_name") or cluster.get("database") or "defaultdb"
        user = new.state.get("user") or cluster.get("user") or "doadmin"
        prefix = "private-" if name == "private_uri" else ""
        return f"postgresql://{user}:sim-{new.token[:24]}@{prefix}{host}:{port}/{database}?sslmode=require"
    return {"host": host, "private_host": f"private-{host}", "database": "defaultdb", "user": "doadmin",
            "port": port, "password": f"sim-{new.token[:24]}", "role": "normal"}[name]


def _size_value(name: str, state: dict) -> int | None:
    """A droplet's vcpus, memory (MB) and disk (GB), read from its size slug."""
    match = _SIZE.search(str(state.get("size", "")))
    if match is None:
        return None
    vcpus, amount, unit = int(match.group(1)), int(match.group(2)), match.group(3)
    return {"vcpus": vcpus, "memory": amount * 1024 if unit == "gb" else amount, "disk": 25 * vcpus}[name]


def computed_value(type_name: str, name: str, state: dict, serial: int, data: dict) -> Any:
    """A plausible value for computed attribute `name` of a resource being created."""
    label = str(state.get("name") or state.get("bucket_name") or state.get("key_name") or type_name)
    token = hashlib.sha256(f"{type_name}:{serial}:{name}".encode()).hexdigest()
    new = _New(type_name, state, serial, token, label)
    if type_name.startswith("digitalocean_database") and name in _DATABASE:
        return _database_value(new, name, data)
    if name in ("vcpus", "memory", "disk"):
        return _size_value(name, state)
    made = _COMPUTED.get(name)
    return made(new) if made else None


def _fill(type_name: str, state: dict, data: dict) -> dict:
    """Replace every Unknown at the top level with a computed value (nested ones are known by apply)."""
    attrs = {a.name: a for a in schemas.schema_for(type_name).block.attrs.values()}
    data["counter"] += 1
    serial = data["counter"]
    out = dict(state)
    for key in ("id", *sorted(k for k in out if k != "id")):
        if out.get(key) is Unknown:
            value = computed_value(type_name, key, out, serial, data)
            kind = attrs[key].type if key in attrs else "string"
            out[key] = value if value is not None else _zero(kind)
    return out


def _zero(kind):
    if isinstance(kind, tuple):
        return {} if kind[0] == "map" else []
    return {"string": "", "number": 0, "bool": False}[kind]


def _json_safe(state: dict) -> dict:
    return json.loads(json.dumps(state, default=lambda v: None))


# --------------------------------------------------------------------------- resources


class _Simulated:
    """A resource or data source type of a simulated provider; TYPE is its Terraform name."""

    TYPE = ""

    def __init__(self, provider):
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.TYPE.removeprefix("data.").split("_", 1)[1]

    @classmethod
    def get_schema(cls) -> tfs.Schema:
        return tf_schema(cls.TYPE)


class SimResource(_Simulated, Resource):
    def _store(self, planned: dict) -> dict:
        with _cloud().open() as data:
            state = _fill(self.TYPE, planned, data)
            data["resources"].setdefault(self.TYPE, {})[state["id"]] = _json_safe(state)
        return state

    def create(self, ctx, planned):
        return self._store(behaviour(self.TYPE).created(planned))

    def read(self, ctx, current):
        with _cloud().open() as data:
            stored = data["resources"].get(self.TYPE, {}).get(str(current.get("id")))
        if stored is None:
            return None
        return {**current, **behaviour(self.TYPE).read(stored)}

    def update(self, ctx, current, planned):
        refused = behaviour(self.TYPE).refuse_update(current, planned)
        if refused:
            ctx.diagnostics.add_error(*refused)
            return current
        return self._store(planned)

    def delete(self, ctx, current):
        with _cloud().open() as data:
            data["resources"].get(self.TYPE, {}).pop(str(current.get("id")), None)
        return None


class SimDataSource(_Simulated, DataSource):
    def read(self, ctx, config):
        bare = self.TYPE.removeprefix("data.")
        state = {a: config.get(a) for a in schemas.schema_for(self.TYPE).block.attrs}
        seed = int(hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:6], 16)
        with _cloud().open() as data:
            for key, value in list(state.items()):
                if value is None:
                    generated = computed_value(bare, key, state, seed, data)
                    state[key] = generated if generated is not None else ""
        if bare == "digitalocean_ssh_key":
            state["id"] = str(seed)
        return state


class SimProvider(Provider):
    def __init__(self, short: str, types: tuple[str, ...]):
        self.short, self.types = short, types

    def get_model_prefix(self) -> str:
        return f"{self.short}_"

    def full_name(self) -> str:
        return FULL_NAMES[self.short]

    def get_provider_schema(self, diags) -> tfs.Schema:
        if self.short == "digitalocean":
            names: tuple[str, ...] = ("token", "spaces_access_id", "spaces_secret_key", "api_endpoint", "spaces_endpoint")
            extra = [tfs.Attribute(n, tft.Number(), optional=True) for n in ("http_retry_max", "requests_per_second")]
        else:
            names = ("application_key", "application_key_id", "endpoint")
            extra = []
        attributes = [tfs.Attribute(n, tft.String(), optional=True, sensitive="key" in n or n == "token") for n in names]
        return tfs.Schema(version=0, attributes=attributes + extra)

    def validate_config(self, diags, config):
        pass

    def configure_provider(self, diags, config):
        pass

    def get_resources(self):
        return [type(t, (SimResource,), {"TYPE": t}) for t in self.types if not t.startswith("data.")]

    def get_data_sources(self):
        return [type(t, (SimDataSource,), {"TYPE": t}) for t in self.types if t.startswith("data.")]


def provider(short: str) -> SimProvider:
    return SimProvider(short, schemas.types_served(short))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    run_provider(provider(argv[1]), argv)


if __name__ == "__main__":
    main()
