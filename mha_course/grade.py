"""Grade a classroom's exercise notebooks in one command, or check your own.

    python -m mha_course.grade SUBMISSIONS_DIR --out grades.csv
    python -m mha_course.grade --self exercises/03_single_head.ipynb

How it works. ``SUBMISSIONS_DIR`` holds one folder per learner with their
copies of the exercise notebooks (same file names as ``exercises/``). For each
learner and exercise, the grader takes only the learner's answer cells (found
by their ``mha_course`` part metadata, else by the course's cell id; the last
one wins when several claim a part) and pastes their sources into the
course's own copy of the exercise. Check cells and their expected outputs
therefore always come from the course, never from the submission. A static
scan rejects answers that reach into the grading (patching checkers or
modules, ``sys.modules``, builtins, a printed PASS line...): such an answer is
not run and earns 0.

Each learner's notebooks then run one after the other in one fresh kernel
(nbclient, the ``python3`` kernel of this Python), its namespace reset
between notebooks; one kernel per learner keeps a class fast, since starting
a kernel and importing torch costs about 2 s. A part earns 1 point when its
check cell's fresh output passes against the stored passing line under
nbval's own rule (no error, outputs equal after nbval's stream coalescing;
see ``grading.compare``). A cell that runs past ``--timeout`` or kills the
kernel costs only its part: the kernel is restarted and the notebook rerun
without that answer. ``--jobs`` learners are graded at once, each by a
thread driving its own kernel process, and one bad submission never stops
the rest of the class.

The result is a CSV (learner, one column per part, total, flags) and one
Markdown feedback file per learner with every failing verdict line and flag.
The functions here return data and print nothing; only ``main`` prints.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from .grading.course import CourseError, load_course
from .grading.report import write_feedback, write_grades_csv
from .grading.results import ClassGrades, Flag, LearnerResult, PartResult
from .grading.runner import DEFAULT_CELL_TIMEOUT_S, grade_learner
from .grading.submission import find_learner_notebook

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_EXERCISES_DIR = REPOSITORY / "exercises"
# Generated with the same check cells and passing lines as exercises/, and
# left alone by learners, who work in exercises/: the self-check's reference.
DEFAULT_SOLUTIONS_DIR = REPOSITORY / "solutions"
DEFAULT_JOBS = 2  # both cores of the small machines the course targets
DEFAULT_CSV = "grades.csv"
FEEDBACK_FOLDER = "feedback"
EXIT_OK, EXIT_NOT_ALL_PASSED, EXIT_USAGE = 0, 1, 2


def learner_folders(submissions_dir):
    """Return the learners' folders in ``submissions_dir``, sorted by name.

    Hidden folders and loose files are skipped.

    Raises:
        FileNotFoundError: if ``submissions_dir`` is not a folder.

    Example:
        >>> learner_folders("no/such/folder")
        Traceback (most recent call last):
        ...
        FileNotFoundError: no submissions folder at no/such/folder
    """
    folder = Path(submissions_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder at {submissions_dir}")
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    )


def _grade_folder(learner, folder, course, cell_timeout, threads):
    """Grade one learner's folder; never raises (run in a worker thread)."""
    try:
        notebooks = {
            exercise.name: find_learner_notebook(folder, exercise.name)
            for exercise in course.exercises
        }
        return grade_learner(learner, notebooks, course, cell_timeout, threads)
    except Exception as error:  # one learner's trouble must not stop the class
        return _failed(learner, course, f"{type(error).__name__}: {error}")


def _failed(learner, course, detail):
    """Return a zero result carrying a ``grader_error`` flag."""
    parts = tuple(
        PartResult(part.id, exercise.name, False, (f"not graded: {detail}",))
        for exercise in course.exercises
        for part in exercise.parts
    )
    return LearnerResult(learner, parts, (Flag("grader_error", learner, detail),))


