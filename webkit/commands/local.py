"""`webkit infra plan|apply|destroy`: real Terraform on the synthesised stack, from a laptop.

With `--sandbox` against simulated providers and a local state under `.webkit/sandbox/` (no
account needed); without it, `plan` runs against the real cloud with the credentials CI uses.
`state` reads an environment's state for `webkit infra status` and `inventory` the same two ways.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from webkit.spec import ProjectSpec
from webkit.workspace import STACK_FILE, fresh_folder, workspace


class LocalError(Exception):
    """The user's environment is missing something; the message names it."""


def required_credentials(spec: ProjectSpec, stack: dict) -> list[str]:
    """Environment variables a real plan needs: those CI maps from repository secrets."""
    from webkit.registry import required_credentials as providers
    from workflows.generate import backend_env

    return [*backend_env(), *(c.env for c in providers(spec)), *(f"TF_VAR_{name}" for name in stack.get("variable", {}))]


def sandbox(project_dir: Path, environment: str, stack_json: str, action: str) -> dict:
    """Plan (and apply, for `apply` and `destroy`) in the sandbox; returns the plan (`terraform show -json`)."""
    from importlib.util import find_spec

    from webkit.sandbox.session import Sandbox, sandbox_secrets

    if find_spec("tf") is None:
        raise LocalError("the sandbox needs the simulated providers' framework: pip install 'webkit[sandbox]'")
    box = Sandbox(workspace(project_dir, "sandbox"), environment)
    box.write(stack_json)
    secrets = sandbox_secrets(json.loads(stack_json))
    with box.providers():
        box.init()
        plan = box.plan(secrets, destroy=action == "destroy")
        if action in ("apply", "destroy"):
            box.apply(secrets=secrets)
    return plan


def pending_sops(spec: ProjectSpec, stack: dict) -> list:
    """The sops secrets the stack needs whose TF_VAR_ the environment does not set already."""
    return [s for s in spec.secrets if s.source == "sops" and s.file and s.variable in stack.get("variable", {})
            and not os.environ.get(f"TF_VAR_{s.variable}")]


def sops_variables(project_dir: Path, spec: ProjectSpec, stack: dict) -> dict[str, str]:
    """TF_VAR_<variable> of each pending sops secret, decrypted as CI does it (with SOPS_AGE_KEY
    or SOPS_AGE_KEY_FILE). The values go only into Terraform's environment: never printed,
    never written."""
    from webkit import sops

    wanted = pending_sops(spec, stack)
    if wanted and not sops.age_key_set():
        sources = ", ".join(sorted({f"{s.file}:/{s.key}" for s in wanted}))
        raise LocalError(f"app.json reads secrets from sops files ({sources}): set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE to the "
                         "age key CI uses, or try the change with --sandbox")
    try:
        return {f"TF_VAR_{s.variable}": sops.decrypt(Path(project_dir) / (s.file or ""), s.key) for s in wanted}
    except sops.SopsError as err:
        raise LocalError(str(err)) from None


def real_plan(project_dir: Path, spec: ProjectSpec, environment: str, stack_json: str) -> dict:
    """`terraform plan` against the real cloud and state, with the user's credentials; returns the
    plan (`terraform show -json`), which holds secret values in clear."""
    from webkit import sops

    stack = json.loads(stack_json)
    from_sops = {f"TF_VAR_{s.variable}" for s in pending_sops(spec, stack)}
    missing = [name for name in required_credentials(spec, stack) if not os.environ.get(name) and name not in from_sops]
    if from_sops and not sops.age_key_set():
        missing.append("SOPS_AGE_KEY (or SOPS_AGE_KEY_FILE) for the sops secrets")
    if missing:
        raise LocalError(
            "missing credentials: set " + ", ".join(missing) + " (the B2 state key as AWS_*, like CI does; "
            "secrets as TF_VAR_*), or try the change with --sandbox"
        )
    filled = sops_variables(project_dir, spec, stack)  # everything else is there: now decrypt
    # made anew, private (a saved plan holds every secret in clear), holding only the stack: a
    # `.tf` file or a link a checkout put there never reaches Terraform
    folder = fresh_folder(workspace(project_dir, "plan"), environment)
    (folder / STACK_FILE).write_text(stack_json)
    try:
        out = _run_steps(folder, filled, ["plan", "-input=false", "-no-color", "-out=tfplan"], ["show", "-json", "tfplan"])
    finally:
        (folder / "tfplan").unlink(missing_ok=True)
    return json.loads(out)


def _run_steps(folder: Path, extra_env: dict[str, str], *steps: list[str]) -> str:
    """`terraform init`, then each step, in `folder` with the user's credentials; the last one's
    output. LocalError with Terraform's words when one fails."""
    from webkit.sandbox import terraform

    env = dict(os.environ, **extra_env, TF_IN_AUTOMATION="1", AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
               AWS_RESPONSE_CHECKSUM_VALIDATION="when_required")
    umask = os.umask(0o077)  # what Terraform writes (tfplan) is the user's alone
    try:
        for args in (["init", "-input=false", "-no-color"], *steps):
            result = terraform.run(args, folder, env)
            if result.returncode != 0:
                raise LocalError(f"terraform {args[0]} failed:\n{result.stderr.strip() or result.stdout.strip()}")
    finally:
        os.umask(umask)
    return result.stdout


def state(project_dir: Path, spec: ProjectSpec, environment: str, sandbox: bool) -> dict:
    """The environment's Terraform state as `terraform state pull` gives it ({} when there is
    none): the sandbox's, or the real one through the S3 backend with the state key CI uses. It
    holds secrets in clear (a VM app's deploy key): nothing here writes it to disk."""
    if sandbox:
        from webkit.sandbox.session import Sandbox

        return Sandbox(workspace(project_dir, "sandbox"), environment).state()
    from workflows.generate import backend_env

    missing = [name for name in backend_env() if not os.environ.get(name)]
    if missing:
        raise LocalError(f"missing credentials: set {', '.join(missing)} to a key of the state bucket (the B2 key CI maps "
                         "from B2_ACCESS_KEY/B2_SECRET_KEY; read-only is enough), or use --sandbox")
    # only the backend: `init` then needs no provider, and nothing of a checkout reaches Terraform
    folder = fresh_folder(workspace(project_dir, "state"), environment)
    (folder / "backend.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": spec.backend(environment)}}}, indent=2))
    out = _run_steps(folder, {}, ["state", "pull"])
    return json.loads(out) if out.strip() else {}
