"""How every figure of the course looks: fonts, colours, sizes and axis titles.

One place to make every figure larger or smaller. The drawing modules of
:mod:`mha_course.plots` read these constants; nothing here draws.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

# --- Text: sizes, rotation and how many numbers fit in a heatmap. ---
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
