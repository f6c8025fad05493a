"""Run one learner's exercises in one kernel and score every part.

For each exercise the course's notebook is copied, the learner's answer
sources are pasted into its answer cells, and the copy runs top to bottom
with nbclient. Each check cell's fresh output is compared with the course's
stored passing line by nbval's rule (``compare.outputs_match``).

All of a learner's notebooks share one kernel (starting a kernel and
importing torch costs about 2 s, which would dominate a class); its namespace
is reset and its working folder restored between notebooks. When a cell
times out or the kernel dies, the kernel is restarted and the notebook is run
again from the top with the blamed part's answer left out, so one endless
loop or crash costs that part only.
"""

import copy
import dataclasses
import shutil
import tempfile
from pathlib import Path

from .compare import outputs_match
from .course import IGNORED_FOLDERS
from .kernel import TIMEOUT, KernelSession
from .results import Flag, LearnerResult, PartResult
from .submission import UnreadableNotebook, extract_submission
from .tamper import ScanContext, imported_names, scan_answer

DEFAULT_CELL_TIMEOUT_S = 30.0
# The format's checker module, guarded even if a course imports it otherwise.
CHECKS_MODULE = "mha_course.checks"
# Stands in for an answer that is missing or kept out of the run.
LEFT_OUT_SOURCE = "# (grader) no answer was run for this part: {reason}\n"
# Keep feedback readable when a learner's code prints a whole tensor.
MAX_VERDICT_LINES = 8
MAX_VERDICT_CHARS = 300
# A checker's own line bounds its length (it cuts a quoted error to 160
# characters) and ends with the hint, which MAX_VERDICT_CHARS would cut off.
MAX_CHECKER_LINE_CHARS = 1000
CHECKER_LINE_PREFIXES = ("PASS ", "FAIL ")
UNREPRODUCED_DETAIL = "the file shows the passing line; the grader's run fails"
# Flags that cost no point and only ask a teacher to look.
REVIEW_ONLY_FLAGS = frozenset({"pass_not_reproduced", "uses_package"})


def _assemble(exercise, answers, left_out):
    """Return the course's notebook with the learner's answers pasted in."""
    notebook = copy.deepcopy(exercise.notebook)
    for part in exercise.parts:
        cell = notebook.cells[part.answer_index]
        if part.id in answers and part.id not in left_out:
            cell.source = answers[part.id]
        else:
            reason = left_out.get(part.id, "no answer cell")
            cell.source = LEFT_OUT_SOURCE.format(reason=reason)
        cell.outputs = []
    return notebook


def _blame(exercise, index):
    """Return the part whose answer is blamed for trouble in cell ``index``.

    An answer or check cell blames its own part; any other cell blames the
    last part whose answer ran before it (a demo cell calling that answer).
    """
    blamed = None
    for part in exercise.parts:
        if part.answer_index <= index:
            blamed = part.id
    return blamed


def _shorten(line):
    checker_line = line.startswith(CHECKER_LINE_PREFIXES)
    limit = MAX_CHECKER_LINE_CHARS if checker_line else MAX_VERDICT_CHARS
    if len(line) <= limit:
        return line
    return line[: limit - 3] + "..."


def _verdict(outputs, passed, explanation):
    """Return the lines that tell the learner what their check cell said."""
    lines = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            prefix = "" if output.get("name") == "stdout" else "stderr: "
            text = output.get("text", "")
            lines += [prefix + line for line in text.splitlines() if line.strip()]
        elif kind == "error":
            lines.append(f"{output.get('ename')}: {output.get('evalue')}")
    if (
        not passed
        and explanation
        and not any(line.startswith("FAIL") for line in lines)
    ):
        lines.append("output differs from the passing line: " + explanation)
    if not lines:
        lines.append("the check cell printed nothing")
    if len(lines) > MAX_VERDICT_LINES:
        lines = lines[: MAX_VERDICT_LINES - 1] + [f"... ({len(lines)} lines in all)"]
    return tuple(_shorten(line) for line in lines)


