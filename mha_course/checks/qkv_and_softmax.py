"""Checks for exercise 01: a stable softmax and the Q/K/V projections, in NumPy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import numpy_attention
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_qkv_projections", "check_softmax"]

# Scores this large overflow np.exp (exp(710) is inf in float64) unless the
# maximum is subtracted first.
LARGE_SCORE = 1000.0


def _softmax_cases() -> list[Case]:
    rng = np.random.default_rng(CHECK_SEED)
    large = LARGE_SCORE + rng.normal(size=(2, 3))
    return [
        Case("a vector of 5 scores", (rng.normal(size=5),)),
        Case("a (3, 4) matrix, default axis", (rng.normal(size=(3, 4)),)),
        Case(
            "a (2, 3, 4) array with axis=1", (rng.normal(size=(2, 3, 4)),), {"axis": 1}
        ),
        Case("a (4, 4) matrix with axis=0", (rng.normal(size=(4, 4)),), {"axis": 0}),
        Case("scores near 1000, which overflow np.exp", (large,)),
        Case("a (3, 3) matrix, default axis", (rng.normal(size=(3, 3)),)),
    ]


def _axis(case: Case) -> int:
    return case.kwargs.get("axis", -1)


def _softmax_variant(*, keep_max: bool, keep_sum: bool, normalise: bool = True):
    """The softmax with keepdims forgotten in the max and/or the sum."""

    def compute(case: Case, reference: Callable) -> np.ndarray:
        x, axis = case.args[0], _axis(case)
        exps = np.exp(x - x.max(axis=axis, keepdims=keep_max))
        if not normalise:
            return exps
        return exps / exps.sum(axis=axis, keepdims=keep_sum)

    return compute


def _overflowed(case: Case, got: object) -> bool:
    return isinstance(got, np.ndarray) and not np.isfinite(got).all()


KEEPDIMS_HINT = (
    "keep the reduced axis so that the result lines up with each row: "
    "x.max(axis=axis, keepdims=True) and exps.sum(axis=axis, keepdims=True)"
)

SOFTMAX = Spec(
    part="softmax",
    name="softmax",
    reference=numpy_attention.softmax,
    make_cases=_softmax_cases,
    result_name="the softmax",
    hint=(
        "exponentiate x minus its maximum along the axis, then divide by the sum "
        "along the same axis (keepdims=True in both); lesson 02 builds it"
    ),
    mistakes=(
        Mistake(
            "unstable",
            "large scores give inf or NaN: np.exp overflows",
            "subtract the maximum along the axis before np.exp; it cancels out in "
            "the division and keeps every exponent at or below 0",
            detect=_overflowed,
        ),
        Mistake(
            "axis_ignored",
            "the axis argument is ignored: the softmax always runs over the last axis",
            "use axis in both the max and the sum, e.g. x.max(axis=axis, "
            "keepdims=True)",
            compute=lambda case, reference: reference(case.args[0], axis=-1),
        ),
        Mistake(
            "whole_array",
            "the values sum to one over the whole array, not along the axis",
            "sum along the axis only: exps.sum(axis=axis, keepdims=True)",
            compute=lambda case, reference: (
                np.exp(case.args[0] - case.args[0].max())
                / np.exp(case.args[0] - case.args[0].max()).sum()
            ),
        ),
        Mistake(
            "not_normalised",
            "the exponentials are not divided by their sum, so nothing sums to one",
            "divide by exps.sum(axis=axis, keepdims=True)",
            compute=_softmax_variant(keep_max=True, keep_sum=True, normalise=False),
        ),
        Mistake(
            "no_keepdims",
            "the max and the sum lost their axis (keepdims missing), so they "
            "were broadcast along the wrong axis",
            KEEPDIMS_HINT,
            compute=_softmax_variant(keep_max=False, keep_sum=False),
        ),
        Mistake(
            "no_keepdims_in_sum",
            "the sum lost its axis (keepdims missing), so each value was divided "
            "by another row's sum",
            KEEPDIMS_HINT,
            compute=_softmax_variant(keep_max=True, keep_sum=False),
        ),
    ),
    error_hints=(("could not be broadcast", KEEPDIMS_HINT),),
)


def _qkv_cases() -> list[Case]:
    rng = np.random.default_rng(CHECK_SEED + 1)

    def weights(width_in, width_qk, width_v):
        return (
            rng.normal(size=(width_in, width_qk)),
            rng.normal(size=(width_in, width_qk)),
            rng.normal(size=(width_in, width_v)),
        )

    return [
        Case(
            "4 tokens of width 6, value width 5 and key width 3",
            (rng.normal(size=(4, 6)), *weights(6, 3, 5)),
        ),
        Case(
            "a batch of 2 sequences of 4 tokens",
            (rng.normal(size=(2, 4, 6)),) + weights(6, 3, 5),
        ),
        Case(
            "3 tokens of width 5, value width equal to key width 2",
            (rng.normal(size=(3, 5)), *weights(5, 2, 2)),
        ),
    ]


def _projections(order: tuple[str, str, str]):
    """The three products returned in a wrong order or with a wrong weight."""

    def compute(case: Case, reference: Callable) -> tuple:
        x, w_query, w_key, w_value = case.args
        products = {"q": x @ w_query, "k": x @ w_key, "v": x @ w_value}
        return tuple(products[name] for name in order)

    return compute


QKV_PROJECTIONS = Spec(
    part="qkv_projections",
    name="qkv_projections",
    reference=numpy_attention.qkv_projections,
    make_cases=_qkv_cases,
    output_names=("query", "key", "value"),
    hint=(
        "each projection is one matrix product, x @ w: query = x @ w_query, "
        "key = x @ w_key, value = x @ w_value (lesson 01)"
    ),
    mistakes=(
        Mistake(
            "keys_as_values",
            "the values were computed with w_key",
            "value = x @ w_value: the values have their own weights",
            compute=_projections(("q", "k", "k")),
        ),
        Mistake(
            "order_swapped",
            "the tuple is returned as (query, value, key)",
            "return (query, key, value), in that order",
            compute=_projections(("q", "v", "k")),
        ),
        Mistake(
            "all_from_query",
            "all three projections use w_query",
            "use w_key for the keys and w_value for the values",
            compute=_projections(("q", "q", "q")),
        ),
    ),
    error_hints=(
        (
            "mismatch in its core dimension",
            "multiply with x on the left: x @ w, where x is (..., T, D) and "
            "w is (D, width)",
        ),
    ),
)


def check_softmax(softmax) -> CheckResult:
    """Check the learner's NumPy ``softmax(x, axis=-1)``; print one verdict line.

    Args:
        softmax: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> result = check_softmax(numpy_attention.softmax)
        PASS softmax: matches the reference on 6 cases
        >>> result.passed
        True
    """
    return run_check(SOFTMAX, softmax)


def check_qkv_projections(qkv_projections) -> CheckResult:
    """Check the learner's ``qkv_projections(x, w_query, w_key, w_value)``.

    Args:
        qkv_projections: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_qkv_projections(numpy_attention.qkv_projections).passed
        PASS qkv_projections: matches the reference on 3 cases
        True
    """
    return run_check(QKV_PROJECTIONS, qkv_projections)
