"""Generate solutions/ from exercises/ and the package, and keep both in sync.

Usage:
    python tools/make_solutions.py           # regenerate everything
    python tools/make_solutions.py --check   # only report what is out of sync

Regenerating does, for every notebook in exercises/:

1. copy it to a solution notebook whose answer cells hold the package's own
   code for their part (the source of ``PARTS[part].reference``), preceded by
   the imports that code needs, computed from the module it comes from;
2. execute the solution in a fresh kernel and require every check cell to
   print its part's PASS line;
3. save it in solutions/, and copy the outputs and execution counts of every
   other cell back into the exercise, so that each check cell stores the
   passing line that nbval and the grader compare against.

In the exercises, answer cells keep their stubs, no outputs and an execution
count of None: nbval runs them but compares nothing, so whatever a learner's
answer cell prints never counts against them, and JupyterLab shows them as not
yet run. Every other code cell keeps the solution run's count (which nbval
needs to compare a cell: a count of None means "not checked").

``--check`` starts no kernel: it rebuilds the solutions' sources in memory,
runs each checker on its reference to get the passing line, and compares them
with what is stored. nbval (``pytest solutions/``) checks that the stored
outputs are what a fresh run prints.
"""

import argparse
import ast
import contextlib
import copy
import inspect
import io
import os
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent
EXERCISES_DIR = REPO_ROOT / "exercises"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOK_FORMAT = 4
METADATA_KEY = "mha_course"  # cell.metadata["mha_course"] = {"role", "part"}
FIRST_PARTY = "mha_course"
LINE_LENGTH = 88  # ruff's line-length; longer imports are wrapped
BLANK_LINES_BEFORE_CODE = 2  # as ruff format puts them after imports

# The package and the executor are imported from this repository, even when
# another copy of mha_course is installed.
for folder in (REPO_ROOT, TOOLS_DIR):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from execute_notebooks import (  # noqa: E402
    DEFAULT_CELL_TIMEOUT_S,
    NotebookExecutionError,
    execute_notebook,
)

from mha_course.checks import PARTS  # noqa: E402


class SyncError(Exception):
    """An exercise notebook breaks the format, or a solution run failed."""


# --- reading the format -------------------------------------------------------


def cell_role(cell):
    """Return ``(role, part)`` of a cell, or ``(None, None)`` for course cells."""
    info = cell.get("metadata", {}).get(METADATA_KEY, {})
    return info.get("role"), info.get("part")


def graded_parts(notebook):
    """Return the part ids of a notebook's answer cells, in order."""
    return [
        part
        for cell in notebook.cells
        for role, part in [cell_role(cell)]
        if role == "answer"
    ]


def format_problems(name, notebook):
    """List how an exercise notebook breaks the exercise format."""
    problems = []
    cells = notebook.cells
    for index, cell in enumerate(cells):
        role, part = cell_role(cell)
        if role is None:
            continue
        where = f"{name}, cell {index} ({role} {part!r})"
        if cell.cell_type != "code":
            problems.append(f"{where}: is not a code cell")
        if part not in PARTS:
            problems.append(f"{where}: no checker in mha_course.checks.PARTS")
            continue
        if PARTS[part].exercise != name:
            problems.append(f"{where}: PARTS places it in {PARTS[part].exercise}")
        if role not in cell.metadata.get("tags", []):
            problems.append(f"{where}: lacks the tag {role!r}")
        if role == "answer":
            following = cells[index + 1] if index + 1 < len(cells) else None
            if following is None or cell_role(following) != ("check", part):
                problems.append(f"{where}: not followed by its check cell")
        elif role == "check":
            checker = PARTS[part].checker.__name__
            if checker not in cell.source:
                problems.append(f"{where}: does not call {checker}")
    parts = graded_parts(notebook)
    for part in sorted(set(parts)):
        if parts.count(part) > 1:
            problems.append(f"{name}: part {part!r} has {parts.count(part)} answers")
    for part, entry in PARTS.items():
        if entry.exercise == name and part not in parts:
            problems.append(f"{name}: part {part!r} of PARTS has no answer cell")
    return problems


# --- the solution code --------------------------------------------------------


