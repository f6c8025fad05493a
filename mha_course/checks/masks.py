"""Checks for exercise 06: the causal mask, the padding mask and their combination."""

from __future__ import annotations

import torch

from .. import masks
from ._engine import Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_causal_mask", "check_combine_masks", "check_padding_mask"]

TRUE_MEANS_ATTEND = "True means may attend"


def _causal_cases() -> list[Case]:
    return [
        Case("size 4", (4,)),
        Case("size 1", (1,)),
        Case("size 6 with device='cpu'", (6,), {"device": "cpu"}),
    ]


def _triangle(diagonal: int, upper: bool = False, inverted: bool = False):
    """A triangle of a chosen side and offset, as a mistaken causal mask."""

    def compute(case: Case, reference: object) -> torch.Tensor:
        size = case.args[0]
        ones = torch.ones(size, size, dtype=torch.bool)
        mask = torch.triu(ones, diagonal) if upper else torch.tril(ones, diagonal)
        return ~mask if inverted else mask

    return compute


CAUSAL_MASK = Spec(
    part="causal_mask",
    name="causal_mask",
    reference=masks.causal_mask,
    make_cases=_causal_cases,
    result_name="the mask",
    hint=(
        "return torch.tril(torch.ones(size, size, dtype=torch.bool, "
        f"device=device)): {TRUE_MEANS_ATTEND}, on and below the diagonal (lesson 06)"
    ),
    mistakes=(
        Mistake(
            "diagonal_hidden",
            "off by one: the diagonal is hidden, so no position may attend to itself",
            "keep the diagonal: torch.tril(ones) with the default diagonal=0",
            compute=_triangle(-1),
        ),
        Mistake(
            "one_future_visible",
            "off by one: each position may also attend to the next one, in its future",
            "use torch.tril(ones) with the default diagonal=0, not diagonal=1",
            compute=_triangle(1),
        ),
        Mistake(
            "inverted",
            "the mask is inverted: True marks the future positions to hide",
            f"in this course {TRUE_MEANS_ATTEND}: True on and below the diagonal, "
            "torch.tril(ones)",
            compute=_triangle(0, inverted=True),
        ),
        Mistake(
            "upper_triangle",
            "the mask lets each position see its future and hides its past",
            "use the lower triangle, torch.tril, not torch.triu",
            compute=_triangle(0, upper=True),
        ),
    ),
)


def _padding_cases() -> list[Case]:
    return [
        Case("lengths [3, 5, 1]", (torch.tensor([3, 5, 1]),)),
        Case("lengths [2, 4] with max_len=6", (torch.tensor([2, 4]),), {"max_len": 6}),
        Case("lengths [4, 4], nothing padded", (torch.tensor([4, 4]),)),
    ]


def _padding_variant(change):
    def compute(case: Case, reference: object) -> torch.Tensor:
        return change(case, masks.padding_mask(*case.args, **case.kwargs))

    return compute


def _one_too_many(case: Case, mask: torch.Tensor) -> torch.Tensor:
    lengths = case.args[0]
    positions = torch.arange(mask.shape[-1])
    # (T_k,) vs (B, 1) -> (B, T_k) -> (B, 1, 1, T_k)
    return (positions <= lengths[:, None])[:, None, None, :]


PADDING_MASK = Spec(
    part="padding_mask",
    name="padding_mask",
    reference=masks.padding_mask,
    make_cases=_padding_cases,
    result_name="the mask",
    hint=(
        "compare torch.arange(max_len) with lengths[:, None] (True for real "
        "tokens), then add two axes: keep[:, None, None, :] is (B, 1, 1, T_k) "
        "(lesson 06)"
    ),
    mistakes=(
        Mistake(
            "inverted",
            "the mask is inverted: True marks the padding",
            f"in this course {TRUE_MEANS_ATTEND}: True for the real tokens, "
            "positions < lengths[:, None]",
            compute=_padding_variant(lambda case, mask: ~mask),
        ),
        Mistake(
            "flat",
            "the mask is (B, T_k): it lacks the axes for heads and queries",
            "add them so it broadcasts over (B, H, T_q, T_k): keep[:, None, None, :]",
            compute=_padding_variant(lambda case, mask: mask[:, 0, 0, :]),
        ),
        Mistake(
            "missing_head_axis",
            "the mask is (B, 1, T_k): one axis short of (B, 1, 1, T_k)",
            "use keep[:, None, None, :] so it broadcasts over heads and queries",
            compute=_padding_variant(lambda case, mask: mask[:, 0]),
        ),
        Mistake(
            "one_too_many",
            "off by one: the first padding position is visible (<= instead of <)",
            "position p is a real token when p < length: positions < lengths[:, None]",
            compute=_padding_variant(_one_too_many),
        ),
        Mistake(
            "max_len_ignored",
            "max_len is ignored: the mask is as long as the longest sequence",
            "use max_len when given; only when it is None take int(lengths.max())",
            compute=lambda case, reference: masks.padding_mask(*case.args),
        ),
    ),
    error_hints=(
        (
            "arange",
            "max_len may be None: then use the longest length, "
            "max_len = int(lengths.max())",
        ),
    ),
)


