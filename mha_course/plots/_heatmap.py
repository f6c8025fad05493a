"""Drawing one matrix as a labelled heatmap, the building block of most figures.

Attention maps, masks and the similarity between heads are all matrices with
rows and columns named by tokens or heads; they share these helpers for ticks,
numbers in cells and figure size.
"""

from __future__ import annotations

import numpy as np

from ._style import (
    CELL_DECIMALS,
    CELL_FONT_SIZE,
    CELL_INCHES,
    DARK_LUMINANCE,
    HEATMAP_MARGIN,
    HEATMAP_MAX_SIZE,
    HEATMAP_MIN_SIZE,
    KEY_LABEL_ROTATION,
    LUMA_WEIGHTS,
    MAX_INDEX_TICKS,
    TOKEN_FONT_SIZE,
)


def _set_ticks(ax, axis: str, labels, length: int) -> None:
    """Put one tick per position, labelled by token or by index."""
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    if labels is None and length > MAX_INDEX_TICKS:
        return  # matplotlib's own locator keeps long axes readable
    labels = [str(i) for i in range(length)] if labels is None else labels
    if axis == "x":
        set_ticks(
            range(length),
            labels=labels,
            fontsize=TOKEN_FONT_SIZE,
            rotation=KEY_LABEL_ROTATION,
            ha="right",
            rotation_mode="anchor",
        )
    else:
        set_ticks(range(length), labels=labels, fontsize=TOKEN_FONT_SIZE)


def _write_cells(ax, image, matrix: np.ndarray, decimals: int = CELL_DECIMALS) -> None:
    """Write each cell's value on it, in white or black for contrast."""
    for (row, col), value in np.ndenumerate(matrix):
        if not np.isfinite(value):
            continue
        rgb = np.asarray(image.cmap(image.norm(value)))[:3]
        color = "white" if rgb @ LUMA_WEIGHTS < DARK_LUMINANCE else "black"
        ax.text(
            col,
            row,
            f"{value:.{decimals}f}",
            ha="center",
            va="center",
            fontsize=CELL_FONT_SIZE,
            color=color,
        )


def _draw_matrix(ax, matrix, row_labels, col_labels, annotate, limits, cmap):
    """Draw ``matrix`` (rows, cols) as a heatmap on ``ax``; return the image."""
    image = ax.imshow(matrix, cmap=cmap, vmin=limits[0], vmax=limits[1], aspect="auto")
    _set_ticks(ax, "x", col_labels, matrix.shape[1])
    _set_ticks(ax, "y", row_labels, matrix.shape[0])
    if annotate:
        _write_cells(ax, image, matrix)
    return image


def _heatmap_figsize(num_rows: int, num_cols: int) -> tuple[float, float]:
    """Inches for a heatmap figure, growing with the matrix within limits."""
    width = num_cols * CELL_INCHES + HEATMAP_MARGIN[0]
    height = num_rows * CELL_INCHES + HEATMAP_MARGIN[1]
    width = min(max(width, HEATMAP_MIN_SIZE[0]), HEATMAP_MAX_SIZE[0])
    height = min(max(height, HEATMAP_MIN_SIZE[1]), HEATMAP_MAX_SIZE[1])
    return width, height
