"""The `webkit` command: thin typer wrappers around plain functions."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from webkit import __version__, console
from webkit.workspace import STACK_FILE, WEBKIT_DIR, fresh_folder, workspace

HELP = {"help_option_names": ["-h", "--help"]}  # inherited by every group and command below

app = typer.Typer(
    no_args_is_help=True,
    context_settings=HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags shown as flags (rich help printed `<bool>`), no colour codes
    help="Turn app.json into Terraform (via cdktf) and the GitHub Actions workflows that apply it.",
)
infra = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings=HELP, help="Local work on the project's infrastructure.")
app.add_typer(infra, name="infra")

# -C works before the command too (`webkit -C site update`, `webkit infra -C site plan`): the
# groups' callbacks run first and remember it; each command's own -C then resolves to one folder.
_BEFORE_COMMAND: list[Path] = []


def _remember_dir(ctx: typer.Context, value: Path | None) -> None:
    if ctx.parent is None:  # the root: a new command line (CliRunner runs several in one process)
        _BEFORE_COMMAND.clear()
    if value is not None:
        _BEFORE_COMMAND.append(value)


def _given_dir(value: Path | None) -> Path | None:
    given = list(dict.fromkeys([*_BEFORE_COMMAND, *([value] if value is not None else [])]))
    if len(given) > 1:
        raise typer.BadParameter(f"given more than once, naming different folders: {', '.join(map(str, given))}")
    return given[0] if given else None


def _project_dir(value: Path | None) -> Path:
    given = _given_dir(value)
    if given is not None:
        return given
    from webkit.workspace import find_project

    found = find_project(Path.cwd())  # as git finds .git: the nearest folder up holding app.json
    if found is None or found == Path.cwd():
        return Path(".")
    console.info(f"Using {found / 'app.json'}")
    return found


_DIR_HELP = "Project directory holding app.json (default: the current one)."
GroupDir = Annotated[Path | None, typer.Option("--project-dir", "-C", help=_DIR_HELP, file_okay=False, callback=_remember_dir)]
ProjectDir = Annotated[Path, typer.Option("--project-dir", "-C", help=_DIR_HELP, file_okay=False, callback=_project_dir)]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings (unknown keys…) as errors.")]


def _version(value: bool) -> None:
    """The version, and which Node.js synthesis would run (and why that one)."""
    if value:
        from constructs_lib.node import NodeError, chosen

        print(f"webkit {__version__}")
        try:
            node = chosen()
            print(f"Node.js {node.version}: {node.path} ({node.why})")
        except NodeError as err:
            print(f"Node.js: none usable. {err}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = None,
    project_dir: GroupDir = None,
) -> None:
    pass


@infra.callback()
def infra_group(project_dir: GroupDir = None) -> None:
    """Local work on the project's infrastructure."""


def _load(project_dir: Path, strict: bool, compare: bool = False):
    """The checked manifest, or exit 1 after printing every error. `compare`: also say what the
    edit since the committed app.json will do to running resources (webkit.commands.changes)."""
    from webkit.manifest import ManifestError, load

    try:
        manifest, report = load(project_dir, strict)
    except ManifestError as err:
        for line in err.report.first_lines(strict):
            console.fail(line)
        for problem in err.report.warnings(strict):  # an unknown key often explains a missing one
            console.warn(err.report.describe(problem))
        console.info("Run `webkit infra validate` for the full report.")
        raise typer.Exit(1) from None
    for problem in report.warnings(strict):
        console.warn(report.describe(problem))
    if compare:
        from webkit.commands.changes import report_changes
        from webkit.sops import file_problems

        for problem in file_problems(manifest, project_dir):  # CI's plan would stop at decryption
            console.warn(report.describe(problem))
        report_changes(project_dir, report)
    return manifest


