"""What every explorer shares: its output area and how it rounds what it shows.

In a running kernel, :func:`_show` replaces what a widget's output area shows;
outside IPython (tests, scripts) it does nothing, so an explorer still computes
its ``.result`` without displaying anything.
"""

from __future__ import annotations

from IPython import get_ipython
from IPython.display import clear_output, display

DECIMALS = 2  # every number an explorer shows is rounded to this
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
