"""The one door from the CLI to cdktf: everything behind it starts Node and jsii."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webkit.console import listed

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
        raise SynthError(f"unknown environment {listed(unknown)} (app.json has: {listed(spec.environments)})")
    from constructs_lib.node import NodeError

    try:
        from stacks.synth import synthesize as run
    except NodeError as err:  # no Node, or jsii could not start it
        raise SynthError(str(err)) from None
    from constructs_lib.compat import is_synthesis_error
    from stacks.contracts import PluginError

    try:
        return run(spec, environments)
    except PluginError as err:  # names the plugin and the item; its traceback would be noise
        raise SynthError(str(err)) from None
    except Exception as err:
        if not is_synthesis_error(err):
            raise  # a bug in webkit: its traceback, not a message blaming app.json
        raise SynthError(f"synthesis failed: {err}") from None
