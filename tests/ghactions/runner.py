"""Workflow runs: triggers, jobs in `needs` order, steps in GitHub's shells (see the package doc)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests import netns

from . import emulated
from .expressions import condition, evaluate, interpolate, to_string

STEP_TIMEOUT = 600
SHELLS = {
    None: ["bash", "-e", "{0}"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python3", "{0}"],
}
SHA = re.compile(r"[0-9a-f]{40}")


# --------------------------------------------------------------------------- the repository


class Repo:
    """A git repository standing in for the GitHub repository `full_name`."""

    def __init__(self, path: Path, full_name: str = "acme/site"):
        self.path, self.full_name = Path(path), full_name
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")
        self.git("config", "core.autocrlf", "input")  # Git for Windows users commit LF

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True).stdout.strip()

    def switch(self, branch: str) -> None:
        """Check out `branch`, created from the current HEAD when it does not exist yet."""
        if branch != self.git("symbolic-ref", "--short", "HEAD"):
            exists = subprocess.run(["git", "rev-parse", "--verify", "--quiet", branch], cwd=self.path, capture_output=True).returncode == 0
            self.git("checkout", "--quiet", *([] if exists else ["-b"]), branch)

    def commit(self, files: dict[str, str | bytes | None], message: str, branch: str = "main") -> str:
        """Write (None: delete) files on `branch` (created from the current HEAD) and commit."""
        self.switch(branch)
        for name, content in files.items():
            path = self.path / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.head(branch)

    def head(self, branch: str) -> str:
        return self.git("rev-parse", branch)

    def show(self, sha: str, path: str) -> str:
        return self.git("show", f"{sha}:{path}")

    def changed(self, base: str | None, head: str) -> list[str]:
        if not base:
            return self.git("ls-tree", "-r", "--name-only", head).splitlines()
        return self.git("diff", "--name-only", f"{base}...{head}").splitlines()


# --------------------------------------------------------------------------- events


_run_ids = itertools.count(7_000_001)


@dataclass
class Event:
    name: str
    sha: str
    ref: str
    payload: dict = field(default_factory=dict)
    before: str | None = None  # push: the previous head; pull_request: the base
    run_id: int = field(default_factory=lambda: next(_run_ids))
    run_attempt: int = 1

    @property
    def ref_name(self) -> str:
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/pull/")

    def rerun(self) -> Event:
        """The same run, attempted again: same SHA, same payload, as GitHub's 'Re-run jobs'."""
        return Event(self.name, self.sha, self.ref, self.payload, self.before, self.run_id, self.run_attempt + 1)


def push(repo: Repo, branch: str, before: str | None = None) -> Event:
    sha = repo.head(branch)
    return Event("push", sha, f"refs/heads/{branch}", {"before": before, "after": sha}, before)


def pull_request(repo: Repo, number: int, head: str, base: str = "main", fork: bool = False) -> Event:
    head_sha, base_sha = repo.head(head), repo.head(base)
    full_name = f"someone/{repo.full_name.split('/')[1]}" if fork else repo.full_name
    payload = {"action": "synchronize", "number": number, "pull_request": {
        "number": number, "head": {"sha": head_sha, "ref": head, "repo": {"full_name": full_name, "fork": fork}},
        "base": {"sha": base_sha, "ref": base, "repo": {"full_name": repo.full_name}}}}
    return Event("pull_request", head_sha, f"refs/pull/{number}/merge", payload, base_sha)


def dispatch(repo: Repo, branch: str, inputs: dict[str, str] | None = None) -> Event:
    return Event("workflow_dispatch", repo.head(branch), f"refs/heads/{branch}", {"inputs": inputs or {}})


