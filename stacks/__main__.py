"""`python -m stacks [--project-dir DIR]`: the app that `cdktf synth` runs (see cdktf.json).

cdktf passes the output folder in CDKTF_OUTDIR; the JSON is the same as `webkit infra synth`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from webkit import __version__
from webkit.manifest import ManifestError, load
from webkit.spec import to_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks")
    parser.add_argument("--project-dir", type=Path, default=Path(os.environ.get("WEBKIT_PROJECT_DIR", ".")))
    args = parser.parse_args(argv)
    try:
        manifest, _ = load(args.project_dir)
    except ManifestError as err:
        print(f"✗ {err}", file=sys.stderr)
        return 1
    from stacks.synth import synth_app

    synth_app(to_spec(manifest, __version__), Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
