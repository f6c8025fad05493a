"""What the grader finds: flags, one verdict per part, one result per learner.

Plain frozen dataclasses, so results cross process boundaries (they pickle) and
compare by value in tests.
"""

from dataclasses import dataclass

# Every flag the grader can raise, with what it means for the teacher. The keys
# are the stable vocabulary written into the CSV's ``flags`` column.
FLAG_MEANINGS = {
    "missing": "the notebook was not in the learner's folder; its parts earn 0",
    "unreadable": "the file is not a readable notebook (not JSON, or not nbformat 4); "
    "its parts earn 0",
    "answer_missing": "no answer cell was found for this part (deleted, or its "
    "metadata and id were both lost); the part earns 0",
    "duplicate_answer": "several cells claim this part's answer (copied cells); "
    "the last one was graded",
    "check_deleted": "the learner's copy has no check cell for this part; the "
    "course's own check cell was run anyway",
    "check_modified": "the learner's check cell differs from the course's; the "
    "course's own check cell was run anyway",
    "pass_not_reproduced": "the learner's file shows the passing line under this "
    "check cell, but the grader's run does not pass: stored outputs edited, or "
    "a stale run (cells run out of order, helper cells outside the answer cell)",
    "tampering": "the answer cell reaches into the grading (checkers, builtins, "
    "modules, a printed PASS line...); it was not run and the part earns 0",
    "uses_package": "the answer cell imports the course package mha_course, "
    "possibly its reference implementation; graded as usual, worth a look",
    "timeout": "a cell of this part ran past the time limit (an endless loop?); "
    "the answer was left out and the part earns 0",
    "kernel_crash": "the kernel died while running this part (os._exit, a "
    "segfault, out of memory); the answer was left out and the part earns 0",
    "course_cell_failed": "a course cell of this notebook timed out or crashed the "
    "kernel with no answer to blame; later parts were not graded",
    "grader_error": "the grader itself failed on this learner; grade by hand and "
    "report the detail",
}


@dataclass(frozen=True)
class Flag:
    """Something about a submission a teacher should know.

    Args:
        kind: one of the keys of ``FLAG_MEANINGS``.
        where: the part id, notebook file name or learner it is about.
        detail: a short human explanation (what was seen, where).

    Raises:
        ValueError: if ``kind`` is not a known flag.

    Example:
        >>> Flag("timeout", "add_one").label
        'timeout:add_one'
    """

    kind: str
    where: str
    detail: str = ""

    def __post_init__(self):
        if self.kind not in FLAG_MEANINGS:
            raise ValueError(
                f"unknown flag kind {self.kind!r}; expected one of "
                f"{sorted(FLAG_MEANINGS)}"
            )

    @property
    def label(self):
        """The compact ``kind:where`` form written to the CSV."""
        return f"{self.kind}:{self.where}"


@dataclass(frozen=True)
class PartResult:
    """The grade of one part for one learner.

    Args:
        part: the part id.
        exercise: file name of the exercise notebook holding the part.
        passed: True when the course's check cell produced its passing output.
        verdict: the lines worth showing: the checker's verdict line as printed
            in the run, an error, or why the part was not run.

    Example:
        >>> PartResult("double", "01.ipynb", False, ("FAIL double: ...",)).points
        0
    """

    part: str
    exercise: str
    passed: bool
    verdict: tuple = ()

    @property
    def points(self):
        """One point for a passing part, none otherwise."""
        return 1 if self.passed else 0


@dataclass(frozen=True)
class LearnerResult:
    """Everything graded for one learner.

    Args:
        learner: the learner's name (their folder's name).
        parts: one ``PartResult`` per course part, in course order.
        flags: the flags raised, in the order they were found.

    Example:
        >>> ok = PartResult("add_one", "01.ipynb", True, ("PASS add_one: ok",))
        >>> LearnerResult("ada", (ok,), ()).total
        1
    """

    learner: str
    parts: tuple
    flags: tuple = ()

    @property
    def total(self):
        """The learner's points over all parts."""
        return sum(part.points for part in self.parts)

    def part(self, part_id):
        """Return the ``PartResult`` of ``part_id``.

        Raises:
            KeyError: if the course has no such part.
        """
        for result in self.parts:
            if result.part == part_id:
                return result
        raise KeyError(f"no part {part_id!r}; parts: {[p.part for p in self.parts]}")

    def flag_labels(self):
        """Return the flags' ``kind:where`` labels, without repeats, in order."""
        return list(dict.fromkeys(flag.label for flag in self.flags))


@dataclass(frozen=True)
class ClassGrades:
    """The grades of a whole class.

    Args:
        part_ids: the course's part ids, in course order (the CSV's columns).
        learners: one ``LearnerResult`` per learner, sorted by name.

    Example:
        >>> ClassGrades(("add_one",), ()).max_points
        1
    """

    part_ids: tuple
    learners: tuple

    @property
    def max_points(self):
        """The points a learner earns with every part right."""
        return len(self.part_ids)
