"""A project's files as webkit names them: its manifest, the Terraform JSON it synthesises, and
`.webkit/`, the local folder (cache, sandbox, local plans) that ignores itself in git.

At the bottom of the import graph, and light: the cache reads it before anything heavy loads.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST_FILE = "app.json"
STACK_FILE = "cdk.tf.json"  # as cdktf names it: <out>/stacks/<environment>/cdk.tf.json
WEBKIT_DIR = ".webkit"


def workspace(project_dir: Path, name: str) -> Path:
    """`.webkit/<name>`, with `.webkit/` ignoring itself so nothing in it is ever committed."""
    root = Path(project_dir) / WEBKIT_DIR
    root.mkdir(exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by webkit: local plans, sandbox state and lock files stay local\n*\n")
    return root / name


def find_project(start: Path) -> Path | None:
    """The nearest folder from `start` upwards that holds app.json, as git finds `.git`."""
    for folder in (start, *start.parents):
        if (folder / MANIFEST_FILE).is_file():
            return folder
    return None
