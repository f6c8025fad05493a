"""Check for exercise 03: the forward pass of a single attention head."""

from __future__ import annotations

import torch

from ..masks import causal_mask, padding_mask
from ..single_head import SingleHeadAttention
from ._attention import attend, attention_mistakes
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_single_head_attention"]

# (embed_dim, head_dim): a head narrower than the model, and the default width.
NARROW_HEAD = (8, 4)
DEFAULT_HEAD = (6,)


def _cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 2)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    # (B, 1, 1, T_k) -> (B, 1, T_k): the head's weights are (B, T_q, T_k)
    padding = padding_mask(torch.tensor([4, 2]))[:, 0]
    return [
        Case(
            "self-attention: query (2, 5, 8), key and value omitted",
            (randn(2, 5, 8),),
            build=NARROW_HEAD,
        ),
        Case(
            "query (2, 3, 8) and key (2, 6, 8); value omitted, so it is the key",
            (randn(2, 3, 8), randn(2, 6, 8)),
            build=NARROW_HEAD,
        ),
        Case(
            "query and key both (2, 4, 8); value omitted, so it is the key",
            (randn(2, 4, 8), randn(2, 4, 8)),
            build=NARROW_HEAD,
        ),
        Case(
            "query (2, 3, 8), different key and value (2, 4, 8), padding mask "
            "(2, 1, 4)",
            (randn(2, 3, 8), randn(2, 4, 8), randn(2, 4, 8)),
            {"mask": padding},
            build=NARROW_HEAD,
        ),
        Case(
            "head_dim omitted (so 6), self-attention with a causal mask (5, 5)",
            (randn(2, 5, 6),),
            {"mask": causal_mask(5)},
            build=DEFAULT_HEAD,
        ),
    ]


def _run(
    case: Case,
    head: SingleHeadAttention,
    *,
    value_default: str = "key",
    value_source: str = "value",
    key_source: str = "key",
    query_projection: str = "q_proj",
    **options,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The head's forward, with a chosen input or attention mistake."""
    query, key, value = (tuple(case.args) + (None, None))[:3]
    key = query if key is None else key
    if value is None:
        value = key if value_default == "key" else query
    inputs = {"query": query, "key": key, "value": value}
    # Project: (B, T, D) -> (B, T, d_head)
    q = getattr(head, query_projection)(query)
    k = head.k_proj(inputs[key_source])
    v = head.v_proj(inputs[value_source])
    return attend(q, k, v, case.kwargs.get("mask"), **options)


def _mistake(key: str, problem: str, hint: str, **options) -> Mistake:
    return Mistake(key, problem, hint, lambda case, head: _run(case, head, **options))


SINGLE_HEAD_ATTENTION = Spec(
    part="single_head_attention",
    name="SingleHeadAttention",
    reference=SingleHeadAttention,
    make_cases=_cases,
    output_names=("output", "weights"),
    hint=(
        "key defaults to query and value to key; project with self.q_proj, "
        "self.k_proj, self.v_proj, then return scaled_dot_product_attention(q, k, "
        "v, mask) (lesson 03)"
    ),
    mistakes=(
        _mistake(
            "value_defaults_to_query",
            "when value is omitted it is taken from the query instead of the key",
            "value defaults to the key: value = key if value is None else value "
            "(after key = query if key is None else key)",
            value_default="query",
        ),
        _mistake(
            "values_from_key_input",
            "the values are projected from the key input, not from value",
            "project the value input: v = self.v_proj(value)",
            value_source="key",
        ),
        _mistake(
            "key_ignored",
            "the head attends over the query itself: the key and value inputs "
            "are ignored",
            "project the key and value inputs: k = self.k_proj(key), "
            "v = self.v_proj(value), using query only when key is None",
            key_source="query",
            value_source="query",
        ),
        _mistake(
            "query_with_key_projection",
            "the queries are projected with k_proj",
            "each input has its own projection: q = self.q_proj(query)",
            query_projection="k_proj",
        ),
    )
    + attention_mistakes(_run),
    error_hints=(
        (
            "every key needs one value",
            "when value is omitted it defaults to the key, not the query: "
            "value = key if value is None else value",
        ),
    ),
)


def check_single_head_attention(module_class) -> CheckResult:
    """Check the learner's ``SingleHeadAttention`` class (its ``forward``).

    The check builds the package's head and the learner's with the same
    arguments, copies the package's weights into the learner's, and compares
    ``(output, weights)`` on self- and cross-attention, with and without masks.

    Args:
        module_class: the learner's ``SingleHeadAttention`` class (not an
            instance).

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> from mha_course import SingleHeadAttention as Reference
        >>> check_single_head_attention(Reference).passed
        PASS single_head_attention: matches the reference on 5 cases
        True
    """
    return run_check(SINGLE_HEAD_ATTENTION, module_class)
