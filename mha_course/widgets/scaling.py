"""Lesson 02's explorer: why the scores are divided by sqrt(d_k).

Dot products of random vectors grow with their width ``d_k``; without the
division the softmax saturates on one key. :func:`scaling_demo` draws one such
query and its keys, :func:`plot_scaling` draws the weights and
:func:`scaling_explorer` wires both to a ``d_k`` slider and a checkbox.
"""

from __future__ import annotations

from numbers import Integral

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from ..numpy_attention import softmax
from ..plots import CELL_FONT_SIZE, TITLE_FONT_SIZE, to_numpy
from ._display import DECIMALS, WEIGHT_AXIS_TOP, _number, _show

# Lesson 02: dot products of random vectors grow with their width d_k.
SCALING_HEAD_DIMS = tuple(2**power for power in range(1, 11))  # 2, 4, ..., 1024
DEFAULT_SCALING_HEAD_DIM = 64
SCALING_NUM_KEYS = 8
SCALING_FIGSIZE = (5.0, 3.2)


def _check_count(value, name: str) -> int:
    """Return ``value`` if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def softmax_with_scale(scores, head_dim: int, scaled: bool = True) -> np.ndarray:
    """Softmax over the last axis of raw dot products, divided by sqrt(d_k) or not.

    Args:
        scores: raw dot products ``q . k``, shape ``(..., T_k)``.
        head_dim: the width ``d_k`` of the vectors that were multiplied.
        scaled: divide the scores by ``sqrt(head_dim)`` before the softmax.

    Returns:
        Weights of the same shape as ``scores``, summing to one on the last axis.

    Raises:
        TypeError: if ``scores`` does not hold numbers or ``head_dim`` is not
            an integer.
        ValueError: if ``scores`` is a single number or ``head_dim`` < 1.

    Example:
        >>> softmax_with_scale([4.0, 0.0], head_dim=4).round(3).tolist()
        [0.881, 0.119]
        >>> softmax_with_scale([4.0, 0.0], head_dim=4, scaled=False).round(3).tolist()
        [0.982, 0.018]
    """
    scores = to_numpy(scores, "scores")
    head_dim = _check_count(head_dim, "head_dim")
    if scores.ndim == 0:
        raise ValueError("scores must have a key axis, shape (..., T_k), got a number")
    if scaled:
        scores = scores / np.sqrt(head_dim)
    return softmax(scores, axis=-1)


def scaling_demo(
    head_dim: int, scaled: bool, seed: int = 0, num_keys: int = SCALING_NUM_KEYS
) -> tuple[np.ndarray, float]:
    """One random query against ``num_keys`` random keys of width ``head_dim``.

    Query and keys have independent standard-normal entries (drawn in that
    order from ``numpy.random.default_rng(seed)``), so a dot product has
    variance ``head_dim``. The draws do not depend on ``scaled``: switching it
    shows the effect of the division alone.

    Args:
        head_dim: the width ``d_k`` of query and keys.
        scaled: divide the scores by ``sqrt(head_dim)`` before the softmax.
        seed: seeds the random draws.
        num_keys: how many keys the query is scored against.

    Returns:
        ``(weights, max_weight)``: the weights, shape ``(num_keys,)``, and the
        largest of them as a float (1.0 means the softmax has saturated).

    Raises:
        TypeError: if ``head_dim`` or ``num_keys`` is not an integer.
        ValueError: if ``head_dim`` or ``num_keys`` is smaller than 1.

    Example:
        >>> _, unscaled = scaling_demo(1024, scaled=False)
        >>> _, scaled = scaling_demo(1024, scaled=True)
        >>> unscaled > 0.99, scaled < 0.9
        (True, True)
    """
    head_dim = _check_count(head_dim, "head_dim")
    num_keys = _check_count(num_keys, "num_keys")
    rng = np.random.default_rng(seed)
    query = rng.standard_normal(head_dim)
    keys = rng.standard_normal((num_keys, head_dim))
    # (T_k, d_k) @ (d_k,) -> (T_k,)
    scores = keys @ query
    weights = softmax_with_scale(scores, head_dim, scaled)
    return weights, float(weights.max())


def plot_scaling(weights, head_dim: int, scaled: bool):
    """Bars of one query's weights over its keys, with the uniform level dashed.

    Args:
        weights: shape ``(T_k,)``, e.g. from ``scaling_demo``.
        head_dim: the width ``d_k``, for the title.
        scaled: whether the scores were divided by sqrt(d_k), for the title.

    Returns:
        The matplotlib Figure.

    Raises:
        TypeError: if ``weights`` does not hold numbers.
        ValueError: if ``weights`` is not 1-D.

    Example:
        >>> fig = plot_scaling([0.5, 0.25, 0.25], head_dim=4, scaled=True)
        >>> fig.axes[0].get_title()
        'd_k = 4, divided by sqrt(d_k): max weight 0.50'
        >>> plt.close(fig)
    """
    weights = to_numpy(weights, "weights")
    if weights.ndim != 1:
        raise ValueError(f"weights must have shape (T_k,), got {weights.shape}")
    fig, ax = plt.subplots(figsize=SCALING_FIGSIZE, layout="constrained")
    labels = [f"k{index}" for index in range(weights.size)]
    drawn = ax.bar(labels, weights, color="tab:blue")
    ax.bar_label(drawn, fmt=f"%.{DECIMALS}f", fontsize=CELL_FONT_SIZE)
    ax.axhline(1 / weights.size, color="black", linestyle="--", label="uniform")
    ax.set_ylim(0, WEIGHT_AXIS_TOP)
    ax.set_xlabel("key")
    ax.set_ylabel("softmax weight")
    ax.legend(loc="upper right", fontsize=CELL_FONT_SIZE)
    how = "divided by sqrt(d_k)" if scaled else "not scaled"
    title = f"d_k = {head_dim}, {how}: max weight {_number(weights.max())}"
    ax.set_title(title, fontsize=TITLE_FONT_SIZE)
    return fig


def scaling_explorer(
    seed: int = 0, *, head_dim: int = DEFAULT_SCALING_HEAD_DIM, scaled: bool = True
):
    """A d_k slider and a checkbox: watch the softmax saturate without scaling.

    Args:
        seed: seeds the random query and keys (see ``scaling_demo``).
        head_dim: the starting d_k, one of ``SCALING_HEAD_DIMS`` (2 to 1024).
        scaled: the checkbox's starting state.

    Returns:
        An ``ipywidgets.interactive`` with a SelectionSlider ``d_k``, a Checkbox
        "divide by sqrt(d_k)" and an output area; its ``.result`` is the latest
        ``(weights, max_weight)`` of ``scaling_demo``.

    Raises:
        ValueError: if ``head_dim`` is not one of ``SCALING_HEAD_DIMS``.

    Example:
        >>> widget = scaling_explorer()
        >>> widget.children[1].value = False  # untick "divide by sqrt(d_k)"
        >>> widget.result[1] == scaling_demo(64, scaled=False)[1]
        True
    """
    if head_dim not in SCALING_HEAD_DIMS:
        raise ValueError(f"head_dim must be one of {SCALING_HEAD_DIMS}, got {head_dim}")

    def update(head_dim: int, scaled: bool) -> tuple[np.ndarray, float]:
        weights, max_weight = scaling_demo(head_dim, scaled, seed=seed)
        fig = plot_scaling(weights, head_dim, scaled)
        try:
            _show(fig)
        finally:
            plt.close(fig)
        return weights, max_weight

    dim_slider = ipywidgets.SelectionSlider(
        options=SCALING_HEAD_DIMS, value=head_dim, description="d_k"
    )
    checkbox = ipywidgets.Checkbox(value=scaled, description="divide by sqrt(d_k)")
    return ipywidgets.interactive(
        update, clear_output=False, head_dim=dim_slider, scaled=checkbox
    )
