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
"""

from __future__ import annotations

import string
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

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

# Special token ids, shared by every task. PAD fills sequences shorter than the
# batch's longest and is ignored by the loss; BOS starts the decoder's input;
# EOS ends every answer, so a model can say where a variable-length answer stops.
PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
FIRST_SYMBOL_ID = 3  # symbols use the ids FIRST_SYMBOL_ID, FIRST_SYMBOL_ID + 1, ...
SPECIAL_TOKEN_NAMES = ("<pad>", "<bos>", "<eos>")
SYMBOL_NAMES = string.ascii_lowercase  # symbol k is written as the k-th letter

# One sequence in HELD_OUT_MODULUS is reserved for evaluation (see is_held_out).
HELD_OUT_MODULUS = 7
SPLITS = ("train", "test")
# Candidates drawn per wanted sequence while filling a "train" batch (6 in 7 of
# the candidates qualify, so two rounds are almost never needed).
TRAIN_OVERSAMPLING = 2


def is_held_out(tokens: torch.Tensor) -> torch.Tensor:
    """Whether each sequence belongs to the held-out ("test") split.

    The rule is a checksum: the sum of ``(position + 1) * token id`` over the
    sequence, taken modulo ``HELD_OUT_MODULUS``; a sequence is held out when it
    is zero. Padding (id 0) adds nothing, so the rule does not depend on the
    padded length. Training batches draw only sequences where this is False.

    Args:
        tokens: integer token ids, shape ``(B, T)``.

    Returns:
        A boolean tensor of shape ``(B,)``.

    Raises:
        TypeError: if ``tokens`` is not an integer tensor.
        ValueError: if ``tokens`` is not 2-D.

    Example:
        >>> is_held_out(torch.tensor([[3, 2], [4, 4]])).tolist()
        [True, False]
    """
    _check_tokens(tokens, "tokens")
    weights = torch.arange(1, tokens.shape[1] + 1, device=tokens.device)
    # (B, T) @ (T,) -> (B,)
    checksum = tokens.long() @ weights
    return checksum % HELD_OUT_MODULUS == 0


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


class TaggingBatch(NamedTuple):
    """A batch for a tagger: one or more labels at every input position.

    Attributes:
        tokens: input ids ``(B, T)``.
        labels: target ids ``(B, T, R)``, ``R`` labels per position.
    """

    tokens: torch.Tensor
    labels: torch.Tensor


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


def _draw_split(draw, batch_size: int, generator, split: str) -> torch.Tensor:
    """Draw candidates with ``draw(count, generator)`` until ``batch_size`` fit.

    Only sequences of the asked split are kept; the number of candidates drawn
    per round is fixed, so the same generator state gives the same batch.
    """
    _check_int(batch_size, "batch_size", 1)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    want_held_out = split == "test"
    per_round = batch_size * (HELD_OUT_MODULUS if want_held_out else TRAIN_OVERSAMPLING)
    kept, count = [], 0
    while count < batch_size:
        candidates = draw(per_round, generator)
        candidates = candidates[is_held_out(candidates) == want_held_out]
        kept.append(candidates)
        count += candidates.shape[0]
    return torch.cat(kept)[:batch_size]


def _to_text(ids: torch.Tensor, vocab_size: int, stop_at_eos: bool) -> str:
    """Ids ``(T,)`` as space-separated names; PAD dropped, optionally stop at EOS."""
    if not isinstance(ids, torch.Tensor) or ids.is_floating_point() or ids.dim() != 1:
        got = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids)
        raise ValueError(f"ids must be a 1-D integer tensor (T,), got {got}")
    names = []
    for token in ids.tolist():
        if not 0 <= token < vocab_size:
            raise ValueError(f"token id {token} is outside [0, {vocab_size})")
        if token == PAD_ID:
            continue
        if token < FIRST_SYMBOL_ID:
            names.append(SPECIAL_TOKEN_NAMES[token])
        else:
            names.append(SYMBOL_NAMES[token - FIRST_SYMBOL_ID])
        if stop_at_eos and token == EOS_ID:
            break
    return " ".join(names)


def _check_tokens(tokens, name: str) -> None:
    if not isinstance(tokens, torch.Tensor) or tokens.is_floating_point():
        got = getattr(tokens, "dtype", type(tokens).__name__)
        raise TypeError(f"{name} must be an integer tensor, got {got}")
    if tokens.dim() != 2:
        raise ValueError(f"{name} must have shape (B, T), got {tuple(tokens.shape)}")


def _check_int(value, name: str, low: int, high: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
