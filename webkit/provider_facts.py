"""What the real providers do, per Terraform type, from the registry (webkit/registry): which
attributes force a replacement and which are sensitive, in the shape the plan comment reads
(workflows/provider_facts.json, generated from the same registry).

Read by the sandbox (its schemas) and by `validate` (what a manifest change will do to a cloud
resource).
"""

from __future__ import annotations

from webkit.registry import facts

FACTS = facts()
SENSITIVE = {name: set(attrs) for name, attrs in FACTS["sensitive"].items()}
REPLACE_ON = {name: set(attrs) for name, attrs in FACTS["force_new"].items()}


def what_happens(resource_type: str, attribute: str) -> str:
    """What the provider does to a `resource_type` when `attribute` changes, in words."""
    if attribute in REPLACE_ON.get(resource_type, ()):
        return "replaced: " + FACTS["replaced"].get(resource_type, "the old one is destroyed and a new one created")
    if attribute in FACTS["never_applied"].get(resource_type, {}):
        return FACTS["never_applied"][resource_type][attribute]
    if attribute in FACTS["in_place"].get(resource_type, {}):
        return FACTS["in_place"][resource_type][attribute]
    return "updated in place"
