"""Interactive explorers for lessons 01, 02, 04 and 09.

Each explorer is an ``ipywidgets.interactive``: moving a control calls a plain
function of this package that does the arithmetic, and the widget's ``.result``
holds what that function returned last. Drawing is a plain function too, which
returns a matplotlib Figure, so a lesson can also show a static picture for a
reader without a running kernel.

In a running kernel the figure (and, for the lookup, a table of numbers) appears
in the widget's output area. Outside IPython (tests, scripts) the explorers
compute and keep ``.result`` but display nothing.

One module per explorer, all importable from here:

- ``lookup`` (lesson 01): :func:`lookup`, :func:`plot_lookup`,
  :func:`query_explorer` and the toy dictionary ``DEFAULT_*``;
- ``scaling`` (lesson 02): :func:`softmax_with_scale`, :func:`scaling_demo`,
  :func:`plot_scaling`, :func:`scaling_explorer`;
- ``heads`` (lessons 04 and 09): :func:`select_head`, :func:`head_picker`.

``_display`` holds what they share: the output area and the rounding of shown
numbers.
"""

# Every constant the single-module ``widgets`` defined stays importable from here.
from ._display import DECIMALS, WEIGHT_AXIS_TOP  # noqa: F401
from .heads import head_picker, select_head
from .lookup import (  # noqa: F401
    ARROW_WIDTH,
    AXIS_LINE_WIDTH,
    DEFAULT_KEYS,
    DEFAULT_LABELS,
    DEFAULT_QUERY,
    DEFAULT_VALUES,
    LABEL_OFFSET,
    LOOKUP_FIGSIZE,
    LOOKUP_PLOT_MARGIN,
    POINT_SIZE,
    QUERY_COLOR,
    QUERY_LIMIT,
    QUERY_STEP,
    lookup,
    plot_lookup,
    query_explorer,
)
from .scaling import (  # noqa: F401
    DEFAULT_SCALING_HEAD_DIM,
    SCALING_FIGSIZE,
    SCALING_HEAD_DIMS,
    SCALING_NUM_KEYS,
    plot_scaling,
    scaling_demo,
    scaling_explorer,
    softmax_with_scale,
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
