"""The plan as the comment shows it: typed, built once by `summary.summarize`, never changed after.

Rendering is a function of a Summary: it reads these objects and writes nothing into them (a new
Summary with Terraform's warnings is `with_warnings`). The plan's own JSON values (`change`, `raw`)
stay plain dicts and lists, as Terraform wrote them; nothing here or above writes into them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .masks import Masks

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
CHANGE_KINDS = ("add", "change", "destroy", "replace", "import", "move", "forget", "read")

Row = tuple[str, str, str]  # (attribute or key, before, after), as shown


class PlanError(ValueError):
    """The input is not a Terraform JSON plan; the message says why."""


@dataclass(frozen=True)
class ResourceChange:
    """One changed resource: what is shown comes from `change` (masked), what differs from `raw`
    (the change as Terraform wrote it)."""

    address: str
    type: str
    actions: list[str]
    kinds: list[str]  # in Terraform's convention: add, change, destroy, replace, import, move, forget, read
    action_reason: str | None
    replace_paths: list
    previous_address: str | None
    importing: dict | None
    deposed: str | None
    noise: bool  # known provider noise: shown, labelled, never counted as risk
    consequences: tuple[str, ...]  # what the provider really does with it, in words
    change: dict[str, Any]
    raw: dict[str, Any]


@dataclass(frozen=True)
class OutputChange:
    name: str
    actions: list[str]
    change: dict[str, Any]  # masked
    raw: dict[str, Any]


@dataclass(frozen=True)
class Drift:
    """A resource changed outside Terraform."""

    address: str
    actions: list[str]
    change: dict[str, Any]  # masked
    raw: dict[str, Any]
    noise: bool


@dataclass(frozen=True)
class FailedCheck:
    address: str
    status: str  # fail or error
    problems: list[str]


@dataclass(frozen=True)
class PlanWarning:
    """One of Terraform's warnings: its summary line and the lines under it."""

    summary: str
    detail: tuple[str, ...]


@dataclass(frozen=True)
class Risk:
    """`level` from the worst single change; `score` sums them, only to order plans (the JSON view)."""

    score: int
    level: str  # low, medium, high, critical
    reasons: list[str]


@dataclass(frozen=True)
class Summary:
    environment: str | None
    masks: Masks  # this plan's secrets and the user's masks: every escaping point applies them
    errored: bool
    counts: Mapping[str, int]  # CHANGE_KINDS → how many, as Terraform counts them
    risk: Risk
    checks: list[FailedCheck]
    warnings: tuple[PlanWarning, ...]
    resources: list[ResourceChange]
    outputs: list[OutputChange]
    drift: list[Drift]
    configuration: dict[str, Any]  # masked
    cost: Any  # do_cost.PlanCost (loaded beside the package), or None

    def with_warnings(self, warnings: tuple[PlanWarning, ...] | list[PlanWarning]) -> Summary:
        """The same plan with Terraform's warnings (they come from its log, not from the plan)."""
        return dataclasses.replace(self, warnings=tuple(warnings))
