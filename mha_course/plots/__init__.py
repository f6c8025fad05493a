"""Matplotlib figures for the course: attention maps, masks, heads, losses, encodings.

Every function accepts NumPy arrays or PyTorch tensors (a tensor is detached and
moved to the CPU first), draws with matplotlib's object-oriented API and returns
the Axes or Figure it drew on. Nothing here shows or prints anything: a notebook
displays the returned figure, a script saves it with ``fig.savefig``.

Shapes use the package's vocabulary: heads ``H``, query length ``T_q``, key
length ``T_k``, model width ``D``, sequence length ``T``.

One module per kind of figure, all importable from here:

- ``attention``: :func:`plot_attention` (one map), :func:`plot_heads` (a grid);
- ``masks``: :func:`plot_mask`;
- ``loss``: :func:`plot_loss`;
- ``positional``: :func:`plot_positional_encoding`;
- ``diversity``: :func:`plot_head_diversity`.

Shared by them: ``_style`` (fonts, colours, sizes), ``_inputs``
(:func:`to_numpy` and the checks of shapes and labels) and ``_heatmap`` (one
labelled matrix).
"""

# Every name the single-module ``plots`` defined stays importable from here: the
# style constants and the label check, which the widgets reuse, included.
from ._inputs import _token_labels, to_numpy  # noqa: F401
from ._style import (  # noqa: F401
    ANNOTATE_MAX_TOKENS,
    ATTENTION_CMAP,
    BAR_LABEL_PADDING,
    CELL_DECIMALS,
    CELL_FONT_SIZE,
    CELL_INCHES,
    COLORBAR_WIDTH,
    DARK_LUMINANCE,
    DIVERSITY_FIGSIZE,
    ENCODING_CMAP,
    ENCODING_FIGSIZE,
    ENTROPY_HEADROOM,
    GRID_ALPHA,
    HEAD_PANEL_SIZE,
    HEADS_ANNOTATE_MAX_TOKENS,
    HEATMAP_MARGIN,
    HEATMAP_MAX_SIZE,
    HEATMAP_MIN_SIZE,
    KEY_AXIS_LABEL,
    KEY_LABEL_ROTATION,
    LABEL_BOX,
    LINE_FIGSIZE,
    LUMA_WEIGHTS,
    MASK_ALLOWED_COLOR,
    MASK_BLOCKED_COLOR,
    MASK_CMAP,
    MASK_LEGEND_ANCHOR,
    MAX_INDEX_TICKS,
    MINOR_DIGITS,
    QUERY_AXIS_LABEL,
    RANGE_TOLERANCE,
    SUPTITLE_FONT_SIZE,
    TITLE_FONT_SIZE,
    TOKEN_FONT_SIZE,
    WEIGHT_MAX,
    WEIGHT_MIN,
)
from .attention import plot_attention, plot_heads
from .diversity import plot_head_diversity
from .loss import plot_loss
from .masks import plot_mask
from .positional import plot_positional_encoding

__all__ = [
    "ANNOTATE_MAX_TOKENS",
    "TOKEN_FONT_SIZE",
    "plot_attention",
    "plot_head_diversity",
    "plot_heads",
    "plot_loss",
    "plot_mask",
    "plot_positional_encoding",
    "to_numpy",
]
