"""Head diversity: how spread out each head's attention is, and how alike heads are.

The figure draws what :mod:`mha_course.diversity` measures.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np  # noqa: F401  (the doctest below draws with np.eye)

from ._heatmap import _draw_matrix
from ._inputs import _check_ndim, _token_labels, to_numpy
from ._style import (
    ANNOTATE_MAX_TOKENS,
    ATTENTION_CMAP,
    BAR_LABEL_PADDING,
    CELL_DECIMALS,
    CELL_FONT_SIZE,
    DIVERSITY_FIGSIZE,
    ENTROPY_HEADROOM,
    GRID_ALPHA,
    LABEL_BOX,
    TITLE_FONT_SIZE,
    TOKEN_FONT_SIZE,
    WEIGHT_MAX,
    WEIGHT_MIN,
)


def plot_head_diversity(entropy, similarity, head_labels=None, max_entropy=None):
    """Two panels: how spread out each head's attention is, and how alike heads are.

    Args:
        entropy: shape ``(H,)``, mean attention entropy per head in nats, e.g.
            from ``mha_course.diversity.attention_entropy``.
        similarity: shape ``(H, H)``, e.g. from
            ``mha_course.diversity.head_similarity``; drawn on the range [0, 1].
        head_labels: ``H`` names for the heads; ``"0"``, ``"1"``, ... if None.
        max_entropy: the entropy of uniform attention, ``log(T_k)``; drawn as
            a dashed line when given.

    Returns:
        The matplotlib Figure (entropy bars on the left, similarity on the right).

    Raises:
        TypeError: if an input does not hold numbers.
        ValueError: if the shapes are not ``(H,)`` and ``(H, H)`` with one ``H``.

    Example:
        >>> fig = plot_head_diversity([0.2, 1.3], np.eye(2), max_entropy=1.39)
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['Entropy per head', 'Similarity between heads']
        >>> plt.close(fig)
    """
    entropy = to_numpy(entropy, "entropy")
    _check_ndim(entropy, 1, "entropy", "(H,)")
    num_heads = entropy.size
    similarity = to_numpy(similarity, "similarity")
    if similarity.shape != (num_heads, num_heads):
        raise ValueError(
            f"similarity must have shape (H, H) = ({num_heads}, {num_heads}) to "
            f"match entropy, got {similarity.shape}"
        )
    if head_labels is None:
        head_labels = [str(head) for head in range(num_heads)]
    head_labels = _token_labels(head_labels, num_heads, "head_labels")

    fig, (bar_ax, matrix_ax) = plt.subplots(
        1, 2, figsize=DIVERSITY_FIGSIZE, layout="constrained"
    )
    bars = bar_ax.bar(range(num_heads), entropy)
    values = bar_ax.bar_label(
        bars,
        fmt=f"%.{CELL_DECIMALS}f",
        fontsize=CELL_FONT_SIZE,
        padding=BAR_LABEL_PADDING,
    )
    for text in values:  # stay legible where a bar reaches the dashed line
        text.set_bbox(LABEL_BOX)
    top = entropy.max()
    if max_entropy is not None:
        max_entropy = float(max_entropy)
        bar_ax.axhline(
            max_entropy, color="black", linestyle="--", label="uniform attention"
        )
        bar_ax.legend(loc="upper left", fontsize=CELL_FONT_SIZE)
        top = max(top, max_entropy)
    bar_ax.set_ylim(0, top * ENTROPY_HEADROOM if top > 0 else 1.0)
    bar_ax.set_xticks(range(num_heads), labels=head_labels, fontsize=TOKEN_FONT_SIZE)
    bar_ax.set_xlabel("head")
    bar_ax.set_ylabel("mean entropy (nats)")
    bar_ax.set_title("Entropy per head", fontsize=TITLE_FONT_SIZE)
    bar_ax.grid(axis="y", alpha=GRID_ALPHA)

    annotate = num_heads <= ANNOTATE_MAX_TOKENS
    limits = (WEIGHT_MIN, WEIGHT_MAX)
    image = _draw_matrix(
        matrix_ax,
        similarity,
        head_labels,
        head_labels,
        annotate,
        limits,
        ATTENTION_CMAP,
    )
    matrix_ax.set_xlabel("head")
    matrix_ax.set_ylabel("head")
    matrix_ax.set_title("Similarity between heads", fontsize=TITLE_FONT_SIZE)
    fig.colorbar(image, ax=matrix_ax, label="similarity")
    return fig
