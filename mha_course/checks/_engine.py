"""The machinery every checker shares.

A checker runs the learner's function (or an instance of the learner's class)
and the package's reference on the same seeded cases and compares the results.
When they differ it recomputes the usual mistakes with the package's pieces
(:class:`Mistake`) and names the first one the learner's results match. Whatever
happens, it prints one verdict line and returns a :class:`CheckResult`; nothing
the learner passes in can make it raise.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ._compare import changed_input, clone, compare, describe, has_definite_values
from ._spec import (
    CHECK_SEED,
    MAX_DETAIL_CHARS,
    NOT_IMPLEMENTED_HINT,
    Case,
    CheckResult,
    Mistake,
    Spec,
)

__all__ = [
    "Case",
    "build_reference",
    "CheckResult",
    "Mistake",
    "Spec",
    "run_check",
]


class _Verdict(Exception):
    """Raised inside a check to stop it with a failing verdict."""

    def __init__(self, problem: str, hint: str):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


class _NotImplemented(Exception):
    """Raised inside a check when the learner's stub is still in place."""


@dataclass
class _Outcome:
    """What happened on one case."""

    case: Case
    reference: Any
    expected: Any
    got: Any = None
    error: BaseException | None = None
    difference: str | None = None


def run_check(spec: Spec, obj: Any) -> CheckResult:
    """Check the learner's ``obj`` against ``spec``; print and return the verdict.

    Args:
        spec: the part's specification.
        obj: whatever the learner passed (normally their function or class).

    Returns:
        The :class:`CheckResult`, whose message has been printed.
    """
    threads = torch.get_num_threads()
    try:
        # The cases are tiny: one thread is faster than waking a thread pool.
        torch.set_num_threads(1)
        with torch.random.fork_rng(devices=[]), np.errstate(all="ignore"):
            message = _pass_line(spec, _check(spec, obj))
        passed = True
    except _NotImplemented:
        message = _fail_line(spec, "not implemented yet", NOT_IMPLEMENTED_HINT)
        passed = False
    except _Verdict as verdict:
        message = _fail_line(spec, verdict.problem, verdict.hint)
        passed = False
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # a bug of the checker itself
        problem = f"the check itself failed ({_describe_error(error)})"
        message = _fail_line(spec, problem, "please report this to the course")
        passed = False
    finally:
        torch.set_num_threads(threads)
    print(message)
    return CheckResult(part=spec.part, passed=passed, message=message)


def _pass_line(spec: Spec, num_cases: int) -> str:
    return f"PASS {spec.part}: matches the reference on {num_cases} cases"


def _fail_line(spec: Spec, problem: str, hint: str) -> str:
    problem = _one_line(problem).rstrip(".")
    hint = _one_line(hint).rstrip(".")
    return f"FAIL {spec.part}: {problem}. Hint: {hint}."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _describe_error(error: BaseException) -> str:
    detail = _one_line(str(error))
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 3] + "..."
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


@contextlib.contextmanager
def _quietly():
    """Run learner code without letting it print, warn or track gradients."""
    sink = io.StringIO()
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
        torch.no_grad(),
    ):
        warnings.simplefilter("ignore")
        yield


def _check(spec: Spec, obj: Any) -> int:
    """Run every case; return their number if all match, else raise a verdict."""
    _check_kind(spec, obj)
    cases = spec.make_cases()
    modules: dict[tuple, tuple[nn.Module, nn.Module]] = {}
    outcomes = []
    for case in cases:
        if spec.is_class:
            if case.build not in modules:
                modules[case.build] = _build_pair(spec, obj, case.build)
            reference, learner = modules[case.build]
            target = learner
        else:
            reference, target = spec.reference, obj
        outcomes.append(_run_case(spec, case, reference, target))

    failed = [o for o in outcomes if o.error is not None or o.difference is not None]
    if not failed:
        return len(cases)
    compared = [o for o in failed if o.error is None]
    if compared:
        for mistake in spec.mistakes:
            if all(_matches(mistake, o) for o in compared):
                raise _Verdict(mistake.problem, mistake.hint)
    raised = [o for o in failed if o.error is not None]
    if raised:
        first = raised[0]
        described = _describe_error(first.error)
        problem = f"your code raised {described} (case: {first.case.label})"
        raise _Verdict(problem, _error_hint(spec, described))
    first = compared[0]
    hint = spec.hint
    if first.got is None:
        hint = "your code returned None: is the return statement missing?"
    elif "expected a boolean mask" in first.difference:
        hint = "build the mask from booleans: dtype=torch.bool, or call .bool()"
    raise _Verdict(f"{first.difference} (case: {first.case.label})", hint)


def _check_kind(spec: Spec, obj: Any) -> None:
    """Make sure the learner passed the right kind of object."""
    if spec.is_class:
        if isinstance(obj, nn.Module):
            raise _Verdict(
                f"expected the class {spec.name} itself, got an instance of it",
                f"pass the class: check_{spec.part}({spec.name})",
            )
        if not inspect.isclass(obj):
            raise _Verdict(
                f"expected your class {spec.name}, got {describe(obj)}",
                f"run the answer cell that defines {spec.name}, then "
                f"call check_{spec.part}({spec.name})",
            )
        return
    if inspect.isclass(obj) or not callable(obj):
        raise _Verdict(
            f"expected your function {spec.name}, got {describe(obj)}",
            f"run the answer cell that defines {spec.name}, then "
            f"call check_{spec.part}({spec.name})",
        )


def build_reference(spec: Spec, build: tuple) -> nn.Module:
    """Build the package's module for a case, seeded, prepared, in eval mode.

    Args:
        spec: a class part's specification.
        build: the constructor's arguments.

    Returns:
        The reference module the learner's copy is compared with.
    """
    torch.manual_seed(CHECK_SEED)
    reference = spec.reference(*build)
    if spec.prepare is not None:
        generator = torch.Generator().manual_seed(CHECK_SEED)
        with torch.no_grad():
            spec.prepare(reference, generator)
    return reference.eval()


