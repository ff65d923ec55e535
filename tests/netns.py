"""Network namespaces for tests: a holder process keeps one alive, threads and processes join it.

A listening socket belongs to the namespace of the thread that created it, and `setns` changes only
the calling thread: so a server made in `thread(pid, …)` listens inside, and its accepted
connections stay there whichever thread serves them. Processes join with `prefix(pid)` (nsenter).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import threading

CLONE_NEWNET = 0x40000000


def thread(pid: int, fn, *args) -> threading.Thread:
    """A started daemon thread running fn(*args) inside the network namespace of process `pid`."""

    def run():
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)
        fn(*args)

    started = threading.Thread(target=run, daemon=True)
    started.start()
    return started


def call(pid: int, fn, *args):
    """fn(*args) inside the network namespace of process `pid`: its value, or its exception."""
    box: dict = {}

    def keep():
        try:
            box["value"] = fn(*args)
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error

    thread(pid, keep).join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def prefix(pid: int) -> list[str]:
    """The argv prefix that runs a command in the network namespace of `pid` (the caller's mounts)."""
    return [shutil.which("nsenter") or "nsenter", "-t", str(pid), "-n", "--"]


class Netns:
    """A fresh network namespace (loopback up, nothing else) held by a `sleep`; `close()` ends it."""

    def __init__(self):
        self.holder = subprocess.Popen(
            ["unshare", "-n", "sh", "-c", "ip link set lo up && echo ready && exec sleep infinity"],
            stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        if self.holder.stdout is None or self.holder.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the network namespace did not come up")
        self.pid = self.holder.pid

    def run(self, *cmd: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix(self.pid), *cmd], check=check, capture_output=True, text=True, **kwargs)

    def thread(self, fn, *args) -> threading.Thread:
        return thread(self.pid, fn, *args)

    def call(self, fn, *args):
        return call(self.pid, fn, *args)

    def close(self) -> None:
        if self.holder.poll() is None:
            os.killpg(self.holder.pid, signal.SIGKILL)
        self.holder.wait()

    def __enter__(self) -> Netns:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