def grade_class(
    submissions_dir,
    course_exercises_dir=None,
    *,
    jobs=DEFAULT_JOBS,
    cell_timeout=DEFAULT_CELL_TIMEOUT_S,
    progress=False,
):
    """Grade every learner's folder in ``submissions_dir``.

    Args:
        submissions_dir: a folder holding one folder per learner.
        course_exercises_dir: the course's pristine exercise notebooks
            (default: the repository's ``exercises/``).
        jobs: learners graded at once, each by a thread driving its own
            kernel process (the kernels do the work, one core each).
        cell_timeout: seconds allowed per cell.
        progress: show a tqdm progress bar over learners (on stderr).

    Returns:
        A ``ClassGrades``.

    Raises:
        FileNotFoundError: if a folder is missing.
        CourseError: if the course's notebooks break the exercise format.
        ValueError: if ``jobs`` or ``cell_timeout`` is not positive.

    Example:
        An empty class needs no kernel:

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     grades = grade_class(folder)
        >>> grades.part_ids[:2], grades.max_points, grades.learners
        (('softmax', 'qkv_projections'), 13, ())

        A real class starts one kernel per learner (about 2 s each), so this
        is not run as a doctest:

        >>> grades = grade_class("submissions/")  # doctest: +SKIP
        >>> [(r.learner, r.total) for r in grades.learners]  # doctest: +SKIP
        [('ada', 13), ('alan', 9)]
    """
    if jobs < 1 or cell_timeout <= 0:
        raise ValueError(
            f"expected jobs >= 1 and cell_timeout > 0, got jobs={jobs}, "
            f"cell_timeout={cell_timeout}"
        )
    course = load_course(course_exercises_dir or DEFAULT_EXERCISES_DIR)
    folders = learner_folders(submissions_dir)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    work = [(f.name, f, course, cell_timeout, threads) for f in folders]
    bar = tqdm(total=len(work), desc="grading", unit="learner", disable=not progress)
    results = []
    with bar, ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_grade_folder, *arguments) for arguments in work]
        try:
            for future in as_completed(futures):
                results.append(future.result())
                bar.update()
        except KeyboardInterrupt:  # stop promptly: grade no further learner
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    learners = tuple(sorted(results, key=lambda result: result.learner))
    return ClassGrades(tuple(course.part_ids), learners)


