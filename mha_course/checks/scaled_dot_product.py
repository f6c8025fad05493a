"""Checks for exercise 02: attention scores and scaled dot-product attention."""

from __future__ import annotations

import torch

from .. import attention
from ..masks import causal_mask, padding_mask
from ._attention import ATTENTION_MISTAKES, DIVISORS, attend, attention_mistakes
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_attention_scores", "check_scaled_dot_product_attention"]

# A dropout probability the check passes with training=False: it must do nothing.
UNUSED_DROPOUT = 0.3


TRANSPOSE_HINT = (
    "transpose the last two axes of the key: query @ key.transpose(-2, -1) is "
    "(..., T_q, d_head) @ (..., d_head, T_k)"
)


def _scores_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    return [
        Case("batch 2, T_q 3, T_k 5, d_head 4", (randn(2, 3, 4), randn(2, 5, 4))),
        Case(
            "batch 2, 2 heads, T_q 3, T_k 6, d_head 8",
            (randn(2, 2, 3, 8), randn(2, 2, 6, 8)),
        ),
        Case("no batch, 4 queries and 4 keys, d_head 6", (randn(4, 6), randn(4, 6))),
    ]


def _scores_variant(scale: str, transposed: bool = False):
    def compute(case: Case, reference: object) -> torch.Tensor:
        query, key = case.args
        if transposed:
            query, key = key, query
        divisor = DIVISORS[scale](query.shape[-1], key.shape[-2], None)
        # (..., T_q, d) @ (..., d, T_k) -> (..., T_q, T_k)
        return query @ key.transpose(-2, -1) / divisor

    return compute


def _scores_mistake(key: str) -> Mistake:
    """One of the shared scaling mistakes, as it shows in the scores alone."""
    problem, hint, options = ATTENTION_MISTAKES[key]
    return Mistake(key, problem, hint, _scores_variant(options["scale"]))


ATTENTION_SCORES = Spec(
    part="attention_scores",
    name="attention_scores",
    reference=attention.attention_scores,
    make_cases=_scores_cases,
    result_name="the scores",
    hint=(
        "compute query @ key.transpose(-2, -1) and divide by math.sqrt(d_head), "
        "with d_head = query.shape[-1]; the scores are (..., T_q, T_k) (lesson 02)"
    ),
    mistakes=(
        _scores_mistake("no_scaling"),
        _scores_mistake("scaled_by_head_dim"),
        _scores_mistake("scaled_by_key_length"),
        _scores_mistake("multiplied_by_scale"),
        Mistake(
            "transposed",
            "the scores are transposed: key @ query^T puts keys on the rows",
            "compute query @ key.transpose(-2, -1), so that row i holds query "
            "i's scores against every key: (..., T_q, T_k)",
            compute=_scores_variant("sqrt_head_dim", transposed=True),
        ),
    ),
    error_hints=(
        ("cannot be multiplied", TRANSPOSE_HINT),
        ("batch2 tensor", TRANSPOSE_HINT),
    ),
)


def _attention_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 1)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    query, key, value = randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6)
    # (B, 1, 1, T_k) -> (B, 1, T_k): broadcasts over the queries of 3-D inputs
    padding = padding_mask(torch.tensor([5, 3]))[:, 0]
    same = (randn(2, 2, 4, 8), randn(2, 2, 4, 8), randn(2, 2, 4, 8))
    return [
        Case(
            "batch 2, T_q 3, T_k 5, d_head 4, value width 6, no mask",
            (query, key, value),
        ),
        Case(
            "the same inputs, padding mask (2, 1, 5): sequence 2 has 3 real keys",
            (query, key, value),
            {"mask": padding},
        ),
        Case(
            "batch 2, 2 heads, 4 queries and keys, widths 8, causal mask (4, 4)",
            same,
            {"mask": causal_mask(4)},
        ),
        Case(
            f"dropout_p={UNUSED_DROPOUT} with training=False, so no dropout",
            (query, key, value),
            {"mask": padding, "dropout_p": UNUSED_DROPOUT, "training": False},
        ),
    ]


def _run_attention(case: Case, reference: object, **options) -> tuple:
    return attend(*case.args, mask=case.kwargs.get("mask"), **options)


def _dropout_only_case(case: Case, got: object) -> bool:
    """True on the case with dropout_p > 0 and training=False (if it alone fails)."""
    return case.kwargs.get("dropout_p", 0.0) > 0 and not case.kwargs.get("training")


def _swapped(case: Case, reference: object) -> tuple:
    output, weights = attention.scaled_dot_product_attention(
        *case.args, mask=case.kwargs.get("mask")
    )
    return weights, output


SCALED_DOT_PRODUCT_ATTENTION = Spec(
    part="scaled_dot_product_attention",
    name="scaled_dot_product_attention",
    reference=attention.scaled_dot_product_attention,
    make_cases=_attention_cases,
    output_names=("output", "weights"),
    hint=(
        "score (query @ key^T / sqrt(d_head)), hide the masked scores, softmax "
        "over the keys (dim=-1), then output = weights @ value; return "
        "(output, weights) (lesson 02)"
    ),
    mistakes=attention_mistakes(_run_attention)
    + (
        Mistake(
            "dropout_while_not_training",
            "dropout is applied although training=False",
            "apply dropout only while training: if training and dropout_p > 0: "
            "weights = torch.nn.functional.dropout(weights, p=dropout_p)",
            detect=_dropout_only_case,
        ),
        Mistake(
            "order_swapped",
            "the tuple is returned as (weights, output)",
            "return (output, weights), in that order",
            compute=_swapped,
        ),
    ),
    error_hints=(
        (
            "unary ~: 'NoneType'",
            "the mask is optional: apply it only when mask is not None",
        ),
        (
            "NoneType",
            "the mask is optional: apply it only when mask is not None",
        ),
    ),
)


def check_attention_scores(attention_scores) -> CheckResult:
    """Check the learner's ``attention_scores(query, key)``; print one verdict.

    Args:
        attention_scores: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_attention_scores(attention.attention_scores).passed
        PASS attention_scores: matches the reference on 3 cases
        True
    """
    return run_check(ATTENTION_SCORES, attention_scores)


def check_scaled_dot_product_attention(scaled_dot_product_attention) -> CheckResult:
    """Check the learner's ``scaled_dot_product_attention(query, key, value, mask)``.

    Args:
        scaled_dot_product_attention: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> result = check_scaled_dot_product_attention(
        ...     attention.scaled_dot_product_attention
        ... )
        PASS scaled_dot_product_attention: matches the reference on 4 cases
    """
    return run_check(SCALED_DOT_PRODUCT_ATTENTION, scaled_dot_product_attention)
