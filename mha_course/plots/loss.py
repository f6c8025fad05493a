"""Training curves: the loss against the training step, one line per curve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from ._inputs import _check_ndim, to_numpy
from ._style import GRID_ALPHA, LINE_FIGSIZE, MINOR_DIGITS, TITLE_FONT_SIZE


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
