#!/usr/bin/env python3
"""The runner's side of a VM app's deploy: what the release workflow's deploy job does in Python.

Standard library only (CI has no webkit): `webkit update` copies it beside the deploy agent into
`.github/actions/webkit-deploy/`, and the job runs `python3 -I deploy_job.py VERB …`.

- `prepare`: from `terraform output -json` (the app's address, pinned host key, deploy key, env)
  and the secrets (sops files decrypted here, GitHub secrets from WEBKIT_SECRET_<NAME>), writes the
  SSH files and the agent's request into a private folder; masks every secret value first.
- `report`: from the agent's result (or the note of the step that failed before it), the job
  summary, the pull-request comment and the Slack text, each opening with the phase and reason.

Nothing here prints a secret: values are masked (`::add-mask::`) before anything else is written,
files holding them are 0600, and a failure names keys and files, never values.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

HOST_KEY = re.compile(r"^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
AGENT_PATH = "/var/lib/webkit/agent/deploy_agent.py"  # on the droplet, root's alone
ROLLBACK_HINT = "roll back: Actions → {workflow} → Run workflow, app {app}, version previous"


class Refused(Exception):
    """The job stops before touching the droplet: `phase` and a reason without any secret value."""

    def __init__(self, phase: str, reason: str):
        super().__init__(reason)
        self.phase = phase


def mask(value: str) -> None:
    """GitHub hides each masked line of the log from here on; a value masks line by line."""
    for line in value.splitlines():
        if line.strip():
            print(f"::add-mask::{line}", flush=True)


def write_private(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def output(name: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a") as handle:
        handle.write(f"{name}={value}\n")


# --------------------------------------------------------------------------- prepare


def _outputs(path: Path, app: str) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise Refused("outputs", f"cannot read the Terraform outputs: {error}") from None
    found = {}
    for name in ("ipv4_address", "ssh_host_key", "deploy_key", "deploy_firewall_id", "env_values", "env_sensitive_values", "env_secret_sources"):
        entry = data.get(f"{app}_{name}")
        if not isinstance(entry, dict) or "value" not in entry:
            raise Refused(
                "outputs",
                f"the state has no output {app}_{name}: has the infrastructure been applied "
                "with this app.json? (a plan with changes is applied before the deploy)",
            )
        found[name] = entry["value"]
    mask(str(found["deploy_key"]))
    for value in found["env_sensitive_values"].values():
        mask(str(value))
    return found


def _secrets(sources: list, sops: str, workspace: Path) -> dict[str, str]:
    """Each user secret of the app, read as the plan job reads them: masked at once; unset is an error."""
    env = {}
    for source in sources:
        key, kind, name = source["key"], source["source"], source["name"]
        if kind == "github":
            value = os.environ.get(f"WEBKIT_SECRET_{name}", "")
            if not value:
                raise Refused("secrets", f"{key}: the GitHub secret {name} is not set (Settings → Secrets and variables → Actions)")
        elif kind == "sops":
            done = subprocess.run(
                [sops, "--decrypt", "--extract", json.dumps([name]), "--", str(workspace / source["file"])], capture_output=True, text=True
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["sops failed"])[-1]
                raise Refused("secrets", f"{key}: cannot decrypt {name} from {source['file']}: {last}")
            value = done.stdout
            if not value:
                raise Refused("secrets", f"{key}: {name} in {source['file']} is empty")
        else:
            raise Refused("secrets", f"{key}: unknown secret source {kind!r}")
        mask(value)
        env[key] = value
    return env


def _request(args, found: dict, env: dict[str, str]) -> dict:
    if args.verb == "rollback":
        return {"app": args.app}
    if args.verb == "status":  # the drift check: what runs, compared with this env (key names come back)
        return {"app": args.app, "env": env}
    registry = {"server": args.image.split("/", 1)[0], "username": args.registry_user, "password": os.environ.get("REGISTRY_TOKEN", "")}
    request = {
        "app": args.app, "image": args.image, "sha": args.sha, "run_url": args.run_url, "env": env,
        "port": args.port, "health_path": args.health_path, "health_timeout": args.health_timeout,
        "domains": args.domain or [found["ipv4_address"]], "tls": "auto" if args.domain else "off",
        "caddy_image": args.caddy_image, "registry": registry if registry["password"] else None,
    }  # fmt: skip
    if args.release_command:
        request["release_command"] = args.release_command
    if args.digest:
        request["digest"] = args.digest
    else:  # a rollback to a commit: its image by tag
        request["tag"] = f"sha-{args.sha}"
    return request


def prepare(args) -> None:
    folder = Path(args.dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = _outputs(Path(args.outputs), args.app)
    try:
        address = str(ipaddress.ip_address(found["ipv4_address"]))
    except ValueError:
        raise Refused("outputs", f"{args.app}_ipv4_address is not an IP address") from None
    host_key = str(found["ssh_host_key"]).strip()
    if not HOST_KEY.fullmatch(host_key):
        raise Refused("outputs", f"{args.app}_ssh_host_key is not an ssh-ed25519 public key")
    if args.verb == "deploy" and not (args.digest or COMMIT.fullmatch(args.sha)):
        raise Refused("request", f"version {args.sha!r} is neither 'previous' nor a full 40-character commit")
    env = {str(k): str(v) for k, v in {**found["env_values"], **found["env_sensitive_values"]}.items()}
    if args.verb in ("deploy", "status"):
        env |= _secrets(found["env_secret_sources"], args.sops, Path(args.workspace))
    bad = [k for k, v in env.items() if not ENV_KEY.fullmatch(k) or "\0" in v]
    if bad:
        raise Refused("request", f"env keys that cannot reach a container: {', '.join(sorted(bad))}")
    write_private(folder / "deploy_key", str(found["deploy_key"]).rstrip("\n") + "\n")
    write_private(folder / "known_hosts", f"{args.alias} {host_key}\n")
    write_private(folder / "request.json", json.dumps(_request(args, found, env)))
    output("address", address)
    output("firewall", str(found["deploy_firewall_id"]))
    output("url", f"https://{args.domain[0]}" if args.domain else f"http://{address}")


# --------------------------------------------------------------------------- report


NEXT = {
    "build": "Fix the build (its job's log says what failed) and merge again.",
    "outputs": "Make sure the release's plan and apply succeeded for this environment, then re-run the failed jobs.",
    "secrets": "Set the secret (or fix the sops file) and re-run the failed jobs.",
    "request": "Dispatch again with version `previous` or a full commit whose image was built.",
    "window": "Check that DIGITALOCEAN_TOKEN may write firewalls, then re-run the failed jobs.",
    "connect": "Check the droplet is running (DigitalOcean console) and re-run the failed jobs.",
    "host-key": (
        "Do not re-run until you know why: a rebuilt droplet and a man-in-the-middle look the same. "
        "If the droplet was rebuilt outside Terraform, replace it through Terraform so its keys match."
    ),
    "host-setup": "Fix what the first boot reported (the failing module above), then re-run the failed jobs.",
}


def _load(path: str) -> dict | None:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def outcome(args) -> dict:
    """What happened: the agent's result, else the note of the step that stopped the job."""
    result = _load(args.result) or _load(args.note)
    if result is None:
        phase = "build" if args.build == "failure" else "deploy"
        reason = (
            f"the image of {args.app} was not built or pushed (see the build job's log)"
            if phase == "build"
            else "the deploy job stopped before the agent answered (see the job's log)"
        )
        result = {"ok": False, "phase": phase, "reason": reason}
    return result


