"""The neighbours task, tagging: each position reports the tokens around it.

Every position must output the tokens found at several fixed offsets (two to
the left and two to the right by default). Each position needs several places
of the sequence at once, which is what several heads are for (lesson 10).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import _check_int
from .splits import _draw_split
from .vocabulary import FIRST_SYMBOL_ID, SYMBOL_NAMES, _to_text


class TaggingBatch(NamedTuple):
    """A batch for a tagger: one or more labels at every input position.

    Attributes:
        tokens: input ids ``(B, T)``.
        labels: target ids ``(B, T, R)``, ``R`` labels per position.
    """

    tokens: torch.Tensor
    labels: torch.Tensor


class NeighboursTask:
    """Tag every position with the tokens at fixed offsets around it.

    With the default offsets ``(-2, -1, 1, 2)``, position ``i`` must output the
    tokens at ``i - 2``, ``i - 1``, ``i + 1`` and ``i + 2``, counted around the
    sequence as on a ring (position ``-1`` is the last one). Each offset is one
    relation; every position needs all of them at once.

    Args:
        num_symbols: size of the alphabet (at most 26 letters).
        seq_len: length ``T`` of every sequence.
        offsets: the relations, distinct non-zero ints with ``|offset| < T``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument is out of range.

    Example:
        >>> task = NeighboursTask(num_symbols=4, seq_len=4, offsets=(-1, 1))
        >>> batch = task.make_batch(1, torch.Generator().manual_seed(3))
        >>> task.to_text(batch.tokens[0])
        'c a b d'
        >>> [task.to_text(batch.labels[0, :, r]) for r in range(2)]
        ['d c a b', 'a b d c']
    """

    def __init__(
        self,
        num_symbols: int = 8,
        seq_len: int = 8,
        offsets: tuple[int, ...] = (-2, -1, 1, 2),
    ):
        _check_int(num_symbols, "num_symbols", 2, len(SYMBOL_NAMES))
        _check_int(seq_len, "seq_len", 2)
        offsets = tuple(offsets)
        if not offsets:
            raise ValueError("offsets must name at least one relation, got ()")
        for offset in offsets:
            _check_int(offset, "each offset", -(seq_len - 1), seq_len - 1)
        if 0 in offsets or len(set(offsets)) != len(offsets):
            raise ValueError(
                f"offsets must be distinct and non-zero (offset 0 is the token "
                f"itself), got {offsets}"
            )
        self.num_symbols = num_symbols
        self.seq_len = seq_len
        self.offsets = offsets

    @property
    def vocab_size(self) -> int:
        """Number of token ids, special ones included (the tagger's classes)."""
        return FIRST_SYMBOL_ID + self.num_symbols

    @property
    def num_relations(self) -> int:
        """``R``, the number of labels per position (one per offset)."""
        return len(self.offsets)

    @property
    def relation_names(self) -> list[str]:
        """A short name per offset, e.g. ``"2 left"`` or ``"1 right"``."""
        return [
            f"{abs(offset)} {'left' if offset < 0 else 'right'}"
            for offset in self.offsets
        ]

    def to_text(self, ids: torch.Tensor) -> str:
        """Token ids ``(T,)`` as text, one letter per symbol."""
        return _to_text(ids, self.vocab_size, stop_at_eos=False)

    def make_batch(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        split: str = "train",
    ) -> TaggingBatch:
        """Draw a batch of sequences and their labels.

        Args:
            batch_size: number of sequences ``B``.
            generator: the random generator to draw from; torch's global one
                if None.
            split: ``"train"`` or ``"test"``; the two never share a sequence.

        Returns:
            A :class:`TaggingBatch` with ``tokens`` ``(B, T)`` and ``labels``
            ``(B, T, R)``, where ``labels[:, i, r]`` is the token at
            ``(i + offsets[r]) % T``.

        Raises:
            ValueError: if ``batch_size`` is not positive or ``split`` unknown.
        """
        tokens = _draw_split(self._draw_tokens, batch_size, generator, split)
        positions = torch.arange(self.seq_len)
        offsets = torch.tensor(self.offsets)
        # (T, 1) + (R,) -> (T, R): the position each label is read from
        sources = (positions[:, None] + offsets) % self.seq_len
        # (B, T) indexed by (T, R) -> (B, T, R)
        labels = tokens[:, sources]
        return TaggingBatch(tokens, labels)

    def _draw_tokens(self, count: int, generator) -> torch.Tensor:
        """``count`` random sequences ``(count, T)``, any split."""
        return torch.randint(
            FIRST_SYMBOL_ID,
            self.vocab_size,
            (count, self.seq_len),
            generator=generator,
        )

    def loss(self, model: nn.Module, batch: TaggingBatch) -> torch.Tensor:
        """Mean cross-entropy over every label of every position.

        ``model`` maps tokens ``(B, T)`` to logits ``(B, T, R, V)``, like
        :class:`mha_course.tagger.AttentionTagger`.
        """
        logits = model(batch.tokens)
        # (B, T, R, V) -> (B * T * R, V) against (B * T * R,)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), batch.labels.reshape(-1)
        )

    @torch.no_grad()
    def predict(self, model: nn.Module, batch: TaggingBatch) -> torch.Tensor:
        """The model's most likely label for each slot, ``(B, T, R)``."""
        return model(batch.tokens).argmax(dim=-1)

    def targets(self, batch: TaggingBatch) -> torch.Tensor:
        """The right labels ``(B, T, R)``."""
        return batch.labels
