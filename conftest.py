"""pytest settings that must hold wherever a run starts (repository root or below).

The options themselves live in pyproject.toml; this file only fixes what an
option string cannot express.
"""

import os
from pathlib import Path

# ipykernel picks matplotlib's inline backend only when MPLBACKEND is unset. A
# value inherited from the shell (say "Agg") would reach the kernels that nbval
# starts, drop every figure from the fresh outputs and fail the notebooks.
os.environ.pop("MPLBACKEND", None)


def pytest_configure(config):
    """Resolve --nbval-sanitize-with against the repository root.

    nbval opens the file relative to the current folder, so a run started from a
    subfolder (``cd notebooks && pytest``) would not find it otherwise.
    """
    sanitize_file = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize_file and not Path(sanitize_file).exists():
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize_file)
