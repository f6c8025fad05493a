"""The stored notebooks are clean: run in order, free of errors and warnings.

nbval compares a fresh run against the outputs stored in each notebook, so the
stored copy must be a faithful, complete run. These checks read the files only;
they start no kernel. A folder with no notebooks yet gives an empty (skipped)
parameter set rather than a failure.
"""

from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FORMAT = 4
MAX_LINE_LENGTH = 88  # the same limit as ruff's line-length in pyproject.toml
EXPECTED_KERNEL = "python3"
IGNORE_OUTPUT_MARKER = "NBVAL_IGNORE_OUTPUT"  # as a comment line: # NBVAL_IGNORE_OUTPUT
IGNORE_OUTPUT_TAG = "nbval-ignore-output"  # nbval's tag form of the same marker


def _notebooks_in(folder):
    """Return the notebooks stored in a top-level folder of the repository."""
    return sorted((REPO_ROOT / folder).glob("*.ipynb"))


def _notebook_id(path):
    """Return a short test id such as ``notebooks/00_welcome.ipynb``."""
    return path.relative_to(REPO_ROOT).as_posix()


LESSONS_AND_SOLUTIONS = _notebooks_in("notebooks") + _notebooks_in("solutions")
EVERY_STORED_NOTEBOOK = LESSONS_AND_SOLUTIONS + _notebooks_in("exercises")

over_lessons_and_solutions = pytest.mark.parametrize(
    "path", LESSONS_AND_SOLUTIONS, ids=_notebook_id
)
over_every_stored_notebook = pytest.mark.parametrize(
    "path", EVERY_STORED_NOTEBOOK, ids=_notebook_id
)


def _read(path):
    return nbformat.read(path, as_version=NOTEBOOK_FORMAT)


def _code_cells(notebook):
    """Return (index in the notebook, cell) for every code cell."""
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
    ]


def _ignores_output(cell):
    """Tell whether nbval ignores this cell's output (comment marker or tag)."""
    comments = [
        line.strip().lstrip("#").strip()
        for line in cell.source.splitlines()
        if line.strip().startswith("#")
    ]
    tags = cell.metadata.get("tags", [])
    return IGNORE_OUTPUT_MARKER in comments or IGNORE_OUTPUT_TAG in tags


@over_lessons_and_solutions
def test_kernel_is_python3(path):
    kernelspec = _read(path).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == EXPECTED_KERNEL, (
        f"kernelspec name should be {EXPECTED_KERNEL!r}, "
        f"found {kernelspec.get('name')!r}"
    )


@over_lessons_and_solutions
def test_stored_run_is_complete_and_in_order(path):
    cells = _code_cells(_read(path))
    found = [cell.execution_count for _, cell in cells]
    expected = list(range(1, len(cells) + 1))
    for (index, cell), count, wanted in zip(cells, found, expected, strict=True):
        hint = (
            "empty code cells are never run: delete them"
            if not cell.source.strip()
            else "re-run the notebook top to bottom "
            "(python3 course.py execute) and save it"
        )
        assert count == wanted, (
            f"cell {index} has execution count {count}, expected {wanted}; {hint}"
        )


@over_every_stored_notebook
def test_no_error_outputs_stored(path):
    errors = [
        f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
        for index, cell in _code_cells(_read(path))
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, (
        "stored error outputs (to show an expected exception, catch it and print "
        "its message instead):\n" + "\n".join(errors)
    )


@over_lessons_and_solutions
def test_no_stderr_unless_output_ignored(path):
    noisy = [
        f"cell {index}: {output.text.strip()[:200]!r}"
        for index, cell in _code_cells(_read(path))
        if not _ignores_output(cell)
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert not noisy, (
        "stderr output (usually a warning) stored in cells not marked "
        f"'# {IGNORE_OUTPUT_MARKER}'; nbval would flag it on every run:\n"
        + "\n".join(noisy)
    )


@over_lessons_and_solutions
def test_code_lines_fit_the_width(path):
    too_long = [
        f"cell {index}, line {number}: {len(line)} characters"
        for index, cell in _code_cells(_read(path))
        for number, line in enumerate(cell.source.splitlines(), start=1)
        if len(line) > MAX_LINE_LENGTH
    ]
    assert not too_long, (
        f"code lines longer than {MAX_LINE_LENGTH} characters:\n" + "\n".join(too_long)
    )
