"""Do the heads look at different things? Two numbers that say so.

- **Entropy** of a head's attention row measures how spread out it is: zero
  when the query looks at one key only, ``log(T_k)`` when it looks at every key
  equally (uniform attention).
- **Similarity** between two heads is the cosine of the angle between their
  attention rows for the same query, averaged over queries (and the batch): one
  when the heads look at the same keys in the same proportions, zero when they
  look at disjoint sets of keys. Attention weights are never negative, so the
  cosine stays in [0, 1].

Weights have the shape the package's attention returns, ``(..., H, T_q, T_k)``,
with any leading dimensions (a batch, or layers and a batch).
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import torch

from ._validation import check_float_tensor

__all__ = ["attention_entropy", "head_similarity", "max_entropy"]

# Rows of attention weights sum to one, up to float32 rounding over long rows.
ROW_SUM_TOLERANCE = 1e-3


def _as_weights(weights) -> torch.Tensor:
    """Check ``weights`` (..., H, T_q, T_k) and return it as a float tensor."""
    if isinstance(weights, np.ndarray):
        weights = torch.from_numpy(weights)
    check_float_tensor(weights, "weights")
    if weights.ndim < 3:
        raise ValueError(
            f"weights must have shape (..., H, T_q, T_k), got shape "
            f"{tuple(weights.shape)}: a single head's (T_q, T_k) map needs "
            "weights[None] to become one head"
        )
    weights = weights.to(torch.promote_types(weights.dtype, torch.float32))
    if torch.isnan(weights).any():
        raise ValueError("weights contain NaN")
    if (weights < 0).any():
        raise ValueError(
            f"attention weights are probabilities, but the smallest is "
            f"{weights.min().item():.3g}: did you pass scores before the softmax?"
        )
    row_sums = weights.sum(dim=-1)
    is_distribution = (row_sums - 1).abs() <= ROW_SUM_TOLERANCE
    is_masked_row = row_sums <= ROW_SUM_TOLERANCE
    if not (is_distribution | is_masked_row).all():
        raise ValueError(
            "each row of attention weights must sum to 1 (or to 0 where every key "
            f"is masked); got row sums from {row_sums.min().item():.3g} to "
            f"{row_sums.max().item():.3g}: did you pass scores before the softmax?"
        )
    return weights


def _mean_per_head(values: torch.Tensor, counted: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` (..., H, T_q) over all but the head axis, where counted."""
    num_heads = values.shape[-2]
    # (..., H, T_q) -> (H, ..., T_q) -> (H, N)
    values = values.movedim(-2, 0).reshape(num_heads, -1)
    counted = counted.movedim(-2, 0).reshape(num_heads, -1)
    total = (values * counted).sum(dim=1)
    return total / counted.sum(dim=1).clamp_min(1)


def attention_entropy(weights) -> torch.Tensor:
    """Mean entropy, in nats, of each head's attention rows.

    A zero weight adds nothing (the limit of ``p log p`` as ``p -> 0`` is 0).
    Rows where every key is masked (all weights zero) attend to nothing and are
    left out of the mean. Under a causal mask, query ``i`` sees ``i + 1`` keys,
    so its entropy is at most ``log(i + 1)``, below ``max_entropy(T_k)``.

    Args:
        weights: attention weights, shape ``(..., H, T_q, T_k)``, e.g. the
            ``(B, H, T_q, T_k)`` weights of ``MultiHeadAttention``; a torch
            tensor or a NumPy array.

    Returns:
        A tensor of shape ``(H,)``: per head, the entropy averaged over the
        leading dimensions and the queries.

    Raises:
        TypeError: if ``weights`` is not a floating tensor or array.
        ValueError: if it has fewer than 3 dimensions, holds NaN or negative
            values, or a row sums to neither 1 nor 0.

    Example:
        >>> uniform = torch.full((1, 2, 3, 4), 0.25)  # (B, H, T_q, T_k)
        >>> attention_entropy(uniform)
        tensor([1.3863, 1.3863])
    """
    weights = _as_weights(weights)
    # -sum p log p over keys; xlogy(0, 0) is 0. (..., H, T_q, T_k) -> (..., H, T_q)
    row_entropy = -torch.special.xlogy(weights, weights).sum(dim=-1)
    attends = weights.sum(dim=-1) > ROW_SUM_TOLERANCE
    return _mean_per_head(row_entropy, attends)


def head_similarity(weights) -> torch.Tensor:
    """Mean cosine similarity between every pair of heads' attention rows.

    For each query (and batch element), the two heads' rows over the keys are
    compared by their cosine; the result averages over queries and the leading
    dimensions. Rows that attend to nothing (fully masked) are left out.

    Args:
        weights: attention weights, shape ``(..., H, T_q, T_k)``; a torch
            tensor or a NumPy array.

    Returns:
        A symmetric tensor of shape ``(H, H)`` with values in [0, 1]: 1 on the
        diagonal, 1 for two heads that attend identically, 0 for two heads that
        never attend to the same key.

    Raises:
        TypeError: if ``weights`` is not a floating tensor or array.
        ValueError: if it has fewer than 3 dimensions, holds NaN or negative
            values, or a row sums to neither 1 nor 0.

    Example:
        >>> first_key = torch.tensor([[1.0, 0.0]])  # (T_q, T_k) = (1, 2)
        >>> second_key = torch.tensor([[0.0, 1.0]])
        >>> head_similarity(torch.stack([first_key, first_key, second_key]))
        tensor([[1., 1., 0.],
                [1., 1., 0.],
                [0., 0., 1.]])
    """
    weights = _as_weights(weights)
    norms = weights.norm(dim=-1, keepdim=True)  # (..., H, T_q, 1)
    unit_rows = weights / norms.clamp_min(torch.finfo(weights.dtype).tiny)
    # (..., H, T_q, T_k) -> (..., T_q, H, T_k)
    unit_rows = unit_rows.movedim(-3, -2)
    # (..., T_q, H, T_k) @ (..., T_q, T_k, H) -> (..., T_q, H, H)
    cosines = unit_rows @ unit_rows.transpose(-1, -2)

    # (..., H, T_q) -> (..., T_q, H)
    attends = (weights.sum(dim=-1) > ROW_SUM_TOLERANCE).movedim(-2, -1)
    # (..., T_q, H, 1) & (..., T_q, 1, H) -> (..., T_q, H, H)
    both_attend = attends.unsqueeze(-1) & attends.unsqueeze(-2)

    num_heads = weights.shape[-3]
    # (..., T_q, H, H) -> (N, H, H), then the mean over N where both attend
    cosines = cosines.reshape(-1, num_heads, num_heads)
    both_attend = both_attend.reshape(-1, num_heads, num_heads)
    total = (cosines * both_attend).sum(dim=0)
    return total / both_attend.sum(dim=0).clamp_min(1)


def max_entropy(key_len: int) -> float:
    """The entropy of uniform attention over ``key_len`` keys: ``log(T_k)``.

    No attention row over ``T_k`` keys can be more spread out than this.

    Args:
        key_len: the number of keys ``T_k``, at least 1.

    Returns:
        ``log(key_len)`` in nats, as a float.

    Raises:
        TypeError: if ``key_len`` is not an integer.
        ValueError: if ``key_len`` is smaller than 1.

    Example:
        >>> round(max_entropy(4), 4)
        1.3863
    """
    if isinstance(key_len, bool) or not isinstance(key_len, Integral):
        raise TypeError(f"key_len must be an integer, got {type(key_len).__name__}")
    if key_len < 1:
        raise ValueError(f"key_len must be at least 1 key, got {key_len}")
    return math.log(key_len)
