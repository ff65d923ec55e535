"""The two string syntaxes inside env vars: resource references and secret sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from webkit.shapes import NAME, REPO_PATH

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONG_REF = re.compile(r"resource:(?P<resource>[^:.\s]+):(?P<output>[^:.\s]+)")
_SHORT_REF = re.compile(rf"(?P<resource>{NAME})\.(?P<output>[a-z_][a-z0-9_]*)")
_SOPS = re.compile(r"sops:(?P<file>[^:]+):/(?P<key>.+)")
_GITHUB = re.compile(r"github-secrets:(?P<key>.+)")


@dataclass(frozen=True)
class Reference:
    resource: str
    output: str

    def __str__(self) -> str:
        return f"{self.resource}.{self.output}"


def parse_reference(text: str) -> Reference | None:
    """`resource:db:connection_url` and `db.connection_url` both name output connection_url of db."""
    match = _LONG_REF.fullmatch(text) or _SHORT_REF.fullmatch(text)
    return Reference(match["resource"], match["output"]) if match else None


@dataclass(frozen=True)
class Secret:
    source: Literal["github", "sops"]
    key: str
    file: str | None = None

    @property
    def variable(self) -> str:
        """Terraform variable name; filled in CI as TF_VAR_<variable>."""
        if self.source == "github":
            return f"github_{self.key}"
        slug = re.sub(r"[^A-Za-z0-9]+", "_", self.file or "").strip("_")
        return f"sops_{slug}_{self.key}"

    @property
    def value(self) -> str:
        """The spec's `value`: the secret's name, with its file for sops."""
        return self.key if self.source == "github" else f"{self.file}:/{self.key}"


def parse_secret(text: str) -> Secret | str:
    """A Secret, or a sentence saying what is wrong with `text`."""
    if match := _GITHUB.fullmatch(text):
        key = match["key"]
        if not IDENTIFIER.fullmatch(key):
            return f"GitHub secret name '{key}' may hold only letters, digits and underscores"
        if key.upper().startswith("GITHUB_"):
            return f"GitHub secret names cannot start with GITHUB_ ('{key}')"
        return Secret("github", key)
    if match := _SOPS.fullmatch(text):
        file, key = match["file"], match["key"]
        if not re.fullmatch(REPO_PATH, file):
            return (f"sops file '{file}' must be a relative path inside the repository (letters, digits, "
                    "'_', '.', '-' and '/'; no '..', no leading '-' or '/')")
        if not IDENTIFIER.fullmatch(key):
            return f"sops key '{key}' must be a top-level key (letters, digits, underscores)"
        return Secret("sops", key, file)
    return "expected sops:<file>:/<KEY> or github-secrets:<KEY>"
