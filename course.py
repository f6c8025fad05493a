#!/usr/bin/env python3
"""Set up and run the Multi-Head Attention course.

    python3 course.py lab       set up if needed, then open the course in JupyterLab
    python3 course.py test      set up if needed, then run every test
    python3 course.py execute   set up if needed, then re-execute the notebooks
    python3 course.py setup     only set up

Set-up creates a virtual environment in .venv with the Python running this
script, then installs the course package and its pinned dependencies into it
(pip install -c constraints.txt -e ".[dev]"). A stamp file in .venv remembers a
hash of pyproject.toml and constraints.txt, so later runs skip the install
until one of those files changes.

This script uses the standard library only, so it runs before anything is
installed. It is kept parseable by Python 3.6 and newer, so that old versions reach
the version check and get a clear message instead of a syntax error.
"""

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".course-setup-stamp"
# The files whose content decides what set-up installs.
STAMPED_FILES = ("pyproject.toml", "constraints.txt")
WELCOME_NOTEBOOK = Path("notebooks") / "00_welcome.ipynb"
MAKE_SOLUTIONS = Path("tools") / "make_solutions.py"
EXECUTE_NOTEBOOKS = Path("tools") / "execute_notebooks.py"

COMMANDS = {
    "lab": "set up if needed, then start JupyterLab on the welcome notebook",
    "test": "set up if needed, then run pytest (unit tests, doctests, style, "
    "notebooks)",
    "execute": "set up if needed, then re-execute every stored notebook in place",
    "setup": "only set up the environment in .venv",
}


def say(message):
    """Print one progress line of this tool."""
    print("course: " + message, flush=True)


def fail(message):
    """Print an error line and stop with exit code 1."""
    print("course: error: " + message, file=sys.stderr, flush=True)
    sys.exit(1)


def check_python():
    """Stop with a clear message when this Python is too old."""
    if sys.version_info < MIN_PYTHON:
        fail(
            "the course needs Python {}.{} or newer, but {} is Python {}.{}.{}. "
            "Install a newer Python and run this script with it, for example "
            "`python3.11 course.py setup`.".format(
                MIN_PYTHON[0], MIN_PYTHON[1], sys.executable, *sys.version_info[:3]
            )
        )


def venv_bin_dir():
    """Return the folder of the virtual environment's executables."""
    return VENV / ("Scripts" if os.name == "nt" else "bin")


def venv_python():
    """Return the path of the virtual environment's Python."""
    return venv_bin_dir() / ("python.exe" if os.name == "nt" else "python")


def venv_environment():
    """Return os.environ as an activated .venv would have it."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_bin_dir()) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    return env


def setup_digest():
    """Return the sha256 of the files that decide what set-up installs."""
    digest = hashlib.sha256()
    for name in STAMPED_FILES:
        path = ROOT / name
        if not path.is_file():
            fail(f"{name} is missing; is this a complete copy of the course?")
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def create_venv():
    """Create .venv with the venv module of the running Python."""
    say(
        "creating .venv with Python {}.{}.{} ({})".format(
            *sys.version_info[:3], sys.executable
        )
    )
    result = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
    if result.returncode != 0 or not venv_python().exists():
        fail(
            "could not create .venv. On Debian or Ubuntu the venv module is a "
            "separate package (python3-venv); install it, delete .venv and "
            "run this command again."
        )


def check_venv_python():
    """Stop with a clear message when .venv's Python does not run or is old."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        result = subprocess.run(
            [str(venv_python()), "-c", probe],
            stdout=subprocess.PIPE,
            text=True,
        )
    except OSError:
        result = None
    if result is None or result.returncode != 0:
        fail(
            "the Python in .venv does not run (was the Python it came from "
            "removed?). Delete the .venv folder and run this command again."
        )
    version = tuple(int(part) for part in result.stdout.strip().split("."))
    if version < MIN_PYTHON:
        fail(
            ".venv holds Python {}, but the course needs {}.{} or newer. Delete "
            "the .venv folder and run this command again with a newer "
            "Python.".format(result.stdout.strip(), *MIN_PYTHON)
        )


