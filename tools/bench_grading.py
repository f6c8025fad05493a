"""Time the classroom grader on a synthetic class.

Usage:
    python tools/bench_grading.py                  # 30 learners, jobs 2
    python tools/bench_grading.py --learners 10 --jobs 1
    python tools/bench_grading.py --synthetic      # ignore exercises/ and solutions/

Every learner is a copy of the solutions, so every notebook runs to the end.
With the course's ``exercises/`` and ``solutions/`` in place, those are
graded. Otherwise (or with ``--synthetic``) a stand-in course is built in a
temporary folder: 8 notebooks that import torch, with 2 parts each whose
checkers compare small seeded tensors, the same shape of work as the real
exercises.

It prints the wall time, the CPU time of the grader and of its kernels, and
the load average before the run: on a shared machine the wall time says more
about the neighbours than about the grader.
"""

import argparse
import contextlib
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from mha_course.grade import grade_class  # noqa: E402

DEFAULT_LEARNERS = 30
DEFAULT_JOBS = 2
SYNTHETIC_NOTEBOOKS = 8
# The classroom target: 30 learners x 8 exercises within 3 minutes.
TARGET_SECONDS = 180

# The stand-in course's checker module; each checker prints one verdict line.
BENCH_CHECKS = '''"""Checkers of the benchmark's stand-in course."""

import torch

SHAPE = (4, 8, 16)


def _verdict(part, passed, detail):
    line = f"PASS {part}: {detail}" if passed else f"FAIL {part}: {detail}"
    print(line)
    return passed


def check_part(part, function, reference):
    generator = torch.Generator().manual_seed(0)
    cases = [torch.randn(SHAPE, generator=generator) for _ in range(3)]
    try:
        same = all(torch.allclose(function(x), reference(x)) for x in cases)
    except Exception as error:
        return _verdict(part, False, f"raised {type(error).__name__}")
    return _verdict(part, same, f"matches on {len(cases)} cases")
'''
SETUP_SOURCE = "import torch\n\ntorch.manual_seed(0)"
REFERENCES = (
    "torch.softmax(x, dim=-1)",
    "x @ x.transpose(-2, -1) / x.shape[-1] ** 0.5",
)


def build_synthetic_course(folder):
    """Write the stand-in course's exercises and solutions under ``folder``.

    Returns:
        ``(exercises folder, solutions folder)``.
    """
    exercises, solutions = folder / "exercises", folder / "solutions"
    for target in (exercises, solutions):
        target.mkdir(parents=True)
        (target / "bench_checks.py").write_text(BENCH_CHECKS, encoding="utf-8")
    sys.path.insert(0, str(exercises))
    import bench_checks

    for number in range(1, SYNTHETIC_NOTEBOOKS + 1):
        for solved, target in ((False, exercises), (True, solutions)):
            cells = [new_code_cell(SETUP_SOURCE, execution_count=1)]
            for index, reference in enumerate(REFERENCES):
                part = f"part_{number}_{index}"
                body = f"return {reference}" if solved else "raise NotImplementedError"
                answer = new_code_cell(f"def {part}(x):\n    {body}\n")
                answer.metadata["mha_course"] = {"role": "answer", "part": part}
                check_source = (
                    "from bench_checks import check_part\n\n"
                    f"check_part({part!r}, {part}, lambda x: {reference});"
                )
                solution = eval(f"lambda x: {reference}", {"torch": bench_checks.torch})
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    bench_checks.check_part(part, solution, solution)
                check = new_code_cell(check_source, execution_count=2 + index)
                check.metadata["mha_course"] = {"role": "check", "part": part}
                check.outputs = [
                    new_output("stream", name="stdout", text=printed.getvalue())
                ]
                answer.id, check.id = f"{part}-answer", f"{part}-check"
                cells += [answer, check]
            notebook = new_notebook(cells=cells)
            notebook.metadata["kernelspec"] = {
                "name": "python3",
                "language": "python",
                "display_name": "Python 3",
            }
            nbformat.write(notebook, target / f"{number:02d}_bench.ipynb")
    return exercises, solutions


def build_class(solutions, submissions, learners):
    """Copy the solutions' notebooks once per synthetic learner."""
    for number in range(learners):
        folder = submissions / f"learner_{number:02d}"
        folder.mkdir(parents=True)
        for path in solutions.glob("*.ipynb"):
            shutil.copy(path, folder / path.name)


def main(argv=None):
    """Build the class, grade it, print the figures; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=DEFAULT_LEARNERS)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="grade the stand-in course even if the real one exists",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mha-bench-") as scratch:
        scratch = Path(scratch)
        exercises, solutions = REPO_ROOT / "exercises", REPO_ROOT / "solutions"
        real = any(exercises.glob("*.ipynb")) and any(solutions.glob("*.ipynb"))
        if args.synthetic or not real:
            exercises, solutions = build_synthetic_course(scratch / "course")
        build_class(solutions, scratch / "submissions", args.learners)
        notebooks = len(list(solutions.glob("*.ipynb")))

        load = os.getloadavg()[0]
        before = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        start = time.perf_counter()
        grades = grade_class(
            scratch / "submissions", exercises, jobs=args.jobs, progress=True
        )
        wall = time.perf_counter() - start
        after = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )

    cpu_self, cpu_kernels = (
        (a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime)
        for a, b in zip(after, before, strict=True)
    )
    full = sum(1 for learner in grades.learners if learner.total == grades.max_points)
    # The solutions import the package's internals: a mild flag, expected here.
    expected = {"uses_package"}
    flagged = sorted(
        {
            flag.label
            for learner in grades.learners
            for flag in learner.flags
            if flag.kind not in expected
        }
    )
    course = "synthetic" if (args.synthetic or not real) else "exercises/"
    print(f"course: {course}, {notebooks} notebooks, {grades.max_points} parts")
    print(
        f"learners: {args.learners}, jobs: {args.jobs}, cores: {os.cpu_count()}, "
        f"load average before: {load:.1f}"
    )
    print(
        f"wall time: {wall:.1f} s (target {TARGET_SECONDS} s), "
        f"{wall / max(args.learners, 1):.2f} s per learner"
    )
    print(f"CPU: grader {cpu_self:.1f} s, kernels {cpu_kernels:.1f} s")
    print(f"learners with full marks: {full} / {args.learners}")
    print(f"unexpected flags: {flagged or 'none'}")
    return 0 if full == args.learners and not flagged else 1


if __name__ == "__main__":
    sys.exit(main())
