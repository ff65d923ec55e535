"""Provider schemas for the simulated providers, derived rather than remembered.

DigitalOcean: read from the jsii assembly inside `cdktf-cdktf-provider-digitalocean`, which cdktf
generated from the real provider's schema (2.71.0): each resource's `<X>Config` struct gives the
arguments (required or optional, their types, nested blocks), the resource class's getters
without an `…Input` twin give the computed attributes. Two facts the bindings do not carry are
table: which attributes are sensitive and which force a replacement, read from the provider's
source at 2.71.0 (workflows/provider_facts.json, which the plan comment reads too).

Backblaze B2 has no bindings: its schema is written from the provider's documentation for
Backblaze/b2 0.10 (registry.terraform.io/providers/Backblaze/b2/latest/docs), attributes webkit
does not use included so that a typo in a hand-written binding still fails.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from webkit.provider_facts import REPLACE_ON, SENSITIVE
from webkit.registry import PROVIDERS, served_types

# Each provider by its local name in the stack ("digitalocean", "b2"), as Terraform starts it.
BY_LOCAL = {p.local: p for p in PROVIDERS.values()}
FULL_NAMES = {local: p.full_name for local, p in BY_LOCAL.items()}
VERSIONS = {local: p.version for local, p in BY_LOCAL.items()}


@dataclass
class Attr:
    name: str
    type: object  # "string" | "number" | "bool" | ("list"|"set"|"map", element)
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    replace: bool = False


@dataclass
class Block:
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: dict[str, NestedBlock] = field(default_factory=dict)


@dataclass
class NestedBlock:
    name: str
    block: Block
    max_items: int | None = None  # 1 for a struct-typed argument


@dataclass
class TypeSchema:
    name: str
    block: Block


# --------------------------------------------------------------------------- DigitalOcean


# The prebuilt bindings each provider's schema is read from, by its local name.
BINDINGS = {"digitalocean": "cdktf_cdktf_provider_digitalocean", "tls": "cdktf_cdktf_provider_tls"}


@functools.cache
def _assembly(package: str) -> dict:
    from constructs_lib.kernel import assembly_types  # the one reader of the bindings' internals

    return assembly_types(package)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _tf_name(prop: dict) -> str:
    """The Terraform attribute name, from the binding's link to the registry docs."""
    match = re.search(r"#(\w+) \w+#\1\}", prop.get("docs", {}).get("remarks", ""))
    return match.group(1) if match else _snake(prop["name"])


def _strip_resolvable(type_ref: dict) -> dict:
    if "union" in type_ref:
        kinds = [t for t in type_ref["union"]["types"] if t.get("fqn") != "cdktf.IResolvable"]
        return kinds[0] if len(kinds) == 1 else type_ref
    return type_ref


_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool"}


def _struct_block(fqn: str, types: dict) -> Block:
    block = Block()
    for prop in types[fqn].get("properties", []):
        _add_argument(block, prop, types)
    return block


def _add_argument(block: Block, prop: dict, types: dict) -> None:
    name = _tf_name(prop)
    ref = _strip_resolvable(prop["type"])
    optional = bool(prop.get("optional"))
    if "primitive" in ref:
        block.attrs[name] = Attr(name, _PRIMITIVES.get(ref["primitive"], "string"), required=not optional, optional=optional)
    elif "collection" in ref:
        kind, element = ref["collection"]["kind"], ref["collection"]["elementtype"]
        if "fqn" in element and element["fqn"].startswith("@cdktf/"):
            block.blocks[name] = NestedBlock(name, _struct_block(element["fqn"], types))
        else:
            inner = _PRIMITIVES.get(element.get("primitive"), "string")
            block.attrs[name] = Attr(name, ("map" if kind == "map" else "list", inner), required=not optional, optional=optional)
    elif ref.get("fqn", "").startswith("@cdktf/"):
        block.blocks[name] = NestedBlock(name, _struct_block(ref["fqn"], types), max_items=1)


@functools.cache
def _classes(package: str) -> dict[str, str]:
    """Terraform type name → binding class fqn, for resources and data sources. Read once per
    process: it walks every type of the assembly, and a provider is asked for each type in turn."""
    out = {}
    for fqn, described in _assembly(package).items():
        summary = described.get("docs", {}).get("summary", "")
        match = re.match(r"Represents a \{@link \S+/docs/(resources|data-sources)/\w+ (\w+)\}", summary)
        if described.get("kind") == "class" and match:
            out[("data." if match.group(1) == "data-sources" else "") + match.group(2)] = fqn
    return out


