"""`python3 -I FOLDER …` (as the workflows run the comment) and `python -m workflows.plan_comment …`.

Run as a folder, this file is a plain script: FOLDER is sys.path[0] and there is no package, so
the relative imports inside would fail. It loads FOLDER as the package `plan_comment` by its path
(as the import system would, nothing added to sys.path), then runs its CLI.
"""

import sys

if __package__:
    from .cli import main
else:
    import importlib.util
    import os

    _folder = os.path.dirname(os.path.abspath(__file__))
    _spec = importlib.util.spec_from_file_location("plan_comment", os.path.join(_folder, "__init__.py"), submodule_search_locations=[_folder])
    _package = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    sys.modules["plan_comment"] = _package
    _spec.loader.exec_module(_package)  # type: ignore[union-attr]
    main = _package.main

if __name__ == "__main__":
    sys.exit(main())