def _run_notebook(session, notebook):
    """Reset the kernel, then run a notebook's code cells in order.

    Returns:
        ``None`` if every cell ran, else ``(cell index, "timeout" or
        "kernel_crash")``, the index being -1 when the reset itself failed.
    """
    event = session.reset()
    if event:
        return (-1, event)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        event = session.run_cell(notebook, index)
        if event:
            return (index, event)
    return None


def grade_exercise(session, exercise, answers, left_out):
    """Run one exercise with the learner's answers and grade every part.

    Args:
        session: the learner's ``KernelSession``.
        exercise: the course's ``Exercise``.
        answers: part id -> the learner's answer source.
        left_out: part id -> reason, for answers that must not run.

    Returns:
        ``(part results in cell order, flags raised while running, ids of the
        parts whose check was not run)``.

    Example:
        This runs the notebook's cells in a kernel (about 2 s to start), so
        it is not run as a doctest:

        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> from mha_course.grading.course import load_course
        >>> course = load_course(DEFAULT_EXERCISES_DIR)
        >>> answers = {"softmax": "def softmax(x, axis=-1):\\n    return x\\n"}
        >>> with KernelSession(course.directory, 30) as session:  # doctest: +SKIP
        ...     ran = grade_exercise(session, course.exercises[0], answers, {})
        >>> results, flags, not_run = ran  # doctest: +SKIP
        >>> flags, not_run, [result.passed for result in results]  # doctest: +SKIP
        ([], set(), [False, False])
        >>> print(results[0].verdict[0])  # doctest: +SKIP
        FAIL softmax: ... Hint: ...
    """
    left_out = dict(left_out)
    flags = []
    while True:
        notebook = _assemble(exercise, answers, left_out)
        stopped = _run_notebook(session, notebook)
        if stopped is None:
            break
        index, event = stopped
        session.restart()
        blamed = _blame(exercise, index)
        seconds = f"{session.cell_timeout:g} s"
        if blamed is None or blamed in left_out or blamed not in answers:
            what = f"ran past {seconds}" if event == TIMEOUT else "crashed the kernel"
            flags.append(
                Flag("course_cell_failed", exercise.name, f"cell {index} {what}")
            )
            break
        if event == TIMEOUT:
            detail = f"a cell ran past the {seconds} limit"
        else:
            detail = "the kernel died"
        flags.append(Flag(event, blamed, detail))
        left_out[blamed] = f"{event}: {detail}"

    results, not_run = [], set()
    for part in exercise.parts:
        if part.id in left_out and part.id in answers:
            verdict = (f"not graded: {left_out[part.id]}",)
        elif stopped is not None and part.check_index >= stopped[0]:
            verdict = (f"not graded: the run stopped at cell {stopped[0]}",)
        else:
            outputs = notebook.cells[part.check_index].get("outputs", [])
            passed, explanation = outputs_match(outputs, part.passing_outputs)
            verdict = _verdict(outputs, passed, explanation)
            results.append(PartResult(part.id, exercise.name, passed, verdict))
            continue
        not_run.add(part.id)
        results.append(PartResult(part.id, exercise.name, False, verdict))
    return results, flags, not_run


def scan_context(course):
    """Return the ``ScanContext`` guarding this course's checkers.

    Args:
        course: the ``Course``.

    Returns:
        A ``ScanContext`` naming the checker modules (always including
        ``mha_course.checks``), the checker names and the names the course's
        own cells import.

    Example:
        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> from mha_course.grading.course import load_course
        >>> context = scan_context(load_course(DEFAULT_EXERCISES_DIR))
        >>> sorted(context.checker_modules), "check_softmax" in context.checker_names
        (['mha_course.checks'], True)
    """
    return ScanContext(
        checker_modules=course.imported_modules | {CHECKS_MODULE},
        checker_names=course.checker_names,
        course_imports=course.course_imports,
    )


