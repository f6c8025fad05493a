"""Write what the grader found: the class's CSV and each learner's feedback."""

import csv
import re
from pathlib import Path

from .results import FLAG_MEANINGS

LEARNER_COLUMN, TOTAL_COLUMN, FLAGS_COLUMN = "learner", "total", "flags"
FLAG_SEPARATOR = ";"
FEEDBACK_SUFFIX = ".md"
# Characters kept in a feedback file name; anything else becomes "_".
UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def grades_rows(grades):
    """Return the CSV's rows, header first.

    Columns: learner, one per part (1 or 0) in course order, total, flags
    (their ``kind:where`` labels joined by ``;``).

    Example:
        >>> from mha_course.grading.results import ClassGrades
        >>> grades_rows(ClassGrades(("add_one",), ()))
        [['learner', 'add_one', 'total', 'flags']]
    """
    rows = [[LEARNER_COLUMN, *grades.part_ids, TOTAL_COLUMN, FLAGS_COLUMN]]
    for learner in grades.learners:
        points = [learner.part(part_id).points for part_id in grades.part_ids]
        flags = FLAG_SEPARATOR.join(learner.flag_labels())
        rows.append([learner.learner, *points, learner.total, flags])
    return rows


def write_grades_csv(grades, path):
    """Write the class's grades as CSV to ``path`` (folders are created).

    Args:
        grades: the class's ``ClassGrades``.
        path: the CSV file to write.

    Returns:
        The path written.

    Example:
        >>> import tempfile
        >>> from mha_course.grading.results import ClassGrades, LearnerResult
        >>> from mha_course.grading.results import PartResult
        >>> ada = LearnerResult("ada", (PartResult("add_one", "01.ipynb", True),))
        >>> grades = ClassGrades(("add_one",), (ada,))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = write_grades_csv(grades, Path(folder, "out", "grades.csv"))
        ...     print(path.read_text(encoding="utf-8"))
        learner,add_one,total,flags
        ada,1,1,
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(grades_rows(grades))
    return path


def feedback_file_name(learner):
    """Return a safe file name for a learner's feedback.

    Example:
        >>> feedback_file_name("Ada Lovelace/2")
        'Ada_Lovelace_2.md'
    """
    stem = UNSAFE_FILE_CHARACTERS.sub("_", learner).strip("._") or "learner"
    return stem + FEEDBACK_SUFFIX


def feedback_text(result, max_points):
    """Return a learner's feedback as Markdown.

    It gives the score, every part that did not pass with the verdict lines of
    the grader's run (the checker's FAIL line, an error, or why the part was
    not run), the parts that passed, and every flag with what it means.

    Args:
        result: the learner's ``LearnerResult``.
        max_points: the points of a perfect score.

    Returns:
        The Markdown text.

    Example:
        >>> from mha_course.grading.results import Flag, LearnerResult, PartResult
        >>> parts = (
        ...     PartResult("add_one", "01.ipynb", True),
        ...     PartResult("double", "01.ipynb", False, ("FAIL double: got 3",)),
        ... )
        >>> flags = (Flag("check_modified", "double", "check cell source changed"),)
        >>> print(feedback_text(LearnerResult("ada", parts, flags), max_points=2))
        # Feedback for ada
        <BLANKLINE>
        Score: 1 / 2
        <BLANKLINE>
        ## 01.ipynb
        <BLANKLINE>
        - `add_one`: passed
        - `double`: **not passed**
            - FAIL double: got 3
        <BLANKLINE>
        ## Flags
        <BLANKLINE>
        - `check_modified:double`: check cell source changed
            - the learner's check cell differs from the course's; the course's
              own check cell was run anyway
        <BLANKLINE>
    """
    lines = [
        f"# Feedback for {result.learner}",
        "",
        f"Score: {result.total} / {max_points}",
    ]
    exercise = None
    for part in result.parts:
        if part.exercise != exercise:
            exercise = part.exercise
            lines += ["", f"## {exercise}", ""]
        if part.passed:
            lines.append(f"- `{part.part}`: passed")
            continue
        lines.append(f"- `{part.part}`: **not passed**")
        lines += [f"    - {verdict}" for verdict in part.verdict]
    if result.flags:
        lines += ["", "## Flags", ""]
        for flag in result.flags:
            lines.append(f"- `{flag.label}`: {flag.detail}")
            lines.append(f"    - {FLAG_MEANINGS[flag.kind]}")
    return "\n".join(lines) + "\n"


def write_feedback(grades, folder):
    """Write one Markdown feedback file per learner into ``folder``.

    File names come from ``feedback_file_name``; two learners whose names
    give the same file name get ``_2``, ``_3``... added.

    Args:
        grades: the class's ``ClassGrades``.
        folder: where the files go (created if needed).

    Returns:
        The paths written, in learner order.

    Example:
        >>> import tempfile
        >>> from mha_course.grading.results import ClassGrades, LearnerResult
        >>> learners = (LearnerResult("ada/1", ()), LearnerResult("ada 1", ()))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     paths = write_feedback(ClassGrades((), learners), folder)
        ...     [path.name for path in paths], paths[0].read_text().splitlines()[0]
        (['ada_1.md', 'ada_1_2.md'], '# Feedback for ada/1')
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for result in grades.learners:
        name = feedback_file_name(result.learner)
        path, copy = folder / name, 1
        while path in paths:  # two names made safe the same way
            copy += 1
            path = folder / f"{Path(name).stem}_{copy}{FEEDBACK_SUFFIX}"
        path.write_text(feedback_text(result, grades.max_points), encoding="utf-8")
        paths.append(path)
    return paths