def _short(entry: dict | None) -> str:
    return f"sha {str(entry.get('sha', '?'))[:12]}" if isinstance(entry, dict) else "nothing"


def render(args, result: dict) -> tuple[str, str, str]:
    """(the summary/comment markdown, the Slack text, the log's first line)."""
    where = f"{args.app} ({args.environment})"
    ok, phase, reason = bool(result.get("ok")), str(result.get("phase", "?")), str(result.get("reason", ""))
    current = result.get("current")
    if ok:
        first = f"{where}: deployed {_short(current)} — {reason}" if phase != "unchanged" else f"{where}: {reason}"
        lines = [f"### ✅ {first}", "", f"Serving at {args.url}." if args.url else ""]
        slack = f"✅ {args.repository}: {first} ({args.run_url})"
    else:
        first = f"{where}: {phase} failed: {reason}"
        touched = result.get("verb") in ("deploy", "rollback")
        serving = (
            f"Still serving the previous version: {_short(current)}."
            if touched
            else "The droplet was not touched: it still serves what it served before."
        )
        next_step = NEXT.get(phase) or ("Fix the app and merge again, or " + ROLLBACK_HINT.format(workflow=args.workflow, app=args.app) + ".")
        lines = [f"### ❌ {first}", "", serving, "", f"Next: {next_step}"]
        slack = f"❌ {args.repository}: {first}. {serving} {args.run_url}"
    history = [
        f"| {name} | {_short(entry)} | `{str(entry.get('digest', ''))[:19]}` | {entry.get('time', '')} |"
        for name, entry in (("current", current), ("previous", result.get("previous")))
        if isinstance(entry, dict)
    ]
    if history:
        lines += ["", "| | version | image | since |", "|---|---|---|---|", *history]
    lines += ["", f"[The run]({args.run_url})"]
    return _escape("\n".join(lines)) + "\n", _escape(slack), _escape(first)


