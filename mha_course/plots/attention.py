"""Attention maps: one query-by-key heatmap, or a grid of them, one per head.

Row ``i`` of a map is where query ``i`` looks; every map uses the fixed colour
range [0, 1], so maps can be compared by eye.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import matplotlib.pyplot as plt
import numpy as np

from ._heatmap import _draw_matrix, _heatmap_figsize
from ._inputs import _check_ndim, _token_labels, to_numpy
from ._style import (
    ANNOTATE_MAX_TOKENS,
    ATTENTION_CMAP,
    COLORBAR_WIDTH,
    HEAD_PANEL_SIZE,
    HEADS_ANNOTATE_MAX_TOKENS,
    KEY_AXIS_LABEL,
    QUERY_AXIS_LABEL,
    RANGE_TOLERANCE,
    SUPTITLE_FONT_SIZE,
    TITLE_FONT_SIZE,
    WEIGHT_MAX,
    WEIGHT_MIN,
)


def _attention_matrix(weights, name: str, ndim: int, shape: str, hint: str):
    """Weights as an array of ``ndim`` dimensions; warn if outside [0, 1]."""
    array = to_numpy(weights, name)
    _check_ndim(array, ndim, name, shape, hint)
    finite = array[np.isfinite(array)]
    low, high = WEIGHT_MIN - RANGE_TOLERANCE, WEIGHT_MAX + RANGE_TOLERANCE
    if finite.size and (finite.min() < low or finite.max() > high):
        warnings.warn(
            f"{name} has values in [{finite.min():.3g}, {finite.max():.3g}], outside "
            "[0, 1]: are these scores before the softmax? Colours are clipped.",
            stacklevel=3,
        )
    return array


def _draw_attention(ax, matrix, query_labels, key_labels, title, annotate, limit):
    """Heatmap of one (T_q, T_k) matrix with the course's axis labels."""
    num_queries, num_keys = matrix.shape
    query_labels = _token_labels(query_labels, num_queries, "query_labels")
    key_labels = _token_labels(key_labels, num_keys, "key_labels")
    if annotate is None:
        annotate = max(num_queries, num_keys) <= limit
    limits = (WEIGHT_MIN, WEIGHT_MAX)
    image = _draw_matrix(
        ax, matrix, query_labels, key_labels, annotate, limits, ATTENTION_CMAP
    )
    ax.set_title(title, fontsize=TITLE_FONT_SIZE)
    return image


def plot_attention(
    weights,
    query_labels=None,
    key_labels=None,
    ax=None,
    title: str = "Attention weights",
    annotate: bool | None = None,
):
    """Heatmap of one attention matrix: row ``i`` is where query ``i`` looks.

    Colours use the fixed range [0, 1], so two maps can be compared by eye.

    Args:
        weights: shape ``(T_q, T_k)``; each row sums to one. For one head of a
            ``(B, H, T_q, T_k)`` tensor pass ``weights[b, h]``.
        query_labels: ``T_q`` tokens for the rows; positions if None.
        key_labels: ``T_k`` tokens for the columns; positions if None.
        ax: the Axes to draw on; a new figure is made if None.
        title: the title above the map.
        annotate: write each weight in its cell; None means "when both
            lengths are at most ``ANNOTATE_MAX_TOKENS``".

    Returns:
        The matplotlib Axes, with a colour bar beside it.

    Raises:
        TypeError: if ``weights`` does not hold numbers or labels are a string.
        ValueError: if ``weights`` is not 2-D or a label list has the wrong length.

    Example:
        >>> weights = np.array([[1.0, 0.0, 0.0], [0.5, 0.25, 0.25]])
        >>> ax = plot_attention(weights, ["I", "am"], ["I", "am", "here"])
        >>> ax.get_title(), len(ax.images), len(ax.texts)
        ('Attention weights', 1, 6)
        >>> plt.close(ax.figure)
    """
    hint = ": pick one head, e.g. weights[0, 0], or use plot_heads for all heads"
    matrix = _attention_matrix(weights, "weights", 2, "(T_q, T_k)", hint)
    if ax is None:
        figsize = _heatmap_figsize(*matrix.shape)
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    image = _draw_attention(
        ax, matrix, query_labels, key_labels, title, annotate, ANNOTATE_MAX_TOKENS
    )
    ax.set_xlabel(KEY_AXIS_LABEL)
    ax.set_ylabel(QUERY_AXIS_LABEL)
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax


