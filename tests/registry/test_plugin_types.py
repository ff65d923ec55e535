"""mypy checks a plugin's factory and construct against the stack's contract (stacks/contracts.py)."""

import os
import shutil
import subprocess
import sys

from tests.conftest import REPO

PLUGIN = REPO / "tests" / "plugin" / "webkit_dns"


def mypy(folder, cache) -> subprocess.CompletedProcess:
    env = dict(os.environ, MYPYPATH=str(folder))
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "-p", "webkit_dns"], capture_output=True, text=True,
                          env=env, cwd=REPO)


def test_mypy_passes_the_plugin_and_names_a_construct_that_breaks_the_contract(tmp_path):
    assert mypy(PLUGIN.parent, tmp_path / "cache").returncode == 0
    shutil.copytree(PLUGIN, tmp_path / "plugin" / "webkit_dns")
    construct = tmp_path / "plugin" / "webkit_dns" / "construct.py"
    construct.write_text(construct.read_text().replace("    def output(self, name: str) -> str:", "    def value(self, name: str) -> str:"))
    result = mypy(tmp_path / "plugin", tmp_path / "cache")  # the cache of the first run: only the plugin is checked again
    assert result.returncode == 1
    assert 'Incompatible types in assignment (expression has type "Callable[[Construct, ResourceSpec, StackContext], Zone]", ' \
           'variable has type "ResourceFactory")' in result.stdout
