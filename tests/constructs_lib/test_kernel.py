"""The early kernel: Node starts and loads cdktf while Python imports it, and stops cleanly."""

import importlib
import subprocess
import sys

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


def test_importing_cdktf_goes_through_the_early_kernel():
    code = (
        "import constructs_lib.compat\n"
        "from jsii._kernel import Kernel\n"
        "process = Kernel().provider._process\n"
        "print(type(process).__name__, sorted(name for name, _ in process._queued))\n"
        "print(constructs_lib.compat.App().synth() is None)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["EarlyProcess ['@cdktf/provider-digitalocean', 'cdktf', 'constructs']", "True"]
    assert result.stderr == ""


def test_no_second_kernel_once_one_runs():
    import constructs_lib.compat  # noqa: F401  (the kernel of this test process is running)
    from jsii._kernel import Kernel

    provider = Kernel().provider
    kernel.prestart()
    assert Kernel().provider is provider
