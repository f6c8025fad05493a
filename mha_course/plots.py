"""Matplotlib figures for the course: attention maps, masks, heads, losses, encodings.

Every function accepts NumPy arrays or PyTorch tensors (a tensor is detached and
moved to the CPU first), draws with matplotlib's object-oriented API and returns
the Axes or Figure it drew on. Nothing here shows or prints anything: a notebook
displays the returned figure, a script saves it with ``fig.savefig``.

Shapes use the package's vocabulary: heads ``H``, query length ``T_q``, key
length ``T_k``, model width ``D``, sequence length ``T``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

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

# --- Style: one place to make every figure of the course larger or smaller. ---
TOKEN_FONT_SIZE = 9  # token labels on the axes of a heatmap
CELL_FONT_SIZE = 8  # numbers written inside heatmap cells
TITLE_FONT_SIZE = 11  # the title of one panel
SUPTITLE_FONT_SIZE = 13  # the title over a grid of panels
KEY_LABEL_ROTATION = 45  # degrees; slanted key labels do not run into each other
CELL_DECIMALS = 2  # digits written in a cell: enough to compare, short enough to fit
ANNOTATE_MAX_TOKENS = 12  # write numbers in cells only up to this many rows/columns
HEADS_ANNOTATE_MAX_TOKENS = 6  # grid panels are smaller, so fewer numbers fit
MAX_INDEX_TICKS = 40  # without labels, tick every position only up to this length
MINOR_DIGITS = "25"  # on a log axis, label 2 and 5 between powers of ten
GRID_ALPHA = 0.3  # light grid lines that guide the eye without competing

# Attention weights are probabilities: a fixed range keeps maps comparable.
WEIGHT_MIN, WEIGHT_MAX = 0.0, 1.0
RANGE_TOLERANCE = 1e-6  # rounding slack when checking that weights lie in [0, 1]
ATTENTION_CMAP = "viridis"  # perceptually uniform, readable when colour-blind
ENCODING_CMAP = "RdBu_r"  # diverging: negative blue, zero white, positive red

# Masks have two values only: a strong colour for "may attend", a pale one for
# "blocked". They differ in brightness too, so they stay apart in greyscale.
MASK_ALLOWED_COLOR = "#2a788e"  # teal, a colour from the middle of viridis
MASK_BLOCKED_COLOR = "#d9d9d9"  # light grey
MASK_CMAP = ListedColormap([MASK_BLOCKED_COLOR, MASK_ALLOWED_COLOR])  # 0, then 1
MASK_LEGEND_ANCHOR = (1.02, 1.0)  # axes fraction: just right of the map, at its top

# Axis titles shared by every figure that has queries as rows and keys as columns.
QUERY_AXIS_LABEL = "query (attending)"
KEY_AXIS_LABEL = "key (attended to)"

# Text in a cell is white on dark colours and black on light ones.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])  # Rec. 601 brightness of R, G, B
DARK_LUMINANCE = 0.5  # cells darker than this get white text

# Figure sizes in inches, chosen so a figure sits beside text in a notebook.
CELL_INCHES = 0.45  # a heatmap cell of plot_attention, before clipping below
HEATMAP_MARGIN = (2.4, 1.6)  # room for token labels, axis labels and colour bar
HEATMAP_MIN_SIZE = (3.6, 2.4)  # keep a 1 x 3 map legible
HEATMAP_MAX_SIZE = (9.0, 6.5)  # keep a 50 x 50 map within a notebook's width
HEAD_PANEL_SIZE = (2.7, 2.5)  # per head in plot_heads
COLORBAR_WIDTH = 0.8  # extra width for plot_heads' shared colour bar
LINE_FIGSIZE = (5.0, 3.2)
ENCODING_FIGSIZE = (6.0, 3.6)
DIVERSITY_FIGSIZE = (9.0, 3.6)
ENTROPY_HEADROOM = 1.3  # bar chart's top over its tallest bar: room for the legend
BAR_LABEL_PADDING = 3  # points between a bar's top and its value
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}


def to_numpy(x, name: str = "array") -> np.ndarray:
    """Return ``x`` as a float64 NumPy array; tensors are detached and copied.

    Args:
        x: a NumPy array, a PyTorch tensor (on any device, with or without
            gradient) or a nested sequence of numbers.
        name: what ``x`` is called, for the error message.

    Returns:
        A ``float64`` NumPy array with the same shape as ``x``.

    Raises:
        TypeError: if ``x`` does not hold numbers.

    Example:
        >>> to_numpy([[1, 2]]).dtype, to_numpy([[1, 2]]).shape
        (dtype('float64'), (1, 2))
    """
    if hasattr(x, "detach"):  # a torch tensor; duck-typed so torch is not imported
        x = x.detach().cpu().double().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a NumPy array, a torch tensor or a sequence of numbers "
            f"of one shape, got {type(x).__name__}"
        ) from None


def _check_ndim(array: np.ndarray, ndim: int, name: str, shape: str, hint="") -> None:
    """Raise a ValueError unless ``array`` has ``ndim`` dimensions."""
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {shape}, got shape {array.shape}" + hint
        )


def _token_labels(labels, length: int, name: str) -> list[str] | None:
    """Labels as strings, checked against ``length``; None stays None."""
    if labels is None:
        return None
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence of tokens, not one string")
    labels = [str(label) for label in labels]
    if len(labels) != length:
        raise ValueError(f"{name} has {len(labels)} labels, expected {length}")
    return labels


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


def plot_heads(
    weights,
    query_labels=None,
    key_labels=None,
    titles=None,
    ncols: int = 4,
    suptitle: str | None = None,
    annotate: bool | None = None,
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

    Returns:
        The matplotlib Figure.

    Raises:
        TypeError: if ``weights`` does not hold numbers.
        ValueError: if ``weights`` is not 3-D, ``ncols`` is not positive, or a
            list of labels or titles has the wrong length.

    Example:
        >>> fig = plot_heads(np.full((3, 2, 2), 0.5), titles=["a", "b", "c"])
        >>> [ax.get_title() for ax in fig.axes if ax.images]
        ['a', 'b', 'c']
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
            ax.set_ylabel(QUERY_AXIS_LABEL)
        else:
            ax.tick_params(axis="y", labelleft=False)
        if index + ncols >= num_heads:  # no panel below this one
            ax.set_xlabel(KEY_AXIS_LABEL)
        else:
            ax.tick_params(axis="x", labelbottom=False)
    visible = [ax for ax in axes.flat if ax.get_visible()]
    fig.colorbar(image, ax=visible, label="attention weight", shrink=0.9)
    if suptitle is not None:
        fig.suptitle(suptitle, fontsize=SUPTITLE_FONT_SIZE)
    return fig


def _loss_curves(history) -> dict[str, np.ndarray]:
    """One named 1-D curve per entry; a bare sequence becomes one unnamed curve."""
    if isinstance(history, Mapping):
        named = dict(history)
    else:
        named = {"": history}
    curves = {}
    for name, values in named.items():
        if isinstance(values, Sequence):  # e.g. a list of floats or of 0-d tensors
            values = [to_numpy(value, "a loss") for value in values]
        label = f"history[{name!r}]" if name else "history"
        curve = to_numpy(values, label)
        _check_ndim(curve, 1, label, "(steps,)")
        if curve.size == 0:
            raise ValueError("history is empty: record at least one loss value")
        curves[str(name)] = curve
    return curves


def _plain_number(value: float, _position=None) -> str:
    """A log-axis tick as a plain number: ``0.5`` rather than ``5 x 10^-1``."""
    return f"{value:g}"


def _sparse_minor_number(value: float, _position=None) -> str:
    """Label only the minor log ticks whose leading digit is in ``MINOR_DIGITS``."""
    leading_digit = f"{value:.0e}"[0]
    return f"{value:g}" if leading_digit in MINOR_DIGITS else ""


def plot_loss(history, ax=None, title: str = "Training loss", log: bool = False):
    """Loss against training step.

    Args:
        history: the losses in order, shape ``(steps,)`` (a list of floats or
            of 0-d tensors, an array, a tensor), or a mapping from a curve's
            name to such a sequence, e.g. ``{"train": ..., "validation": ...}``.
        ax: the Axes to draw on; a new figure is made if None.
        title: the title above the curve.
        log: use a logarithmic loss axis, which shows late progress better.

    Returns:
        The matplotlib Axes.

    Raises:
        TypeError: if ``history`` does not hold numbers.
        ValueError: if a curve is empty or not 1-D, or ``log`` is asked for
            with a loss that is not positive.

    Example:
        >>> ax = plot_loss([2.3, 1.1, 0.6, 0.4])
        >>> ax.get_title(), ax.get_xlabel(), ax.lines[0].get_ydata().tolist()
        ('Training loss', 'training step', [2.3, 1.1, 0.6, 0.4])
        >>> plt.close(ax.figure)
    """
    curves = _loss_curves(history)
    if log and any((curve <= 0).any() for curve in curves.values()):
        raise ValueError("a log scale needs positive losses; use log=False")
    if ax is None:
        _, ax = plt.subplots(figsize=LINE_FIGSIZE, layout="constrained")
    for name, curve in curves.items():
        ax.plot(np.arange(curve.size), curve, label=name or None)
    if any(curves):  # named curves get a legend
        ax.legend()
    if log:
        ax.set_yscale("log")
        # Plain numbers (0.5, 2) instead of powers of ten (5 x 10^-1), and
        # between the powers of ten only a few, so the labels do not pile up.
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        ax.yaxis.set_minor_formatter(FuncFormatter(_sparse_minor_number))
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=TITLE_FONT_SIZE)
    ax.grid(alpha=GRID_ALPHA)
    return ax


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
