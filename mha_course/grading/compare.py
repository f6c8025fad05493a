"""nbval's own output comparison, called without pytest.

``pytest --nbval`` decides whether a cell passes in ``IPyNbCell.runtest``:
the cell fails if it raised, else its fresh outputs, with streams coalesced,
must equal the stored ones under ``IPyNbCell.compare_outputs``. This module
calls those same functions of nbval (pinned at 0.11) on outputs that nbclient
collected, through a stand-in holding just the attributes they read. No
sanitizing patterns are applied: a verdict line must match exactly.
"""

import copy
from types import SimpleNamespace

from nbformat import from_dict
from nbval.plugin import IPyNbCell, coalesce_streams, nocolors

# What nbval leaves out of the comparison (IPyNbFile's default, nbdime off).
NBVAL_SKIP_COMPARE = (
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)
ERROR_OUTPUT = "error"


class _NbvalCell:
    """Just enough of an ``nbval.plugin.IPyNbCell`` for its comparison to run."""

    compare_outputs = IPyNbCell.compare_outputs
    sanitize = IPyNbCell.sanitize
    colors = nocolors

    def __init__(self):
        self.parent = SimpleNamespace(
            skip_compare=NBVAL_SKIP_COMPARE, sanitize_patterns={}
        )
        self.comparison_traceback = []

    def format_output_compare(self, key, left, right):
        """Describe a mismatch (nbval hands this to pytest's assert repr)."""
        self.comparison_traceback.append(f"{key}: expected {left!r}, got {right!r}")


def outputs_match(produced, stored):
    """Tell whether a cell's fresh outputs pass against its stored ones.

    The rule is nbval's: an error output fails the cell; otherwise streams
    are coalesced and the outputs compared by MIME type and stream name.

    Args:
        produced: the outputs of the fresh run (list of output dicts).
        stored: the reference outputs (list of output dicts).

    Returns:
        ``(passed, explanation)``; the explanation is nbval's account of the
        difference, empty when the outputs match.

    Example:
        >>> line = {"output_type": "stream", "name": "stdout", "text": "PASS x\\n"}
        >>> outputs_match([line], [line])
        (True, '')
        >>> outputs_match([], [line])[0]
        False
    """
    produced = [_as_node(output) for output in copy.deepcopy(list(produced))]
    stored = [_as_node(output) for output in copy.deepcopy(list(stored))]
    for output in produced:
        if output.get("output_type") == ERROR_OUTPUT:
            return False, f"{output.get('ename')}: {output.get('evalue')}"
    cell = _NbvalCell()
    passed = cell.compare_outputs(coalesce_streams(produced), coalesce_streams(stored))
    return bool(passed), "\n".join(cell.comparison_traceback)


def _as_node(output):
    """Return an output as nbformat's attribute-access dict, as nbval expects."""
    return from_dict(output)