def module_bindings(module):
    """Map each top-level name of a module to how code elsewhere imports it.

    Returns:
        ``{name: (source_module, imported_name, alias)}``; ``imported_name`` is
        None for ``import a.b as c``. Names the module defines itself map to
        ``(module, name, None)``.
    """
    tree = ast.parse(inspect.getsource(module))
    package = module.__package__ or ""
    bindings = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else bound
                bindings[bound] = (target, None, alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            source = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                bindings[alias.asname or alias.name] = (
                    source,
                    alias.name,
                    alias.asname,
                )
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bindings[node.name] = (module.__name__, node.name, None)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    bindings[target.id] = (module.__name__, target.id, None)
    return bindings


def free_names(code):
    """Return the names ``code`` reads but never binds itself."""
    tree = ast.parse(code)
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    return loaded - bound - defined


def _section(module_name):
    """isort's section of a module: 0 standard library, 1 third party, 2 ours."""
    top = module_name.split(".")[0]
    if top == FIRST_PARTY:
        return 2
    return 0 if top in sys.stdlib_module_names else 1


def _name_order(name):
    """ruff's order within ``from x import ...``: CONSTANTS, Classes, others."""
    if name.isupper() and len(name) > 1:
        rank = 0
    elif name[:1].isupper():
        rank = 1
    else:
        rank = 2
    return rank, name.lower(), name


def _from_import(source, names):
    """One ``from ... import ...`` statement, wrapped as ruff does when long."""
    line = f"from {source} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    listed = "".join(f"    {name},\n" for name in names)
    return f"from {source} import (\n{listed})"


def import_block(bindings, names):
    """Write the imports binding ``names``, sorted and grouped as ruff wants."""
    plain = [set(), set(), set()]
    froms = [{}, {}, {}]
    for name in names:
        source, imported, alias = bindings[name]
        section = _section(source)
        if imported is None:
            plain[section].add(f"import {source}" + (f" as {alias}" if alias else ""))
        else:
            entry = imported + (f" as {alias}" if alias else "")
            froms[section].setdefault(source, []).append(entry)
    blocks = []
    for section in range(3):
        lines = sorted(plain[section], key=lambda line: line.split()[1].lower())
        for source in sorted(froms[section], key=str.lower):
            lines.append(
                _from_import(source, sorted(froms[section][source], key=_name_order))
            )
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def solution_source(part):
    """The answer cell of a solution: imports, then the package's code."""
    reference = PARTS[part].reference
    code = textwrap.dedent(inspect.getsource(reference)).rstrip() + "\n"
    bindings = module_bindings(inspect.getmodule(reference))
    needed = sorted(name for name in free_names(code) if name in bindings)
    imports = import_block(bindings, needed)
    if not imports:
        return code.rstrip("\n")
    gap = "\n" * (BLANK_LINES_BEFORE_CODE + 1)
    return f"{imports}{gap}{code}".rstrip("\n")


def build_solution(exercise):
    """Return the exercise with solution code in its answer cells, unexecuted."""
    solution = copy.deepcopy(exercise)
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        role, part = cell_role(cell)
        if role == "answer":
            cell.source = solution_source(part)
        cell.outputs = []
        cell.execution_count = None
    return solution


# --- passing lines ------------------------------------------------------------


def passing_line(part):
    """The verdict line the part's checker prints for the package's own code."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        result = PARTS[part].checker(PARTS[part].reference)
    if not result.passed:
        raise SyncError(f"the checker of {part!r} fails the package: {result.message}")
    return captured.getvalue()


def check_output_problems(where, cell, expected_text):
    """List how a stored check cell differs from its expected passing output."""
    outputs = [dict(output) for output in cell.get("outputs", [])]
    wanted = [{"output_type": "stream", "name": "stdout", "text": expected_text}]
    problems = []
    if outputs != wanted:
        found = " | ".join(o.get("text", o.get("output_type", "?")) for o in outputs)
        problems.append(
            f"{where}: stores {found.strip()!r}, expected {expected_text.strip()!r}"
        )
    if cell.get("execution_count") is None:
        problems.append(f"{where}: has no execution count, so nbval would skip it")
    return problems


# --- regenerating -------------------------------------------------------------


def run_solution(name, solution, timeout):
    """Execute a solution notebook in a scratch folder; return the run."""
    environment_path = os.environ.get("PYTHONPATH", "")
    if str(REPO_ROOT) not in environment_path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(REPO_ROOT), environment_path) if part
        )
    with tempfile.TemporaryDirectory(prefix="mha-solutions-") as scratch:
        path = Path(scratch) / name
        nbformat.write(solution, path)
        try:
            executed = execute_notebook(path, timeout=timeout, write=False)
        except NotebookExecutionError as error:
            raise SyncError(f"solutions/{name} failed to run: {error.reason}") from None
    problems = []
    for index, cell in enumerate(executed.cells):
        role, part = cell_role(cell)
        if role == "check":
            where = f"solutions/{name}, cell {index} (check {part!r})"
            problems += check_output_problems(where, cell, passing_line(part))
    if problems:
        raise SyncError("\n".join(problems))
    return executed


def outputs_into_exercise(exercise, executed):
    """Copy the solution run's outputs into the exercise's course cells."""
    updated = copy.deepcopy(exercise)
    for cell, ran in zip(updated.cells, executed.cells, strict=True):
        if cell.cell_type != "code":
            continue
        if cell_role(cell)[0] == "answer":
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.outputs = copy.deepcopy(ran.outputs)
            cell.execution_count = ran.execution_count
    return updated


def exercise_paths(exercises_dir):
    """Return the exercise notebooks of a folder, in name order."""
    return sorted(Path(exercises_dir).glob("*.ipynb"))


def regenerate(exercises_dir, solutions_dir, timeout, say=print):
    """Rebuild, run and save every solution; refresh the exercises' outputs."""
    paths = exercise_paths(exercises_dir)
    if not paths:
        raise SyncError(f"no exercise notebooks in {exercises_dir}")
    for path in paths:
        exercise = nbformat.read(path, as_version=NOTEBOOK_FORMAT)
        problems = format_problems(path.name, exercise)
        if problems:
            raise SyncError("\n".join(problems))
        executed = run_solution(path.name, build_solution(exercise), timeout)
        Path(solutions_dir).mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, Path(solutions_dir) / path.name)
        nbformat.write(outputs_into_exercise(exercise, executed), path)
        parts = ", ".join(graded_parts(exercise))
        say(f"solutions/{path.name}: generated and run ({parts})")


