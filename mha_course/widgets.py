"""Interactive explorers for lessons 01, 02, 04 and 09.

Each explorer is an ``ipywidgets.interactive``: moving a control calls a plain
function of this module that does the arithmetic, and the widget's ``.result``
holds what that function returned last. Drawing is a plain function too, which
returns a matplotlib Figure, so a lesson can also show a static picture for a
reader without a running kernel.

In a running kernel the figure (and, for the lookup, a table of numbers) appears
in the widget's output area. Outside IPython (tests, scripts) the explorers
compute and keep ``.result`` but display nothing.
"""

from __future__ import annotations

import html
from numbers import Integral

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import HTML, clear_output, display

from .numpy_attention import attention_scores, scaled_dot_product_attention, softmax
from .plots import (
    CELL_FONT_SIZE,
    GRID_ALPHA,
    TITLE_FONT_SIZE,
    TOKEN_FONT_SIZE,
    _token_labels,
    plot_attention,
    to_numpy,
)

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_LABELS",
    "DEFAULT_QUERY",
    "DEFAULT_VALUES",
    "head_picker",
    "lookup",
    "plot_lookup",
    "plot_scaling",
    "query_explorer",
    "scaling_demo",
    "scaling_explorer",
    "select_head",
    "softmax_with_scale",
]

# Lesson 01's toy dictionary: four words whose 2-D keys point two ways, animals
# to the right and vehicles up, and whose values are (legs, wheels).
DEFAULT_LABELS = ("cat", "dog", "car", "bus")
DEFAULT_KEYS = ((2.0, 0.4), (1.6, -0.8), (0.3, 2.0), (-0.7, 1.7))
DEFAULT_VALUES = ((4.0, 0.0), (4.0, 0.0), (0.0, 4.0), (0.0, 6.0))
DEFAULT_QUERY = (1.0, 0.5)  # leans towards the animals, but not all the way
QUERY_LIMIT = 3.0  # the query sliders run from -QUERY_LIMIT to QUERY_LIMIT
QUERY_STEP = 0.1
LOOKUP_PLOT_MARGIN = 0.5  # room around the farthest point in the key plot
POINT_SIZE = 40  # scatter marker area, points^2
LABEL_OFFSET = (5, 5)  # points between a key's dot and its word
QUERY_COLOR = "crimson"  # the query stands out from the blue keys
ARROW_WIDTH = 2.0  # points
AXIS_LINE_WIDTH = 0.8  # points; the x = 0 and y = 0 lines, kept faint
DECIMALS = 2  # every number an explorer shows is rounded to this

# Lesson 02: dot products of random vectors grow with their width d_k.
SCALING_HEAD_DIMS = tuple(2**power for power in range(1, 11))  # 2, 4, ..., 1024
DEFAULT_SCALING_HEAD_DIM = 64
SCALING_NUM_KEYS = 8

LOOKUP_FIGSIZE = (8.0, 3.6)
SCALING_FIGSIZE = (5.0, 3.2)
WEIGHT_AXIS_TOP = 1.12  # weights are at most 1; room above for the bar labels


def _show(*objects) -> None:
    """Replace what the current output area shows; do nothing outside IPython."""
    if get_ipython() is None:
        return
    clear_output(wait=True)
    display(*objects)


