"""Scaled dot-product attention in PyTorch, in visible steps.

The steps are the ones lesson 02 builds: score every query against every key,
scale by ``1 / sqrt(d_head)``, hide what the mask forbids, turn each row of
scores into weights with a softmax, and average the values with those weights.

Shapes: queries ``(..., T_q, d_head)``, keys ``(..., T_k, d_head)``, values
``(..., T_k, d_value)``; the leading dimensions (batch, heads) broadcast.
Masks are boolean with ``True`` meaning "may attend", the convention of
``torch.nn.functional.scaled_dot_product_attention``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._validation import check_float_tensor, check_mask

__all__ = [
    "attention_scores",
    "masked_softmax",
    "scaled_dot_product_attention",
]


def _check_qk(query: torch.Tensor, key: torch.Tensor) -> None:
    check_float_tensor(query, "query")
    check_float_tensor(key, "key")
    if query.dim() < 2 or key.dim() < 2:
        raise ValueError(
            "query and key need at least 2 dimensions (..., length, d_head); got "
            f"query {tuple(query.shape)} and key {tuple(key.shape)}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "query and key must have the same last dimension d_head, since each "
            f"query is compared to each key by a dot product; got query "
            f"{tuple(query.shape)} and key {tuple(key.shape)}"
        )
    try:
        torch.broadcast_shapes(query.shape[:-2], key.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "the leading (batch, head) dimensions of query and key do not "
            f"broadcast: query {tuple(query.shape)}, key {tuple(key.shape)}"
        ) from None


def attention_scores(query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    """Score every query against every key: ``query @ key^T / sqrt(d_head)``.

    Args:
        query: shape ``(..., T_q, d_head)``.
        key: shape ``(..., T_k, d_head)``.

    Returns:
        Scaled scores of shape ``(..., T_q, T_k)``.

    Raises:
        TypeError: if an input is not a floating-point tensor.
        ValueError: if the widths differ or the leading dimensions don't
            broadcast.

    Example:
        >>> attention_scores(torch.ones(1, 4), torch.ones(3, 4))
        tensor([[2., 2., 2.]])
    """
    _check_qk(query, key)
    head_dim = query.shape[-1]
    # NOTE: scaling the query before the product gives the same scores as
    # dividing them afterwards, but touches T_q * d_head numbers, not T_q * T_k.
    query = query * (1.0 / math.sqrt(head_dim))
    # (..., T_q, d_head) @ (..., d_head, T_k) -> (..., T_q, T_k)
    return query @ key.transpose(-2, -1)


def masked_softmax(
    scores: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    overwrite: bool = False,
) -> torch.Tensor:
    """Softmax over the keys, giving masked keys a weight of exactly zero.

    Masked scores are replaced by the most negative number of the dtype, so
    they vanish in the softmax. A row whose every key is masked gets all-zero
    weights, never NaN: there is nothing it may look at.

    Args:
        scores: shape ``(..., T_q, T_k)``.
        mask: optional boolean tensor broadcasting to ``scores``; ``True``
            means "may attend".
        overwrite: allow the function to reuse the memory of ``scores`` for the
            result (``scores`` is then lost). It only does so where autograd
            allows it; it saves allocating ``B * H * T_q * T_k`` numbers.

    Returns:
        Weights of the same shape as ``scores``; each row sums to one, or to
        zero when fully masked.

    Raises:
        TypeError: if the mask is not a boolean tensor.
        ValueError: if the mask does not broadcast to the scores.

    Example:
        >>> scores = torch.zeros(2, 3)
        >>> mask = torch.tensor([[True, True, False], [False, False, False]])
        >>> masked_softmax(scores, mask)
        tensor([[0.5000, 0.5000, 0.0000],
                [0.0000, 0.0000, 0.0000]])
    """
    check_float_tensor(scores, "scores")
    if mask is not None:
        check_mask(mask, scores.shape)
    # NOTE: overwriting is a memory optimisation, not part of the idea. Filling
    # in place is always safe for autograd here (the product that made the
    # scores does not need them back); the softmax can only write over its
    # input when no gradient will be asked for.
    in_place_softmax = overwrite and not (
        torch.is_grad_enabled() and scores.requires_grad
    )

    # Mask: hidden scores become the most negative number, so exp() gives 0.
    if mask is not None:
        hidden = torch.finfo(scores.dtype).min
        if overwrite:
            scores = scores.masked_fill_(~mask, hidden)
        else:
            scores = scores.masked_fill(~mask, hidden)

    # Softmax over the keys, the last axis.
    if in_place_softmax:
        weights = torch.softmax(scores, dim=-1, out=scores)
    else:
        weights = torch.softmax(scores, dim=-1)

    if mask is not None:
        # (..., T_q, T_k) -> (..., T_q, 1): does the row keep any key at all?
        row_has_key = mask.any(dim=-1, keepdim=True)
        if not bool(row_has_key.all()):
            weights = weights.masked_fill(~row_has_key, 0.0)
    return weights


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attend: each query takes a weighted average of the values.

    Args:
        query: shape ``(..., T_q, d_head)``; what each position is looking for.
        key: shape ``(..., T_k, d_head)``; what each position can be found by.
        value: shape ``(..., T_k, d_value)``; what each position hands over.
        mask: optional boolean tensor broadcasting to ``(..., T_q, T_k)``;
            ``True`` means "may attend".
        dropout_p: probability of dropping a weight, used only when
            ``training`` is true.
        training: whether to apply dropout to the weights.

    Returns:
        ``(output, weights)``: output ``(..., T_q, d_value)`` and the weights
        ``(..., T_q, T_k)`` that produced it (after dropout, if any).

    Raises:
        TypeError: if an input is not a floating-point tensor or the mask is not
            boolean.
        ValueError: if the shapes do not fit together.

    Example:
        >>> q = torch.tensor([[1.0, 0.0]])
        >>> k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> v = torch.tensor([[10.0], [20.0]])
        >>> out, weights = scaled_dot_product_attention(q, k, v)
        >>> weights.round(decimals=2), out.round(decimals=1)
        (tensor([[0.6700, 0.3300]]), tensor([[13.3000]]))
    """
    _check_qk(query, key)
    check_float_tensor(value, "value")
    if value.dim() < 2 or value.shape[-2] != key.shape[-2]:
        raise ValueError(
            "every key needs one value: key and value must have the same length "
            f"T_k; got key {tuple(key.shape)} and value {tuple(value.shape)}"
        )
    try:
        torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "the leading (batch, head) dimensions of query, key and value do not "
            f"broadcast: query {tuple(query.shape)}, key {tuple(key.shape)}, "
            f"value {tuple(value.shape)}"
        ) from None

    # Score and scale: (..., T_q, d_head), (..., T_k, d_head) -> (..., T_q, T_k)
    scores = attention_scores(query, key)

    # Mask, then softmax over the keys (the last axis).
    # The scores are ours alone, so their memory can hold the weights.
    weights = masked_softmax(scores, mask, overwrite=True)
    if training and dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)

    # Weight the values: (..., T_q, T_k) @ (..., T_k, d_value) -> (..., T_q, d_value)
    output = weights @ value
    return output, weights
