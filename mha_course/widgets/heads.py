"""Lessons 04 and 09's explorer: pick one head (and one layer) and see its map.

:func:`select_head` picks the map, :func:`head_picker` wires it to menus and
draws it with :func:`mha_course.plots.plot_attention`.
"""

from __future__ import annotations

from numbers import Integral

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from ..plots import _token_labels, plot_attention, to_numpy
from ._display import _show


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
