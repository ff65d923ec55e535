"""`webkit infra status`: what Terraform manages in an environment (from its state) beside what each
VM app runs (from the deploy agent on its droplet).

The agent is reached as the deploy job reaches it: OpenSSH pinned to the host key in the state,
logged in with the deploy key from the state (root on the VM), webkit's own copy of the agent
uploaded to AGENT_PATH and run as `status`. Port 22 admits only the app's `ssh_sources` outside a
deploy: where it does not answer, the report says so for that app and shows the Terraform side all
the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from webkit.commands.vm_access import AGENT_PATH, VmAccessError, VmHost, ssh_command, ssh_failure

AGENT_TIMEOUT = 120  # seconds for each of the two ssh sessions (upload, status)


@dataclass(frozen=True)
class Running:
    """What the agent said about one app (`result`), or why nothing is known (`reason`)."""

    app: str
    address: str
    result: dict | None
    reason: str


def resources(state: dict) -> list[tuple[str, str]]:
    """(address, type) of every resource instance Terraform manages in `state` (data sources are
    read, not managed)."""
    found = []
    for resource in state.get("resources") or []:
        if not isinstance(resource, dict) or resource.get("mode") != "managed":
            continue
        module = f"{resource['module']}." if resource.get("module") else ""
        address = f"{module}{resource.get('type')}.{resource.get('name')}"
        for instance in resource.get("instances") or [{}]:
            key = instance.get("index_key") if isinstance(instance, dict) else None
            found.append((address + ("" if key is None else f"[{json.dumps(key)}]"), str(resource.get("type"))))
    return found


def agent_source() -> str:
    """webkit's own deploy agent: the version this webkit deploys with."""
    import workflows

    return (Path(workflows.__file__).parent / "deploy_agent.py").read_text()


def agent_status(host: VmHost) -> Running:
    """Upload the agent and ask it `status` for `host`'s app, over OpenSSH with the pinned host key."""
    with tempfile.TemporaryDirectory(prefix="webkit-status-") as private:  # 0700: the key is root on the VM
        key, known = Path(private) / "deploy_key", Path(private) / "known_hosts"
        with os.fdopen(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(host.deploy_key)
        known.write_text(host.known_hosts_line)
        folder = PurePosixPath(AGENT_PATH).parent
        steps = [(f"sudo install -d -m 0700 {folder} && sudo tee {AGENT_PATH} >/dev/null", agent_source(), "uploading the agent"),
                 (f"sudo python3 {AGENT_PATH} status", json.dumps({"app": host.app}), "the agent")]
        for command, given, what in steps:
            try:
                done = subprocess.run(ssh_command(key, known, host.alias, host.address, command), input=given,
                                      capture_output=True, text=True, timeout=AGENT_TIMEOUT)
            except (VmAccessError, OSError) as err:
                return Running(host.app, host.address, None, str(err))
            except subprocess.TimeoutExpired:
                return Running(host.app, host.address, None, f"{what}: no answer in {AGENT_TIMEOUT} s")
            if done.returncode == 255:
                return Running(host.app, host.address, None, ssh_failure(done))
            if what == "uploading the agent" and done.returncode != 0:
                return Running(host.app, host.address, None, f"{what} failed: {_last_line(done.stderr)}")
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if not isinstance(result, dict):
            raise ValueError
    except (ValueError, IndexError):
        return Running(host.app, host.address, None, f"the agent gave no result (exit {done.returncode}): {_last_line(done.stderr)}")
    return Running(host.app, host.address, result, str(result.get("reason", "")))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "nothing on stderr"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "".join("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in [header, *rows])


def _version(running: Running) -> tuple[str, ...]:
    result = running.result
    if result is None:
        return (running.app, running.address, "unknown", "", "", "", running.reason)
    current = result.get("current")
    current = current if isinstance(current, dict) else {}
    healthy = {True: "yes", False: "no"}.get(result["healthy"], "unknown") if isinstance(result.get("healthy"), bool) else "unknown"
    return (running.app, running.address, healthy, str(current.get("sha", "")), str(current.get("digest", "")),
            str(current.get("time", "")), running.reason)


def report(environment: str, managed: list[tuple[str, str]], running: list[Running], problems: dict[str, str]) -> str:
    """The two sides as text tables (controls are escaped where it is printed)."""
    text = f"Terraform manages in {environment}: {len(managed)} resource{'s' if len(managed) != 1 else ''}\n"
    text += _table(("ADDRESS", "TYPE"), sorted(managed)) if managed else "  nothing: no state, or an empty one\n"
    rows = [_version(r) for r in running] + [(app, "", "unknown", "", "", "", reason) for app, reason in problems.items()]
    if rows:
        text += "\nVM apps run (their deploy agent's status)\n"
        text += _table(("APP", "ADDRESS", "HEALTHY", "SHA", "DIGEST", "SINCE", "NOTE"), rows)
    return text
