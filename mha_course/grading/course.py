"""Read the course's own exercise notebooks: the trusted side of grading.

Each graded part is an answer cell followed by a check cell, both tagged in
their metadata as ``{"mha_course": {"role": ..., "part": ...}}``. The check
cell's stored output is the passing verdict line. Everything the grader runs,
apart from the learners' answer sources, comes from here.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbval.plugin import find_comment_markers, find_metadata_tags

NOTEBOOK_FORMAT = 4
METADATA_KEY = "mha_course"
ANSWER_ROLE = "answer"
CHECK_ROLE = "check"
# A stored passing line starts so; anything else means the course copy was run
# in place by someone whose answer failed, and must be restored first.
PASSING_PREFIX = "PASS "
# Checker modules and functions carry this in their names (mha_course.checks,
# check_softmax); the tampering scan guards what matches.
CHECKER_PREFIX = "check"
# Folders never holding exercises (JupyterLab's autosaves, bytecode).
IGNORED_FOLDERS = (".ipynb_checkpoints", "__pycache__")


class CourseError(ValueError):
    """The course's exercise notebooks break the exercise format.

    Example:
        An answer cell with no check cell after it:

        >>> import tempfile
        >>> tag = {METADATA_KEY: {"role": ANSWER_ROLE, "part": "double"}}
        >>> cell = nbformat.v4.new_code_cell("def double(x): ...", metadata=tag)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder, "01_double.ipynb")
        ...     nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
        ...     load_course(folder)
        Traceback (most recent call last):
        ...
        mha_course.grading.course.CourseError: 01_double.ipynb: answer cells with ...
    """


@dataclass(frozen=True)
class Part:
    """One graded part of an exercise notebook.

    Args:
        id: the part id, unique across the course.
        answer_index: index of the answer cell in the course notebook.
        check_index: index of the check cell (after the answer cell).
        answer_cell_id: the answer cell's nbformat id.
        check_cell_id: the check cell's nbformat id.
        check_source: the check cell's source.
        passing_outputs: the check cell's stored outputs (the passing line).

    Example:
        >>> line = {"output_type": "stream", "name": "stdout", "text": "PASS x: ok\\n"}
        >>> Part("x", 1, 2, "a", "c", "check_x(x)", (line,)).passing_text
        'PASS x: ok'
    """

    id: str
    answer_index: int
    check_index: int
    answer_cell_id: str
    check_cell_id: str
    check_source: str
    passing_outputs: tuple

    @property
    def passing_text(self):
        """The stored stdout of the check cell, e.g. ``'PASS softmax: ...'``."""
        return "".join(
            output.get("text", "")
            for output in self.passing_outputs
            if output.get("output_type") == "stream"
        ).strip()


@dataclass(frozen=True)
class Exercise:
    """One exercise notebook of the course.

    Args:
        name: the file name, e.g. ``"03_single_head.ipynb"``.
        notebook: the course's copy (an ``nbformat.NotebookNode``).
        parts: its ``Part`` objects, in cell order.

    Example:
        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> exercise = load_course(DEFAULT_EXERCISES_DIR).exercises[0]
        >>> exercise.name, [part.id for part in exercise.parts]
        ('01_qkv_and_softmax.ipynb', ['softmax', 'qkv_projections'])
    """

    name: str
    notebook: object
    parts: tuple


@dataclass(frozen=True)
class Course:
    """All exercise notebooks of the course, in file-name order.

    Args:
        directory: the folder they were read from.
        exercises: ``Exercise`` objects, sorted by file name.
        imported_modules: checker modules the check cells import from.
        checker_names: checker names the check cells import, plus
            ``check_<part>`` for every part.
        course_imports: names bound by imports in the course's own cells.

    Example:
        >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
        >>> course = load_course(DEFAULT_EXERCISES_DIR)
        >>> course.part_ids[:3], sorted(course.imported_modules)
        (['softmax', 'qkv_projections', 'attention_scores'], ['mha_course.checks'])
    """

    directory: Path
    exercises: tuple
    imported_modules: frozenset
    checker_names: frozenset
    course_imports: frozenset

    @property
    def part_ids(self):
        """Every part id, in course order (notebook, then cell order)."""
        return [part.id for exercise in self.exercises for part in exercise.parts]

    def only(self, names):
        """Return the same course restricted to the exercises named ``names``.

        Raises:
            ValueError: if a name is not one of the course's exercises.

        Example:
            >>> from mha_course.grade import DEFAULT_EXERCISES_DIR
            >>> load_course(DEFAULT_EXERCISES_DIR).only(["06_masks.ipynb"]).part_ids
            ['causal_mask', 'padding_mask', 'combine_masks']
        """
        known = {exercise.name for exercise in self.exercises}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(
                f"{unknown} are not exercises of the course in {self.directory}; "
                f"expected file names among {sorted(known)}"
            )
        kept = tuple(exercise for exercise in self.exercises if exercise.name in names)
        return Course(
            self.directory,
            kept,
            self.imported_modules,
            self.checker_names,
            self.course_imports,
        )


def cell_role(cell):
    """Return ``(role, part)`` from a cell's course metadata, or ``(None, None)``.

    Tolerant of any shape of metadata: whatever is not the expected mapping of
    strings counts as no role.

    Example:
        >>> cell_role({"metadata": {"mha_course": {"role": "check", "part": "x"}}})
        ('check', 'x')
        >>> cell_role({"metadata": {"tags": ["answer"]}})
        (None, None)
    """
    metadata = cell.get("metadata")
    tag = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(tag, dict):
        return None, None
    role, part = tag.get("role"), tag.get("part")
    if not (isinstance(role, str) and isinstance(part, str)):
        return None, None
    return role, part


def exercise_notebooks(directory):
    """Return the ``.ipynb`` files directly inside ``directory``, sorted by name.

    Hidden files (``.name.ipynb``) and files in subfolders are left out.

    Args:
        directory: the folder to look in.

    Returns:
        A sorted list of paths (empty if the folder does not exist).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     for name in ("02_b.ipynb", "01_a.ipynb", ".01_a.ipynb", "notes.md"):
        ...         _ = Path(folder, name).write_text("{}")
        ...     [path.name for path in exercise_notebooks(folder)]
        ['01_a.ipynb', '02_b.ipynb']
    """
    return sorted(
        path
        for path in Path(directory).glob("*.ipynb")
        if path.is_file() and not path.name.startswith(".")
    )


def _check_cell_is_compared(cell, where):
    """Raise CourseError unless nbval would compare this check cell's output."""
    markers = dict(find_metadata_tags(cell.metadata))
    markers.update(find_comment_markers(cell.source))
    if markers.get("skip") or markers.get("check") is False:
        raise CourseError(f"{where}: the check cell is marked to be skipped or ignored")
    if cell.get("execution_count") is None or not cell.get("outputs"):
        raise CourseError(
            f"{where}: the check cell has no stored run (execution_count and the "
            "passing output are required)"
        )


