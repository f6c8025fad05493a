"""Attention masks: which keys each query may look at.

Convention: a mask is a boolean tensor where ``True`` means "may attend". It
broadcasts to the attention scores, ``(B, H, T_q, T_k)``. This is the meaning
``torch.nn.functional.scaled_dot_product_attention`` gives a boolean mask;
``torch.nn.MultiheadAttention`` uses the opposite (``True`` means "blocked"),
and :func:`to_torch_mha_masks` translates.
"""

from __future__ import annotations

import torch

__all__ = [
    "causal_mask",
    "combine_masks",
    "padding_mask",
    "to_torch_mha_masks",
]


def causal_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A ``(size, size)`` mask letting position ``i`` see positions ``0..i``.

    Used in a decoder's self-attention so that no position can read the future.

    Args:
        size: sequence length ``T``.
        device: where to create the mask.

    Returns:
        A boolean lower-triangular tensor of shape ``(T, T)``, ``True`` on and
        below the diagonal.

    Raises:
        TypeError: if ``size`` is not an int.
        ValueError: if ``size`` is below 1.

    Example:
        >>> causal_mask(3).int()
        tensor([[1, 0, 0],
                [1, 1, 0],
                [1, 1, 1]], dtype=torch.int32)
    """
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"size must be an int, got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    ones = torch.ones(size, size, dtype=torch.bool, device=device)
    return torch.tril(ones)


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """A mask hiding the padding at the end of each sequence of a batch.

    Args:
        lengths: shape ``(B,)``, the number of real tokens in each sequence.
        max_len: padded length ``T_k``; defaults to the longest length.

    Returns:
        A boolean tensor of shape ``(B, 1, 1, T_k)``, ``True`` for real tokens,
        ready to broadcast over heads and queries.

    Raises:
        TypeError: if ``lengths`` is not an integer tensor.
        ValueError: if ``lengths`` is not 1-D, is negative, or exceeds
            ``max_len``.

    Example:
        >>> padding_mask(torch.tensor([2, 3])).int().squeeze(1).squeeze(1)
        tensor([[1, 1, 0],
                [1, 1, 1]], dtype=torch.int32)
    """
    if not isinstance(lengths, torch.Tensor) or lengths.is_floating_point():
        got = getattr(lengths, "dtype", type(lengths).__name__)
        raise TypeError(f"lengths must be an integer tensor, got {got}")
    if lengths.dim() != 1:
        raise ValueError(f"lengths must have shape (B,), got {tuple(lengths.shape)}")
    if (lengths < 0).any():
        raise ValueError(f"lengths must be non-negative, got {lengths.tolist()}")
    longest = int(lengths.max()) if lengths.numel() else 0
    if max_len is None:
        max_len = longest
    elif longest > max_len:
        raise ValueError(
            f"a sequence of length {longest} does not fit in max_len={max_len}"
        )
    positions = torch.arange(max_len, device=lengths.device)
    # (T_k,) vs (B, 1) -> (B, T_k) -> (B, 1, 1, T_k)
    keep = positions < lengths[:, None]
    return keep[:, None, None, :]


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Combine masks so that a key is visible only if every mask allows it.

    Args:
        *masks: boolean masks that broadcast together, or ``None`` (ignored).

    Returns:
        Their broadcast logical AND, or ``None`` if every mask is ``None``.

    Raises:
        TypeError: if a mask is not a boolean tensor.
        ValueError: if the masks do not broadcast together.

    Example:
        >>> pad = padding_mask(torch.tensor([2]), max_len=3)
        >>> combine_masks(causal_mask(3), pad).int().squeeze(0).squeeze(0)
        tensor([[1, 0, 0],
                [1, 1, 0],
                [1, 1, 0]], dtype=torch.int32)
    """
    present = [m for m in masks if m is not None]
    for m in present:
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
            got = getattr(m, "dtype", type(m).__name__)
            raise TypeError(f"every mask must be a boolean tensor, got {got}")
    if not present:
        return None
    try:
        torch.broadcast_shapes(*(m.shape for m in present))
    except RuntimeError:
        shapes = [tuple(m.shape) for m in present]
        raise ValueError(
            f"masks of shapes {shapes} do not broadcast together"
        ) from None
    combined = present[0]
    for m in present[1:]:
        combined = combined & m
    return combined


def to_torch_mha_masks(
    attn_mask: torch.Tensor | None = None, padding: torch.Tensor | None = None
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Translate our masks into ``torch.nn.MultiheadAttention``'s convention.

    PyTorch's module takes ``attn_mask`` of shape ``(T_q, T_k)`` and
    ``key_padding_mask`` of shape ``(B, T_k)``, both with ``True`` meaning
    "blocked", the opposite of ours.

    Args:
        attn_mask: our ``(T_q, T_k)`` mask (e.g. :func:`causal_mask`), or None.
        padding: our ``(B, 1, 1, T_k)`` mask from :func:`padding_mask`, or None.

    Returns:
        ``(attn_mask, key_padding_mask)`` for ``torch.nn.MultiheadAttention``.

    Raises:
        TypeError: if a mask is not a boolean tensor (``~`` on an integer mask
            would flip its bits, not its meaning).
        ValueError: if the shapes are not the ones PyTorch accepts.

    Example:
        >>> blocked, _ = to_torch_mha_masks(causal_mask(2))
        >>> blocked
        tensor([[False,  True],
                [False, False]])
    """
    torch_attn = None
    torch_padding = None
    for name, mask in (("attn_mask", attn_mask), ("padding", padding)):
        if mask is not None and getattr(mask, "dtype", None) != torch.bool:
            got = getattr(mask, "dtype", type(mask).__name__)
            raise TypeError(f"{name} must be a boolean tensor, got {got}")
    if attn_mask is not None:
        if attn_mask.dim() != 2:
            raise ValueError(
                f"attn_mask must have shape (T_q, T_k), got {tuple(attn_mask.shape)}"
            )
        torch_attn = ~attn_mask
    if padding is not None:
        if padding.dim() != 4 or padding.shape[1:3] != (1, 1):
            raise ValueError(
                f"padding must have shape (B, 1, 1, T_k), got {tuple(padding.shape)}"
            )
        # (B, 1, 1, T_k) -> (B, T_k)
        torch_padding = ~padding[:, 0, 0, :]
    return torch_attn, torch_padding