def _escape(text: str) -> str:
    """Agent reasons can carry text from a container's log: no HTML, no mentions, no workflow commands."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b").replace("::", ":\u200b:")


def report(args) -> int:
    result = outcome(args)
    markdown, slack, first = render(args, result)
    folder = Path(args.dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / "report.md").write_text(markdown)
    (folder / "slack.json").write_text(json.dumps({"text": slack}))
    (folder / "comment.json").write_text(json.dumps({"body": f"<!-- webkit-deploy {args.environment} {args.app} -->\n" + markdown}))
    print(("::notice title=Deployed::" if result.get("ok") else "::error title=Deploy failed::") + first.replace("\n", " "))
    return 0 if result.get("ok") else 1


def drift(args) -> int:
    """The app drift issue's body (DIR/drift.md) from the agent's `status` and whether the running
    version's inputs equal the branch's; exit 1 when anything differs."""
    result = _load(args.result) or _load(args.note) or {"phase": "status", "reason": "the agent did not answer (see the job's log)"}
    where = f"{args.app} ({args.environment})"
    current = result.get("current")
    findings = []
    if result.get("verb") != "status":
        findings.append(f"The running version could not be read: {result.get('phase')}: {result.get('reason')}")
    else:
        if not isinstance(current, dict):
            findings.append("Nothing is deployed: the release has not deployed this app yet, or its record is gone.")
        elif args.up_to_date != "true":
            findings.append(f"Expected version: `{args.expected[:12]}` (the branch's head), running: `{str(current.get('sha'))[:12]}`: "
                            "its image or env inputs differ from the branch's.")
        if isinstance(current, dict) and not result.get("running"):
            findings.append(f"The container `{current.get('container')}` is not running.")
        elif isinstance(current, dict) and not result.get("healthy"):
            findings.append(f"The app is unhealthy: {result.get('reason')}")
        if result.get("env_differs"):
            findings.append("Env keys whose value differs from what the release would send (names only): "
                            + ", ".join(f"`{k}`" for k in result["env_differs"]))
        for stray in result.get("strays") or []:
            findings.append(f"A container the agent did not start: `{stray.get('name')}` ({stray.get('image')}, "
                            f"{'running' if stray.get('running') else 'stopped'})")
    body = [f"## App drift detected ({args.environment}/{args.app})", "", *(f"- {f}" for f in findings), "",
            "Redeploy from the branch (Actions → Release → Run workflow, app all) or find out who changed the machine.",
            f"[The drift check]({args.run_url})"]
    (Path(args.dir) / "drift.md").write_text(_escape("\n".join(body)) + "\n")
    print(f"{where}: " + ("; ".join(_escape(f) for f in findings) if findings else "runs what the branch says"))
    return 1 if findings else 0


def show_logs(path: str) -> None:
    """The new container's last lines (the agent masked the env's values), for this job's log only:
    inside a stop-commands block, so a line of the app cannot act as a workflow command."""
    logs = (_load(path) or {}).get("logs")
    if logs:
        token = secrets.token_hex(16)
        print(f"::stop-commands::{token}\nThe new container's last log lines:\n{logs}\n::{token}::", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="deploy_job.py")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    for name in ("outputs", "app", "alias", "dir", "image", "sha", "run-url", "health-path", "caddy-image", "registry-user", "sops", "workspace"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--verb", choices=("deploy", "rollback", "status"), required=True)
    p.add_argument("--digest", default="")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--health-timeout", type=int, required=True)
    p.add_argument("--release-command", default="")
    p.add_argument("--domain", action="append", default=[])
    r = sub.add_parser("report")
    for name in ("app", "environment", "dir", "result", "note", "repository", "run-url", "workflow"):
        r.add_argument(f"--{name}", required=True)
    r.add_argument("--url", default="")
    r.add_argument("--build", default="")
    sub.add_parser("logs").add_argument("--result", required=True)
    d = sub.add_parser("drift")
    for name in ("app", "environment", "dir", "result", "note", "expected", "up-to-date", "run-url"):
        d.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            prepare(args)
            return 0
        if args.command == "logs":
            show_logs(args.result)
            return 0
        if args.command == "drift":
            return drift(args)
        return report(args)
    except Refused as refused:
        note = Path(getattr(args, "dir", ".")) / "note.json"
        note.write_text(json.dumps({"ok": False, "phase": refused.phase, "reason": str(refused)}))
        print(f"::error title={refused.phase}::{refused}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