def plot_heads(
    weights,
    query_labels=None,
    key_labels=None,
    titles=None,
    ncols: int = 4,
    suptitle: str | None = None,
    annotate: bool | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
):
    """A grid of attention maps, one per head, sharing one colour bar.

    Args:
        weights: shape ``(H, T_q, T_k)``. For a batch, pass ``weights[b]``.
        query_labels: ``T_q`` tokens for the rows; positions if None.
        key_labels: ``T_k`` tokens for the columns; positions if None.
        titles: ``H`` panel titles; ``"head 0"``, ``"head 1"``, ... if None.
        ncols: panels per row (fewer if there are fewer heads).
        suptitle: an optional title over the whole grid.
        annotate: write weights in cells; None means "when both lengths are at
            most ``HEADS_ANNOTATE_MAX_TOKENS``".
        xlabel: the key axis label under the bottom panels, e.g. "source
            token" for cross-attention; ``KEY_AXIS_LABEL`` if None.
        ylabel: the query axis label beside the left panels;
            ``QUERY_AXIS_LABEL`` if None.

    Returns:
        The matplotlib Figure.

    Raises:
        TypeError: if ``weights`` does not hold numbers, or ``xlabel`` or
            ``ylabel`` is neither a string nor None.
        ValueError: if ``weights`` is not 3-D, ``ncols`` is not positive, or a
            list of labels or titles has the wrong length.

    Example:
        >>> fig = plot_heads(np.full((3, 2, 2), 0.5), titles=["a", "b", "c"])
        >>> [ax.get_title() for ax in fig.axes if ax.images]
        ['a', 'b', 'c']
        >>> plt.close(fig)
        >>> fig = plot_heads(np.full((2, 2, 3), 0.5), xlabel="source", ylabel="target")
        >>> [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.images]
        [('source', 'target'), ('source', '')]
        >>> plt.close(fig)
    """
    hint = ": for a batch of maps (B, H, T_q, T_k), pass weights[0]"
    stack = _attention_matrix(weights, "weights", 3, "(H, T_q, T_k)", hint)
    num_heads = stack.shape[0]
    if num_heads == 0:
        raise ValueError("weights has no heads: expected H >= 1 in (H, T_q, T_k)")
    if isinstance(ncols, bool) or not isinstance(ncols, Integral) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    if titles is None:
        titles = [f"head {head}" for head in range(num_heads)]
    titles = _token_labels(titles, num_heads, "titles")
    for name, label in (("xlabel", xlabel), ("ylabel", ylabel)):
        if label is not None and not isinstance(label, str):
            raise TypeError(
                f"{name} must be a string or None, got {type(label).__name__}"
            )
    xlabel = KEY_AXIS_LABEL if xlabel is None else xlabel
    ylabel = QUERY_AXIS_LABEL if ylabel is None else ylabel

    ncols = min(ncols, num_heads)
    nrows = -(-num_heads // ncols)  # ceiling division
    figsize = (
        HEAD_PANEL_SIZE[0] * ncols + COLORBAR_WIDTH,
        HEAD_PANEL_SIZE[1] * nrows,
    )
    fig, axes = plt.subplots(
        nrows, ncols, figsize=figsize, squeeze=False, layout="constrained"
    )
    for index, ax in enumerate(axes.flat):
        if index >= num_heads:
            ax.set_visible(False)
            continue
        image = _draw_attention(
            ax,
            stack[index],
            query_labels,
            key_labels,
            titles[index],
            annotate,
            HEADS_ANNOTATE_MAX_TOKENS,
        )
        # Token labels once per row and column of panels keep the grid light.
        if index % ncols == 0:
            ax.set_ylabel(ylabel)
        else:
            ax.tick_params(axis="y", labelleft=False)
        if index + ncols >= num_heads:  # no panel below this one
            ax.set_xlabel(xlabel)
        else:
            ax.tick_params(axis="x", labelbottom=False)
    visible = [ax for ax in axes.flat if ax.get_visible()]
    fig.colorbar(image, ax=visible, label="attention weight", shrink=0.9)
    if suptitle is not None:
        fig.suptitle(suptitle, fontsize=SUPTITLE_FONT_SIZE)
    return fig
