"""Strings with a known shape: region and size slugs, versions, domains, paths, branches, image
references, tags, sops paths. Each is checked here, once, with a message that names the value as
written. A value of such a shape can hold no Terraform template (`${`, `%{`), no GitHub expression,
no shell or YAML syntax: whatever text remains free is escaped where it is written (see
`constructs_lib.env.literal` and `workflows/scripts.write_stack`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema


def _shaped(pattern: str, what: str, max_length: int = 255):
    """A str of this shape; the JSON Schema carries the same pattern for editors."""
    rx = re.compile(pattern)

    def check(value: str) -> str:
        shown = repr(value) if len(value) <= 60 else repr(value[:60]) + "…"
        if not rx.fullmatch(value):
            raise ValueError(f"{shown} is not {what}")
        if len(value) > max_length:
            raise ValueError(f"{shown} is longer than {max_length} characters")
        return value

    schema = {"type": "string", "pattern": f"^(?:{pattern})$", "maxLength": max_length, "description": f"Must be {what}."}
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR range such as 203.0.113.7/32") from None
    return value


_SEGMENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9_.][A-Za-z0-9_.-]*"
REPO_PATH = rf"{_SEGMENT}(?:/{_SEGMENT})*"  # relative, inside the repository: no `..`, no leading `-` or `/`

Region = _shaped(r"[a-z]{3}[0-9]?", "a DigitalOcean region slug such as nyc3", 8)
SizeSlug = _shaped(r"[a-z0-9][a-z0-9.-]*", "a size slug such as s-2vcpu-4gb", 64)
Version = _shaped(r"[0-9]+(?:\.[0-9]+){0,2}", "a version number such as 17", 16)
ImageSlug = _shaped(r"[a-z0-9][a-z0-9._-]*", "an image slug such as ubuntu-24-04-x64", 64)
Tag = _shaped(r"[A-Za-z0-9:_-]+", "a DigitalOcean tag (letters, digits, colons, dashes, underscores)")
_DOMAIN = r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
Domain = _shaped(_DOMAIN, "a domain name such as www.example.com", 253)
_DOMAIN_SCHEMA = {"type": "string", "pattern": f"^(?:{_DOMAIN})$", "maxLength": 253}
# One domain or a list; one is read as a list of one, so an error names the value, not a union member.
Domains = Annotated[
    list[Domain],  # type: ignore[valid-type]  # a shaped str, made at run time
    BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
    WithJsonSchema({"anyOf": [_DOMAIN_SCHEMA, {"type": "array", "items": _DOMAIN_SCHEMA}],
                    "description": "A domain such as www.example.com, or a list (the first is primary)."}),
]
UrlPath = _shaped(r"/[A-Za-z0-9._~!&'()*+,;=:@%/-]*", "an HTTP path starting with / such as /health", 512)
Branch = _shaped(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![/.])", "a git branch name such as main", 200)
RepoPath = _shaped(rf"\.?/?|(?:\./)?{REPO_PATH}/?", "a folder inside the repository such as apps/web", 255)
RegistryName = _shaped(r"[a-z0-9][a-z0-9._-]*", "a registry or account name such as acme", 128)
Repository = _shaped(r"[a-z0-9][a-z0-9._/-]*", "an image repository such as acme/web", 255)
ImageTag = _shaped(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", "an image tag such as v1.2", 128)
Cidr = Annotated[str, AfterValidator(_cidr), WithJsonSchema({"type": "string", "description": "An IP address or CIDR range."})]
Origin = _shaped(r"\*|https?://[A-Za-z0-9.*-]+(?::[0-9]{1,5})?", "an origin such as https://example.com", 255)
Header = _shaped(r"\*|[A-Za-z0-9-]+", "an HTTP header name", 128)
BucketName = _shaped(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "a bucket name (lowercase letters, digits, dots, dashes)", 63)
StateRegion = _shaped(r"[a-z0-9][a-z0-9-]*", "a region such as us-west-000", 32)
HttpsEndpoint = _shaped(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/?", "an https:// endpoint such as https://s3.us-west-000.backblazeb2.com", 255)
NAME = r"[a-z][a-z0-9-]*"  # a project, resource or app name (references use it too)
Name = _shaped(NAME, "a name of lowercase letters, digits and dashes that starts with a letter", 40)
DbIdentifier = _shaped(r"[a-z_][a-z0-9_]*", "a PostgreSQL name of lowercase letters, digits and underscores", 63)
SSHKey = _shaped(r"[^\x00-\x1f\x7f]+", "an SSH key name or fingerprint", 255)
