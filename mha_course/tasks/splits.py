"""The train/test split: a fixed rule keeps evaluation sequences out of training.

:func:`is_held_out` splits the space of sequences in two, so the sequences a
model is evaluated on are never among those it was trained on; every task draws
its batches through :func:`_draw_split`.
"""

from __future__ import annotations

import torch

from ._checks import _check_int, _check_tokens

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