@app.command("init")
def init_cmd(
    project_dir: Annotated[Path | None, typer.Option("--project-dir", "-C", help="Folder of the new project (default: the current one).",
                                                     file_okay=False, callback=_given_dir)] = None,
    name: Annotated[str | None, typer.Option("--name", help="Project name (default: the folder's name).")] = None,
    repo: Annotated[str | None, typer.Option("--repo", help="GitHub repository owner/name (default: git's origin).")] = None,
    sops: Annotated[bool, typer.Option("--sops", help="Also set up sops: a new age key, .sops.yaml, secrets/production.yaml.")] = False,
) -> None:
    """Start a project: a minimal app.json and its schema (and sops, with --sops); never overwrites."""
    from webkit.commands.init import InitError, init, next_commands

    try:
        started = init(project_dir or Path("."), name, repo, sops)
    except InitError as err:
        console.fail(str(err))
        raise typer.Exit(1) from None
    for path in started.files:
        console.ok(f"Wrote {path}")
    if started.age_private_key:
        console.info("Your age private key, shown this once and stored nowhere (sops and CI need it to decrypt secrets/):")
        print(started.age_private_key)
        console.info("Store it now as the GitHub secret SOPS_AGE_KEY (Settings → Secrets and variables → Actions → "
                     "New repository secret), and for sops on this machine in ~/.config/sops/age/keys.txt")
    console.info("Next:\n" + next_commands(project_dir or Path(".")))

VERSION_SHAPE = r"v?[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]{1,40})?"


@app.command("update")
def update_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if any generated file is missing or differs.")] = False,
    infra_version: Annotated[
        str | None, typer.Option("--infra-version", help="Stamp this version instead of the running webkit's.")
    ] = None,
    local_infra: Annotated[
        Path | None, typer.Option("--local-infra", help="Load constructs_lib and stacks from this checkout.", file_okay=False)
    ] = None,
    strict: Strict = False,
) -> None:
    """Validate app.json, synthesise every environment, write the GitHub Actions workflows."""
    if infra_version is not None and not re.fullmatch(VERSION_SHAPE, infra_version):
        # it is written into every generated file's header and env: text, never YAML or shell
        console.fail(f"--infra-version {infra_version!r} is not a version such as 1.2.3 or v1.2.3-rc.1")
        raise typer.Exit(2)
    version = infra_version or __version__
    if local_infra is not None:
        _use_local_infra(local_infra)
    from webkit.commands.synth import SynthError
    from webkit.commands.update import RETIRED, update

    def load():
        manifest = _load(project_dir, strict, compare=True)
        console.ok("Validated app.json")
        return manifest

    try:
        result = update(project_dir, load, version, check=check, use_cache=local_infra is None)
    except SynthError as err:
        console.fail(str(err))
        raise typer.Exit(1) from None
    for path in result.kept:
        console.warn(f"{path} is no longer generated, but webkit did not write this one (no webkit header): left as it is")
    if check:
        for path in result.stale:
            console.fail(f"{path} is no longer generated: `webkit update` removes it" if path in RETIRED
                         else f"{path} is missing or out of date")
        if result.stale:
            console.info("Run `webkit update` and commit the result.")
            raise typer.Exit(1)
        console.ok("Generated files are up to date")
        return
    for path in result.written:
        console.ok(f"Generated {path}")
    for path in result.unchanged:
        console.ok(f"Unchanged {path}")
    for path in result.removed:
        console.ok(f"Removed {path}: webkit no longer generates it")
    if result.written or result.removed:
        console.info("Commit .github/ to plan on the next pull request and apply on merge")
    console.info("Secrets the workflows read, in the GitHub environments plan and "
                 + " and ".join(result.environments) + " (README, Set-up): " + ", ".join(result.secrets))


def _use_local_infra(path: Path) -> None:
    """Import constructs_lib and stacks from a local checkout, to try construct changes unreleased."""
    root = path.resolve()
    if not (root / "constructs_lib").is_dir() or not (root / "stacks").is_dir():
        console.fail(f"--local-infra {path}: no constructs_lib/ and stacks/ there (point it at a webkit checkout)")
        raise typer.Exit(2)
    if any(name == "constructs_lib" or name.startswith(("constructs_lib.", "stacks")) for name in sys.modules):
        raise RuntimeError("constructs were imported before --local-infra was applied")
    sys.path.insert(0, str(root))
    console.info(f"Using constructs from {root}")


@infra.command("validate")
def validate_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    strict: Strict = False,
) -> None:
    """Check app.json: schema, references, providers, config, names, env vars, secrets."""
    from webkit.commands.validate import validate

    if not validate(project_dir, strict).ok(strict):
        raise typer.Exit(1)


