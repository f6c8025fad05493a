"""Read a learner's notebook and take out what is theirs: the answer cells.

The file is read as plain JSON, not through nbformat's validation, which
would reject or silently renumber the duplicate cell ids that copied cells
leave behind. Only answer cells are kept; check cells are read only to see
whether the learner changed them.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from .compare import outputs_match
from .course import ANSWER_ROLE, CHECK_ROLE, NOTEBOOK_FORMAT, cell_role
from .results import Flag

CODE_CELL = "code"


class UnreadableNotebook(ValueError):
    """A file that is not a readable nbformat 4 notebook.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder, "01_old.ipynb")
        ...     _ = path.write_text('{"nbformat": 3, "cells": []}')
        ...     read_cells(path)
        Traceback (most recent call last):
        ...
        mha_course.grading.submission.UnreadableNotebook: nbformat 3, expected 4
    """


@dataclass(frozen=True)
class Submission:
    """The learner's side of one exercise.

    Args:
        exercise: the exercise's file name.
        answers: part id -> the learner's answer source, for the parts found.
        flags: what looked wrong in the file (``Flag`` objects).
        claimed_passes: parts whose answer the learner changed and whose check
            cell shows the passing line in their file (a handed-out notebook
            shows it too, under the untouched stub: that is no claim).

    Example:
        >>> answers = {"double": "def double(x): return 2 * x"}
        >>> submission = Submission("01_basics.ipynb", answers, (), frozenset())
        >>> submission.answers["double"]
        'def double(x): return 2 * x'
    """

    exercise: str
    answers: dict
    flags: tuple
    claimed_passes: frozenset


def _text(value):
    """Join a notebook's multi-line string field (a list of lines or a string)."""
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    return value if isinstance(value, str) else ""


def read_cells(path):
    """Return the cells of a notebook file as plain dicts, without validation.

    Args:
        path: the ``.ipynb`` file.

    Returns:
        A list of dicts with ``cell_type``, ``id``, ``source`` (a string),
        ``metadata`` and ``outputs``.

    Raises:
        UnreadableNotebook: if the file is not JSON, or not an nbformat 4
            notebook with a list of cells.

    Example:
        >>> read_cells(__file__)
        Traceback (most recent call last):
        ...
        mha_course.grading.submission.UnreadableNotebook: not JSON: ...
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableNotebook(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise UnreadableNotebook("JSON without a list of notebook cells")
    if data.get("nbformat") != NOTEBOOK_FORMAT:
        raise UnreadableNotebook(
            f"nbformat {data.get('nbformat')!r}, expected {NOTEBOOK_FORMAT}"
        )
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            raise UnreadableNotebook("a cell that is not a JSON object")
        outputs = cell.get("outputs")
        metadata = cell.get("metadata")
        cells.append(
            {
                "cell_type": cell.get("cell_type"),
                "id": cell.get("id"),
                "source": _text(cell.get("source")),
                "metadata": metadata if isinstance(metadata, dict) else {},
                "outputs": _clean_outputs(outputs if isinstance(outputs, list) else []),
            }
        )
    return cells


def _clean_outputs(outputs):
    """Keep well-formed outputs, with their text fields joined into strings."""
    cleaned = []
    for output in outputs:
        if not isinstance(output, dict) or "output_type" not in output:
            continue
        output = dict(output)
        if "text" in output:
            output["text"] = _text(output["text"])
        if isinstance(output.get("data"), dict):
            output["data"] = {
                k: _text(v) if isinstance(v, list) else v
                for k, v in output["data"].items()
            }
        cleaned.append(output)
    return cleaned


def _claimants(cells, role, part):
    """Return the code cells that claim ``role`` for ``part``, by metadata or id.

    Metadata wins; the course cell id is the fallback for a cell whose
    metadata was lost.
    """
    by_metadata = [c for c in cells if cell_role(c) == (role, part.id)]
    if by_metadata:
        return by_metadata
    cell_id = part.answer_cell_id if role == ANSWER_ROLE else part.check_cell_id
    return [c for c in cells if cell_id and c["id"] == cell_id]


def _normalized(source):
    """Source with trailing spaces and surrounding blank lines removed."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def extract_submission(path, exercise):
    """Take the learner's answers and note any changes to the course's cells.

    Args:
        path: the learner's copy of the exercise notebook.
        exercise: the course's ``Exercise``.

    Returns:
        A ``Submission``.

    Raises:
        UnreadableNotebook: if the file cannot be read as a notebook.

    Example:
        The handed-out notebook, read as a learner's: every stub is an
        answer, nothing is flagged, and no passing line counts as a claim.

        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> from mha_course.grading.course import load_course
        >>> exercise = load_course(DEFAULT_EXERCISES_DIR).exercises[0]
        >>> handed_out = DEFAULT_EXERCISES_DIR / exercise.name
        >>> submission = extract_submission(handed_out, exercise)
        >>> sorted(submission.answers), submission.flags, submission.claimed_passes
        (['qkv_projections', 'softmax'], (), frozenset())
        >>> "raise NotImplementedError" in submission.answers["softmax"]
        True
    """
    cells = read_cells(path)
    answers, flags, claimed = {}, [], set()
    for part in exercise.parts:
        answer_cells = [
            c
            for c in _claimants(cells, ANSWER_ROLE, part)
            if c["cell_type"] == CODE_CELL
        ]
        if not answer_cells:
            flags.append(Flag("answer_missing", part.id, "no answer cell found"))
        else:
            if len(answer_cells) > 1:
                flags.append(
                    Flag(
                        "duplicate_answer",
                        part.id,
                        f"{len(answer_cells)} cells claim it; the last was graded",
                    )
                )
            answers[part.id] = answer_cells[-1]["source"]

        check_cells = _claimants(cells, CHECK_ROLE, part)
        if not check_cells:
            flags.append(Flag("check_deleted", part.id, "no check cell found"))
            continue
        if any(
            c["cell_type"] != CODE_CELL
            or _normalized(c["source"]) != _normalized(part.check_source)
            for c in check_cells
        ):
            flags.append(Flag("check_modified", part.id, "check cell source changed"))
        course_answer = exercise.notebook.cells[part.answer_index].source
        worked_on = part.id in answers and (
            _normalized(answers[part.id]) != _normalized(course_answer)
        )
        shows_pass = outputs_match(check_cells[-1]["outputs"], part.passing_outputs)[0]
        if worked_on and shows_pass:
            claimed.add(part.id)
    return Submission(exercise.name, answers, tuple(flags), frozenset(claimed))


def find_learner_notebook(folder, name):
    """Find the learner's copy of exercise ``name`` in their folder.

    The file is looked for directly in ``folder``, then anywhere below it
    (a learner may hand in the whole ``exercises/`` folder), skipping
    JupyterLab's checkpoint copies; the shallowest match wins.

    Args:
        folder: the learner's folder.
        name: the exercise's file name.

    Returns:
        The path, or None when the learner has no such file.

    Example:
        >>> find_learner_notebook(".", "no_such_exercise.ipynb") is None
        True
    """
    folder = Path(folder)
    direct = folder / name
    if direct.is_file():
        return direct
    found = [
        path
        for path in folder.rglob(name)
        if path.is_file() and ".ipynb_checkpoints" not in path.parts
    ]
    return min(found, key=lambda path: (len(path.parts), str(path))) if found else None