def _inputs(on, event: Event) -> dict[str, str]:
    """A dispatch's `inputs`: the given ones over the workflow's defaults; a choice outside its options
    or an unknown input is refused, as GitHub refuses to start such a run."""
    if event.name != "workflow_dispatch":
        return {}
    declared = ((on or {}).get("workflow_dispatch") or {}).get("inputs") or {}
    given = event.payload.get("inputs", {})
    for name, value in given.items():
        spec = declared.get(name)
        if spec is None or (spec.get("type") == "choice" and value not in spec["options"]):
            raise emulated.NotEmulated(f"GitHub refuses this dispatch: input {name}={value!r}")
    return {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}


def schedule(repo: Repo) -> Event:
    return Event("schedule", repo.head("main"), "refs/heads/main", {"schedule": "17 6 * * *"})


def _glob(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _matches(patterns: list[str], value: str) -> bool:
    """GitHub filter semantics: the last matching pattern wins; `!` negates."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _glob(pattern.lstrip("!")).fullmatch(value):
            result = not negate
    return result


def triggers(on, event: Event, repo: Repo) -> bool:
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = {name: None for name in on}
    if event.name not in on:
        return False
    spec = on[event.name] or {}
    if event.name == "pull_request":
        branch, base = event.payload["pull_request"]["base"]["ref"], event.before
    elif event.name == "push":
        branch, base = event.ref_name, event.before
    else:
        return True
    if "branches" in spec and not _matches(spec["branches"], branch):
        return False
    if "paths" in spec:
        return any(_matches(spec["paths"], path) for path in repo.changed(base, event.sha))
    return True


# --------------------------------------------------------------------------- results


@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    conclusion: str
    output: str = ""  # raw stdout + stderr, before masking
    outputs: dict = field(default_factory=dict)


@dataclass
class JobResult:
    id: str
    name: str
    conclusion: str  # success, failure, skipped
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    environment: str | None = None
    permissions: dict | str = "default"
    concurrency: dict | None = None
    timeout_minutes: int | None = None
    summary: str = ""
    masks: set = field(default_factory=set)
    annotations: list = field(default_factory=list)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    @property
    def raw_log(self) -> str:
        return "".join(s.output for s in self.steps)

    @property
    def log(self) -> str:
        """What a person sees in the run's log: add-mask commands hidden, masked values as ***."""
        lines = [line for line in self.raw_log.splitlines(keepends=True) if not line.startswith("::add-mask::")]
        text = "".join(lines)
        for value in sorted((m for m in self.masks if m), key=len, reverse=True):
            text = text.replace(value, "***")
        return text


@dataclass
class WorkflowRun:
    event: Event
    repo: Repo
    folder: Path
    triggered: bool = False
    concurrency: dict | None = None
    jobs: dict[str, JobResult] = field(default_factory=dict)
    retention: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # a dispatch's, with the workflow's defaults
    docker_actions: list = field(default_factory=list)  # (action, inputs) of Docker's emulated actions, in order
    artifacts: Path = field(init=False)

    def __post_init__(self):
        self.artifacts = self.folder / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)

    @property
    def conclusion(self) -> str:
        conclusions = {j.conclusion for j in self.jobs.values()}
        if "failure" in conclusions:
            return "failure"
        return "success" if "success" in conclusions else "skipped"


# --------------------------------------------------------------------------- running