@app.command("schema")
def schema_cmd(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of app.json (generated from webkit's models)."""
    from webkit.files import write_atomic
    from webkit.manifest.schema import schema_text

    text = schema_text()
    if out is None:
        print(text, end="")
        return
    write_atomic(out, text)
    console.ok(f"Wrote {out}")


Environment = Annotated[
    list[str] | None,
    typer.Option("--environment", "-e", help="Only this environment (repeatable); default: all in app.json."),
]


def _spec(project_dir: Path, strict: bool):
    """The checked manifest as a spec, for a synthesis (every caller synthesises next)."""
    from webkit.commands.synth import prestart
    from webkit.spec import to_spec

    prestart()
    return to_spec(_load(project_dir, strict), __version__)


def _synthesize(spec, environments):
    from webkit.commands.synth import SynthError, synthesize

    try:
        with console.progress("Synthesising with cdktf"):
            return synthesize(spec, environments)
    except SynthError as err:
        console.fail(str(err))
        raise typer.Exit(1) from None


@infra.command("synth")
def synth_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    environment: Environment = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (like cdktf's).")] = Path("cdktf.out"),
    strict: Strict = False,
) -> None:
    """Synthesise Terraform JSON: OUT/stacks/<environment>/cdk.tf.json."""
    from webkit.files import write_atomic

    stacks = _synthesize(_spec(project_dir, strict), environment)
    for name, text in stacks.items():
        path = _under(project_dir, out) / "stacks" / name / STACK_FILE
        write_atomic(path, text)
        console.ok(f"Synthesised {name}: {path}")


def _under(project_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else project_dir / path


Sandbox = Annotated[bool, typer.Option("--sandbox", help="Against simulated providers and a local state (.webkit/sandbox).")]
OneEnvironment = Annotated[str, typer.Option("--environment", "-e", help="The environment to plan.")]


@infra.command("plan")
def plan_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    environment: OneEnvironment = "production",
    sandbox: Sandbox = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write what CI would be handed; run nothing.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for --dry-run.")] = Path(".webkit/dry-run"),
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="Also save the plan as JSON (for `webkit infra comment --plan-json`).", dir_okay=False)
    ] = None,
    strict: Strict = False,
) -> None:
    """Plan with real Terraform: against the cloud (credentials from the environment, as in CI),
    against the sandbox (--sandbox), or only write what CI would run (--dry-run)."""
    if dry_run:
        _dry_run(project_dir, out, strict)
    else:
        _terraform(project_dir, environment, "plan", sandbox, strict, json_out)


@infra.command("apply")
def apply_cmd(project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
              environment: OneEnvironment = "production",
              sandbox: Sandbox = False, strict: Strict = False) -> None:
    """Apply in the sandbox (real applies run in CI, after review)."""
    _terraform(project_dir, environment, "apply", sandbox, strict)


@infra.command("destroy")
def destroy_cmd(project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
                environment: OneEnvironment = "production",
                sandbox: Sandbox = False, strict: Strict = False) -> None:
    """Destroy everything in the sandbox."""
    _terraform(project_dir, environment, "destroy", sandbox, strict)


def _terraform(project_dir: Path, environment: str, action: str, sandbox: bool, strict: bool, json_out: Path | None = None) -> None:
    if action != "plan" and not sandbox:
        console.fail(f"`webkit infra {action}` runs only with --sandbox: real changes go through a pull request and CI")
        raise typer.Exit(2)
    from webkit.commands import local
    from webkit.files import check_target, write_atomic
    from webkit.sandbox.session import SandboxError
    from webkit.sandbox.terraform import TerraformMissing
    plan_comment = _plan_comment()
    summarize, terminal_summary = plan_comment.summarize, plan_comment.terminal_summary

    if json_out is not None:
        check_target(json_out)  # before the plan, not after: a FIFO, a device or a link is refused
    spec = _spec(project_dir, strict)
    stack = _synthesize(spec, [environment])[environment]
    try:
        with console.progress(f"terraform {action}"):
            plan = local.sandbox(project_dir, environment, stack, action) if sandbox else local.real_plan(project_dir, spec, environment, stack)
    except (local.LocalError, SandboxError, TerraformMissing) as err:
        console.fail(str(err))
        raise typer.Exit(1) from None
    label = f"{environment} (sandbox)" if sandbox else environment
    console.text(terminal_summary(summarize(plan, label)))
    if json_out is not None:
        # the environment goes with the plan: `webkit infra comment` names it without -e
        saved = plan | {"webkit": {"environment": label}}
        write_atomic(json_out, json.dumps(saved, indent=2) + "\n", mode=0o600)  # a real plan holds secrets in clear
        console.info(f"Saved the plan as JSON in {json_out}: preview the pull-request comment with "
                     f"`webkit infra comment --plan-json {json_out}`" + ("" if sandbox else "; it holds secret values, keep it out of git"))
    done = {"plan": "Planned", "apply": "Applied", "destroy": "Destroyed"}[action]
    console.ok(f"{done} {environment}" + (" in the sandbox (.webkit/sandbox)" if sandbox else ""))


