"""Real programs the tests run (sshd, cloud-init, …): found, or the test skips naming what is missing.

On a developer's machine a missing Debian package is a skip that says which; under `CI=true`
(`.ci/run` installs them all) it is a failure, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

SYSTEM_PATHS = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def require(tool: str, package: str) -> str:
    """The path of `tool` (searched on PATH and in the sbin folders), or a skip / CI failure."""
    found = shutil.which(tool) or shutil.which(tool, path=SYSTEM_PATHS)
    if found:
        return found
    message = f"`{tool}` not found: install the Debian package `{package}` (.ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; under CI=true a missing tool is a failure, not a skip")
    pytest.skip(message)


def require_root(why: str) -> None:
    """Namespaces with mounts (and sshd's privilege separation) need root: else skip, or fail in CI."""
    if os.geteuid() == 0:
        return
    message = f"needs root: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
