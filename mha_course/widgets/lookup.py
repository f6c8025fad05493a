"""Lesson 01's explorer: one query looks up a soft dictionary of four words.

:func:`lookup` does the arithmetic (score, softmax, mix the values),
:func:`plot_lookup` draws it and :func:`query_explorer` wires both to two
sliders that move the query.
"""

from __future__ import annotations

import html

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML

from ..numpy_attention import attention_scores, scaled_dot_product_attention
from ..plots import (
    CELL_FONT_SIZE,
    GRID_ALPHA,
    TITLE_FONT_SIZE,
    TOKEN_FONT_SIZE,
    _token_labels,
    to_numpy,
)
from ._display import DECIMALS, WEIGHT_AXIS_TOP, _number, _show

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
QUERY_LABEL_DISTANCE = 12  # points between the query's arrow and its word
QUERY_COLOR = "crimson"  # the query stands out from the blue keys
ARROW_WIDTH = 2.0  # points
AXIS_LINE_WIDTH = 0.8  # points; the x = 0 and y = 0 lines, kept faint
LOOKUP_FIGSIZE = (8.0, 3.6)


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
    # The query's word sits beside the middle of its arrow, where no key's
    # word is likely to be; at the tip it could cover the nearest key's.
    length = float(np.hypot(*query)) or 1.0
    beside = (-query[1] / length, query[0] / length)
    plane.annotate(
        "query",
        tuple(query / 2),
        xytext=tuple(QUERY_LABEL_DISTANCE * side for side in beside),
        textcoords="offset points",
        ha="center",
        va="center",
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
