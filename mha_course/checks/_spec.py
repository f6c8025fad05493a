"""What a checker is made of: its part, its seeded cases, the usual mistakes.

These are plain data; :mod:`._engine` runs them. A checker module declares one
:class:`Spec` per graded part and calls ``run_check(spec, learner_object)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = [
    "CHECK_SEED",
    "Case",
    "CheckResult",
    "MAX_DETAIL_CHARS",
    "Mistake",
    "NOT_IMPLEMENTED_HINT",
    "Spec",
]

# Every reference module and every random input is drawn from this seed.
CHECK_SEED = 0
# Longer exception messages are cut so that the verdict stays one readable line.
MAX_DETAIL_CHARS = 160
NOT_IMPLEMENTED_HINT = (
    "replace the line `raise NotImplementedError(...)` in the answer cell with "
    "your code, run that cell, then run this check again"
)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        part: the part id, e.g. ``"softmax"``.
        passed: whether the learner's code matched the reference.
        message: the verdict line that was printed.

    Example:
        >>> result = CheckResult("softmax", False, "FAIL softmax: ... Hint: ...")
        >>> result.passed, str(result)
        (False, 'FAIL softmax: ... Hint: ...')
    """

    part: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """Show nothing when a notebook cell ends with a check.

        The checker has printed the verdict already; displaying the result too
        would add a second output to the check cell.
        """


@dataclass
class Case:
    """One seeded call: the arguments and, for a class, its constructor's.

    Attributes:
        label: what makes this case special, quoted in verdicts.
        args: positional arguments of the call (of ``forward`` for a class).
        kwargs: keyword arguments of the call.
        build: constructor arguments, for class parts only.
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    build: tuple | None = None


@dataclass(frozen=True)
class Mistake:
    """A usual mistake, recomputed from the package's pieces.

    Attributes:
        key: a short stable name (tests refer to it).
        problem: what is wrong, as the verdict says it.
        hint: how to fix it.
        compute: ``compute(case, reference)`` returns what the mistaken code
            returns on ``case``; ``reference`` is the package's function, or
            the package's module built for the case. NaN entries mean "any
            value": the mistaken code may return anything there.
        detect: instead of ``compute``, a test ``detect(case, got)`` telling
            whether the learner's result ``got`` shows the mistake (for
            mistakes whose result is not a definite value, like an overflow).
    """

    key: str
    problem: str
    hint: str
    compute: Callable[[Case, Any], Any] | None = None
    detect: Callable[[Case, Any], bool] | None = None


@dataclass(frozen=True)
class Spec:
    """Everything a checker needs to know about one graded part.

    Attributes:
        part: the part id.
        name: the name the learner's function or class has in the exercise.
        reference: the package's function or class.
        make_cases: returns fresh seeded cases.
        hint: the hint when no specific mistake is recognised.
        output_names: names of the items of a returned tuple, for messages.
        result_name: what a single returned value is called in messages.
        mistakes: the usual mistakes, most specific first.
        error_hints: ``(text, hint)`` pairs; ``hint`` is given when ``text``
            appears in ``"ErrorType: message"`` of an exception.
        prepare: for class parts, ``prepare(module, generator)`` changes the
            reference module's parameters before they are copied (so that, for
            instance, two layer norms are told apart).
    """

    part: str
    name: str
    reference: Any
    make_cases: Callable[[], list[Case]]
    hint: str
    output_names: tuple[str, ...] = ()
    result_name: str = "the result"
    mistakes: tuple[Mistake, ...] = ()
    error_hints: tuple[tuple[str, str], ...] = ()
    prepare: Callable[[nn.Module, torch.Generator], None] | None = None

    @property
    def is_class(self) -> bool:
        """Whether the learner writes a class (a module) rather than a function."""
        return inspect.isclass(self.reference)