def self_check(path, course_exercises_dir=None, *, cell_timeout=DEFAULT_CELL_TIMEOUT_S):
    """Grade one learner's own notebook, or their folder of notebooks.

    The reference is ``course_exercises_dir`` if given, else the repository's
    ``solutions/`` (same check cells and passing lines as ``exercises/``, and
    not overwritten by the learner's runs), else ``exercises/``. Flags that
    only ask a teacher to look (``uses_package``, ``pass_not_reproduced``)
    are left out.

    Args:
        path: an exercise notebook, or a folder holding exercise notebooks.
        course_exercises_dir: the reference course folder.
        cell_timeout: seconds allowed per cell.

    Returns:
        A ``LearnerResult`` for the exercises checked (all of them for a
        folder, where missing notebooks are flagged).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if a notebook's name is not one of the course's exercises.

    Example:
        A folder without notebooks needs no kernel: every part is missing.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     result = self_check(folder)
        >>> result.total, len(result.parts), result.flag_labels()[0]
        (0, 13, 'missing:01_qkv_and_softmax.ipynb')

        Checking a notebook starts a kernel (about 2 s), so this is not run
        as a doctest; the handed-out stub earns nothing:

        >>> self_check("exercises/03_single_head.ipynb").total  # doctest: +SKIP
        0
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no notebook or folder at {path}")
    reference = course_exercises_dir
    if reference is None:
        has_solutions = DEFAULT_SOLUTIONS_DIR.is_dir()
        reference = DEFAULT_SOLUTIONS_DIR if has_solutions else DEFAULT_EXERCISES_DIR
    course = load_course(reference)
    if path.is_dir():
        notebooks = {
            e.name: find_learner_notebook(path, e.name) for e in course.exercises
        }
    else:
        course = course.only([path.name])
        notebooks = {path.name: path}
    return grade_learner(path.name, notebooks, course, cell_timeout, review_flags=False)


def _self_check_report(result):
    """Return the lines ``--self`` prints."""
    lines = []
    exercise = None
    for part in result.parts:
        if part.exercise != exercise:
            exercise = part.exercise
            lines.append(f"{exercise}")
        mark = "ok  " if part.passed else "FAIL"
        lines.append(f"  [{mark}] {part.part}")
        lines += [f"         {verdict}" for verdict in part.verdict]
    for flag in result.flags:
        lines.append(f"flag {flag.label}: {flag.detail}")
    lines.append(f"score: {result.total} / {len(result.parts)}")
    return lines


def build_parser():
    """Return the command-line parser.

    Returns:
        An ``argparse.ArgumentParser`` for ``SUBMISSIONS_DIR`` or ``--self``.

    Example:
        >>> args = build_parser().parse_args(["submissions", "--jobs", "4"])
        >>> str(args.submissions), args.jobs, str(args.out), args.self_path
        ('submissions', 4, 'grades.csv', None)
    """
    parser = argparse.ArgumentParser(
        prog="python -m mha_course.grade",
        description="Grade a class's exercise notebooks, or check your own (--self).",
    )
    parser.add_argument(
        "submissions",
        nargs="?",
        type=Path,
        metavar="SUBMISSIONS_DIR",
        help="folder with one folder of notebooks per learner",
    )
    parser.add_argument(
        "--self",
        dest="self_path",
        type=Path,
        metavar="PATH",
        help="check your own notebook (or folder of notebooks) and print verdicts",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_CSV),
        help="CSV file to write (default: %(default)s)",
    )
    parser.add_argument(
        "--exercises",
        type=Path,
        default=None,
        help="the course's exercises folder (default: the repository's "
        "exercises/; with --self, its solutions/)",
    )
    parser.add_argument(
        "--feedback",
        type=Path,
        default=None,
        help="folder for the feedback files (default: feedback/ next to the CSV)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="learners graded in parallel (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT_S,
        help="seconds allowed per cell (default: %(default)s)",
    )
    return parser


def main(argv=None):
    """Run the command line; return the exit status.

    Args:
        argv: the arguments, without the program name (default: ``sys.argv``).

    Returns:
        ``EXIT_OK`` (0) when the class was graded or every part checked with
        ``--self`` passed, ``EXIT_NOT_ALL_PASSED`` (1) when a self-checked
        part failed, ``EXIT_USAGE`` (2) for a missing folder or a broken course.

    Raises:
        SystemExit: for arguments ``argparse`` rejects (it prints the usage).

    Example:
        Grading an empty class writes an empty CSV and starts no kernel:

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     submissions = Path(folder, "submissions")
        ...     submissions.mkdir()
        ...     main([str(submissions), "--out", str(Path(folder, "grades.csv"))])
        graded 0 learners in ... s; 0 with flags
        grades: ...grades.csv
        feedback: ...feedback
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.submissions is None) == (args.self_path is None):
        parser.error("give either SUBMISSIONS_DIR or --self PATH")
    try:
        if args.self_path is not None:
            result = self_check(
                args.self_path, args.exercises, cell_timeout=args.timeout
            )
            print("\n".join(_self_check_report(result)))
            all_passed = result.total == len(result.parts)
            return EXIT_OK if all_passed else EXIT_NOT_ALL_PASSED
        start = time.perf_counter()
        grades = grade_class(
            args.submissions,
            args.exercises,
            jobs=args.jobs,
            cell_timeout=args.timeout,
            progress=True,
        )
    except (FileNotFoundError, CourseError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    csv_path = write_grades_csv(grades, args.out)
    feedback_dir = args.feedback or args.out.parent / FEEDBACK_FOLDER
    write_feedback(grades, feedback_dir)
    seconds = time.perf_counter() - start
    flagged = sum(1 for learner in grades.learners if learner.flags)
    print(
        f"graded {len(grades.learners)} learners in {seconds:.0f} s; "
        f"{flagged} with flags\ngrades: {csv_path}\nfeedback: {feedback_dir}"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