def ensure_setup():
    """Create .venv and install the course into it, unless already done."""
    if not venv_python().exists():
        create_venv()
    check_venv_python()

    digest = setup_digest()
    if STAMP.is_file() and STAMP.read_text().strip() == digest:
        say(".venv is up to date")
        return

    # A stale stamp must not survive a failed install.
    if STAMP.exists():
        STAMP.unlink()
    say(
        "installing the course and its pinned dependencies into .venv "
        "(the first time this downloads a few GB and takes several minutes)"
    )
    command = [
        str(venv_python()),
        "-m",
        "pip",
        "install",
        "-c",
        "constraints.txt",
        "-e",
        ".[dev]",
    ]
    result = subprocess.run(command, cwd=str(ROOT), env=venv_environment())
    if result.returncode != 0:
        fail(
            f"pip could not install the course (exit code {result.returncode}); "
            "see its output above."
        )
    STAMP.write_text(digest + "\n")
    say("set-up done")


def replace_process(command):
    """Run command in place of this process, so it owns the terminal and exit code.

    Falls back to a child process on Windows, where exec does not hand over.
    """
    os.chdir(str(ROOT))
    sys.stdout.flush()
    sys.stderr.flush()
    env = venv_environment()
    if os.name == "nt":
        sys.exit(subprocess.run(command, env=env).returncode)
    os.execve(command[0], command, env)


def run_step(command):
    """Run one step as a child process; stop with its exit code if it fails."""
    result = subprocess.run(command, cwd=str(ROOT), env=venv_environment())
    if result.returncode != 0:
        say(f"{command[1]} failed with exit code {result.returncode}")
        sys.exit(result.returncode)


def command_lab(extra):
    """Start JupyterLab from .venv, opening the welcome notebook."""
    ensure_setup()
    # Without an explicit root, JupyterLab would serve only the notebook's own
    # folder, hiding exercises/ and solutions/ from its file browser.
    command = [str(venv_python()), "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # JupyterLab refuses to start as root (a container, a cloud machine)
        # unless told that this is intended.
        command.append("--allow-root")
    if (ROOT / WELCOME_NOTEBOOK).is_file():
        command.append(str(WELCOME_NOTEBOOK))
    else:
        say(f"{WELCOME_NOTEBOOK} is missing; opening the course folder")
    say("starting JupyterLab (press Ctrl+C in this terminal to stop it)")
    replace_process(command + list(extra))


def command_test(extra):
    """Run pytest from .venv; its exit code becomes ours."""
    ensure_setup()
    say("running pytest")
    replace_process([str(venv_python()), "-m", "pytest"] + list(extra))


def command_execute(extra):
    """Regenerate the solutions (if the tool exists), then re-execute lessons."""
    ensure_setup()
    python = str(venv_python())
    if (ROOT / MAKE_SOLUTIONS).is_file():
        say("regenerating solutions/ and the outputs stored in exercises/")
        run_step([python, str(MAKE_SOLUTIONS)])
    else:
        say(f"{MAKE_SOLUTIONS} not found; skipping the solutions")
    say("re-executing the lesson notebooks")
    run_step([python, str(EXECUTE_NOTEBOOKS)] + list(extra))
    say("done; review the changes with `git diff --stat` before committing")


def command_setup(extra):
    """Only set up."""
    if extra:
        fail("`setup` takes no arguments, got: {}".format(" ".join(extra)))
    ensure_setup()


HANDLERS = {
    "lab": command_lab,
    "test": command_test,
    "execute": command_execute,
    "setup": command_setup,
}


def build_parser():
    """Return the parser that documents the commands."""
    parser = argparse.ArgumentParser(
        prog="python3 course.py",
        description="Set up and run the Multi-Head Attention course.",
        epilog=(
            "Arguments after the command go to the tool it runs: "
            "`lab` to JupyterLab, `test` to pytest (e.g. `test -k masks -x`), "
            "`execute` to tools/execute_notebooks.py."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv):
    """Dispatch to a command; everything after it is passed through untouched."""
    check_python()
    parser = build_parser()
    # Pass-through arguments (pytest's -k, JupyterLab's --port, ...) are not ours
    # to parse, so argparse only sees the command name when one is given.
    if not argv or argv[0] not in HANDLERS:
        parser.parse_args(argv)
        parser.print_help()
        return 2
    HANDLERS[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        # An interrupted install leaves no stamp, so the next run installs again.
        print("course: interrupted", file=sys.stderr)
        sys.exit(130)