def _dry_run(project_dir: Path, out: Path, strict: bool) -> None:
    from webkit.commands.dry_run import dry_run_files
    from webkit.files import write_atomic

    if not out.is_absolute() and out.parts[:1] == (WEBKIT_DIR,):
        workspace(project_dir, "")  # the default: in .webkit/, which must be webkit's own folder
    spec = _spec(project_dir, strict)
    files = dry_run_files(project_dir, spec, _synthesize(spec, None), _under(project_dir, out))
    for path, text in files.items():
        write_atomic(path, text)
        console.ok(f"Wrote {path}")


@infra.command("cost")
def cost_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    environment: Environment = None,
    strict: Strict = False,
) -> None:
    """Monthly cost of app.json as it stands, from webkit's catalog of DigitalOcean prices."""
    from webkit.commands.cost import cost_report

    manifest = _load(project_dir, strict)
    unknown = [e for e in environment or [] if e not in manifest.environments]
    if unknown:
        console.fail(f"--environment {unknown[0]} is not in app.json's environments ({', '.join(manifest.environments)})")
        raise typer.Exit(2)
    print(cost_report(manifest, environment), end="")


StateEnvironment = Annotated[str, typer.Option("--environment", "-e", help="The environment whose state is read.")]


def _vm_hosts(project_dir: Path, environment: str, sandbox: bool, strict: bool, need_vm: bool):
    """(state, hosts, problems) of `environment`: its state read through the backend (or the
    sandbox's), each VM app's checked outputs, and why an app has none."""
    from webkit.commands import local
    from webkit.commands.vm_access import vm_apps, vm_hosts
    from webkit.spec import to_spec

    spec = to_spec(_load(project_dir, strict), __version__)
    if environment not in spec.environments:
        console.fail(f"--environment {environment} is not in app.json's environments ({', '.join(spec.environments)})")
        raise typer.Exit(2)
    if need_vm and not vm_apps(spec):
        console.fail("app.json has no VM app (an app with infra.type `vm`): there is no machine to list")
        raise typer.Exit(1)
    where = f"{environment} (sandbox)" if sandbox else environment
    try:
        with console.progress(f"reading the state of {where}"):
            state = local.state(project_dir, spec, environment, sandbox)
    except local.LocalError as err:
        console.fail(str(err))
        raise typer.Exit(1) from None
    if not state:
        console.fail(f"no Terraform state for {where} yet: " + ("run `webkit infra apply --sandbox` first" if sandbox
                                                                    else "it is made by the first apply"))
        raise typer.Exit(1)
    hosts, problems = vm_hosts(spec, environment, state)
    return state, hosts, problems


_KEY_SOURCE = ("Each deploy key is the state's sensitive output <app>_deploy_key, read with the state bucket's credentials, "
               "and is root on its VM")


@infra.command("inventory")
def inventory_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    environment: StateEnvironment = "production",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write into (default: .webkit/inventory/<environment>).",
                                             file_okay=False)] = None,
    sandbox: Sandbox = False,
    strict: Strict = False,
) -> None:
    """An Ansible inventory of the environment's VM apps, their host keys pinned in a known_hosts,
    from its Terraform state (the deploy keys too: root on each VM, written 0600, never printed)."""
    from webkit.commands.inventory import write_inventory
    from webkit.commands.vm_access import VmAccessError

    _, hosts, problems = _vm_hosts(project_dir, environment, sandbox, strict, need_vm=True)
    for app, reason in problems.items():
        console.fail(f"{app}: {reason}")
    if problems:
        raise typer.Exit(1)
    try:
        # .webkit/ ignores itself in git, and the folder is made anew (0700): no key of a gone app stays
        folder = _under(project_dir, out) if out is not None else fresh_folder(workspace(project_dir, "inventory"), environment)
        inventory, _ = write_inventory(folder, environment, hosts)
    except VmAccessError as err:
        console.fail(str(err) if out is not None else f"{err} with --out")
        raise typer.Exit(2 if out is not None else 1) from None
    console.ok(f"Wrote {inventory}, its known_hosts and {len(hosts)} deploy key{'s' if len(hosts) != 1 else ''} (mode 0600)")
    console.info(f"{_KEY_SOURCE}: keep these files to yourself")
    for host in hosts:
        sources = ", ".join(host.ssh_sources) or "nobody (ssh_sources is empty)"
        console.info(f"{host.alias}: deploy@{host.address}; port 22 admits {sources}")
    console.info("Port 22 is closed outside a deploy except to each app's ssh_sources: run playbooks from one of those addresses, "
                 f"e.g. `ansible-playbook -i {inventory} site.yml`")


