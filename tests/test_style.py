"""The whole repository, notebooks included, passes ruff's lint and format checks.

The rules live in pyproject.toml ([tool.ruff]). To fix most findings at once:
``.venv/bin/python -m ruff check --fix . && .venv/bin/python -m ruff format .``
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "ruff_arguments",
    [["check", "--no-fix"], ["format", "--check", "--diff"]],
    ids=["lint", "format"],
)
def test_ruff_passes(ruff_arguments):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *ruff_arguments, "--no-cache", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    exit_code = result.returncode
    assert exit_code == 0, (
        f"`ruff {' '.join(ruff_arguments)}` failed:\n{result.stdout}{result.stderr}"
    )
