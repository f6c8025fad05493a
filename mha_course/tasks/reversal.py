"""The reversal task, sequence to sequence: the answer is the source read backwards.

At output step ``t`` the decoder needs source position ``n - 1 - t``, so its
cross-attention draws an anti-diagonal (lesson 09).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import _check_int, _check_tokens
from .splits import _draw_split
from .vocabulary import BOS_ID, EOS_ID, FIRST_SYMBOL_ID, PAD_ID, SYMBOL_NAMES, _to_text


def source_mask(src: torch.Tensor) -> torch.Tensor:
    """The padding mask of a batch of source ids: ``True`` on real tokens.

    Args:
        src: token ids ``(B, T_src)``, padded with ``PAD_ID``.

    Returns:
        A boolean mask of shape ``(B, 1, 1, T_src)``, broadcasting over heads
        and queries.

    Example:
        >>> source_mask(torch.tensor([[5, 6, PAD_ID]])).int().flatten().tolist()
        [1, 1, 0]
    """
    _check_tokens(src, "src")
    # (B, T_src) -> (B, 1, 1, T_src)
    return (src != PAD_ID)[:, None, None, :]


class Seq2SeqBatch(NamedTuple):
    """A batch for an encoder-decoder model.

    Attributes:
        src: source ids ``(B, T_src)``, padded with ``PAD_ID``.
        tgt_in: the decoder's input ``(B, T_tgt)``: ``BOS_ID``, then the answer.
        tgt_out: what the decoder must predict ``(B, T_tgt)``: the answer, then
            ``EOS_ID``, then ``PAD_ID``. It is ``tgt_in`` shifted left by one.
    """

    src: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


class ReversalTask:
    """Reverse a sequence of symbols: ``a c b d`` becomes ``d b c a <eos>``.

    Lengths are drawn uniformly from ``min_len`` to ``max_len``; with equal
    bounds every sequence has the same length and no padding appears.

    Args:
        num_symbols: size of the alphabet (at most 26 letters).
        min_len: shortest source sequence.
        max_len: longest source sequence.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if an argument is out of range.

    Example:
        >>> task = ReversalTask(num_symbols=4, min_len=3, max_len=3)
        >>> batch = task.make_batch(2, torch.Generator().manual_seed(4))
        >>> [tuple(part.shape) for part in batch]
        [(2, 3), (2, 4), (2, 4)]
        >>> task.to_text(batch.src[0]), task.to_text(batch.tgt_out[0])
        ('a c b', 'b c a <eos>')
    """

    def __init__(self, num_symbols: int = 8, min_len: int = 8, max_len: int = 8):
        _check_int(num_symbols, "num_symbols", 2, len(SYMBOL_NAMES))
        _check_int(min_len, "min_len", 1)
        _check_int(max_len, "max_len", min_len)
        self.num_symbols = num_symbols
        self.min_len = min_len
        self.max_len = max_len

    @property
    def vocab_size(self) -> int:
        """Number of token ids: the special ones, then the symbols."""
        return FIRST_SYMBOL_ID + self.num_symbols

    @property
    def target_len(self) -> int:
        """Length of ``tgt_in`` and ``tgt_out``: the longest answer plus EOS."""
        return self.max_len + 1

    def to_text(self, ids: torch.Tensor, stop_at_eos: bool = True) -> str:
        """Token ids ``(T,)`` as text; padding is dropped, text stops after EOS."""
        return _to_text(ids, self.vocab_size, stop_at_eos)

    def make_batch(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        split: str = "train",
    ) -> Seq2SeqBatch:
        """Draw a batch of source sequences and their reversed answers.

        Args:
            batch_size: number of sequences ``B``.
            generator: the random generator to draw from; torch's global one
                (seeded by ``torch.manual_seed``) if None.
            split: ``"train"`` or ``"test"``; the two never share a sequence.

        Returns:
            A :class:`Seq2SeqBatch` with ``src`` ``(B, max_len)`` and
            ``tgt_in``, ``tgt_out`` ``(B, max_len + 1)``.

        Raises:
            ValueError: if ``batch_size`` is not positive or ``split`` unknown.
        """
        src = _draw_split(self._draw_sources, batch_size, generator, split)
        lengths = (src != PAD_ID).sum(dim=1)
        positions = torch.arange(self.max_len)
        # (B, 1) - 1 - (T,) -> (B, T): source index read at answer step t
        reading = (lengths[:, None] - 1 - positions).clamp(min=0)
        # (B, T) gathered along T at (B, T) -> (B, T): the answer, letter by letter
        answer = src.gather(1, reading)
        is_answer = positions < lengths[:, None]
        answer = answer.masked_fill(~is_answer, PAD_ID)

        pad_column = torch.full((batch_size, 1), PAD_ID, dtype=torch.long)
        # (B, T) -> (B, T + 1): room for EOS after the longest answer
        tgt_out = torch.cat([answer, pad_column], dim=1)
        tgt_out[torch.arange(batch_size), lengths] = EOS_ID
        bos_column = torch.full((batch_size, 1), BOS_ID, dtype=torch.long)
        # (B, 1) and (B, T) -> (B, T + 1): BOS, then the target shifted right
        tgt_in = torch.cat([bos_column, tgt_out[:, :-1]], dim=1)
        tgt_in = tgt_in.masked_fill(tgt_in == EOS_ID, PAD_ID)
        return Seq2SeqBatch(src, tgt_in, tgt_out)

    def _draw_sources(self, count: int, generator) -> torch.Tensor:
        """``count`` padded random sources ``(count, max_len)``, any split."""
        lengths = torch.randint(
            self.min_len, self.max_len + 1, (count, 1), generator=generator
        )
        symbols = torch.randint(
            FIRST_SYMBOL_ID,
            self.vocab_size,
            (count, self.max_len),
            generator=generator,
        )
        is_real = torch.arange(self.max_len) < lengths
        return symbols.masked_fill(~is_real, PAD_ID)

    def loss(self, model: nn.Module, batch: Seq2SeqBatch) -> torch.Tensor:
        """Mean cross-entropy of the next-token predictions, padding ignored.

        ``model`` is a :class:`mha_course.Transformer` (or anything with its
        ``forward(src, tgt, src_mask)`` returning logits ``(B, T_tgt, V)``).
        """
        logits = model(batch.src, batch.tgt_in, src_mask=source_mask(batch.src))
        # (B, T_tgt, V) -> (B * T_tgt, V) against (B * T_tgt,)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            batch.tgt_out.reshape(-1),
            ignore_index=PAD_ID,
        )

    def predict(self, model: nn.Module, batch: Seq2SeqBatch) -> torch.Tensor:
        """Greedy decoding: the model's answers ``(B, T_tgt)``, without BOS."""
        return model.greedy_decode(
            batch.src, BOS_ID, batch.tgt_out.shape[1], src_mask=source_mask(batch.src)
        )

    def targets(self, batch: Seq2SeqBatch) -> torch.Tensor:
        """The right answers ``(B, T_tgt)``; ``PAD_ID`` marks what is not scored."""
        return batch.tgt_out
