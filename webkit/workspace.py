"""A project's files as webkit names them: its manifest, the Terraform JSON it synthesises, and
`.webkit/`, the local folder (cache, sandbox, local plans) that ignores itself in git.

`.webkit/` sits in a checkout, so anyone who can commit can put things there: a `.tf` file in a
Terraform working folder runs with the next plan, a symbolic link redirects webkit's writes. So
webkit's folders must be real folders (never links), a Terraform working folder is made anew on
every run (it holds only what webkit wrote then), and the `.gitignore` is webkit's own.

At the bottom of the import graph, and light: the cache reads it before anything heavy loads.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

MANIFEST_FILE = "app.json"
MANIFEST_LIMIT = 4 * 2**20  # a manifest of thousands of apps is well under 1 MiB
GENERATED_LIMIT = 256 * 2**20  # a generated workflow carries a stack: a few MiB at a thousand apps
STACK_FILE = "cdk.tf.json"  # as cdktf names it: <out>/stacks/<environment>/cdk.tf.json
WEBKIT_DIR = ".webkit"
IGNORE_ALL = "# written by webkit: local plans, sandbox state and lock files stay local\n*\n"


def own_folder(path: Path, mode: int = 0o777) -> Path:
    """`path` as a real folder (made when missing); OSError naming it when it is a symbolic link
    or a file: webkit would otherwise write wherever the link points."""
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        pass
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        what = "a symbolic link" if os.path.islink(path) else "not a folder"
        raise OSError(errno.ENOTDIR, f"{what}, where webkit keeps its own files (remove it)", str(path))
    return Path(path)


def workspace(project_dir: Path, name: str) -> Path:
    """`.webkit/<name>`, with `.webkit/` a real folder that ignores itself so nothing in it is ever
    committed (its `.gitignore` is rewritten when a checkout brought another one, or a link)."""
    from webkit.files import write_atomic

    root = own_folder(Path(project_dir) / WEBKIT_DIR)
    write_atomic(root / ".gitignore", IGNORE_ALL, own=True)
    return root / name


def fresh_folder(parent: Path, name: str) -> Path:
    """`parent/name` made anew and private (0700), empty: whatever was there before (files a
    checkout brought, links, an earlier run's leftovers) is removed, never followed."""
    own_folder(parent)
    folder = Path(parent) / name
    try:
        if stat.S_ISDIR(os.lstat(folder).st_mode):
            shutil.rmtree(folder)  # removes links inside, does not follow them
        else:
            folder.unlink()
    except FileNotFoundError:
        pass
    os.mkdir(folder, 0o700)
    return folder


def find_project(start: Path) -> Path | None:
    """The nearest folder from `start` upwards that holds app.json, as git finds `.git`."""
    for folder in (start, *start.parents):
        if (folder / MANIFEST_FILE).is_file():
            return folder
    return None
