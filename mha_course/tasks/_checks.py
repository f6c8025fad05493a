"""Checks of the arguments the tasks are built and called with."""

from __future__ import annotations

import torch


def _check_tokens(tokens, name: str) -> None:
    """Raise unless ``tokens`` is an integer tensor of shape ``(B, T)``."""
    if not isinstance(tokens, torch.Tensor) or tokens.is_floating_point():
        got = getattr(tokens, "dtype", type(tokens).__name__)
        raise TypeError(f"{name} must be an integer tensor, got {got}")
    if tokens.dim() != 2:
        raise ValueError(f"{name} must have shape (B, T), got {tuple(tokens.shape)}")


def _check_int(value, name: str, low: int, high: int | None = None) -> None:
    """Raise unless ``value`` is an int (not a bool) from ``low`` to ``high``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