@infra.command("status")
def status_cmd(
    project_dir: ProjectDir = None,  # type: ignore[assignment]  # resolved by its callback
    environment: StateEnvironment = "production",
    sandbox: Sandbox = False,
    strict: Strict = False,
) -> None:
    """What Terraform manages (from the state) and what each VM app runs (its deploy agent's
    status, over SSH with the deploy key from the state: port 22 must admit you, see ssh_sources)."""
    from concurrent.futures import ThreadPoolExecutor

    from webkit.commands.status import agent_status, report, resources

    state, hosts, problems = _vm_hosts(project_dir, environment, sandbox, strict, need_vm=False)
    if hosts:
        console.info(f"Asking each VM app's deploy agent over SSH. {_KEY_SOURCE}")
    with console.progress("asking the deploy agents"), ThreadPoolExecutor(max_workers=8) as pool:
        running = list(pool.map(agent_status, hosts))  # an unreachable one waits out its connect timeout
    console.text(report(f"{environment} (sandbox)" if sandbox else environment, resources(state), running, problems))
    for item in running:
        if item.result is None:
            console.warn(f"{item.app}: what runs is unknown: {item.reason}")


def _plan_comment():
    """The comment script, knowing the installed plugins' types as well: its facts file beside it
    holds webkit's own (CI gets a copy with the plugins' types from `webkit update`)."""
    from webkit.registry import facts
    from workflows import plan_comment

    plan_comment.FACTS.update(facts())
    return plan_comment


@infra.command("comment")
def comment_cmd(
    plan_json: Annotated[Path, typer.Option("--plan-json", help="Output of `terraform show -json PLANFILE`.")],
    format: Annotated[str, typer.Option("--format", help="markdown (the PR comment) or json (the summary).")] = "markdown",
    environment: Annotated[str | None, typer.Option("--environment", "-e", help="Named in the comment.")] = None,
    error_log: Annotated[Path | None, typer.Option("--error-log", help="Output of a failed plan, shown in the comment.")] = None,
    plan_log: Annotated[Path | None, typer.Option("--plan-log", help="Terraform's plan output, for its warnings.")] = None,
) -> None:
    """Render a Terraform plan as the pull-request comment CI posts (or as JSON)."""
    plan_comment = _plan_comment()

    if format not in ("markdown", "json"):
        console.fail(f"--format must be markdown or json, not {format}")
        raise typer.Exit(2)
    try:
        text = plan_comment.render_file(
            str(plan_json), format, environment, str(error_log) if error_log else None, str(plan_log) if plan_log else None,
        )
    except plan_comment.PlanError as err:
        console.fail(f"{plan_json}: {err}")
        raise typer.Exit(1) from None
    console.text(text)


def run() -> None:
    """The console entry point. After a synthesis the interpreter's own teardown (freeing jsii's
    object graph) costs about 0.1 s: stop the jsii kernel cleanly, flush, and leave at once."""
    try:
        try:
            app()
        except OSError as err:
            # The machine said no (a full disk, a read-only folder, .github being a file): name the
            # path. Generated files are written all or none, so nothing is left half-updated.
            where = f"{err.filename}: " if err.filename else ""
            console.fail(f"cannot write or read {where}{err.strerror or err}")
            raise SystemExit(1) from None
    except SystemExit as done:
        from constructs_lib.kernel import stop

        try:
            stopped = stop()
        except Exception:
            stopped = False  # an unexpected jsii: the ordinary, slower exit
        if not stopped:
            raise
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