def _number(value: float) -> str:
    """``value`` rounded to ``DECIMALS``, without a minus sign on zero."""
    text = f"{value:.{DECIMALS}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _check_count(value, name: str) -> int:
    """Return ``value`` if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


# --- Lesson 01: one query looks up a soft dictionary ---------------------------


def lookup(query, keys, values) -> dict[str, np.ndarray]:
    """Score one query against every key, softmax, and mix the values.

    Args:
        query: shape ``(d,)``, what the query is looking for.
        keys: shape ``(T_k, d)``, one key per entry of the dictionary.
        values: shape ``(T_k, d_value)``, what each entry hands over.

    Returns:
        A dict of NumPy arrays: ``"scores"`` (the dot products ``q . k``,
        shape ``(T_k,)``), ``"scaled_scores"`` (divided by ``sqrt(d)``),
        ``"weights"`` (their softmax, summing to one) and ``"output"`` (the
        weighted mix of the values, shape ``(d_value,)``).

    Raises:
        TypeError: if an input does not hold numbers.
        ValueError: if the shapes do not fit together.

    Example:
        >>> result = lookup([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [[10.0], [20.0]])
        >>> result["scores"].tolist(), result["weights"].round(2).tolist()
        ([1.0, 0.0], [0.67, 0.33])
    """
    query = to_numpy(query, "query")
    keys = to_numpy(keys, "keys")
    values = to_numpy(values, "values")
    if query.ndim != 1:
        raise ValueError(f"query must be one vector of shape (d,), got {query.shape}")
    if keys.ndim != 2 or keys.shape[1] != query.shape[0]:
        raise ValueError(
            f"keys must have shape (T_k, d) = (T_k, {query.shape[0]}) to match the "
            f"query, got {keys.shape}"
        )
    if values.ndim != 2 or values.shape[0] != keys.shape[0]:
        raise ValueError(
            f"values must have shape (T_k, d_value) = ({keys.shape[0]}, d_value), "
            f"one per key, got {values.shape}"
        )
    queries = query[None, :]  # (d,) -> (1, d): one query as a sequence of one
    # (T_k, d) @ (d,) -> (T_k,)
    scores = keys @ query
    # (1, d) against (T_k, d) -> (1, T_k)
    scaled_scores = attention_scores(queries, keys)
    # -> output (1, d_value), weights (1, T_k)
    output, weights = scaled_dot_product_attention(queries, keys, values)
    return {
        "scores": scores,
        "scaled_scores": scaled_scores[0],
        "weights": weights[0],
        "output": output[0],
    }


def plot_lookup(query, keys, values, labels=None):
    """Draw a 2-D lookup: keys and the query arrow, and the attention weights.

    Args:
        query: shape ``(2,)``.
        keys: shape ``(T_k, 2)``.
        values: shape ``(T_k, d_value)``.
        labels: ``T_k`` words for the keys; ``"k0"``, ``"k1"``, ... if None.

    Returns:
        A matplotlib Figure with two panels: the plane of keys on the left,
        the weights as bars on the right.

    Raises:
        TypeError: if an input does not hold numbers.
        ValueError: if the vectors are not 2-D or the shapes do not fit.

    Example:
        >>> fig = plot_lookup(DEFAULT_QUERY, DEFAULT_KEYS, DEFAULT_VALUES,
        ...                   DEFAULT_LABELS)
        >>> [ax.get_title() for ax in fig.axes]
        ['Query and keys', 'Attention weights']
        >>> plt.close(fig)
    """
    result = lookup(query, keys, values)
    query, keys = to_numpy(query, "query"), to_numpy(keys, "keys")
    if keys.shape[1] != 2:
        raise ValueError(
            f"keys must be 2-D points to draw, shape (T_k, 2), got {keys.shape}"
        )
    if labels is None:
        labels = [f"k{index}" for index in range(len(keys))]
    labels = _token_labels(labels, len(keys), "labels")

    fig, (plane, bars) = plt.subplots(
        1, 2, figsize=LOOKUP_FIGSIZE, layout="constrained"
    )
    reach = max(np.abs(keys).max(), QUERY_LIMIT) + LOOKUP_PLOT_MARGIN
    plane.set_xlim(-reach, reach)
    plane.set_ylim(-reach, reach)
    plane.set_aspect("equal")
    plane.axhline(0, color="grey", linewidth=AXIS_LINE_WIDTH)
    plane.axvline(0, color="grey", linewidth=AXIS_LINE_WIDTH)
    plane.scatter(keys[:, 0], keys[:, 1], s=POINT_SIZE, label="keys")
    for label, (x, y) in zip(labels, keys, strict=True):
        plane.annotate(
            label,
            (x, y),
            xytext=LABEL_OFFSET,
            textcoords="offset points",
            fontsize=TOKEN_FONT_SIZE,
        )
    arrow = {"arrowstyle": "->", "color": QUERY_COLOR, "linewidth": ARROW_WIDTH}
    plane.annotate("", xy=tuple(query), xytext=(0, 0), arrowprops=arrow)
    plane.annotate(
        "query",
        tuple(query),
        xytext=LABEL_OFFSET,
        textcoords="offset points",
        color=QUERY_COLOR,
        fontsize=TOKEN_FONT_SIZE,
    )
    plane.grid(alpha=GRID_ALPHA)
    plane.set_title("Query and keys", fontsize=TITLE_FONT_SIZE)

    drawn = bars.bar(labels, result["weights"], color="tab:blue")
    bars.bar_label(drawn, fmt=f"%.{DECIMALS}f", fontsize=CELL_FONT_SIZE)
    bars.set_ylim(0, WEIGHT_AXIS_TOP)
    bars.set_ylabel("weight = softmax(q . k / sqrt(d))")
    bars.set_title("Attention weights", fontsize=TITLE_FONT_SIZE)
    bars.grid(axis="y", alpha=GRID_ALPHA)
    return fig


def _lookup_table(result: dict[str, np.ndarray], labels) -> str:
    """The numbers of a lookup as a small HTML table, rounded."""
    header = (
        "<tr><th>key</th><th>q . k</th><th>q . k / sqrt(d)</th><th>weight</th></tr>"
    )
    rows = [
        f"<tr><td>{html.escape(label)}</td><td>{_number(score)}</td>"
        f"<td>{_number(scaled)}</td><td>{_number(weight)}</td></tr>"
        for label, score, scaled, weight in zip(
            labels,
            result["scores"],
            result["scaled_scores"],
            result["weights"],
            strict=True,
        )
    ]
    output = ", ".join(_number(value) for value in result["output"])
    return f"<table>{header}{''.join(rows)}</table><p>output = [{output}]</p>"


def query_explorer(keys=None, values=None, labels=None):
    """Sliders move a 2-D query; watch its weights over the keys change.

    With no arguments, the dictionary is ``DEFAULT_KEYS``: four words whose keys
    point right (animals) or up (vehicles), with values (legs, wheels).

    Args:
        keys: shape ``(T_k, 2)``; ``DEFAULT_KEYS`` if None.
        values: shape ``(T_k, d_value)``; ``DEFAULT_VALUES`` with the default
            keys, else the keys themselves, if None.
        labels: ``T_k`` words; ``DEFAULT_LABELS`` with the default keys, else
            ``"k0"``, ``"k1"``, ... if None.

    Returns:
        An ``ipywidgets.interactive`` with two FloatSliders (the query's x and
        y) and an output area; its ``.result`` is the latest ``lookup`` dict.

    Raises:
        TypeError: if an input does not hold numbers.
        ValueError: if the keys are not 2-D points or the shapes do not fit.

    Example:
        >>> widget = query_explorer()
        >>> widget.children[0].value = -1.0  # move the query's x
        >>> widget.result["weights"].round(2).tolist()
        [0.05, 0.05, 0.32, 0.58]
    """
    if keys is None:
        keys = DEFAULT_KEYS
        values = DEFAULT_VALUES if values is None else values
        labels = DEFAULT_LABELS if labels is None else labels
    keys = to_numpy(keys, "keys")
    values = keys if values is None else to_numpy(values, "values")
    if keys.ndim != 2 or keys.shape[1] != 2:
        raise ValueError(f"keys must be 2-D points, shape (T_k, 2), got {keys.shape}")
    if labels is None:
        labels = [f"k{index}" for index in range(len(keys))]
    labels = _token_labels(labels, len(keys), "labels")
    lookup(np.zeros(2), keys, values)  # fail here, not inside the widget

    def update(query_x: float, query_y: float) -> dict[str, np.ndarray]:
        query = np.array([query_x, query_y])
        result = lookup(query, keys, values)
        fig = plot_lookup(query, keys, values, labels)
        try:
            _show(fig, HTML(_lookup_table(result, labels)))
        finally:
            plt.close(fig)
        return result

    sliders = {
        name: ipywidgets.FloatSlider(
            value=start,
            min=-QUERY_LIMIT,
            max=QUERY_LIMIT,
            step=QUERY_STEP,
            description=f"query {axis}",
            readout_format=f".{DECIMALS}f",
        )
        for name, axis, start in zip(
            ("query_x", "query_y"), "xy", DEFAULT_QUERY, strict=True
        )
    }
    return ipywidgets.interactive(update, clear_output=False, **sliders)


# --- Lesson 02: why divide by sqrt(d_k) ----------------------------------------


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


# --- Lessons 04 and 09: one head at a time ------------------------------------


def _as_layers(weights) -> list[np.ndarray]:
    """Per-layer arrays (H, T_q, T_k) of one shape from an array or a list."""
    many = isinstance(weights, (list, tuple))
    layers = [to_numpy(layer, "weights") for layer in (weights if many else [weights])]
    if not layers:
        raise ValueError("weights is an empty list: expected at least one layer")
    for index, layer in enumerate(layers):
        if layer.ndim != 3:
            where = f"weights[{index}]" if many else "weights"
            raise ValueError(
                f"{where} must have shape (H, T_q, T_k), got {layer.shape}: for a "
                "batch (B, H, T_q, T_k), pass weights[0]"
            )
        if layer.shape != layers[0].shape:
            raise ValueError(
                f"every layer needs the same shape (H, T_q, T_k); weights[0] is "
                f"{layers[0].shape} but weights[{index}] is {layer.shape}"
            )
    return layers


def _check_index(value, size: int, name: str) -> int:
    """Return ``value`` if it indexes one of ``size`` items, else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in 0..{size - 1}, got {value}")
    return int(value)


def select_head(weights, layer: int, head: int) -> np.ndarray:
    """One head's attention map from one layer.

    Args:
        weights: shape ``(H, T_q, T_k)`` (one layer; then ``layer`` is 0), or a
            list of such arrays or tensors, one per layer.
        layer: which layer, from 0.
        head: which head, from 0.

    Returns:
        The ``(T_q, T_k)`` map as a NumPy array.

    Raises:
        TypeError: if the weights do not hold numbers or an index is not an int.
        ValueError: if a layer is not ``(H, T_q, T_k)``, the layers differ in
            shape, or an index is out of range.

    Example:
        >>> layers = [np.zeros((2, 3, 3)), np.ones((2, 3, 3))]
        >>> select_head(layers, layer=1, head=0).shape, select_head(layers, 1, 0)[0, 0]
        ((3, 3), np.float64(1.0))
    """
    layers = _as_layers(weights)
    layer = _check_index(layer, len(layers), "layer")
    head = _check_index(head, layers[0].shape[0], "head")
    return layers[layer][head]


def head_picker(weights, query_labels=None, key_labels=None, titles=None):
    """Pick a head (and a layer) from a menu and see its attention map.

    Args:
        weights: shape ``(H, T_q, T_k)``, or a list of such arrays or tensors,
            one per layer (then a layer menu appears too).
        query_labels: ``T_q`` tokens for the rows; positions if None.
        key_labels: ``T_k`` tokens for the columns; positions if None.
        titles: ``H`` names for the heads; ``"head 0"``, ... if None.

    Returns:
        An ``ipywidgets.interactive`` with a Dropdown ``layer`` (only for more
        than one layer), a Dropdown ``head`` and an output area; its ``.result``
        is the map shown, as from ``select_head``.

    Raises:
        TypeError: if the weights do not hold numbers.
        ValueError: if the shapes are wrong or a label list has the wrong length.

    Example:
        >>> maps = np.stack([np.eye(3), np.full((3, 3), 1 / 3)])  # (H, T, T)
        >>> widget = head_picker(maps, ["a", "b", "c"], ["a", "b", "c"])
        >>> widget.children[0].value = 1  # choose head 1
        >>> widget.result.round(2)[0].tolist()
        [0.33, 0.33, 0.33]
    """
    layers = _as_layers(weights)
    num_heads, num_queries, num_keys = layers[0].shape
    query_labels = _token_labels(query_labels, num_queries, "query_labels")
    key_labels = _token_labels(key_labels, num_keys, "key_labels")
    if titles is None:
        titles = [f"head {head}" for head in range(num_heads)]
    titles = _token_labels(titles, num_heads, "titles")

    def update(layer: int, head: int) -> np.ndarray:
        matrix = select_head(layers, layer, head)
        title = titles[head] if len(layers) == 1 else f"layer {layer}, {titles[head]}"
        fig = plot_attention(matrix, query_labels, key_labels, title=title).figure
        try:
            _show(fig)
        finally:
            plt.close(fig)
        return matrix

    # One layer needs no menu: ``fixed`` passes 0 without drawing a control.
    controls = {"layer": ipywidgets.fixed(0)}
    if len(layers) > 1:
        controls["layer"] = ipywidgets.Dropdown(
            options=[(f"layer {index}", index) for index in range(len(layers))],
            value=0,
            description="layer",
        )
    controls["head"] = ipywidgets.Dropdown(
        options=[(title, index) for index, title in enumerate(titles)],
        value=0,
        description="head",
    )
    return ipywidgets.interactive(update, clear_output=False, **controls)
