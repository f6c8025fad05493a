"""NumPy twins of the first steps of attention, for lessons 01 and 02.

Each function mirrors a PyTorch function of the package with the same name and
signature, so a learner can watch the arithmetic on plain arrays before meeting
tensors. Shapes follow the package's vocabulary: batch ``B``, query length
``T_q``, key length ``T_k``, model width ``D``, head width ``d_head``. Leading
batch dimensions are optional everywhere.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "attention_scores",
    "qkv_projections",
    "scaled_dot_product_attention",
    "softmax",
]


def _as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a floating NumPy array, or raise a TypeError naming it."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must hold floats, got dtype {x.dtype}")
    return x


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, computed stably.

    The largest value along the axis is subtracted before exponentiating, which
    leaves the result unchanged (the factor cancels) but keeps ``exp`` from
    overflowing on large scores.

    Args:
        x: array of scores, any shape.
        axis: the axis that must sum to one.

    Returns:
        An array of the same shape, non-negative, summing to one along ``axis``.

    Raises:
        TypeError: if ``x`` is not a floating NumPy array.

    Example:
        >>> softmax(np.array([1.0, 1.0, 1e4])).round(3).tolist()
        [0.0, 0.0, 1.0]
    """
    x = _as_float_array(x, "x")
    shifted = x - x.max(axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=axis, keepdims=True)


def qkv_projections(
    x: np.ndarray, w_query: np.ndarray, w_key: np.ndarray, w_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project embeddings into queries, keys and values.

    Args:
        x: embeddings, shape ``(..., T, D)``.
        w_query: shape ``(D, d_head)``; what each token is looking for.
        w_key: shape ``(D, d_head)``; what each token offers to be found by.
        w_value: shape ``(D, d_value)``; what each token hands over when found.

    Returns:
        ``(query, key, value)`` with shapes ``(..., T, d_head)``,
        ``(..., T, d_head)`` and ``(..., T, d_value)``.

    Raises:
        TypeError: if an argument is not a floating NumPy array.
        ValueError: if a weight's first dimension is not ``D`` or the query
            and key widths differ.

    Example:
        >>> x = np.ones((3, 4))
        >>> q, k, v = qkv_projections(x, np.ones((4, 2)), np.ones((4, 2)),
        ...                           np.ones((4, 5)))
        >>> q.shape, k.shape, v.shape
        ((3, 2), (3, 2), (3, 5))
    """
    x = _as_float_array(x, "x")
    names = ("w_query", "w_key", "w_value")
    for name, weight in zip(names, (w_query, w_key, w_value), strict=True):
        _as_float_array(weight, name)
        if weight.ndim != 2 or weight.shape[0] != x.shape[-1]:
            raise ValueError(
                f"{name} must have shape (D, width) with D = {x.shape[-1]} "
                f"(the embedding width), got {weight.shape}"
            )
    if w_query.shape[1] != w_key.shape[1]:
        raise ValueError(
            "queries and keys are compared by a dot product, so w_query and w_key "
            f"need the same width; got {w_query.shape[1]} and {w_key.shape[1]}"
        )
    # (..., T, D) @ (D, d) -> (..., T, d)
    return x @ w_query, x @ w_key, x @ w_value


def attention_scores(query: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Scaled dot products of every query with every key.

    Args:
        query: shape ``(..., T_q, d_head)``.
        key: shape ``(..., T_k, d_head)``.

    Returns:
        Scores of shape ``(..., T_q, T_k)``, divided by ``sqrt(d_head)``.

    Raises:
        TypeError: if an argument is not a floating NumPy array.
        ValueError: if query and key widths differ.

    Example:
        >>> attention_scores(np.ones((1, 4)), np.ones((2, 4))).tolist()
        [[2.0, 2.0]]
    """
    query = _as_float_array(query, "query")
    key = _as_float_array(key, "key")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "query and key must have the same last dimension d_head; got "
            f"query {query.shape} and key {key.shape}"
        )
    # math.sqrt gives a Python float; np.sqrt's float64 scalar would turn
    # float32 scores into float64 under NumPy 2's promotion rules.
    head_dim = query.shape[-1]
    # (..., T_q, d) @ (..., d, T_k) -> (..., T_q, T_k)
    return query @ np.swapaxes(key, -1, -2) / math.sqrt(head_dim)


def scaled_dot_product_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Attention on NumPy arrays: scores, scale, mask, softmax, weighted values.

    Args:
        query: shape ``(..., T_q, d_head)``.
        key: shape ``(..., T_k, d_head)``.
        value: shape ``(..., T_k, d_value)``.
        mask: optional boolean array broadcasting to ``(..., T_q, T_k)``;
            ``True`` means "may attend".

    Returns:
        ``(output, weights)``: output ``(..., T_q, d_value)`` and weights
        ``(..., T_q, T_k)``. A row whose every key is masked gets zero weights
        (and so a zero output) instead of NaN.

    Raises:
        TypeError: if an input is not a floating array or the mask not boolean.
        ValueError: if the shapes do not fit together.

    Example:
        >>> q = np.array([[1.0, 0.0]])
        >>> k = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> v = np.array([[10.0], [20.0]])
        >>> out, w = scaled_dot_product_attention(q, k, v)
        >>> w.round(3).tolist(), out.round(2).tolist()
        ([[0.67, 0.33]], [[13.3]])
    """
    scores = attention_scores(query, key)
    value = _as_float_array(value, "value")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(
            "every key needs one value: key and value must have the same length "
            f"T_k; got key {key.shape} and value {value.shape}"
        )
    if mask is not None:
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
            got = getattr(mask, "dtype", type(mask).__name__)
            raise TypeError(f"mask must be a boolean NumPy array, got {got}")
        try:
            broadcast = np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            broadcast = None
        if broadcast != scores.shape:
            raise ValueError(
                f"mask of shape {mask.shape} does not broadcast to the scores' "
                f"shape {scores.shape} (..., T_q, T_k)"
            ) from None
        scores = np.where(mask, scores, np.finfo(scores.dtype).min)
    weights = softmax(scores, axis=-1)
    if mask is not None:
        # A fully masked row would otherwise spread its weight evenly.
        weights = weights * mask
    # (..., T_q, T_k) @ (..., T_k, d_value) -> (..., T_q, d_value)
    return weights @ value, weights
