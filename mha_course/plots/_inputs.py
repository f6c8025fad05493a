"""What the plots accept: arrays or tensors as NumPy, checked shapes and labels.

Every drawing function of :mod:`mha_course.plots` passes its inputs through
these helpers first, so a wrong shape or a wrong number of labels fails with
the same message whichever figure was asked for.
"""

from __future__ import annotations

import numpy as np


def to_numpy(x, name: str = "array") -> np.ndarray:
    """Return ``x`` as a float64 NumPy array; tensors are detached and copied.

    Args:
        x: a NumPy array, a PyTorch tensor (on any device, with or without
            gradient) or a nested sequence of numbers.
        name: what ``x`` is called, for the error message.

    Returns:
        A ``float64`` NumPy array with the same shape as ``x``.

    Raises:
        TypeError: if ``x`` does not hold numbers.

    Example:
        >>> to_numpy([[1, 2]]).dtype, to_numpy([[1, 2]]).shape
        (dtype('float64'), (1, 2))
    """
    if hasattr(x, "detach"):  # a torch tensor; duck-typed so torch is not imported
        x = x.detach().cpu().double().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a NumPy array, a torch tensor or a sequence of numbers "
            f"of one shape, got {type(x).__name__}"
        ) from None


def _check_ndim(array: np.ndarray, ndim: int, name: str, shape: str, hint="") -> None:
    """Raise a ValueError unless ``array`` has ``ndim`` dimensions."""
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {shape}, got shape {array.shape}" + hint
        )


def _token_labels(labels, length: int, name: str) -> list[str] | None:
    """Labels as strings, checked against ``length``; None stays None."""
    if labels is None:
        return None
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence of tokens, not one string")
    labels = [str(label) for label in labels]
    if len(labels) != length:
        raise ValueError(f"{name} has {len(labels)} labels, expected {length}")
    return labels
