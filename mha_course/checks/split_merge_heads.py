"""Checks for exercise 04: splitting a tensor into heads and merging them back."""

from __future__ import annotations

import torch

from .. import heads
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_merge_heads", "check_split_heads"]


def _split_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 3)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    return [
        Case("x (2, 5, 12) into 3 heads of width 4", (randn(2, 5, 12), 3)),
        Case("x (2, 3, 8) into 2 heads of width 4", (randn(2, 3, 8), 2)),
        Case("x (1, 4, 12) into 6 heads of width 2", (randn(1, 4, 12), 6)),
    ]


def _split_variant(layout: str):
    """split_heads done with a reshape that keeps or scrambles the tokens."""

    def compute(case: Case, reference: object) -> torch.Tensor:
        x, num_heads = case.args
        batch, length, width = x.shape
        head_dim = width // num_heads
        if layout == "no_transpose":
            # (B, T, D) -> (B, H, T, d_head) straight: mixes tokens
            return x.reshape(batch, num_heads, length, head_dim)
        if layout == "interleaved":
            # (B, T, D) -> (B, T, d_head, H) -> (B, H, T, d_head)
            return x.reshape(batch, length, head_dim, num_heads).permute(0, 3, 1, 2)
        # (B, T, D) -> (B, T, H, d_head): the head axis not moved
        return x.reshape(batch, length, num_heads, head_dim)

    return compute


SPLIT_HEADS = Spec(
    part="split_heads",
    name="split_heads",
    reference=heads.split_heads,
    make_cases=_split_cases,
    result_name="the split tensor",
    hint=(
        "reshape (B, T, D) to (B, T, H, d_head), then swap the head and token "
        "axes with .transpose(1, 2) to get (B, H, T, d_head) (lesson 04)"
    ),
    mistakes=(
        Mistake(
            "reshape_without_transpose",
            "the heads were made by reshaping straight to (B, H, T, d_head), which "
            "scrambles the tokens: each head gets pieces of several tokens",
            "first reshape to (B, T, H, d_head), keeping each token's numbers "
            "together, then .transpose(1, 2); lesson 04 shows the wrong reshape",
            compute=_split_variant("no_transpose"),
        ),
        Mistake(
            "interleaved",
            "each head got every H-th number of a token instead of a contiguous "
            "slice of d_head numbers",
            "reshape to (B, T, H, d_head), not (B, T, d_head, H): head h owns "
            "the numbers h * d_head to (h + 1) * d_head - 1",
            compute=_split_variant("interleaved"),
        ),
        Mistake(
            "head_axis_not_moved",
            "the result is (B, T, H, d_head): the head axis is still after the "
            "token axis",
            "finish with .transpose(1, 2) to get (B, H, T, d_head)",
            compute=_split_variant("head_axis_last"),
        ),
    ),
)


def _merge_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 4)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    return [
        Case("heads (2, 3, 5, 4) made contiguous", (randn(2, 3, 5, 4),)),
        Case(
            "heads (2, 2, 3, 4) straight from split_heads (not contiguous)",
            (heads.split_heads(randn(2, 3, 8), 2),),
        ),
        Case("heads (1, 6, 4, 2)", (randn(1, 6, 4, 2),)),
    ]


def _merge_variant(layout: str):
    def compute(case: Case, reference: object) -> torch.Tensor:
        (x,) = case.args
        batch, num_heads, length, head_dim = x.shape
        if layout == "no_transpose":
            # (B, H, T, d_head) -> (B, T, D) straight: mixes tokens
            return x.reshape(batch, length, num_heads * head_dim)
        if layout == "interleaved":
            # (B, H, T, d_head) -> (B, T, d_head, H) -> (B, T, D)
            return x.permute(0, 2, 3, 1).reshape(batch, length, num_heads * head_dim)
        if layout == "not_flattened":
            # (B, H, T, d_head) -> (B, T, H, d_head)
            return x.transpose(1, 2)
        # (B, H, T, d_head) -> (B, T, d_head): the heads added, not concatenated
        return x.sum(dim=1)

    return compute


MERGE_HEADS = Spec(
    part="merge_heads",
    name="merge_heads",
    reference=heads.merge_heads,
    make_cases=_merge_cases,
    result_name="the merged tensor",
    hint=(
        "undo split_heads in reverse order: .transpose(1, 2) to (B, T, H, "
        "d_head), then .reshape(B, T, H * d_head) (lesson 04)"
    ),
    mistakes=(
        Mistake(
            "reshape_without_transpose",
            "the heads were merged by reshaping (B, H, T, d_head) straight to "
            "(B, T, D), which scrambles the tokens",
            "first .transpose(1, 2) to (B, T, H, d_head), then reshape to "
            "(B, T, H * d_head)",
            compute=_merge_variant("no_transpose"),
        ),
        Mistake(
            "interleaved",
            "the heads' numbers are interleaved instead of placed side by side",
            "transpose to (B, T, H, d_head) (not (B, T, d_head, H)), then reshape",
            compute=_merge_variant("interleaved"),
        ),
        Mistake(
            "not_flattened",
            "the result is (B, T, H, d_head): the heads are not concatenated",
            "finish with .reshape(B, T, H * d_head)",
            compute=_merge_variant("not_flattened"),
        ),
        Mistake(
            "heads_added",
            "the heads were added together instead of concatenated",
            "concatenate: keep every head's d_head numbers side by side, "
            "x.transpose(1, 2).reshape(B, T, H * d_head)",
            compute=_merge_variant("added"),
        ),
    ),
    error_hints=(
        (
            "view size is not compatible",
            ".view needs contiguous memory, which a transpose breaks: use "
            ".reshape(...) or .contiguous().view(...)",
        ),
    ),
)


def check_split_heads(split_heads) -> CheckResult:
    """Check the learner's ``split_heads(x, num_heads)``; print one verdict line.

    Args:
        split_heads: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_split_heads(heads.split_heads).passed
        PASS split_heads: matches the reference on 3 cases
        True
    """
    return run_check(SPLIT_HEADS, split_heads)


def check_merge_heads(merge_heads) -> CheckResult:
    """Check the learner's ``merge_heads(x)``; print one verdict line.

    Args:
        merge_heads: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_merge_heads(heads.merge_heads).passed
        PASS merge_heads: matches the reference on 3 cases
        True
    """
    return run_check(MERGE_HEADS, merge_heads)
