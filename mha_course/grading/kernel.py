"""A Jupyter kernel that runs cells of several notebooks, one after another.

The grader gives each learner one kernel: starting a kernel and importing
torch costs about 2 s, more than running a whole exercise. ``KernelSession``
wraps nbclient's ``NotebookClient`` so that cells of different notebooks can
run in the same kernel, reports a timeout or a dead kernel as a value instead
of an exception, and restarts on demand.
"""

import logging
import os
import sys
from contextlib import suppress

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

KERNEL_NAME = "python3"
KERNEL_STARTUP_TIMEOUT_S = 60
TIMEOUT, CRASH = "timeout", "kernel_crash"
# ipykernel picks matplotlib's inline backend only when MPLBACKEND is unset.
MATPLOTLIB_BACKEND_VARIABLE = "MPLBACKEND"
THREADS_VARIABLE = "OMP_NUM_THREADS"
# Run first in the shared kernel before each notebook: forget the previous
# notebook's names (IPython's own %reset is 10 times slower: it runs the
# garbage collector over all of torch) and return to the course folder.
RESET_SOURCE = """\
def _grader_reset(shell, folder):
    keep = set(shell.user_ns_hidden) | {{"__builtin__", "__builtins__", "__name__"}}
    for name in [name for name in shell.user_ns if name not in keep]:
        del shell.user_ns[name]
    shell.user_ns["_oh"].clear()
    __import__("os").chdir(folder)


_grader_reset(get_ipython(), {folder!r})
"""
# nbclient logs each timeout and dead kernel as an error; those are verdicts
# here, so they go to a logger of ours that stays silent unless configured.
LOG = logging.getLogger(__name__)
LOG.addHandler(logging.NullHandler())


class _CurrentEnvKernelSpecs(KernelSpecManager):
    """Resolve ``python3`` to the interpreter running the grader.

    A ``python3`` kernelspec installed elsewhere (the user's Jupyter folder)
    must not decide which Python and which packages grade the class.
    """

    def get_kernel_spec(self, kernel_name):
        """Return this interpreter's ipykernel for ``python3``, else the default."""
        if kernel_name != KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="Python 3", language="python")


class _CurrentEnvKernelManager(AsyncKernelManager):
    """A kernel manager that looks kernels up in ``_CurrentEnvKernelSpecs``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_spec_manager", _CurrentEnvKernelSpecs())
        super().__init__(**kwargs)


class KernelSession:
    """One kernel, run in ``folder``, executing cells of several notebooks.

    Args:
        folder: the kernel's working folder.
        cell_timeout: seconds allowed per cell.
        threads: value for OMP_NUM_THREADS in the kernel, or None to inherit.

    Example:
        Creating a session starts nothing; the kernel starts on first use:

        >>> session = KernelSession(".", cell_timeout=10)
        >>> session.cell_timeout, session.threads
        (10, None)
        >>> session.stop()  # harmless when no kernel runs

        Running a cell starts a kernel (about 2 s), so this is not run as a
        doctest:

        >>> cell = nbformat.v4.new_code_cell("print(6 * 7)")
        >>> notebook = nbformat.v4.new_notebook(cells=[cell])
        >>> with KernelSession(".", cell_timeout=10) as session:  # doctest: +SKIP
        ...     session.run_cell(notebook, 0)
        >>> notebook.cells[0].outputs[0]["text"]  # doctest: +SKIP
        '42\\n'
    """

    def __init__(self, folder, cell_timeout, threads=None):
        self.folder = str(folder)
        self.cell_timeout = cell_timeout
        self.threads = threads
        self._client = None
        self._context = None
        self._stderr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _environment(self):
        env = dict(os.environ)
        env.pop(MATPLOTLIB_BACKEND_VARIABLE, None)
        if self.threads is not None:
            env.setdefault(THREADS_VARIABLE, str(self.threads))
        return env

    def start(self):
        """Start the kernel (done on first use)."""
        self._client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_manager_class=_CurrentEnvKernelManager,
            kernel_name=KERNEL_NAME,
            timeout=self.cell_timeout,
            startup_timeout=KERNEL_STARTUP_TIMEOUT_S,
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            log=LOG,
        )
        self._stderr = open(os.devnull, "w")  # the kernel's own chatter; see stop()
        self._context = self._client.setup_kernel(
            cwd=self.folder, stderr=self._stderr, env=self._environment()
        )
        self._context.__enter__()

    def stop(self):
        """Shut the kernel down, whatever state it is in."""
        if self._context is not None:
            with suppress(Exception):
                self._context.__exit__(None, None, None)
        if self._stderr is not None:
            self._stderr.close()
        self._client = self._context = self._stderr = None

    def restart(self):
        """Replace the kernel by a fresh one."""
        self.stop()
        self.start()

    def run_cell(self, notebook, index):
        """Run ``notebook.cells[index]``, storing its outputs in the cell.

        Returns:
            None when the cell ran (even if it raised), ``"timeout"`` when it
            ran past the limit, ``"kernel_crash"`` when the kernel died; after
            either of those, call ``restart()``.
        """
        if self._client is None:
            self.start()
        self._client.nb = notebook
        try:
            self._client.execute_cell(notebook.cells[index], index)
        except CellTimeoutError:
            return TIMEOUT
        except DeadKernelError:
            return CRASH
        return None

    def reset(self):
        """Forget every name the previous notebook defined; go back to ``folder``.

        Returns:
            None, or ``"timeout"`` / ``"kernel_crash"`` as ``run_cell`` does.
        """
        cell = nbformat.v4.new_code_cell(RESET_SOURCE.format(folder=self.folder))
        return self.run_cell(nbformat.v4.new_notebook(cells=[cell]), 0)
