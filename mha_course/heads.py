"""Splitting a model-width tensor into heads, and merging them back.

A tensor of width ``D`` is cut into ``H`` slices of width ``d_head = D // H``,
one per head, and the head axis is moved in front of the sequence axis so that
every head attends independently: ``(B, T, D) -> (B, H, T, d_head)``.
"""

from __future__ import annotations

import torch

from ._validation import check_ndim

__all__ = ["merge_heads", "split_heads"]


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Cut the last dimension into heads: ``(B, T, D) -> (B, H, T, D // H)``.

    The reshape keeps each token's numbers together and only cuts them into
    ``H`` slices; the transpose then gathers each head's slices into its own
    ``(T, d_head)`` matrix. Reshaping straight to ``(B, H, T, d_head)`` would
    mix numbers from different tokens.

    Args:
        x: shape ``(B, T, D)``.
        num_heads: ``H``; must divide ``D``.

    Returns:
        A tensor of shape ``(B, H, T, D // H)``.

    Raises:
        TypeError: if ``x`` is not a tensor or ``num_heads`` not an int.
        ValueError: if ``x`` is not 3-D or ``D`` is not divisible by ``H``.

    Example:
        >>> split_heads(torch.zeros(2, 5, 12), num_heads=3).shape
        torch.Size([2, 3, 5, 4])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not isinstance(num_heads, int) or isinstance(num_heads, bool):
        raise TypeError(f"num_heads must be an int, got {type(num_heads).__name__}")
    check_ndim(x, "x", 3, "(B, T, D)")
    batch, length, width = x.shape
    if num_heads < 1 or width % num_heads != 0:
        raise ValueError(
            f"num_heads must divide the width D={width}; got num_heads={num_heads}"
        )
    head_dim = width // num_heads
    # (B, T, D) -> (B, T, H, d_head) -> (B, H, T, d_head)
    return x.reshape(batch, length, num_heads, head_dim).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Concatenate the heads back: ``(B, H, T, d_head) -> (B, T, H * d_head)``.

    The exact inverse of :func:`split_heads`.

    Args:
        x: shape ``(B, H, T, d_head)``.

    Returns:
        A tensor of shape ``(B, T, H * d_head)``, each token's heads side by
        side.

    Raises:
        TypeError: if ``x`` is not a tensor.
        ValueError: if ``x`` is not 4-D.

    Example:
        >>> x = torch.randn(2, 5, 12)
        >>> torch.equal(merge_heads(split_heads(x, 3)), x)
        True
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    check_ndim(x, "x", 4, "(B, H, T, d_head)")
    batch, num_heads, length, head_dim = x.shape
    # (B, H, T, d_head) -> (B, T, H, d_head) -> (B, T, H * d_head)
    return x.transpose(1, 2).reshape(batch, length, num_heads * head_dim)
