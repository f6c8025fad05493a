"""Exercise checkers: one per graded part, each printing one verdict line.

Each ``check_<part>(obj)`` takes the learner's function or class, runs it and
the package's reference on the same seeded cases, prints exactly one line,
``PASS <part>: ...`` or ``FAIL <part>: <what is wrong>. Hint: <hint>``, and
returns a :class:`CheckResult` with ``passed``, ``message`` and ``part``. When
the results differ, the checker recomputes the usual mistakes with the package
and names the one the learner's results match. It never raises.

``PARTS`` maps each part id to its exercise notebook, its checker and the
package object whose code is the part's solution.

Example:
    >>> from mha_course.checks import PARTS
    >>> PARTS["softmax"].exercise
    '01_qkv_and_softmax.ipynb'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ._engine import CheckResult
from .decoder_layer import DECODER_LAYER, check_decoder_layer
from .encoder_layer import ENCODER_LAYER, check_encoder_layer
from .masks import (
    CAUSAL_MASK,
    COMBINE_MASKS,
    PADDING_MASK,
    check_causal_mask,
    check_combine_masks,
    check_padding_mask,
)
from .multi_head import MULTI_HEAD_ATTENTION, check_multi_head_attention
from .qkv_and_softmax import (
    QKV_PROJECTIONS,
    SOFTMAX,
    check_qkv_projections,
    check_softmax,
)
from .scaled_dot_product import (
    ATTENTION_SCORES,
    SCALED_DOT_PRODUCT_ATTENTION,
    check_attention_scores,
    check_scaled_dot_product_attention,
)
from .single_head import SINGLE_HEAD_ATTENTION, check_single_head_attention
from .split_merge_heads import (
    MERGE_HEADS,
    SPLIT_HEADS,
    check_merge_heads,
    check_split_heads,
)

__all__ = [
    "PARTS",
    "CheckResult",
    "Part",
    "check_attention_scores",
    "check_causal_mask",
    "check_combine_masks",
    "check_decoder_layer",
    "check_encoder_layer",
    "check_merge_heads",
    "check_multi_head_attention",
    "check_padding_mask",
    "check_qkv_projections",
    "check_scaled_dot_product_attention",
    "check_single_head_attention",
    "check_softmax",
    "check_split_heads",
]


class Part(NamedTuple):
    """One graded part of an exercise.

    Attributes:
        exercise: the notebook's file name in ``exercises/`` (and ``solutions/``).
        checker: the ``check_<part>`` function.
        reference: the package's function or class the learner rewrites; its
            source is the part's solution.

    Example:
        >>> exercise, checker, reference = PARTS["causal_mask"]
        >>> exercise, checker.__name__, reference.__name__
        ('06_masks.ipynb', 'check_causal_mask', 'causal_mask')
    """

    exercise: str
    checker: Callable[[Any], CheckResult]
    reference: Any


# (exercise file, checker, specification) for every part, in course order.
_EXERCISES = [
    ("01_qkv_and_softmax.ipynb", check_softmax, SOFTMAX),
    ("01_qkv_and_softmax.ipynb", check_qkv_projections, QKV_PROJECTIONS),
    ("02_scaled_dot_product.ipynb", check_attention_scores, ATTENTION_SCORES),
    (
        "02_scaled_dot_product.ipynb",
        check_scaled_dot_product_attention,
        SCALED_DOT_PRODUCT_ATTENTION,
    ),
    ("03_single_head.ipynb", check_single_head_attention, SINGLE_HEAD_ATTENTION),
    ("04_split_merge_heads.ipynb", check_split_heads, SPLIT_HEADS),
    ("04_split_merge_heads.ipynb", check_merge_heads, MERGE_HEADS),
    ("05_multi_head.ipynb", check_multi_head_attention, MULTI_HEAD_ATTENTION),
    ("06_masks.ipynb", check_causal_mask, CAUSAL_MASK),
    ("06_masks.ipynb", check_padding_mask, PADDING_MASK),
    ("06_masks.ipynb", check_combine_masks, COMBINE_MASKS),
    ("07_encoder_layer.ipynb", check_encoder_layer, ENCODER_LAYER),
    ("08_decoder_layer.ipynb", check_decoder_layer, DECODER_LAYER),
]

PARTS: dict[str, Part] = {
    spec.part: Part(exercise, checker, spec.reference)
    for exercise, checker, spec in _EXERCISES
}