def _read_exercise(path):
    """Read one course notebook and return its ``Exercise``."""
    notebook = nbformat.read(path, as_version=NOTEBOOK_FORMAT)
    parts = []
    pending = {}  # part id -> index of its answer cell, awaiting the check cell
    for index, cell in enumerate(notebook.cells):
        role, part_id = cell_role(cell)
        where = f"{path.name}, cell {index} (part {part_id!r})"
        if role == ANSWER_ROLE:
            if part_id in pending or any(p.id == part_id for p in parts):
                raise CourseError(f"{where}: a second answer cell for the part")
            pending[part_id] = index
        elif role == CHECK_ROLE:
            if part_id not in pending:
                raise CourseError(f"{where}: a check cell with no answer cell before")
            _check_cell_is_compared(cell, where)
            answer_index = pending.pop(part_id)
            part = Part(
                id=part_id,
                answer_index=answer_index,
                check_index=index,
                answer_cell_id=notebook.cells[answer_index].get("id", ""),
                check_cell_id=cell.get("id", ""),
                check_source=cell.source,
                passing_outputs=tuple(cell.outputs),
            )
            if not part.passing_text.startswith(PASSING_PREFIX):
                raise CourseError(
                    f"{where}: the stored check output {part.passing_text!r} is not "
                    f"a passing line (starting {PASSING_PREFIX!r}); was this copy "
                    "run in place? Restore it from the repository."
                )
            parts.append(part)
    if pending:
        raise CourseError(f"{path.name}: answer cells with no check cell: {pending}")
    return Exercise(path.name, notebook, tuple(parts))


