"""Attention computed with a chosen mistake, for the checkers' diagnoses.

:func:`attend` is scaled dot-product attention with switches for the usual
errors: another scale, the softmax over the wrong axis, the mask inverted or
applied after the softmax, keys used where the values belong. Where the
mistaken code cannot give a definite answer (a softmax over keys that are all
hidden) the result holds NaN, which the comparison reads as "any value".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ._engine import Case, Mistake

__all__ = ["ATTENTION_MISTAKES", "DIVISORS", "attend", "attention_mistakes"]

# Every way of scaling the scores that the checks recognise; values are
# functions of (head_dim, key_len, embed_dim) giving what the scores are divided by.
DIVISORS = {
    "sqrt_head_dim": lambda d, t, e: math.sqrt(d),
    "none": lambda d, t, e: 1.0,
    "head_dim": lambda d, t, e: float(d),
    "sqrt_key_len": lambda d, t, e: math.sqrt(t),
    "times_sqrt_head_dim": lambda d, t, e: 1.0 / math.sqrt(d),
    "sqrt_embed_dim": lambda d, t, e: math.sqrt(e),
}
MASK_MODES = ("hide", "inverted", "after_softmax", "ignored")


def attend(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    scale: str = "sqrt_head_dim",
    softmax_dim: int = -1,
    mask_mode: str = "hide",
    values_from_keys: bool = False,
    embed_dim: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention with one switchable mistake; the defaults compute it right.

    Args:
        query, key, value: ``(..., T_q, d)``, ``(..., T_k, d)``, ``(..., T_k, d_v)``.
        mask: boolean, ``True`` = may attend, or None.
        scale: a key of ``DIVISORS``.
        softmax_dim: the axis the softmax normalises.
        mask_mode: ``"hide"`` (right), ``"inverted"``, ``"after_softmax"`` or
            ``"ignored"``.
        values_from_keys: average the keys instead of the values.
        embed_dim: the model width, for ``scale="sqrt_embed_dim"``.

    Returns:
        ``(output, weights)``, with NaN where the mistaken code is undefined.
    """
    divisor = DIVISORS[scale](query.shape[-1], key.shape[-2], embed_dim)
    # (..., T_q, d) @ (..., d, T_k) -> (..., T_q, T_k)
    scores = query @ key.transpose(-2, -1) / divisor
    if mask is not None and mask_mode in ("hide", "inverted"):
        visible = mask if mask_mode == "hide" else ~mask
        # A slice with every key hidden becomes NaN: "any value" for the check.
        scores = scores.masked_fill(~visible, float("-inf"))
    weights = torch.softmax(scores, dim=softmax_dim)
    if mask is not None and mask_mode == "after_softmax":
        weights = weights.masked_fill(~mask, 0.0)
    # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)
    output = weights @ (key if values_from_keys else value)
    return output, weights


# key -> (problem, hint, options of attend)
ATTENTION_MISTAKES = {
    "no_scaling": (
        "the scores are not scaled: they equal query @ key^T without the "
        "division by sqrt(d_head)",
        "divide the scores by math.sqrt(d_head), where d_head = query.shape[-1] "
        "(lesson 02 measures why)",
        {"scale": "none"},
    ),
    "scaled_by_head_dim": (
        "the scores are divided by d_head instead of sqrt(d_head) (or scaled twice)",
        "divide once by math.sqrt(d_head), the square root of the width; if you "
        "call attention_scores, it has scaled already",
        {"scale": "head_dim"},
    ),
    "scaled_by_key_length": (
        "the scores are divided by the square root of the number of keys T_k "
        "instead of sqrt(d_head)",
        "d_head is the width of each query and key, query.shape[-1], not a length",
        {"scale": "sqrt_key_len"},
    ),
    "multiplied_by_scale": (
        "the scores are multiplied by sqrt(d_head) instead of divided by it",
        "divide the scores by math.sqrt(d_head)",
        {"scale": "times_sqrt_head_dim"},
    ),
    "softmax_over_queries": (
        "the softmax runs over the queries (dim=-2): each column of weights "
        "sums to one instead of each row",
        "take the softmax over the keys, the last dimension: "
        "torch.softmax(scores, dim=-1)",
        {"softmax_dim": -2},
    ),
    "mask_inverted": (
        "the mask is inverted: the keys marked True are hidden, the others seen",
        "in this course True means may attend, so hide where the mask is False: "
        "scores.masked_fill(~mask, torch.finfo(scores.dtype).min)",
        {"mask_mode": "inverted"},
    ),
    "mask_after_softmax": (
        "the mask is applied after the softmax: hidden keys get weight zero, but "
        "the rows no longer sum to one",
        "hide the scores before the softmax: scores.masked_fill(~mask, "
        "torch.finfo(scores.dtype).min), then softmax",
        {"mask_mode": "after_softmax"},
    ),
    "mask_ignored": (
        "the mask has no effect: hidden keys still get weight",
        "use the mask before the softmax: "
        "scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)",
        {"mask_mode": "ignored"},
    ),
    "keys_as_values": (
        "the output averages the keys, not the values",
        "multiply the weights by the values: weights @ value (keys only decide "
        "the weights)",
        {"values_from_keys": True},
    ),
}


def attention_mistakes(
    run: Callable[..., object], keys: tuple[str, ...] | None = None
) -> tuple[Mistake, ...]:
    """The shared attention mistakes, each computed by ``run``.

    Args:
        run: ``run(case, reference, **options)`` returns what the part's code
            returns when its attention is ``attend(..., **options)``.
        keys: which mistakes to include (default: all, in a fixed order).

    Returns:
        A tuple of :class:`Mistake`.
    """
    chosen = keys if keys is not None else tuple(ATTENTION_MISTAKES)
    mistakes = []
    for key in chosen:
        problem, hint, options = ATTENTION_MISTAKES[key]
        mistakes.append(Mistake(key, problem, hint, _bind(run, options)))
    return tuple(mistakes)


def _bind(
    run: Callable[..., object], options: dict
) -> Callable[[Case, object], object]:
    def compute(case: Case, reference: object) -> object:
        return run(case, reference, **options)

    return compute