def _build_pair(spec: Spec, cls: type, build: tuple) -> tuple[nn.Module, nn.Module]:
    """Build the package's module and the learner's, with the same weights."""
    reference = build_reference(spec, build)

    call = f"{spec.name}({', '.join(map(repr, build))})"
    keep_init = f"keep the __init__ provided in the exercise for {spec.name}"
    _check_signature(spec, cls, build, {}, f"{spec.name}'s __init__", spec.reference)
    torch.manual_seed(CHECK_SEED)
    try:
        with _quietly():
            learner = cls(*build)
    except NotImplementedError:
        raise _NotImplemented() from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        problem = f"building {call} raised {_describe_error(error)}"
        raise _Verdict(problem, keep_init) from None
    if not isinstance(learner, nn.Module):
        raise _Verdict(
            f"{spec.name} must be a torch.nn.Module subclass, got {describe(learner)}",
            f"{keep_init}, starting class {spec.name}(nn.Module)",
        )
    _copy_state(spec, reference, learner, keep_init)
    try:
        learner.eval()
    except Exception as error:
        problem = f"{spec.name}.eval() raised {_describe_error(error)}"
        raise _Verdict(problem, keep_init) from None
    return reference, learner


def _copy_state(
    spec: Spec, reference: nn.Module, learner: nn.Module, keep_init: str
) -> None:
    """Load the reference's weights into the learner's module, strictly."""
    wanted = reference.state_dict()
    try:
        present = learner.state_dict()
    except Exception as error:
        problem = f"your module's state_dict() raised {_describe_error(error)}"
        raise _Verdict(problem, keep_init) from None
    missing = [name for name in wanted if name not in present]
    unexpected = [name for name in present if name not in wanted]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:4]))
        if unexpected:
            parts.append("unexpected " + ", ".join(unexpected[:4]))
        problem = (
            f"your {spec.name}'s weights are not named like the package's ("
            + "; ".join(parts)
            + ")"
        )
        hint = f"{keep_init}: the check copies the package's weights into yours by name"
        raise _Verdict(problem, hint)
    for name, tensor in wanted.items():
        theirs = present[name]
        if not isinstance(theirs, torch.Tensor) or theirs.shape != tensor.shape:
            shape = tuple(theirs.shape) if isinstance(theirs, torch.Tensor) else None
            problem = (
                f"your {spec.name}'s weight {name} has shape {shape}, "
                f"expected {tuple(tensor.shape)}"
            )
            raise _Verdict(problem, keep_init)
    try:
        learner.load_state_dict(wanted, strict=True)
    except Exception as error:
        problem = f"copying the package's weights failed: {_describe_error(error)}"
        raise _Verdict(problem, keep_init) from None


def _check_signature(
    spec: Spec, target: Any, args: tuple, kwargs: dict, where: str, reference: Any
) -> None:
    """Stop with a clear verdict if ``target`` cannot take the check's call."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        wanted = _plain_signature(reference)
        raise _Verdict(
            f"{where} cannot take the check's call: its parameters are "
            f"{_plain_signature(target)}",
            f"keep the parameters of the stub, {wanted}",
        ) from None


def _plain_signature(function: Any) -> str:
    """``(x, axis=-1)``: a signature without annotations, for messages."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return "(...)"
    empty = inspect.Parameter.empty
    plain = [p.replace(annotation=empty) for p in parameters]
    return str(inspect.Signature(plain))


def _run_case(spec: Spec, case: Case, reference: Any, target: Any) -> _Outcome:
    """Run the reference and the learner's code on one case and compare."""
    with torch.no_grad():
        expected = reference(*clone(case.args), **clone(case.kwargs))
    outcome = _Outcome(case=case, reference=reference, expected=expected)
    if spec.is_class:
        function, wanted, where = target.forward, reference.forward, "forward"
    else:
        function, wanted, where = target, reference, spec.name
    _check_signature(spec, function, case.args, case.kwargs, where, wanted)

    args, kwargs = clone(case.args), clone(case.kwargs)
    try:
        with _quietly():
            got = target(*args, **kwargs)
    except NotImplementedError:
        raise _NotImplemented() from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        outcome.error = error
        return outcome
    outcome.got = got
    changed = changed_input(case, args, kwargs, wanted)
    if changed is not None:
        raise _Verdict(
            f"your code changed its input {changed} in place",
            "build new tensors or arrays (y = x - m) instead of changing the "
            "input (x -= m, x[...] = ..., masked_fill_)",
        )
    try:
        outcome.difference = compare(got, expected, _names(spec, expected))
    except Exception as error:  # an odd object that breaks comparison
        outcome.difference = f"your result could not be compared: {error}"
    return outcome


def _names(spec: Spec, expected: Any) -> Any:
    if isinstance(expected, tuple) and spec.output_names:
        return tuple(f"the {name}" for name in spec.output_names)
    return spec.result_name


def _matches(mistake: Mistake, outcome: _Outcome) -> bool:
    """Whether the learner's result equals what ``mistake`` gives on this case."""
    case = outcome.case
    try:
        with _quietly():
            if mistake.detect is not None:
                return bool(mistake.detect(case, outcome.got))
            wrong = mistake.compute(case, outcome.reference)
            if not has_definite_values(wrong):
                return False
            return compare(outcome.got, wrong, "the result") is None
    except Exception:
        return False


def _error_hint(spec: Spec, described: str) -> str:
    for text, hint in spec.error_hints:
        if text in described:
            return hint
    return spec.hint
