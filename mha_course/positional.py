"""Sinusoidal positional encoding: telling attention where each token sits.

Attention by itself is blind to order: permuting the tokens only permutes the
outputs. Adding a distinct pattern of sines and cosines to each position gives
the model a way to tell positions apart and to compare them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validation import check_float_tensor

__all__ = ["PositionalEncoding", "sinusoidal_positional_encoding"]

# The base of the geometric progression of wavelengths (from 2*pi up to
# 2*pi*BASE); the value of the original Transformer paper.
WAVELENGTH_BASE = 10_000.0


def sinusoidal_positional_encoding(max_len: int, embed_dim: int) -> torch.Tensor:
    """The table of sinusoidal encodings for positions ``0 .. max_len - 1``.

    Even dimensions ``2i`` hold ``sin(pos / BASE^(2i / D))`` and odd ones the
    matching cosine, so each pair of dimensions is a clock turning at its own
    speed.

    Args:
        max_len: number of positions ``T``.
        embed_dim: model width ``D``; must be even.

    Returns:
        A float tensor of shape ``(T, D)`` with values in ``[-1, 1]``.

    Raises:
        TypeError: if a size is not an int.
        ValueError: if a size is not positive or ``embed_dim`` is odd.

    Example:
        >>> pe = sinusoidal_positional_encoding(4, 6)
        >>> pe.shape, pe[0].tolist()
        (torch.Size([4, 6]), [0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    """
    for name, value in (("max_len", max_len), ("embed_dim", embed_dim)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be positive, got {value}")
    if embed_dim % 2:
        raise ValueError(
            f"embed_dim must be even (sines and cosines come in pairs), got {embed_dim}"
        )
    positions = torch.arange(max_len, dtype=torch.float32)
    pair_index = torch.arange(0, embed_dim, 2, dtype=torch.float32)
    frequencies = torch.exp(-math.log(WAVELENGTH_BASE) * pair_index / embed_dim)
    # (T, 1) * (1, D/2) -> (T, D/2)
    angles = positions[:, None] * frequencies[None, :]
    encoding = torch.zeros(max_len, embed_dim)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles)
    return encoding


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal encoding to a batch of embeddings, then dropout.

    Args:
        embed_dim: model width ``D`` (even).
        max_len: the longest sequence it can encode.
        dropout: dropout applied after adding, while training.

    Example:
        >>> pos = PositionalEncoding(embed_dim=8, max_len=16)
        >>> pos(torch.zeros(2, 5, 8)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, embed_dim: int, max_len: int = 512, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        # A buffer moves with .to(device) and is saved, but is not trained.
        table = sinusoidal_positional_encoding(max_len, embed_dim)
        self.register_buffer("encoding", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the encoding of positions ``0 .. T-1`` to ``x`` of shape (B, T, D).

        Raises:
            TypeError: if ``x`` is not a floating-point tensor.
            ValueError: if ``x`` is longer than ``max_len`` or has the wrong width.
        """
        check_float_tensor(x, "x")
        max_len, embed_dim = self.encoding.shape
        if x.dim() != 3 or x.shape[-1] != embed_dim or x.shape[1] > max_len:
            raise ValueError(
                f"expected input of shape (B, T <= {max_len}, {embed_dim}), "
                f"got {tuple(x.shape)}"
            )
        # (T, D) broadcasts over the batch: (B, T, D) + (T, D) -> (B, T, D)
        return self.dropout(x + self.encoding[: x.shape[1]])
