"""JSON Schema for app.json, generated from the models (never written by hand)."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .catalog import INFRA_TYPE_ALIASES, kinds
from .models import Manifest

SCHEMA_ID = "https://webkit.dev/schema/app.schema.json"


def manifest_schema() -> dict:
    """The Manifest schema, with each `config` block typed by its (provider, type)."""
    configs = sorted({k.config for k in kinds().values()}, key=lambda c: c.__name__)
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [(Manifest, "validation"), *((c, "validation") for c in configs)]
    _, defs = models_json_schema(models, by_alias=True)
    defs = defs["$defs"]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **defs.pop("Manifest"),
        "title": "webkit app.json",
        "$defs": defs,
    }
    for (provider, type_), kind in sorted(kinds().items()):
        types = [type_] + [alias for alias, target in INFRA_TYPE_ALIASES.items() if target == type_]
        rule = {
            "if": {"properties": {"provider": {"const": provider}, "type": {"enum": types}}, "required": ["provider", "type"]},
            "then": {"properties": {"config": {"$ref": f"#/$defs/{kind.config.__name__}"}}},
        }
        defs["Resource" if kind.category == "resource" else "Infra"].setdefault("allOf", []).append(rule)
    return schema


def schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False) + "\n"
