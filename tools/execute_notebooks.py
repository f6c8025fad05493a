"""Re-execute stored notebooks in place, so their saved outputs are current.

Usage:
    python tools/execute_notebooks.py                 # every notebooks/*.ipynb
    python tools/execute_notebooks.py notebooks/03_single_head_attention.ipynb
    python tools/execute_notebooks.py --timeout 300 solutions/*.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel of the Python
running this script, with the notebook's own folder as working directory, the
same way ``pytest --nbval --nbval-current-env`` runs it. A notebook is written
back only when every cell succeeded; on a failure the stored file is left as it
was and the tool names the notebook and the cell, then exits with status 1.

Other tools import the core: ``from execute_notebooks import execute_notebook``
(with ``tools/`` on ``sys.path``, which it is for any script in this folder).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK_DIR = REPO_ROOT / "notebooks"
# Same per-cell limit as --nbval-cell-timeout in pyproject.toml: a cell slower
# than this on a laptop CPU is too slow for a lesson anyway.
DEFAULT_CELL_TIMEOUT_S = 120.0
KERNEL_NAME = "python3"
KERNEL_LOG_LEVEL = "ERROR"
NOTEBOOK_FORMAT = 4
# ipykernel picks matplotlib's inline backend only when MPLBACKEND is unset;
# a value inherited from the shell (e.g. "Agg") would drop every figure.
MATPLOTLIB_BACKEND_VARIABLE = "MPLBACKEND"


class NotebookExecutionError(RuntimeError):
    """A notebook could not be executed to the end.

    Attributes:
        path: the notebook's path.
        cell_index: index of the failing cell in the notebook (0-based, counting
            markdown cells too), or None when no cell was running.
        cell_id: the failing cell's id, or None.
        reason: a short description such as ``"ValueError: bad shape"``.
    """

    def __init__(self, path, cell_index, cell_id, reason):
        self.path = Path(path)
        self.cell_index = cell_index
        self.cell_id = cell_id
        self.reason = reason
        if cell_index is None:
            where = f"{self.path}"
        else:
            where = f"{self.path}, cell {cell_index} (id {cell_id})"
        super().__init__(f"{where}: {reason}")


class _CurrentEnvKernelSpecs(KernelSpecManager):
    """Resolve the ``python3`` kernel to the Python running this tool.

    A ``python3`` kernelspec installed elsewhere on the machine (for instance in
    the user's Jupyter folder) must not decide which Python runs the notebooks.
    """

    def get_kernel_spec(self, kernel_name):
        """Return this interpreter's ipykernel for KERNEL_NAME, else the default."""
        if kernel_name != KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        argv = [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            # The kernel's own log (not the cells' output) warns at every start
            # that it talks over local TCP; only its errors are worth a line here.
            f"--IPKernelApp.log_level={KERNEL_LOG_LEVEL}",
        ]
        return KernelSpec(
            argv=argv,
            display_name="Python 3 (ipykernel)",
            language="python",
            metadata={"debugger": True},
        )


class _CurrentEnvKernelManager(AsyncKernelManager):
    """A kernel manager that looks kernels up in ``_CurrentEnvKernelSpecs``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_spec_manager", _CurrentEnvKernelSpecs())
        super().__init__(**kwargs)


def _cell_source_head(cell, max_chars=60):
    """Return the first line of a cell's source, shortened, for messages."""
    lines = cell.source.strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > max_chars:
        return first[: max_chars - 3] + "..."
    return first


def execute_notebook(path, timeout=DEFAULT_CELL_TIMEOUT_S, write=True):
    """Execute one notebook top to bottom and, on success, save it in place.

    Args:
        path: path of the ``.ipynb`` file.
        timeout: seconds allowed for each cell; ``None`` means no limit.
        write: save the executed notebook back to ``path`` when True.

    Returns:
        The executed notebook (an ``nbformat.NotebookNode``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        NotebookExecutionError: if a cell raises, times out or the kernel dies;
            the file on disk is then left unchanged.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    os.environ.pop(MATPLOTLIB_BACKEND_VARIABLE, None)
    notebook = nbformat.read(path, as_version=NOTEBOOK_FORMAT)

    running = {"index": None}

    def remember_cell(cell, cell_index, **_):
        running["index"] = cell_index

    client = NotebookClient(
        notebook,
        kernel_manager_class=_CurrentEnvKernelManager,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        # Wall-clock timestamps in cell metadata would change every cell on every
        # run and bury the real changes in the diff.
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=remember_cell,
    )

    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = running["index"]
        cell = notebook.cells[index] if index is not None else None
        if isinstance(error, CellExecutionError):
            reason = f"{error.ename}: {error.evalue}"
        elif isinstance(error, CellTimeoutError):
            reason = f"cell took longer than {timeout} s"
        else:
            reason = "the kernel died"
        if cell is not None:
            reason += f" (cell starts: {_cell_source_head(cell)!r})"
        raise NotebookExecutionError(
            path, index, cell.get("id") if cell is not None else None, reason
        ) from error

    if write:
        nbformat.write(notebook, path)
    return notebook


def _display_name(path):
    """Return path relative to the repository when it lies inside it."""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(REPO_ROOT):
        return resolved.relative_to(REPO_ROOT).as_posix()
    return str(path)


def default_notebooks():
    """Return every notebook in notebooks/, in name order."""
    return sorted(DEFAULT_NOTEBOOK_DIR.glob("*.ipynb"))


def build_parser():
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        description=(
            "Execute notebooks in place with a fresh kernel each. Notebooks are "
            "saved only if every cell succeeds."
        )
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to execute (default: notebooks/*.ipynb in name order)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT_S,
        help="seconds allowed per cell (default: %(default)s)",
    )
    return parser


def main(argv=None):
    """Execute the notebooks named on the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    paths = args.notebooks or default_notebooks()
    if not paths:
        print(f"no notebooks found in {DEFAULT_NOTEBOOK_DIR}", file=sys.stderr)
        return 1

    wall_times = {}
    failures = []
    progress = tqdm(paths, desc="notebooks", unit="nb")
    for path in progress:
        progress.set_postfix_str(Path(path).name)
        start = time.perf_counter()
        try:
            execute_notebook(path, timeout=args.timeout)
        except (NotebookExecutionError, FileNotFoundError) as error:
            failures.append(str(error))
        wall_times[path] = time.perf_counter() - start
    progress.close()

    names = {path: _display_name(path) for path in wall_times}
    width = max(len(name) for name in names.values())
    print("wall time per notebook:")
    for path, seconds in wall_times.items():
        print(f"  {names[path]:<{width}}  {seconds:7.1f} s")
    print(f"  {'total':<{width}}  {sum(wall_times.values()):7.1f} s")

    if failures:
        print(f"{len(failures)} notebook(s) failed, left unchanged:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"{len(paths)} notebook(s) executed and saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
