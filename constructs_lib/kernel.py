"""Start jsii's Node kernel, and load cdktf's assemblies into it, while Python imports cdktf.

The stock import waits for each step in turn: Node boots (~0.17 s here), then each assembly
loads (~0.2 s for the three), and only then does Python go on with the bindings' own imports
(~0.2 s). `prestart()` spawns the kernel and queues the three loads without waiting; when jsii's
`_jsii` modules later ask for the same assemblies they are answered at once, and the first real
request (creating the App) reads the queued answers, by which time Node has long finished.

Best effort and light: it imports no cdktf module, and anything unexpected (no Node, another
jsii layout) leaves jsii to start as it always does, so errors surface there, worded as ever.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import types
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from constructs_lib import node
from constructs_lib.node import NodeError

# Loaded in dependency order, as the bindings' own imports would.
PACKAGES = ("constructs", "cdktf", "cdktf_cdktf_provider_digitalocean")
_LOAD = re.compile(r'JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",\s*__name__\[0:-6\],\s*"([^"]+)"')


# Node options for the kernel, each only when NODE_OPTIONS does not already set it:
# - Node 24 warns that jsii's runtime uses util.isArray (DEP0044): noise our users cannot act on;
# - Node 24's young generation is larger than Node 20's: at N=500 the process tree peaked at 460 MB;
#   8 MB semi-spaces keep it at 344 MB and synthesis a little faster (Node 20: no change; bench/).
NODE_OPTIONS = {"--no-deprecation": "--no-deprecation", "--max-semi-space-size": "--max-semi-space-size=8"}


def configure_node() -> None:
    """Set, before the kernel starts (Node reads them once): jsii's banners off (a Node version it
    calls end-of-life or untested; our users cannot act on it) and NODE_OPTIONS above."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")  # majors, comma-separated
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    given = os.environ.get("NODE_OPTIONS", "").split()
    added = [option for name, option in NODE_OPTIONS.items() if not any(g.split("=")[0] == name for g in given)]
    os.environ["NODE_OPTIONS"] = " ".join(given + added)


def assembly(package: str) -> tuple[str, str, str]:
    """(name, version, tarball) that `package`'s `_jsii` module loads, read without importing it."""
    found = find_spec(package)  # a top-level package: found, not run
    if found is None or found.origin is None:
        raise NodeError(f"{package} is not installed")
    folder = Path(found.origin).parent / "_jsii"
    load = _LOAD.search((folder / "__init__.py").read_text())
    if load is None:
        raise NodeError(f"{package}'s jsii assembly is not where this jsii version puts it")
    name, version, tarball = load.groups()
    return name, version, str(folder / tarball)


def assembly_types(package: str) -> dict:
    """The type descriptions in `package`'s jsii assembly (its `.jsii` file), by fully qualified name."""
    with tarfile.open(assembly(package)[2]) as tar:
        # iterated, not getmembers(): `.jsii` comes first, and listing every member means
        # decompressing the whole archive (then again, to seek back to it)
        member = next(m for m in tar if m.name.endswith("/.jsii"))
        data = tar.extractfile(member)
        assert data is not None  # a regular file in the tarball
        return json.load(data)["types"]


_prestarted = False


def _kernel_started() -> bool:
    # jsii starts Node on the first request, and the first request is always a `_jsii` module's load.
    return _prestarted or any(name.endswith("._jsii") for name in sys.modules)


def stop() -> bool:
    """Stop the kernel cleanly (Node removes its temp files) if one was started; True if so.
    Node runs the kernel in a child process of its own: whatever of Node's process group
    outlives the clean stop (a child still busy, or stuck) is killed, never left orphaned."""
    if not _kernel_started():
        return False  # asking jsii for its process would start one
    from jsii._kernel import Kernel

    provider: Any = Kernel().provider
    process = provider._process
    spawned = getattr(process, "_process", None)
    process.stop()
    if spawned is not None and getattr(process, "own_group", False):
        try:
            os.killpg(spawned.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group has already ended
    return True


def prestart() -> None:
    """Spawn the kernel and queue the loads of cdktf's assemblies; return without waiting."""
    if _kernel_started():
        return
    try:
        node.use()
        loads = [assembly(package) for package in PACKAGES]
        configure_node()
        import jsii._runtime  # noqa: F401  (makes the kernel singleton)
        from jsii._kernel import Kernel
        from jsii._kernel.providers.process import ProcessProvider

        process = _early_process_class()(loads)
        process.start()
    except Exception:  # no Node, or a jsii we do not know: the ordinary start will tell
        return
    Kernel().provider = type("EarlyProvider", (ProcessProvider,), {"_process": process})()
    global _prestarted
    _prestarted = True


class _InOwnGroup(types.ModuleType):
    """`subprocess` as jsii's process module sees it: Popen starts a new session (process group)."""

    def __getattr__(self, name):
        return getattr(subprocess, name)

    @staticmethod
    def Popen(*args, **kwargs):  # noqa: N802 (subprocess's name)
        return subprocess.Popen(*args, start_new_session=True, **kwargs)


def _early_process_class():
    from jsii._kernel.providers import process as process_module
    from jsii._kernel.providers.process import _NodeProcess, jdefault
    from jsii._kernel.types import LoadRequest, LoadResponse

    class EarlyProcess(_NodeProcess):
        """jsii's Node process, whose start does not wait for Node and which answers the loads
        it queued itself; the answers Node gives to those are read before the next request.
        Node starts in a process group of its own (POSIX), which `stop()` ends as a whole."""

        own_group = hasattr(os, "killpg")

        def start(self) -> None:
            if self.own_group:
                process_module.subprocess = _InOwnGroup("subprocess")  # jsii spawns only Node there
            super().start()

        def __init__(self, loads):
            super().__init__()
            self._loads = [LoadRequest(name=n, version=v, tarball=t) for n, v, t in loads]
            self._queued = set()  # (name, version) of the loads sent; answered here from then on
            self._unread = None  # answers Node owes us: the hello, then one per queued load

        def handshake(self) -> None:  # the end of start(): queue instead of waiting
            stdin = self._process.stdin
            assert stdin is not None  # started with stdin=PIPE
            for request in self._loads:
                data = json.dumps(self._serializer.unstructure(request), default=jdefault).encode()
                stdin.write(data + b"\n")
            stdin.flush()
            self._queued = {(request.name, request.version) for request in self._loads}
            self._unread = len(self._loads)

        def stop(self) -> None:
            if not hasattr(self, "_process"):  # Node could not be started: nothing to stop
                return
            if self._unread is not None:  # never used (say, the manifest was invalid): do not wait for Node
                self._process.kill()
                if self._process.stdin is not None:
                    self._process.stdin.close()
            super().stop()

        def send(self, request, response_type):
            if isinstance(request, LoadRequest) and (request.name, request.version) in self._queued:
                return LoadResponse(assembly=request.name, types=0)
            if self._unread is not None:
                unread, self._unread = self._unread, None
                super().handshake()
                for _ in range(unread):
                    answer = self._next_message()
                    if "error" in answer:
                        raise NodeError(f"jsii could not load an assembly: {answer['error']}")
            return super().send(request, response_type)

    return EarlyProcess