def binding_schema(type_name: str) -> TypeSchema:
    """From a provider's prebuilt binding: `type_name` is `digitalocean_droplet`, or
    `data.digitalocean_ssh_key` for a data source."""
    package = BINDINGS[type_name.removeprefix("data.").split("_", 1)[0]]
    types = _assembly(package)
    fqn = _classes(package)[type_name]
    bare = type_name.removeprefix("data.")
    block = _struct_block(fqn + "Config", types)
    for name in ("id",):
        if name in block.attrs:
            block.attrs[name].computed = True
    config_names = {p["name"] for p in types[fqn + "Config"].get("properties", [])}
    getters = {p["name"]: p for p in types[fqn].get("properties", []) if not p.get("static")}
    for js_name, prop in getters.items():
        if js_name in config_names or js_name.endswith("Input") or f"{js_name}Input" in getters or js_name == "tfResourceType":
            continue
        ref = _strip_resolvable(prop["type"])
        kind: object  # a primitive's name, or (collection, element)
        if "primitive" in ref:
            kind = _PRIMITIVES.get(ref["primitive"], "string")
        elif ref.get("fqn") == "cdktf.IResolvable":
            kind = "bool"
        elif ref.get("fqn") == "cdktf.StringMap":
            kind = ("map", "string")
        elif "collection" in ref and "primitive" in ref["collection"]["elementtype"]:
            kind = ("list", _PRIMITIVES.get(ref["collection"]["elementtype"]["primitive"], "string"))
        else:
            continue  # computed nested objects: webkit reads none of them
        name = _snake(js_name)
        block.attrs[name] = Attr(name, kind, computed=True)
    if "id" not in block.attrs:
        block.attrs["id"] = Attr("id", "string", optional=True, computed=True)
    for name in SENSITIVE.get(bare, ()):
        if name in block.attrs:
            block.attrs[name].sensitive = True
    for name in REPLACE_ON.get(bare, ()):
        if name in block.attrs:
            block.attrs[name].replace = True
    return TypeSchema(type_name, block)


# --------------------------------------------------------------------------- Backblaze B2


def _attrs(*items: Attr) -> dict[str, Attr]:
    return {a.name: a for a in items}


def b2_schema(type_name: str) -> TypeSchema:
    s, n = "string", "number"
    if type_name == "b2_bucket":
        lifecycle = Block(_attrs(
            Attr("file_name_prefix", s, required=True),
            Attr("days_from_hiding_to_deleting", n, optional=True),
            Attr("days_from_uploading_to_hiding", n, optional=True),
        ))
        cors = Block(_attrs(
            Attr("cors_rule_name", s, required=True), Attr("allowed_origins", ("list", s), required=True),
            Attr("allowed_operations", ("list", s), required=True), Attr("max_age_seconds", n, required=True),
            Attr("allowed_headers", ("list", s), optional=True), Attr("expose_headers", ("list", s), optional=True),
        ))
        block = Block(
            _attrs(
                Attr("bucket_name", s, required=True), Attr("bucket_type", s, required=True),
                Attr("bucket_info", ("map", s), optional=True), Attr("id", s, optional=True, computed=True),
                Attr("account_id", s, computed=True), Attr("bucket_id", s, computed=True),
                Attr("options", ("list", s), computed=True), Attr("revision", n, computed=True),
            ),
            {"lifecycle_rules": NestedBlock("lifecycle_rules", lifecycle), "cors_rules": NestedBlock("cors_rules", cors)},
        )
    elif type_name == "b2_application_key":
        block = Block(_attrs(
            Attr("key_name", s, required=True), Attr("capabilities", ("list", s), required=True),
            Attr("bucket_id", s, optional=True), Attr("name_prefix", s, optional=True),
            Attr("id", s, optional=True, computed=True), Attr("application_key", s, computed=True),
            Attr("application_key_id", s, computed=True), Attr("options", ("list", s), computed=True),
        ))
    elif type_name == "data.b2_account_info":
        block = Block(_attrs(
            Attr("id", s, optional=True, computed=True), Attr("account_auth_token", s, computed=True),
            Attr("account_id", s, computed=True), Attr("api_url", s, computed=True),
            Attr("download_url", s, computed=True), Attr("s3_api_url", s, computed=True),
        ))
    else:
        raise KeyError(type_name)
    bare = type_name.removeprefix("data.")
    for name in SENSITIVE.get(bare, ()):
        block.attrs[name].sensitive = True
    for name in REPLACE_ON.get(bare, ()):
        block.attrs[name].replace = True
    return TypeSchema(type_name, block)


def types_served(local: str) -> tuple[str, ...]:
    """The types a simulated provider offers: every one the registry's kinds (plugins' too) emit."""
    return tuple(sorted(served_types(BY_LOCAL[local].name)))


def schema_for(type_name: str) -> TypeSchema:
    return b2_schema(type_name) if type_name.removeprefix("data.").startswith("b2_") else binding_schema(type_name)