def _screen_answers(exercise, answers, context):
    """Scan answers; return (part -> reason to leave it out, flags)."""
    left_out, flags = {}, []
    for part in exercise.parts:
        if part.id not in answers:
            continue
        # What the course's own answer cell imports, the learner may import.
        course_answer = exercise.notebook.cells[part.answer_index].source
        allowed = dataclasses.replace(
            context, allowed_imports=imported_names(course_answer)
        )
        findings = scan_answer(answers[part.id], allowed)
        serious = [f"line {f.line}: {f.message}" for f in findings if f.serious]
        mild = [f"line {f.line}: {f.message}" for f in findings if not f.serious]
        if serious:
            detail = "; ".join(serious)
            flags.append(Flag("tampering", part.id, detail))
            left_out[part.id] = f"tampering: {detail}"
        elif mild:
            flags.append(Flag("uses_package", part.id, "; ".join(mild)))
    return left_out, flags


def _unreproduced_passes(submission, part_results, not_run):
    """Flag parts whose file shows a passing line that the run did not give."""
    return [
        Flag("pass_not_reproduced", result.part, UNREPRODUCED_DETAIL)
        for result in part_results
        if result.part in submission.claimed_passes
        and result.part not in not_run
        and not result.passed
    ]


def _not_graded(exercise, reason):
    return [PartResult(p.id, exercise.name, False, (reason,)) for p in exercise.parts]


def grade_learner(
    learner,
    notebooks,
    course,
    cell_timeout=DEFAULT_CELL_TIMEOUT_S,
    threads=None,
    review_flags=True,
):
    """Grade one learner's notebooks against the course.

    Args:
        learner: the learner's name.
        notebooks: exercise file name -> path of the learner's copy (or None
            when they have none); exercises not in the mapping count as missing.
        course: the ``Course``.
        cell_timeout: seconds allowed per cell.
        threads: OMP_NUM_THREADS for the kernel, or None to inherit.
        review_flags: raise the flags that only ask a teacher to have a look
            (``pass_not_reproduced``, ``uses_package``). Off for a self-check
            against ``solutions/``: its answer cells differ from the stubs,
            so every untouched stub would raise them.

    Returns:
        A ``LearnerResult`` with every course part, in course order.

    Example:
        A learner with no notebook at all needs no kernel:

        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> from mha_course.grading.course import load_course
        >>> course = load_course(DEFAULT_EXERCISES_DIR).only(["06_masks.ipynb"])
        >>> result = grade_learner("ada", {}, course)
        >>> result.total, result.flag_labels(), result.parts[0].verdict
        (0, ['missing:06_masks.ipynb'], ('notebook missing',))
    """
    context = scan_context(course)
    results, flags = [], []
    with tempfile.TemporaryDirectory(prefix="mha-grade-") as scratch:
        # The kernel works in a copy of the course folder (where checker
        # modules may sit), never in the learner's folder.
        folder = Path(scratch) / "course"
        shutil.copytree(
            course.directory, folder, ignore=shutil.ignore_patterns(*IGNORED_FOLDERS)
        )
        with KernelSession(folder, cell_timeout, threads) as session:
            for exercise in course.exercises:
                path = notebooks.get(exercise.name)
                part_results, part_flags = _grade_file(
                    session, exercise, path, context, review_flags
                )
                results += part_results
                flags += part_flags
    return LearnerResult(learner, tuple(results), tuple(flags))


def _grade_file(session, exercise, path, context, review_flags):
    """Grade a learner's copy of one exercise; return (part results, flags)."""
    if path is None:
        flag = Flag("missing", exercise.name, "no such file")
        return _not_graded(exercise, "notebook missing"), [flag]
    try:
        submission = extract_submission(path, exercise)
    except (OSError, UnreadableNotebook) as error:
        flag = Flag("unreadable", exercise.name, str(error))
        return _not_graded(exercise, f"notebook unreadable: {error}"), [flag]
    left_out, scan_flags = _screen_answers(exercise, submission.answers, context)
    part_results, run_flags, not_run = grade_exercise(
        session, exercise, submission.answers, left_out
    )
    flags = [*submission.flags, *scan_flags, *run_flags]
    if review_flags:
        flags += _unreproduced_passes(submission, part_results, not_run)
    else:
        flags = [flag for flag in flags if flag.kind not in REVIEW_ONLY_FLAGS]
    return part_results, flags
