"""Masks: which keys each query may attend to, drawn in two colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ._heatmap import _draw_matrix, _heatmap_figsize, _write_cells
from ._inputs import _check_ndim, _token_labels
from ._style import (
    ANNOTATE_MAX_TOKENS,
    KEY_AXIS_LABEL,
    MASK_ALLOWED_COLOR,
    MASK_BLOCKED_COLOR,
    MASK_CMAP,
    MASK_LEGEND_ANCHOR,
    QUERY_AXIS_LABEL,
    TITLE_FONT_SIZE,
    TOKEN_FONT_SIZE,
)


def _mask_matrix(mask) -> np.ndarray:
    """A (T_q, T_k) boolean mask as a NumPy array of 0 (blocked) and 1 (may attend)."""
    if hasattr(mask, "detach"):  # a torch tensor; duck-typed so torch is not imported
        mask = mask.detach().cpu().numpy()
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(
            f"mask must be boolean (True = may attend), got dtype {array.dtype}: "
            "if 1 means 'may attend' in your mask, pass mask == 1"
        )
    hint = ": pick one query-key slice, e.g. mask[0, 0] of a (B, H, T_q, T_k) mask"
    _check_ndim(array, 2, "mask", "(T_q, T_k)", hint)
    return array.astype(np.float64)


def plot_mask(
    mask,
    query_labels=None,
    key_labels=None,
    ax=None,
    title: str = "Mask",
    annotate: bool | None = None,
    legend: bool = True,
):
    """Draw a boolean mask: which keys each query may attend to.

    Cells that may be attended (``True``, written 1) are teal, blocked cells
    (``False``, written 0) are grey; a legend beside the map says which is which.

    Args:
        mask: boolean, shape ``(T_q, T_k)``; ``True`` means "may attend". For
            a broadcastable ``(B, 1, T_q, T_k)`` mask pass ``mask[b, 0]``; for
            a padding mask ``(B, 1, 1, T_k)`` pass ``mask[b, 0].expand(T_q, T_k)``.
        query_labels: ``T_q`` tokens for the rows; positions if None.
        key_labels: ``T_k`` tokens for the columns; positions if None.
        ax: the Axes to draw on; a new figure is made if None.
        title: the title above the map.
        annotate: write 1 or 0 in each cell; None means "when both lengths are
            at most ``ANNOTATE_MAX_TOKENS``".
        legend: draw the legend; in a row of masks, keep it on one panel only.

    Returns:
        The matplotlib Axes, with the legend beside it when ``legend`` is True.

    Raises:
        TypeError: if ``mask`` is not boolean or labels are one string.
        ValueError: if ``mask`` is not 2-D or a label list has the wrong length.

    Example:
        >>> mask = np.tril(np.ones((2, 3), dtype=bool))
        >>> ax = plot_mask(mask, ["I", "am"], ["I", "am", "here"])
        >>> ax.images[0].get_array().tolist()
        [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
        >>> [text.get_text() for text in ax.get_legend().get_texts()]
        ['1 = may attend', '0 = blocked']
        >>> plt.close(ax.figure)
    """
    matrix = _mask_matrix(mask)
    num_queries, num_keys = matrix.shape
    query_labels = _token_labels(query_labels, num_queries, "query_labels")
    key_labels = _token_labels(key_labels, num_keys, "key_labels")
    if annotate is None:
        annotate = max(num_queries, num_keys) <= ANNOTATE_MAX_TOKENS
    if ax is None:
        figsize = _heatmap_figsize(num_queries, num_keys)
        _, ax = plt.subplots(figsize=figsize, layout="constrained")

    limits = (0.0, 1.0)  # blocked is drawn as 0, "may attend" as 1
    image = _draw_matrix(ax, matrix, query_labels, key_labels, False, limits, MASK_CMAP)
    if annotate:
        _write_cells(ax, image, matrix, decimals=0)  # whole numbers: 1 or 0
    ax.set_xlabel(KEY_AXIS_LABEL)
    ax.set_ylabel(QUERY_AXIS_LABEL)
    ax.set_title(title, fontsize=TITLE_FONT_SIZE)
    if not legend:
        return ax
    handles = [
        Patch(facecolor=MASK_ALLOWED_COLOR, label="1 = may attend"),
        Patch(facecolor=MASK_BLOCKED_COLOR, label="0 = blocked"),
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=MASK_LEGEND_ANCHOR,
        borderaxespad=0.0,
        fontsize=TOKEN_FONT_SIZE,
    )
    return ax