def _combine_cases() -> list[Case]:
    padding = masks.padding_mask(torch.tensor([4, 2]))
    short_padding = masks.padding_mask(torch.tensor([3, 2]), max_len=3)
    last_key_hidden = torch.tensor([[True, True, False]])
    return [
        Case(
            "a causal mask (4, 4) and a padding mask (2, 1, 1, 4)",
            (
                masks.causal_mask(4),
                padding,
            ),
        ),
        Case(
            "causal (3, 3), None, padding (2, 1, 1, 3)",
            (
                masks.causal_mask(3),
                None,
                short_padding,
            ),
        ),
        Case(
            "padding (2, 1, 1, 3), causal (3, 3) and a (1, 3) mask",
            (
                short_padding,
                masks.causal_mask(3),
                last_key_hidden,
            ),
        ),
        Case("one padding mask alone", (padding,)),
        Case("only None masks (the result must be None)", (None, None)),
        Case("no mask at all (the result must be None)", ()),
    ]


def _combine_variant(pick):
    def compute(case: Case, reference: object) -> torch.Tensor | None:
        present = [m for m in case.args if m is not None]
        chosen = pick(present)
        if chosen is None:
            return masks.combine_masks(*present)
        return masks.combine_masks(*chosen)

    return compute


def _any(present: list[torch.Tensor]) -> list[torch.Tensor]:
    combined = present[0]
    for mask in present[1:]:
        combined = combined | mask
    return [combined]


NONE_HINT = "skip the masks that are None, and return None when no mask is left"

COMBINE_MASKS = Spec(
    part="combine_masks",
    name="combine_masks",
    reference=masks.combine_masks,
    make_cases=_combine_cases,
    result_name="the combined mask",
    hint=(
        "keep the masks that are not None and combine them with & (a key stays "
        "visible only if every mask allows it); broadcasting gives the shape "
        "(lesson 06)"
    ),
    mistakes=(
        Mistake(
            "or_instead_of_and",
            "the masks are combined with | (or): a key hidden by one mask stays "
            "visible",
            "use & (and): a key is visible only if every mask allows it",
            compute=_combine_variant(_any),
        ),
        Mistake(
            "first_only",
            "only the first mask is used",
            "combine every mask given: loop over masks and & them together",
            compute=_combine_variant(lambda present: present[:1]),
        ),
        Mistake(
            "first_two_only",
            "only the first two masks are combined",
            "combine every mask given, however many: loop over masks",
            compute=_combine_variant(lambda present: present[:2]),
        ),
        Mistake(
            "last_only",
            "only the last mask is used",
            "combine every mask given: start from the first and & each of the rest",
            compute=_combine_variant(lambda present: present[-1:]),
        ),
    ),
    error_hints=(
        ("NoneType", NONE_HINT),
        ("index out of range", NONE_HINT),
        ("empty", NONE_HINT),
    ),
)


def check_causal_mask(causal_mask) -> CheckResult:
    """Check the learner's ``causal_mask(size, device=None)``; print one verdict.

    Args:
        causal_mask: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_causal_mask(masks.causal_mask).passed
        PASS causal_mask: matches the reference on 3 cases
        True
    """
    return run_check(CAUSAL_MASK, causal_mask)


def check_padding_mask(padding_mask) -> CheckResult:
    """Check the learner's ``padding_mask(lengths, max_len=None)``.

    Args:
        padding_mask: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_padding_mask(masks.padding_mask).passed
        PASS padding_mask: matches the reference on 3 cases
        True
    """
    return run_check(PADDING_MASK, padding_mask)


def check_combine_masks(combine_masks) -> CheckResult:
    """Check the learner's ``combine_masks(*masks)``; print one verdict line.

    Args:
        combine_masks: the learner's function.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_combine_masks(masks.combine_masks).passed
        PASS combine_masks: matches the reference on 6 cases
        True
    """
    return run_check(COMBINE_MASKS, combine_masks)
