"""Check for exercise 05: the forward pass of the multi-head attention module."""

from __future__ import annotations

import torch

from ..heads import merge_heads, split_heads
from ..masks import causal_mask, padding_mask
from ..multi_head import MultiHeadAttention
from ._attention import attend, attention_mistakes
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_multi_head_attention"]

# (embed_dim, num_heads): sqrt(D) and sqrt(d_head) differ in both.
THREE_HEADS = (12, 3)
FOUR_HEADS = (16, 4)


def _cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 5)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    x = randn(2, 5, 12)
    query, key, value = randn(2, 3, 12), randn(2, 6, 12), randn(2, 6, 12)
    padding = padding_mask(torch.tensor([6, 4]))
    x16 = randn(2, 5, 16)
    return [
        Case(
            "self-attention: x (2, 5, 12) as query, key and value; 3 heads",
            (x, x, x),
            build=THREE_HEADS,
        ),
        Case(
            "query (2, 3, 12), different key and value (2, 6, 12), padding mask "
            "(2, 1, 1, 6)",
            (query, key, value),
            {"mask": padding},
            build=THREE_HEADS,
        ),
        Case(
            "self-attention on (2, 5, 16) with 4 heads and a causal mask (5, 5)",
            (x16, x16, x16),
            {"mask": causal_mask(5)},
            build=FOUR_HEADS,
        ),
        Case(
            "the cross-attention case with need_weights=False (weights must be None)",
            (query, key, value),
            {"mask": padding, "need_weights": False},
            build=THREE_HEADS,
        ),
    ]


def _split_by_reshape(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    batch, length, width = x.shape
    # (B, T, D) -> (B, H, T, d_head) straight: mixes tokens
    return x.reshape(batch, num_heads, length, width // num_heads)


def _merge_by_reshape(x: torch.Tensor) -> torch.Tensor:
    batch, num_heads, length, head_dim = x.shape
    # (B, H, T, d_head) -> (B, T, D) straight: mixes tokens
    return x.reshape(batch, length, num_heads * head_dim)


def _run(
    case: Case,
    mha: MultiHeadAttention,
    *,
    self_only: bool = False,
    values_from_key_input: bool = False,
    split=split_heads,
    merge=merge_heads,
    out_proj: bool = True,
    average_weights: bool = False,
    weights_always: bool = False,
    **options,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The module's forward, with a chosen mistake."""
    query, key, value = case.args
    mask = case.kwargs.get("mask")
    need_weights = case.kwargs.get("need_weights", True)
    if self_only:
        key = value = query
    if values_from_key_input:
        value = key

    # Project and split: (B, T, D) -> (B, H, T, d_head)
    q = split(mha.q_proj(query), mha.num_heads)
    k = split(mha.k_proj(key), mha.num_heads)
    v = split(mha.v_proj(value), mha.num_heads)
    heads, weights = attend(q, k, v, mask, embed_dim=mha.embed_dim, **options)

    # Merge: (B, H, T_q, d_head) -> (B, T_q, D)
    output = merge(heads)
    if out_proj:
        output = mha.out_proj(output)
    if average_weights:
        # (B, H, T_q, T_k) -> (B, T_q, T_k)
        weights = weights.mean(dim=1)
    if not need_weights and not weights_always:
        weights = None
    return output, weights


def _mistake(key: str, problem: str, hint: str, **options) -> Mistake:
    return Mistake(key, problem, hint, lambda case, mha: _run(case, mha, **options))


MULTI_HEAD_ATTENTION = Spec(
    part="multi_head_attention",
    name="MultiHeadAttention",
    reference=MultiHeadAttention,
    make_cases=_cases,
    output_names=("output", "weights"),
    hint=(
        "project with q_proj, k_proj, v_proj; split_heads each; attend with "
        "scaled_dot_product_attention(q, k, v, mask); merge_heads; out_proj; "
        "return (output, weights or None) (lesson 05)"
    ),
    mistakes=(
        _mistake(
            "self_attention_only",
            "the module attends over the query: the key and value inputs are ignored",
            "project each input with its own layer: self.k_proj(key), "
            "self.v_proj(value)",
            self_only=True,
        ),
        _mistake(
            "values_from_key_input",
            "the values are projected from the key input, not from value",
            "v = self.v_proj(value)",
            values_from_key_input=True,
        ),
        _mistake(
            "no_output_projection",
            "the output projection is missing: the merged heads are returned as is",
            "finish with self.out_proj(merge_heads(heads)): the projection mixes "
            "what the heads found",
            out_proj=False,
        ),
        _mistake(
            "split_by_reshape",
            "the heads were split by reshaping straight to (B, H, T, d_head), "
            "which scrambles the tokens",
            "use split_heads (reshape to (B, T, H, d_head), then .transpose(1, 2))",
            split=_split_by_reshape,
        ),
        _mistake(
            "merge_by_reshape",
            "the heads were merged by reshaping straight to (B, T, D), which "
            "scrambles the tokens",
            "use merge_heads (.transpose(1, 2), then reshape to (B, T, D))",
            merge=_merge_by_reshape,
        ),
        _mistake(
            "weights_averaged",
            "the weights are averaged over the heads, (B, T_q, T_k)",
            "return each head's weights, (B, H, T_q, T_k), as "
            "scaled_dot_product_attention gives them",
            average_weights=True,
        ),
        _mistake(
            "weights_when_not_needed",
            "weights are returned although need_weights=False",
            "return (output, None) when need_weights is False",
            weights_always=True,
        ),
        _mistake(
            "scaled_by_embed_dim",
            "the scores are divided by sqrt(embed_dim) instead of sqrt(head_dim)",
            "each head compares vectors of width head_dim = embed_dim // num_heads: "
            "the scale is 1 / math.sqrt(self.head_dim)",
            scale="sqrt_embed_dim",
        ),
    )
    + attention_mistakes(_run),
)


def check_multi_head_attention(module_class) -> CheckResult:
    """Check the learner's ``MultiHeadAttention`` class (its ``forward``).

    The check builds the package's module and the learner's with the same
    arguments, copies the package's weights into the learner's, and compares
    ``(output, weights)`` on self- and cross-attention, with masks, and with
    ``need_weights=False``.

    Args:
        module_class: the learner's ``MultiHeadAttention`` class.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_multi_head_attention(MultiHeadAttention).passed
        PASS multi_head_attention: matches the reference on 4 cases
        True
    """
    return run_check(MULTI_HEAD_ATTENTION, module_class)