class Runner:
    """Runs workflows of `repo`; `machine` is the runner's environment (PATH, tool settings).

    `netns_pid`: every `run:` step runs in the network namespace of that process (nsenter), keeping
    the runner's files; None (the default) runs steps in the test's own network."""

    def __init__(self, repo: Repo, root: Path, machine: dict[str, str], github=None,
                 secrets: dict[str, str] | None = None, environment_secrets: dict[str, dict] | None = None,
                 home_files: dict[str, str] | None = None, variables: dict[str, str] | None = None,
                 netns_pid: int | None = None):
        self.repo, self.root, self.machine, self.github = repo, Path(root), machine, github
        self.netns_pid = netns_pid
        self.docker_host: str | None = None  # DOCKER_HOST of the dockerd Docker's actions use (world.py)
        self.secrets = secrets or {}
        self.variables = variables or {}  # the repository's Actions variables: `vars`
        self.environment_secrets = environment_secrets or {}
        self.home_files = home_files or {}
        self.runs: list[WorkflowRun] = []
        self.after_job = None  # called as after_job(run, job_result): a test's chance to interfere
        self.before_job = None  # called as before_job(run, job_id) before a job's steps run (not for a skipped job)

    def rerun_failed(self, workflow: str, previous: WorkflowRun) -> WorkflowRun:
        """GitHub's "Re-run failed jobs": the next attempt of the same run, where the jobs that
        succeeded keep their results (outputs included) and are not run again, and the artifacts
        the run uploaded are still there. (`run(…, event.rerun())` is "Re-run all jobs".)"""
        return self.run(workflow, previous.event.rerun(), keep=previous)

    def run(self, workflow: str, event: Event, keep: WorkflowRun | None = None) -> WorkflowRun:
        folder = self.root / f"run-{event.run_id}-{event.run_attempt}-{len(self.runs)}"
        run = WorkflowRun(event, self.repo, folder)
        self.runs.append(run)
        if keep:
            shutil.copytree(keep.artifacts, run.artifacts, dirs_exist_ok=True)
            run.retention |= keep.retention
        doc = yaml.safe_load(self.repo.show(event.sha, workflow))
        on = doc.get(True, doc.get("on"))
        if not triggers(on, event, self.repo):
            return run
        run.triggered = True
        run.inputs = _inputs(on, event)
        github = self._github_context(event) | {"workflow": str(doc.get("name", workflow))}
        if "concurrency" in doc:
            run.concurrency = _evaluated(doc["concurrency"], {"github": github, "inputs": run.inputs, "vars": self.variables})
        done: dict[str, JobResult] = {}
        pending = dict(doc["jobs"])
        while pending:
            ready = [j for j, spec in pending.items() if all(n in done for n in _needs(spec))]
            if not ready:
                raise emulated.NotEmulated(f"jobs wait on each other: {sorted(pending)}")
            for job_id in ready:
                spec = pending.pop(job_id)
                kept = [r for r in keep.jobs.values() if r.id == job_id] if keep else []
                if kept and all(r.conclusion == "success" for r in kept):
                    run.jobs |= {r.name: r for r in kept}
                    done[job_id] = kept[0]
                    continue
                for result in self._run_job(run, doc, job_id, spec, github, done):
                    run.jobs[result.name] = result
                    if self.after_job:
                        self.after_job(run, result)
                    done.setdefault(job_id, result)
                    if result.conclusion == "failure":
                        done[job_id] = result
        return run

    def _github_context(self, event: Event) -> dict:
        pr = event.payload.get("pull_request")
        return {
            "event_name": event.name, "event": event.payload, "sha": event.sha, "ref": event.ref,
            "ref_name": event.ref_name, "ref_type": "branch",
            "base_ref": pr["base"]["ref"] if pr else "", "head_ref": pr["head"]["ref"] if pr else "",
            "repository": self.repo.full_name, "repository_owner": self.repo.full_name.split("/")[0],
            "run_id": str(event.run_id), "run_attempt": str(event.run_attempt), "run_number": "1",
            "server_url": "https://github.com", "api_url": self.github.url if self.github else "https://api.github.com",
            "actor": "dev", "triggering_actor": "dev", "workflow": "", "action_path": "",
        }

    def _run_job(self, run: WorkflowRun, doc: dict, job_id: str, spec: dict, github: dict, done: dict):
        needs = {n: {"result": done[n].conclusion, "outputs": done[n].outputs} for n in _needs(spec)}
        matrices = _matrix((spec.get("strategy") or {}).get("matrix"))
        for matrix in matrices:
            base = {"github": github, "needs": needs, "matrix": matrix, "strategy": {}, "vars": self.variables, "inputs": run.inputs,
                    "secrets": self.secrets}
            name = interpolate(str(spec.get("name", job_id)), base)
            result = JobResult(job_id, name, "skipped")
            status = "failure" if any(n["result"] == "failure" for n in needs.values()) else "success"
            if any(n["result"] == "skipped" for n in needs.values()) and "if" not in spec:
                yield result
                continue
            if not condition(spec.get("if"), base, status):
                yield result
                continue
            if self.before_job:
                self.before_job(run, job_id)
            job = Job(self, run, doc, job_id, spec, base, result)
            job.execute()
            yield result


