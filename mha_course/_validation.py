"""Checks on learner input, shared by the package's modules.

Each check raises ``TypeError`` or ``ValueError`` with the expected and the
received value, so a mistake is reported where it was made rather than deep
inside a matrix product.
"""

from __future__ import annotations

import torch

__all__ = [
    "check_float_tensor",
    "check_mask",
    "check_ndim",
]


def check_float_tensor(x, name: str) -> torch.Tensor:
    """Return ``x`` unchanged if it is a floating-point tensor, else raise."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {x.dtype}"
            " (hint: call .float() on it)"
        )
    return x


def check_ndim(x: torch.Tensor, name: str, ndim: int, layout: str) -> None:
    """Raise ``ValueError`` unless ``x`` has exactly ``ndim`` dimensions."""
    if x.dim() != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}, got shape {tuple(x.shape)}"
        )


def check_mask(mask, scores_shape: torch.Size) -> torch.Tensor:
    """Check that ``mask`` is boolean and broadcasts to ``scores_shape``.

    Args:
        mask: the learner's mask; ``True`` means "may attend".
        scores_shape: shape of the attention scores, ``(..., T_q, T_k)``.

    Returns:
        The mask, unchanged.
    """
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be boolean (True = may attend), got dtype {mask.dtype}"
            " (hint: compare it, e.g. mask == 1, or call .bool())"
        )
    try:
        broadcast = torch.broadcast_shapes(mask.shape, scores_shape)
    except RuntimeError:
        broadcast = None
    if broadcast != scores_shape:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the "
            f"attention scores' shape {tuple(scores_shape)}, which is "
            "(..., T_q, T_k)"
        )
    return mask
