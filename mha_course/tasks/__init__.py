"""Toy sequence tasks to train attention on, with seeded data.

Two tasks, each small enough to learn on a laptop CPU in seconds:

- :class:`ReversalTask`, sequence to sequence: the answer is the source read
  backwards. At output step ``t`` the decoder needs source position
  ``n - 1 - t``, so its cross-attention draws an anti-diagonal (lesson 09).
- :class:`NeighboursTask`, tagging: every position reports the tokens found at
  several fixed offsets around it (two to the left and two to the right by
  default). Each position needs several places of the sequence at once, which
  is what several heads are for (lesson 10).

Token ids are shared: ``PAD_ID``, ``BOS_ID`` and ``EOS_ID`` come first, then the
symbols, written as the letters ``a``, ``b``, ``c``, ...

Every batch is drawn from a ``torch.Generator``, so a seed fixes the data. A
fixed rule (:func:`is_held_out`) splits the space of sequences in two, so the
sequences a model is evaluated on are never among those it was trained on.

Each task also knows how a model reads its batches: ``task.loss(model, batch)``,
``task.predict(model, batch)`` and ``task.targets(batch)`` are all that
:mod:`mha_course.training` needs.

One module per job, all importable from here: ``vocabulary`` (token ids and
their letters), ``splits`` (the held-out rule), ``reversal`` and ``neighbours``
(one task each, with its batch type; the source mask lives with the reversal).
"""

# Every name the single-module ``tasks`` defined stays importable from here,
# including ``_check_int``, which mha_course.training reuses.
from ._checks import _check_int  # noqa: F401
from .neighbours import NeighboursTask, TaggingBatch
from .reversal import ReversalTask, Seq2SeqBatch, source_mask
from .splits import (  # noqa: F401
    HELD_OUT_MODULUS,
    SPLITS,
    TRAIN_OVERSAMPLING,
    is_held_out,
)
from .vocabulary import (  # noqa: F401
    BOS_ID,
    EOS_ID,
    FIRST_SYMBOL_ID,
    PAD_ID,
    SPECIAL_TOKEN_NAMES,
    SYMBOL_NAMES,
)

__all__ = [
    "BOS_ID",
    "EOS_ID",
    "FIRST_SYMBOL_ID",
    "PAD_ID",
    "NeighboursTask",
    "ReversalTask",
    "Seq2SeqBatch",
    "TaggingBatch",
    "is_held_out",
    "source_mask",
]