# --- checking -----------------------------------------------------------------


def sync_problems(exercises_dir=EXERCISES_DIR, solutions_dir=SOLUTIONS_DIR):
    """List everything out of sync between exercises, solutions and the package."""
    problems = []
    paths = exercise_paths(exercises_dir)
    if not paths:
        return [f"no exercise notebooks in {exercises_dir}"]
    names = {path.name for path in paths}
    for entry in PARTS.values():
        if entry.exercise not in names:
            problems.append(f"exercises/{entry.exercise} is missing")
    for stray in sorted(Path(solutions_dir).glob("*.ipynb")):
        if stray.name not in names:
            problems.append(f"solutions/{stray.name} has no exercise")
    lines = {}
    for path in paths:
        problems += _notebook_problems(path, Path(solutions_dir) / path.name, lines)
    return problems


def _notebook_problems(exercise_path, solution_path, lines):
    """List what is out of sync for one exercise and its solution."""
    name = exercise_path.name
    exercise = nbformat.read(exercise_path, as_version=NOTEBOOK_FORMAT)
    problems = format_problems(name, exercise)
    if problems:
        return problems
    if not solution_path.is_file():
        return [f"solutions/{name} is missing"]
    stored = nbformat.read(solution_path, as_version=NOTEBOOK_FORMAT)
    expected = build_solution(exercise)
    if len(stored.cells) != len(expected.cells):
        return [f"solutions/{name}: {len(stored.cells)} cells, expected "
                f"{len(expected.cells)}"]  # fmt: skip
    for index, (want, have, cell) in enumerate(
        zip(expected.cells, stored.cells, exercise.cells, strict=True)
    ):
        role, part = cell_role(want)
        where = f"{name}, cell {index}"
        if (have.cell_type, have.get("id"), have.source) != (
            want.cell_type,
            want.get("id"),
            want.source,
        ):
            problems.append(f"solutions/{where}: differs from the regenerated one")
            continue
        if want.cell_type != "code":
            continue
        if have.get("execution_count") is None:
            problems.append(f"solutions/{where}: was not executed")
        if role == "check":
            if part not in lines:
                lines[part] = passing_line(part)
            for label, stored_cell in (("solutions", have), ("exercises", cell)):
                problems += check_output_problems(
                    f"{label}/{where} (check {part!r})", stored_cell, lines[part]
                )
        if role == "answer":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                problems.append(
                    f"exercises/{where}: an answer cell must have no outputs and "
                    "no execution count"
                )
        elif (cell.get("outputs"), cell.get("execution_count")) != (
            have.get("outputs"),
            have.get("execution_count"),
        ):
            problems.append(
                f"exercises/{where}: outputs differ from the solution's run"
            )
    return problems


# --- command line -------------------------------------------------------------


def build_parser():
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        description=(
            "Generate solutions/ from exercises/ and the mha_course package, "
            "execute them, and store the passing check outputs in the exercises."
        )
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit with status 1 if anything is out of sync",
    )
    parser.add_argument(
        "--exercises", type=Path, default=EXERCISES_DIR, help="%(default)s"
    )
    parser.add_argument(
        "--solutions", type=Path, default=SOLUTIONS_DIR, help="%(default)s"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT_S,
        help="seconds allowed per cell (default: %(default)s)",
    )
    return parser


def main(argv=None):
    """Regenerate (or, with --check, verify) the solutions; return the status."""
    args = build_parser().parse_args(argv)
    try:
        if args.check:
            problems = sync_problems(args.exercises, args.solutions)
            if problems:
                print("out of sync:\n  " + "\n  ".join(problems), file=sys.stderr)
                print(
                    "regenerate with: .venv/bin/python tools/make_solutions.py",
                    file=sys.stderr,
                )
                return 1
            print("solutions/ and the exercises' check outputs are in sync")
            return 0
        regenerate(args.exercises, args.solutions, args.timeout)
    except SyncError as error:
        print(f"make_solutions: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
