"""The one door from the CLI to cdktf: everything behind it starts Node and jsii."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webkit.spec import ProjectSpec


class SynthError(Exception):
    """Synthesis could not run or failed; the message says what to do."""


def prestart() -> None:
    """Start Node and load cdktf into it in the background; call it as soon as a synthesis is
    certain, so that Node boots while app.json is validated."""
    from constructs_lib.kernel import prestart as start

    start()


def synthesize(spec: ProjectSpec, environments: list[str] | None = None) -> dict[str, str]:
    """Terraform JSON text per environment (all environments in one cdktf process)."""
    unknown = sorted(set(environments or []) - set(spec.environments))
    if unknown:
        raise SynthError(f"unknown environment {', '.join(unknown)} (app.json has: {', '.join(spec.environments)})")
    try:
        from stacks.synth import synthesize as run
    except RuntimeError as err:  # constructs_lib.compat.NodeMissingError and jsii start-up failures
        raise SynthError(str(err)) from None
    try:
        return run(spec, environments)
    except Exception as err:  # jsii surfaces construct errors as JSIIError/RuntimeError
        if type(err).__name__ not in ("JSIIError", "RuntimeError", "ValueError"):
            raise
        raise SynthError(f"synthesis failed: {err}") from None
