"""The classroom grader, run on a tiny fixture course of its own.

The fixture course (tests/fixtures/grading/) has two exercise notebooks with
three parts, ``add_one`` and ``double`` in 01_basics, ``square`` in 02_more,
and a checker module shaped like ``mha_course.checks``. One class of
synthetic learners covers every case at once: handed-out notebooks, full
solutions, a wrong answer, each kind of tampering, an endless loop, a kernel
crash, missing, unreadable and duplicated cells. That class is graded once
through the command line; the tests read its CSV and feedback files.
"""

import contextlib
import copy
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mha_course import grade
from mha_course.grading.compare import outputs_match
from mha_course.grading.course import CourseError, load_course
from mha_course.grading.kernel import KernelSession
from mha_course.grading.results import LearnerResult, PartResult
from mha_course.grading.runner import grade_learner, scan_context
from mha_course.grading.submission import UnreadableNotebook, read_cells
from mha_course.grading.tamper import ScanContext, imported_names, scan_answer

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
COURSE = FIXTURES / "course"
SOLUTIONS = FIXTURES / "solutions"
BASICS, MORE = "01_basics.ipynb", "02_more.ipynb"
PARTS = ["add_one", "double", "square"]
TEST_CELL_TIMEOUT_S = 3  # short, so the endless loop costs little
PASSING_ADD_ONE = "PASS add_one: matches the reference on 4 cases"
SOLVED_ADD_ONE = "def add_one(x):\n    return x + 1\n"
# Defines a helper that a later notebook's answer tries to use.
LEAKING_ADD_ONE = SOLVED_ADD_ONE + "\n\ndef times(x, y):\n    return x * y\n"


# ---- building learners' folders ---------------------------------------------


def _load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _save(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _cell(notebook, cell_id):
    return next(cell for cell in notebook["cells"] if cell["id"] == cell_id)


def _learner(submissions, name, source=SOLUTIONS, edit=None, notebook=BASICS):
    """Copy ``source``'s notebooks as learner ``name``; apply ``edit`` to one."""
    folder = submissions / name
    folder.mkdir(parents=True)
    for path in sorted(source.glob("*.ipynb")):
        shutil.copy(path, folder / path.name)
    if edit is not None:
        data = _load(folder / notebook)
        edit(data)
        _save(data, folder / notebook)
    return folder


def _set_answer(source):
    def edit(notebook):
        _cell(notebook, "add_one-answer")["source"] = source

    return edit


def _replace_check(notebook):
    _cell(notebook, "add_one-check")["source"] = f'print("{PASSING_ADD_ONE}")'


def _delete_check(notebook):
    notebook["cells"].remove(_cell(notebook, "add_one-check"))


def _wrong_answer_showing_pass(notebook):
    _cell(notebook, "add_one-answer")["source"] = "def add_one(x):\n    return x + 2\n"
    check = _cell(notebook, "add_one-check")
    check["execution_count"] = 41
    check["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": PASSING_ADD_ONE + "\n"}
    ]


def _wrong_double_with_its_fail_line_stored(notebook):
    _cell(notebook, "double-answer")["source"] = "def double(x):\n    return 3 * x\n"
    fail = "FAIL double: for 1 expected 2, got 3. Hint: return 2 * x\n"
    check = _cell(notebook, "double-check")
    check["outputs"] = [{"output_type": "stream", "name": "stdout", "text": fail}]


def _duplicate_answer(notebook):
    answer = _cell(notebook, "add_one-answer")
    early_copy = json.loads(json.dumps(answer))  # same id, same metadata
    early_copy["source"] = "def add_one(x):\n    return x + 5\n"
    notebook["cells"].insert(notebook["cells"].index(answer), early_copy)


def _drop_metadata(notebook):
    for cell in notebook["cells"]:
        cell["metadata"] = {}


