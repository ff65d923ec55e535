"""The early kernel: Node starts and loads cdktf while Python imports it, and stops cleanly."""

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from constructs_lib import kernel


@pytest.mark.parametrize("package", kernel.PACKAGES)
def test_queued_loads_are_the_ones_the_bindings_make(package):
    """Read from the `_jsii` module's text: if a bindings upgrade changed it, the early path would
    quietly stop paying (the bindings would load again, in turn)."""
    bindings = importlib.import_module(f"{package}._jsii").__jsii_assembly__
    name, version, tarball = kernel.assembly(package)
    assert (name, version) == (bindings.name, bindings.version)
    assert tarball.endswith(bindings.filename)


def test_importing_cdktf_goes_through_the_early_kernel(tmp_path):
    code = (
        "import constructs_lib.compat\n"
        "from jsii._kernel import Kernel\n"
        "process = Kernel().provider._process\n"
        "print(type(process).__name__, sorted(name for name, _ in process._queued))\n"
        "print(constructs_lib.compat.App().synth() is None)\n"
    )
    # the synth writes cdktf.out/ into the working directory: the test's own, not the checkout
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["EarlyProcess ['@cdktf/provider-digitalocean', 'cdktf', 'constructs']", "True"]
    assert result.stderr == ""


def test_no_second_kernel_once_one_runs():
    from jsii._kernel import Kernel

    import constructs_lib.compat  # noqa: F401  (the kernel of this test process is running)

    provider = Kernel().provider
    kernel.prestart()
    assert Kernel().provider is provider


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc (Linux)")
def test_stop_ends_every_process_node_started_even_a_stuck_one(tmp_path):
    """Node runs jsii's kernel in a child process; one that does not end with its parent (here
    stopped with SIGSTOP, as a busy or stuck one) is killed, not left orphaned."""
    code = (
        "import os, pathlib, signal\n"
        "from constructs_lib.compat import App\n"
        "from constructs_lib.kernel import stop\n"
        "from jsii._kernel import Kernel\n"
        "App()\n"
        "node = Kernel().provider._process._process.pid\n"
        "children = [int(c) for t in pathlib.Path(f'/proc/{node}/task').iterdir() for c in (t / 'children').read_text().split()]\n"
        "assert children, 'Node runs the kernel in a child'\n"
        "for child in children:\n"
        "    os.kill(child, signal.SIGSTOP)\n"
        "stop()\n"
        "print(' '.join(map(str, [node, *children])))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TMPDIR": str(tmp_path)}, cwd=tmp_path)  # App() makes cdktf.out/ there
    assert result.returncode == 0, result.stderr
    pids = [int(p) for p in result.stdout.split()]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [p for p in pids if alive(p)]:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], "a Node process outlived the stop"


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


def test_node_options_are_added_only_where_the_user_set_none(monkeypatch):
    monkeypatch.setenv("NODE_OPTIONS", "--max-semi-space-size=32 --trace-warnings")
    kernel.configure_node()
    assert os.environ["NODE_OPTIONS"].split() == ["--max-semi-space-size=32", "--trace-warnings", "--no-deprecation"]
    monkeypatch.delenv("NODE_OPTIONS")
    kernel.configure_node()
    assert os.environ["NODE_OPTIONS"].split() == ["--no-deprecation", "--max-semi-space-size=8"]
