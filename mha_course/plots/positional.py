"""Positional encodings: one row per position, coloured around zero."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._inputs import _check_ndim, to_numpy
from ._style import ENCODING_CMAP, ENCODING_FIGSIZE, TITLE_FONT_SIZE


def plot_positional_encoding(encoding, ax=None, title: str = "Positional encoding"):
    """Heatmap of a positional encoding: one row per position.

    The colour range is symmetric around zero, so white means zero.

    Args:
        encoding: shape ``(T, D)``, one ``D``-wide vector per position.
        ax: the Axes to draw on; a new figure is made if None.
        title: the title above the map.

    Returns:
        The matplotlib Axes, with a colour bar beside it.

    Raises:
        TypeError: if ``encoding`` does not hold numbers.
        ValueError: if ``encoding`` is not 2-D.

    Example:
        >>> ax = plot_positional_encoding(np.sin(np.arange(12.0)).reshape(4, 3))
        >>> ax.get_ylabel(), ax.get_xlabel(), ax.images[0].get_array().shape
        ('position', 'dimension', (4, 3))
        >>> plt.close(ax.figure)
    """
    hint = ": for a batch-shaped (1, T, D) encoding pass encoding[0]"
    matrix = to_numpy(encoding, "encoding")
    _check_ndim(matrix, 2, "encoding", "(T, D)", hint)
    finite = np.abs(matrix[np.isfinite(matrix)])
    limit = finite.max() if finite.size and finite.max() > 0 else 1.0
    if ax is None:
        _, ax = plt.subplots(figsize=ENCODING_FIGSIZE, layout="constrained")
    image = ax.imshow(
        matrix, cmap=ENCODING_CMAP, vmin=-limit, vmax=limit, aspect="auto"
    )
    ax.set_xlabel("dimension")
    ax.set_ylabel("position")
    ax.set_title(title, fontsize=TITLE_FONT_SIZE)
    ax.figure.colorbar(image, ax=ax, label="value")
    return ax
