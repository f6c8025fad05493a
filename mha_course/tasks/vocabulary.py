"""The tokens every task shares: special ids, symbol ids and how to write them.

``PAD_ID``, ``BOS_ID`` and ``EOS_ID`` come first, then the symbols, written as
the letters ``a``, ``b``, ``c``, ...
"""

from __future__ import annotations

import string

import torch

# Special token ids, shared by every task. PAD fills sequences shorter than the
# batch's longest and is ignored by the loss; BOS starts the decoder's input;
# EOS ends every answer, so a model can say where a variable-length answer stops.
PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
FIRST_SYMBOL_ID = 3  # symbols use the ids FIRST_SYMBOL_ID, FIRST_SYMBOL_ID + 1, ...
SPECIAL_TOKEN_NAMES = ("<pad>", "<bos>", "<eos>")
SYMBOL_NAMES = string.ascii_lowercase  # symbol k is written as the k-th letter


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