def _checker_names(exercises):
    """Return (checker modules, checker names) the check cells import.

    Only what the format calls a checker counts: a module whose dotted name
    contains ``check`` (``mha_course.checks``) and imported names starting with
    ``check`` (``check_softmax``). The name ``check_<part>`` of every part is
    added, so a checker reached some other way is guarded too.
    """
    modules, names = set(), set()
    for exercise in exercises:
        for part in exercise.parts:
            names.add(f"{CHECKER_PREFIX}_{part.id}")
            try:
                tree = ast.parse(part.check_source)
            except SyntaxError as error:
                raise CourseError(
                    f"{exercise.name}, part {part.id!r}: check cell is not Python: "
                    f"{error}"
                ) from error
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    imported = [alias.name for alias in node.names]
                    if CHECKER_PREFIX in node.module:
                        modules.add(node.module)
                    names.update(n for n in imported if n.startswith(CHECKER_PREFIX))
                elif isinstance(node, ast.Import):
                    modules.update(
                        alias.name
                        for alias in node.names
                        if CHECKER_PREFIX in alias.name
                    )
    return modules, names


def _names_imported_by_course_cells(exercises):
    """Return the names bound by import statements in the course's own cells."""
    bound = set()
    for exercise in exercises:
        answer_indices = {part.answer_index for part in exercise.parts}
        for index, cell in enumerate(exercise.notebook.cells):
            if cell.cell_type != "code" or index in answer_indices:
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # a magic line; the kernel knows what to do with it
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        bound.add(alias.asname or alias.name.split(".")[0])
    return bound


def load_course(directory):
    """Read every exercise notebook in ``directory`` and check the format.

    Args:
        directory: the course's exercises folder (or any folder holding the
            same notebooks with pristine check cells, such as ``solutions/``).

    Returns:
        A ``Course``.

    Raises:
        FileNotFoundError: if the folder does not exist or holds no notebook.
        CourseError: if a notebook breaks the format: a part without its check
            cell, a check cell without a stored passing line, a part id used
            twice in the course.

    Example:
        >>> load_course("no/such/folder")
        Traceback (most recent call last):
        ...
        FileNotFoundError: no exercise notebooks in no/such/folder
    """
    directory = Path(directory)
    paths = exercise_notebooks(directory) if directory.is_dir() else []
    if not paths:
        raise FileNotFoundError(f"no exercise notebooks in {directory}")
    exercises = tuple(_read_exercise(path) for path in paths)
    seen = {}
    for exercise in exercises:
        for part in exercise.parts:
            if part.id in seen:
                raise CourseError(
                    f"part id {part.id!r} is used in {seen[part.id]} and in "
                    f"{exercise.name}; part ids must be unique across the course"
                )
            seen[part.id] = exercise.name
    modules, names = _checker_names(exercises)
    return Course(
        directory=directory.resolve(),
        exercises=exercises,
        imported_modules=frozenset(modules),
        checker_names=frozenset(names),
        course_imports=frozenset(_names_imported_by_course_cells(exercises)),
    )