LEARNERS = {
    # name: (source folder, edit of 01_basics or None)
    "handed_out": (COURSE, None),
    "solved": (SOLUTIONS, None),
    "wrong": (SOLUTIONS, _wrong_double_with_its_fail_line_stored),
    "edited_check": (COURSE, _replace_check),
    "deleted_check": (COURSE, _delete_check),
    "prints_pass": (
        COURSE,
        _set_answer(
            'def add_one(x):\n    raise NotImplementedError\n\n\nprint("'
            + PASSING_ADD_ONE
            + '")\n'
        ),
    ),
    "patched_checker": (
        SOLUTIONS,
        _set_answer(
            SOLVED_ADD_ONE + "\nimport fixture_checks\n\n"
            "fixture_checks.check_double = lambda f: print('PASS double: ok')\n"
        ),
    ),
    "redefined_checker": (
        COURSE,
        _set_answer(
            "def add_one(x):\n    return x\n\n\n"
            "def check_add_one(function):\n    print('PASS add_one: ok')\n"
        ),
    ),
    "edited_outputs": (COURSE, _wrong_answer_showing_pass),
    "endless_loop": (
        SOLUTIONS,
        _set_answer("def add_one(x):\n    while True:\n        pass\n"),
    ),
    "crash": (SOLUTIONS, _set_answer("import os\n\nos._exit(1)\n")),
    "duplicate_ids": (SOLUTIONS, _duplicate_answer),
    "lost_metadata": (SOLUTIONS, _drop_metadata),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Grade the whole synthetic class once, through the command line."""
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    for name, (source, edit) in LEARNERS.items():
        _learner(submissions, name, source, edit)
    missing = _learner(submissions, "missing_one")
    (missing / MORE).unlink()
    unreadable = _learner(submissions, "unreadable")
    (unreadable / BASICS).write_text("this is not a notebook", encoding="utf-8")
    nested = submissions / "nested" / "exercises"
    shutil.copytree(SOLUTIONS, nested)
    leaky = _learner(submissions, "leaky", SOLUTIONS, _set_answer(LEAKING_ADD_ONE))
    more = _load(leaky / MORE)
    _cell(more, "square-answer")["source"] = "def square(x):\n    return times(x, x)\n"
    _save(more, leaky / MORE)

    out = root / "results" / "grades.csv"
    status = grade.main(
        [
            str(submissions),
            "--out",
            str(out),
            "--exercises",
            str(COURSE),
            "--timeout",
            str(TEST_CELL_TIMEOUT_S),
            "--jobs",
            "2",
        ]
    )
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    feedback = {
        path.stem: path.read_text(encoding="utf-8")
        for path in (out.parent / "feedback").glob("*.md")
    }
    return status, rows, feedback


def _row(graded_class, learner):
    _, rows, _ = graded_class
    header = rows[0]
    row = next(row for row in rows[1:] if row[0] == learner)
    record = dict(zip(header, row, strict=True))
    flags = record.pop("flags")
    return {k: int(v) for k, v in record.items() if k != "learner"}, flags


# ---- the fixture itself -------------------------------------------------------


def test_fixture_passing_lines_are_what_the_checkers_print():
    sys.path.insert(0, str(COURSE))
    try:
        import fixture_checks
    finally:
        sys.path.remove(str(COURSE))
    references = {"add_one": lambda x: x + 1, "double": lambda x: 2 * x}
    references["square"] = lambda x: x * x
    course = load_course(COURSE)
    for exercise in course.exercises:
        for part in exercise.parts:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                getattr(fixture_checks, f"check_{part.id}")(references[part.id])
            assert part.passing_text == printed.getvalue().strip()


# ---- the class: CSV and feedback ---------------------------------------------


def test_cli_writes_a_row_per_learner_with_parts_in_course_order(graded_class):
    status, rows, feedback = graded_class
    assert status == grade.EXIT_OK
    assert rows[0] == ["learner", *PARTS, "total", "flags"]
    expected = sorted([*LEARNERS, "missing_one", "unreadable", "nested", "leaky"])
    assert [row[0] for row in rows[1:]] == expected
    assert sorted(feedback) == expected


def test_handed_out_exercises_score_zero_as_not_implemented(graded_class):
    points, flags = _row(graded_class, "handed_out")
    assert points == {"add_one": 0, "double": 0, "square": 0, "total": 0}
    assert flags == ""
    text = graded_class[2]["handed_out"]
    for part in PARTS:
        assert f"FAIL {part}: not implemented yet" in text


@pytest.mark.parametrize("learner", ["solved", "lost_metadata", "nested"])
def test_solutions_score_full_marks(graded_class, learner):
    points, flags = _row(graded_class, learner)
    assert points == {"add_one": 1, "double": 1, "square": 1, "total": 3}
    assert flags == ""


def test_a_wrong_answer_gets_its_fail_line_in_feedback(graded_class):
    points, flags = _row(graded_class, "wrong")
    # Its file stores the FAIL line, so plain nbval on it would pass: no point.
    assert points == {"add_one": 1, "double": 0, "square": 1, "total": 2}
    assert flags == ""
    expected_line = "FAIL double: for 1 expected 2, got 3. Hint: return 2 * x"
    assert expected_line in graded_class[2]["wrong"]


@pytest.mark.parametrize(
    ("learner", "expected_flag"),
    [
        ("edited_check", "check_modified:add_one"),
        ("deleted_check", "check_deleted:add_one"),
        ("prints_pass", "tampering:add_one"),
        ("redefined_checker", "tampering:add_one"),
        ("edited_outputs", "pass_not_reproduced:add_one"),
    ],
)
def test_tampering_earns_nothing_and_is_flagged(graded_class, learner, expected_flag):
    points, flags = _row(graded_class, learner)
    assert points["add_one"] == 0
    assert expected_flag in flags.split(";")
    assert expected_flag in graded_class[2][learner]


def test_a_patched_checker_is_not_run_and_cannot_help_later_parts(graded_class):
    points, flags = _row(graded_class, "patched_checker")
    assert flags.split(";") == ["tampering:add_one"]
    # double is still graded by the real checker, on the learner's own answer
    assert points == {"add_one": 0, "double": 1, "square": 1, "total": 2}


@pytest.mark.parametrize(
    ("learner", "expected_flag"),
    [("endless_loop", "timeout:add_one"), ("crash", "kernel_crash:add_one")],
)
def test_a_runaway_answer_costs_only_its_own_part(graded_class, learner, expected_flag):
    points, flags = _row(graded_class, learner)
    assert flags.split(";") == [expected_flag]
    assert points == {"add_one": 0, "double": 1, "square": 1, "total": 2}


def test_missing_and_unreadable_notebooks_are_flagged(graded_class):
    points, flags = _row(graded_class, "missing_one")
    assert flags == "missing:02_more.ipynb"
    assert points == {"add_one": 1, "double": 1, "square": 0, "total": 2}
    points, flags = _row(graded_class, "unreadable")
    assert flags == "unreadable:01_basics.ipynb"
    assert points == {"add_one": 0, "double": 0, "square": 1, "total": 1}


def test_names_do_not_leak_from_one_notebook_to_the_next(graded_class):
    points, flags = _row(graded_class, "leaky")
    assert points == {"add_one": 1, "double": 1, "square": 0, "total": 2}
    # In the learner's own kernel the helper existed, so their file shows PASS.
    assert flags == "pass_not_reproduced:square"
    assert "FAIL square: raised NameError" in graded_class[2]["leaky"]


def test_duplicate_answer_cells_grade_the_last_and_are_flagged(graded_class):
    points, flags = _row(graded_class, "duplicate_ids")
    assert flags == "duplicate_answer:add_one"
    assert points["add_one"] == 1  # the last copy is right, the first is not


def test_a_course_cell_that_kills_the_kernel_blames_no_learner(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course)
    notebook = nbformat.read(course / BASICS, as_version=4)
    notebook.cells[1].source = "import os\n\nos._exit(1)"  # the setup cell
    nbformat.write(notebook, course / BASICS)
    loaded = load_course(course)
    notebooks = {name: SOLUTIONS / name for name in (BASICS, MORE)}
    result = grade_learner("ada", notebooks, loaded, TEST_CELL_TIMEOUT_S)
    assert result.flag_labels() == ["course_cell_failed:01_basics.ipynb"]
    assert [part.points for part in result.parts] == [0, 0, 1]


def test_a_grader_failure_on_one_learner_does_not_stop_the_class(tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    _learner(submissions, "ada")
    _learner(submissions, "bob")

    def grade_or_fail(learner, notebooks, course, *args, **kwargs):
        if learner == "bob":
            raise RuntimeError("no kernel today")
        parts = tuple(PartResult(p, BASICS, True) for p in course.part_ids)
        return LearnerResult(learner, parts)

    monkeypatch.setattr(grade, "grade_learner", grade_or_fail)
    ada, bob = grade.grade_class(submissions, COURSE, jobs=2).learners
    assert ada.total == len(PARTS) and ada.flags == ()
    assert bob.total == 0
    assert bob.flag_labels() == ["grader_error:bob"]
    assert "no kernel today" in bob.flags[0].detail


# ---- pieces that need no kernel -------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["not json", '{"cells": 3}', '{"nbformat": 3, "cells": []}', "[1, 2]"],
)
def test_files_that_are_not_notebooks_are_unreadable(tmp_path, content):
    path = tmp_path / "broken.ipynb"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableNotebook):
        read_cells(path)


def test_clean_answers_pass_the_tampering_scan():
    context = scan_context(load_course(COURSE))
    clean = [
        SOLVED_ADD_ONE,
        "import torch\n\n\ndef f(x):\n    return torch.softmax(x, dim=-1)\n",
        "class Block(nn.Module):\n    def __init__(self):\n        super().__init__()"
        "\n        self.proj = nn.Linear(4, 4)\n",
        "%timeit add_one(1)\n",
    ]
    for source in clean:
        assert scan_answer(source, context) == []


def test_imports_the_course_answer_makes_are_not_flagged():
    stub = "from mha_course import split_heads  # noqa: F401\n"
    context = ScanContext(allowed_imports=imported_names(stub))
    assert scan_answer("from mha_course import split_heads\n", context) == []
    findings = scan_answer("from mha_course import MultiHeadAttention\n", context)
    assert [finding.serious for finding in findings] == [False]


@pytest.mark.parametrize(
    "source",
    [
        "import sys\n\nsys.modules['fixture_checks'] = None\n",
        "import builtins\n\nbuiltins.print = len\n",
        "import math\n\nmath.sqrt = abs\n",
        "from fixture_checks import check_add_one\n",
        "get_ipython().run_cell('x = 1')\n",
        "!rm -rf /tmp/x\n",
        "%%time\nimport fixture_checks\n",
        "exec('x = 1')\n",
        "print = len\n",
    ],
)
def test_tampering_answers_are_found(source):
    findings = scan_answer(source, scan_context(load_course(COURSE)))
    assert any(finding.serious for finding in findings)


def test_a_course_copy_run_in_place_is_refused(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course)
    notebook = nbformat.read(course / BASICS, as_version=4)
    notebook.cells[4].outputs[0]["text"] = "FAIL add_one: not implemented yet\n"
    nbformat.write(notebook, course / BASICS)
    with pytest.raises(CourseError, match="not a passing line"):
        load_course(course)


# ---- the comparison is nbval's ------------------------------------------------


def test_outputs_match_agrees_with_pytest_nbval(tmp_path):
    """Run real ``pytest --nbval`` on a notebook and compare cell by cell."""
    stored = PASSING_ADD_ONE + "\n"
    sources = [
        f'print("{PASSING_ADD_ONE}")',  # equal: passes
        'print("FAIL add_one: no")',  # different text
        f'import sys\nprint("{PASSING_ADD_ONE}")\nprint("warn", file=sys.stderr)',
        'print("PASS add_one:", end="")\nprint(" matches the reference on 4 cases")',
        "1 / 0",  # an error
        f'print("{PASSING_ADD_ONE}")\n7',  # an extra execute_result
    ]
    cells = []
    for count, source in enumerate(sources, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "compare.ipynb"
    nbformat.write(notebook, path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    nbval_passed = [f"PASSED compare.ipynb::Cell {i}" in report for i in range(6)]
    assert nbval_passed == [True, False, False, True, False, False], report

    stored_outputs = notebook.cells[0].outputs
    fresh = copy.deepcopy(notebook)
    with KernelSession(tmp_path, cell_timeout=60) as session:
        for index in range(len(fresh.cells)):
            assert session.run_cell(fresh, index) is None
    ours = [outputs_match(cell.outputs, stored_outputs)[0] for cell in fresh.cells]
    assert ours == nbval_passed


# ---- self-check ----------------------------------------------------------------


def test_self_check_from_the_command_line_names_each_failure(tmp_path):
    learner = _learner(tmp_path, "me", COURSE)
    handed_out = subprocess.run(
        [
            *[sys.executable, "-m", "mha_course.grade", "--exercises", str(COURSE)],
            *["--self", str(learner / BASICS)],
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert handed_out.returncode == grade.EXIT_NOT_ALL_PASSED, handed_out.stderr
    assert "FAIL add_one: not implemented yet" in handed_out.stdout
    assert "FAIL double: not implemented yet" in handed_out.stdout
    assert "square" not in handed_out.stdout  # only the notebook named is checked


def test_self_check_of_a_solved_folder_passes(tmp_path, capsys):
    solved = _learner(tmp_path, "solved", SOLUTIONS)
    status = grade.main(["--exercises", str(COURSE), "--self", str(solved)])
    printed = capsys.readouterr().out
    assert status == grade.EXIT_OK, printed
    assert PASSING_ADD_ONE in printed
    assert "score: 3 / 3" in printed


# ---- the real course, once it exists ---------------------------------------------

REAL_EXERCISES, REAL_SOLUTIONS = REPO_ROOT / "exercises", REPO_ROOT / "solutions"
real_course = pytest.mark.skipif(
    not list(REAL_EXERCISES.glob("*.ipynb"))
    or not list(REAL_SOLUTIONS.glob("*.ipynb")),
    reason="the course's exercises/ and solutions/ are not written yet",
)


def _structure(course):
    return [
        (
            e.name,
            p.id,
            p.answer_cell_id,
            p.check_cell_id,
            p.check_source,
            p.passing_text,
        )
        for e in course.exercises
        for p in e.parts
    ]


@real_course
def test_real_exercises_and_solutions_share_check_cells_and_passing_lines():
    assert _structure(load_course(REAL_EXERCISES)) == _structure(
        load_course(REAL_SOLUTIONS)
    )


@real_course
def test_real_solutions_raise_no_tampering_finding():
    course = load_course(REAL_SOLUTIONS)
    context = scan_context(course)
    for exercise in course.exercises:
        for part in exercise.parts:
            source = exercise.notebook.cells[part.answer_index].source
            serious = [f for f in scan_answer(source, context) if f.serious]
            assert serious == [], (exercise.name, part.id)


@real_course
def test_real_solutions_earn_full_marks_and_exercises_none(tmp_path):
    submissions = tmp_path / "submissions"
    _learner(submissions, "solutions", REAL_SOLUTIONS)
    _learner(submissions, "handed_out", REAL_EXERCISES)
    grades = grade.grade_class(submissions, REAL_EXERCISES, jobs=2)
    handed_out, solutions = grades.learners
    assert solutions.total == grades.max_points, solutions.parts
    assert handed_out.total == 0
    assert all("not implemented yet" in p.verdict[0] for p in handed_out.parts)
    assert {flag.kind for flag in solutions.flags} <= {"uses_package"}
    assert handed_out.flags == ()