def _needs(spec: dict) -> list[str]:
    needs = spec.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _matrix(matrix) -> list[dict]:
    if not matrix:
        return [{}]
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    combos = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())] if axes else []
    return combos + list(matrix.get("include") or [])


def _evaluated(value, context: dict):
    """A mapping/list/string from YAML with every `${{ }}` evaluated (a lone expression keeps its type)."""
    if isinstance(value, dict):
        return {k: _evaluated(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_evaluated(v, context) for v in value]
    if isinstance(value, str):
        lone = re.fullmatch(r"\$\{\{(.*?)\}\}", value.strip(), re.DOTALL)
        if lone and "${{" not in lone.group(1):
            result = evaluate(lone.group(1), context)
            return to_string(result) if not isinstance(result, (dict, list)) else result
        return interpolate(value, context)
    return value


def _env_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_string(value)


class Job:
    """One job instance on a fresh runner: its own workspace, temp, HOME and token."""

    def __init__(self, runner: Runner, run: WorkflowRun, doc: dict, job_id: str, spec: dict, context: dict, result: JobResult):
        self.runner, self.run, self.doc, self.spec, self.result = runner, run, doc, spec, result
        folder = run.folder / f"job-{job_id}-{len(run.jobs)}"
        self.workspace, self.temp, self.home = folder / "work" / "repo", folder / "temp", folder / "home"
        for path in (self.workspace, self.temp, self.home):
            path.mkdir(parents=True)
        for name, text in runner.home_files.items():
            (self.home / name).write_text(text)
        self.path: list[str] = []
        self.extra_env: dict[str, str] = {}
        self.context = context

    def log(self, line: str) -> None:
        self._current_output.append(line + "\n")

    # ------------------------------------------------------------------ job

    def execute(self) -> None:
        spec, result, ctx = self.spec, self.result, self.context
        environment = spec.get("environment")
        if environment is not None:
            environment = _evaluated(environment if isinstance(environment, str) else environment.get("name"), ctx)
            result.environment = environment
        secrets = dict(self.runner.secrets) | self.runner.environment_secrets.get(environment or "", {})
        permissions = spec.get("permissions", self.doc.get("permissions", "default"))
        result.permissions = permissions
        token = self.runner.github.grant(permissions if isinstance(permissions, dict) else {}) if self.runner.github else "no-github"
        secrets["GITHUB_TOKEN"] = token
        ctx = ctx | {"secrets": secrets, "runner": {"temp": str(self.temp), "os": "Linux", "arch": "X64"},
                     "job": {"status": "success"}}
        ctx["github"] = ctx["github"] | {"token": token, "workspace": str(self.workspace), "job": result.id}
        if "concurrency" in spec:
            result.concurrency = _evaluated(spec["concurrency"], ctx)
        result.timeout_minutes = spec.get("timeout-minutes")
        result.masks |= {v for v in secrets.values() if v}
        env: dict[str, str] = {}
        for layer in (self.doc.get("env") or {}, spec.get("env") or {}):
            for key, value in layer.items():
                env[key] = _env_text(_evaluated(value, ctx | {"env": env}))
        self.env, self.ctx = env, ctx
        defaults = ((self.doc.get("defaults") or {}).get("run") or {}) | ((spec.get("defaults") or {}).get("run") or {})
        steps_ctx: dict = {}
        status = "success"
        for step in spec["steps"]:
            status = self._step(step, steps_ctx, status, ctx, defaults, None)
        result.conclusion = status
        result.outputs = {k: _env_text(_evaluated(v, ctx | {"env": self.env | self.extra_env, "steps": steps_ctx}))
                          for k, v in (spec.get("outputs") or {}).items()}

    # ------------------------------------------------------------------ steps

    def _step(self, step: dict, steps_ctx: dict, status: str, ctx: dict, defaults: dict, action_dir: Path | None) -> str:
        """Run one step; returns the job (or composite) status after it."""
        ctx = ctx | {"steps": steps_ctx, "env": self.env | self.extra_env, "job": {"status": status}}
        name = str(step.get("name") or step.get("uses") or "Run " + str(step.get("run", "")).split("\n")[0])
        name = interpolate(name, ctx)
        step_env = {}
        for key, value in (step.get("env") or {}).items():
            step_env[key] = _env_text(_evaluated(value, ctx | {"env": ctx["env"] | step_env}))
        ctx = ctx | {"env": ctx["env"] | step_env}
        result = StepResult(name, "skipped", "skipped")
        self._current_output: list[str] = []
        if condition(step.get("if"), ctx, status):
            code = self._execute(step, ctx, step_env, defaults, action_dir, result)
            result.outcome = "success" if code == 0 else "failure"
            continue_on_error = str(_evaluated(step.get("continue-on-error", False), ctx)).lower() == "true"
            result.conclusion = "success" if code == 0 or continue_on_error else "failure"
            if result.conclusion == "failure":
                status = "failure"
        result.output = "".join(self._current_output)
        self.result.steps.append(result)
        if "id" in step:
            steps_ctx[step["id"]] = {"outputs": result.outputs, "outcome": result.outcome, "conclusion": result.conclusion}
        return status

    def _execute(self, step: dict, ctx: dict, step_env: dict, defaults: dict, action_dir: Path | None, result: StepResult) -> int:
        if "run" in step:
            return self._run_script(step, ctx, step_env, defaults, action_dir, result)
        uses = step["uses"]
        with_ = {k: _env_text(_evaluated(v, ctx)) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("./"):
            return self._composite(self.workspace / uses[2:], with_, ctx, result)
        action, _, ref = uses.partition("@")
        if not SHA.fullmatch(ref):
            raise emulated.NotEmulated(f"{uses}: third-party actions must be pinned to a full commit SHA")
        if ref not in emulated.PINS.get(action, {}):
            raise emulated.NotEmulated(f"{uses}: no emulation of {action} at that commit")
        self.step_outputs: dict[str, str] = {}
        code = emulated.run_action(self, action, with_)
        result.outputs = self.step_outputs
        return code

    def _composite(self, folder: Path, with_: dict, ctx: dict, result: StepResult) -> int:
        action = yaml.safe_load((folder / "action.yml").read_text())
        if action["runs"]["using"] != "composite":
            raise emulated.NotEmulated(f"{folder}: only composite local actions are emulated")
        inputs = {name: with_.get(name, to_string(spec.get("default", ""))) for name, spec in (action.get("inputs") or {}).items()}
        inner_ctx = {k: v for k, v in ctx.items() if k != "secrets"} | {"inputs": inputs}
        inner_ctx["github"] = ctx["github"] | {"action_path": str(folder)}
        inner_steps: dict = {}
        status = "success"
        saved = self._current_output
        for step in action["runs"]["steps"]:
            if "run" in step and "shell" not in step:
                raise emulated.NotEmulated(f"{folder}: a composite run step needs shell: (GitHub refuses it)")
            status = self._step(step, inner_steps, status, inner_ctx, {}, folder)
        self._current_output = saved
        outputs_ctx = inner_ctx | {"steps": inner_steps, "env": self.env | self.extra_env}
        result.outputs = {k: _env_text(_evaluated(v.get("value", ""), outputs_ctx)) for k, v in (action.get("outputs") or {}).items()}
        return 0 if status == "success" else 1

    def _run_script(self, step: dict, ctx: dict, step_env: dict, defaults: dict, action_dir: Path | None, result: StepResult) -> int:
        script = interpolate(str(step["run"]), ctx)
        shell = step.get("shell", defaults.get("shell"))
        if shell not in SHELLS:
            raise emulated.NotEmulated(f"shell {shell!r} is not emulated")
        working = step.get("working-directory", defaults.get("working-directory"))
        cwd = self.workspace
        if working:
            cwd = Path(interpolate(str(working), ctx))
            cwd = cwd if cwd.is_absolute() else self.workspace / cwd
        files = {name: self.temp / f"_runner_file_commands/{name}_{len(self.result.steps)}" for name in
                 ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for path in files.values():
            path.parent.mkdir(exist_ok=True)
            path.write_text("")
        script_file = self.temp / f"step-{len(self.result.steps)}.sh"
        script_file.write_text(script)
        env = self._process_env(ctx) | {k: str(v) for k, v in files.items()} | self.env | self.extra_env | step_env
        if action_dir:
            env["GITHUB_ACTION_PATH"] = str(action_dir)
        command = [part.replace("{0}", str(script_file)) for part in SHELLS[shell]]
        if self.runner.netns_pid:
            command = netns.prefix(self.runner.netns_pid) + command
        try:
            proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
            code, stdout, out = proc.returncode, proc.stdout, proc.stdout + proc.stderr
        except FileNotFoundError as err:  # a working directory that does not exist
            code, stdout, out = 1, "", f"##[error]An error occurred trying to start process: {err}\n"
        self._current_output.append(out)
        self._workflow_commands(stdout)
        result.outputs = _read_outputs(files["GITHUB_OUTPUT"])
        self.extra_env |= _read_outputs(files["GITHUB_ENV"])
        self.path = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p][::-1] + self.path
        self.result.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        return code

    def _process_env(self, ctx: dict) -> dict:
        github, event = ctx["github"], self.run.event
        event_file = self.temp / "event.json"
        event_file.write_text(json.dumps(event.payload))
        machine = dict(self.runner.machine)
        machine["PATH"] = ":".join(self.path + [machine["PATH"]])
        return machine | {
            "CI": "true", "GITHUB_ACTIONS": "true", "HOME": str(self.home), "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": github["repository"], "GITHUB_REPOSITORY_OWNER": github["repository_owner"],
            "GITHUB_SHA": github["sha"], "GITHUB_REF": github["ref"], "GITHUB_REF_NAME": github["ref_name"],
            "GITHUB_BASE_REF": github["base_ref"], "GITHUB_HEAD_REF": github["head_ref"],
            "GITHUB_EVENT_NAME": github["event_name"], "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_RUN_ID": github["run_id"], "GITHUB_RUN_ATTEMPT": github["run_attempt"],
            "GITHUB_SERVER_URL": github["server_url"], "GITHUB_API_URL": github["api_url"],
            "GITHUB_JOB": self.result.id, "GITHUB_ACTOR": github["actor"], "GITHUB_WORKFLOW": github["workflow"],
        }

    def _workflow_commands(self, stdout: str) -> None:
        for line in stdout.splitlines():
            if line.startswith("::add-mask::"):
                self.result.masks.add(line[len("::add-mask::"):])
            elif m := re.match(r"::(error|warning|notice)[^:]*::(.*)", line):
                self.result.annotations.append((m.group(1), m.group(2)))


def _read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks."""
    out, lines = {}, path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            j = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1: j])
            i = j + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def machine_env(bin_dirs: list[Path], extra: dict[str, str]) -> dict[str, str]:
    """A runner's base environment: system tools only (no venv, no /usr/local), plus `extra`."""
    path = ":".join([str(p) for p in bin_dirs] + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    keep = {k: os.environ[k] for k in ("LANG", "LC_ALL", "TZ") if k in os.environ}
    return keep | {"PATH": path} | extra

