"""The exercises, their solutions and the package agree (tools/make_solutions.py).

No kernel is started here: the answer cells are executed in-process. nbval
(``pytest solutions/``) is what re-runs the stored solutions in a kernel.
"""

import importlib.util
import inspect
import shutil
from pathlib import Path

import nbformat
import pytest

from mha_course.checks import PARTS

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((REPO_ROOT / "exercises").glob("*.ipynb"))


def _load_tool():
    path = REPO_ROOT / "tools" / "make_solutions.py"
    spec = importlib.util.spec_from_file_location("make_solutions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_solutions = _load_tool()


def _read(path):
    return nbformat.read(path, as_version=4)


def _run_cells(notebook, roles=("answer",)):
    """Execute the course's setup cells and the chosen cells; return the names."""
    namespace = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        role, _ = make_solutions.cell_role(cell)
        if role is None or role in roles:
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    return namespace


def _answer_name(part):
    return PARTS[part].reference.__name__


def _parameters(function):
    """Names, kinds and defaults of a signature (annotations left out)."""
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
    ]


def test_solutions_are_in_sync():
    problems = make_solutions.sync_problems()
    assert problems == [], "\n".join(problems)


def test_every_part_is_in_exactly_one_exercise():
    found = {}
    for path in EXERCISES:
        for part in make_solutions.graded_parts(_read(path)):
            found.setdefault(part, []).append(path.name)
    assert found == {part: [entry.exercise] for part, entry in PARTS.items()}
    for path in EXERCISES:
        count = len(make_solutions.graded_parts(_read(path)))
        assert 1 <= count <= 3, f"{path.name} has {count} parts"


@pytest.mark.parametrize("part", sorted(PARTS))
def test_checker_passes_on_the_reference(part, capsys):
    result = PARTS[part].checker(PARTS[part].reference)
    assert result.passed, result.message
    assert capsys.readouterr().out == result.message + "\n"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_stubs_keep_the_package_signatures(path):
    namespace = _run_cells(_read(path))
    for part in make_solutions.graded_parts(_read(path)):
        reference = PARTS[part].reference
        stub = namespace[_answer_name(part)]
        if inspect.isclass(reference):
            for method in ("__init__", "forward"):
                assert _parameters(getattr(stub, method)) == _parameters(
                    getattr(reference, method)
                ), f"{part}: {method} differs"
            assert stub.__init__ is not reference.__init__
        else:
            assert _parameters(stub) == _parameters(reference), part


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercises_as_handed_out_are_not_implemented(path, capsys):
    notebook = _read(path)
    _run_cells(notebook, roles=("answer", "check"))
    lines = capsys.readouterr().out.splitlines()
    parts = make_solutions.graded_parts(notebook)
    assert len(lines) == len(parts)
    for line, part in zip(lines, parts, strict=True):
        assert line.startswith(f"FAIL {part}: not implemented yet. Hint: ")


@pytest.mark.parametrize("part", sorted(PARTS))
def test_solution_cell_runs_on_its_own(part, capsys):
    namespace = {}
    exec(compile(make_solutions.solution_source(part), "<cell>", "exec"), namespace)
    defined = namespace[_answer_name(part)]
    assert defined is not PARTS[part].reference
    assert PARTS[part].checker(defined).passed
    capsys.readouterr()


def test_import_block_groups_and_sorts_like_ruff():
    bindings = {
        "F": ("torch.nn.functional", None, "F"),
        "torch": ("torch", None, None),
        "nn": ("torch", "nn", None),
        "math": ("math", None, None),
        "LIMIT": ("mha_course.encoder", "LIMIT", None),
        "Layer": ("mha_course.encoder", "Layer", None),
        "_helper": ("mha_course.encoder", "_helper", None),
    }
    assert make_solutions.import_block(bindings, sorted(bindings)) == (
        "import math\n\n"
        "import torch\n"
        "import torch.nn.functional as F\n"
        "from torch import nn\n\n"
        "from mha_course.encoder import LIMIT, Layer, _helper"
    )


def test_free_names_skip_locals_and_arguments():
    code = "def f(x, y=2):\n    z = np.ones(x)\n    return torch.cat([z, w])\n"
    assert make_solutions.free_names(code) == {"np", "torch", "w"}


def _copy_course(tmp_path):
    for folder in ("exercises", "solutions"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    return [
        "--check",
        "--exercises",
        str(tmp_path / "exercises"),
        "--solutions",
        str(tmp_path / "solutions"),
    ]


def _edit(path, change):
    notebook = _read(path)
    change(notebook)
    nbformat.write(notebook, path)


def _first(notebook, role):
    return next(c for c in notebook.cells if make_solutions.cell_role(c)[0] == role)


def test_check_mode_passes_on_a_faithful_copy(tmp_path, capsys):
    assert make_solutions.main(_copy_course(tmp_path)) == 0
    assert "in sync" in capsys.readouterr().out


def test_check_mode_catches_an_edited_solution(tmp_path, capsys):
    arguments = _copy_course(tmp_path)
    path = tmp_path / "solutions" / EXERCISES[0].name
    _edit(path, lambda nb: setattr(_first(nb, "answer"), "source", "pass"))
    assert make_solutions.main(arguments) == 1
    assert "differs from the regenerated one" in capsys.readouterr().err


def test_check_mode_catches_a_stale_check_output(tmp_path, capsys):
    arguments = _copy_course(tmp_path)
    path = tmp_path / "exercises" / EXERCISES[-1].name

    def stale(notebook):
        _first(notebook, "check").outputs[0]["text"] = "PASS something else\n"

    _edit(path, stale)
    assert make_solutions.main(arguments) == 1
    assert "expected 'PASS" in capsys.readouterr().err


def test_check_mode_catches_an_answer_cell_with_outputs(tmp_path, capsys):
    arguments = _copy_course(tmp_path)
    path = tmp_path / "exercises" / EXERCISES[1].name
    _edit(path, lambda nb: setattr(_first(nb, "answer"), "execution_count", 7))
    assert make_solutions.main(arguments) == 1
    assert "no execution count" in capsys.readouterr().err
