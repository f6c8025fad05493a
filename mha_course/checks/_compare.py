"""Comparing the learner's results with the reference, and describing them.

The comparison walks tuples, dicts, tensors and arrays alike and returns a
sentence saying what differs (shape, dtype, NaN, values), or None when the
results agree within float32 tolerances. A NaN in the expected value means
"any value is fine here".
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch

__all__ = [
    "changed_input",
    "clone",
    "compare",
    "describe",
    "has_definite_values",
]

# Learners may compute in another order than the package (float32 throughout):
# differences stay far below these, real mistakes far above.
ABSOLUTE_TOLERANCE = 1e-5
RELATIVE_TOLERANCE = 1e-4


def changed_input(case: Any, args: tuple, kwargs: dict, reference: Any) -> str | None:
    """Name the first input the learner's code modified, or None."""
    try:
        names = list(inspect.signature(reference).bind(*args).arguments)
    except (TypeError, ValueError):
        names = [f"number {i + 1}" for i in range(len(args))]
    pairs = list(zip(names, case.args, args, strict=False))
    pairs += [(name, case.kwargs[name], kwargs[name]) for name in kwargs]
    for name, before, after in pairs:
        if isinstance(before, torch.Tensor) and isinstance(after, torch.Tensor):
            if before.shape != after.shape or not torch.equal(before, after):
                return name
        if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
            if before.shape != after.shape or not np.array_equal(before, after):
                return name
    return None


def clone(value: Any) -> Any:
    """Copy tensors and arrays (also inside tuples, lists and dicts)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(clone(v) for v in value)
    if isinstance(value, list):
        return [clone(v) for v in value]
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    return value


def has_definite_values(value: Any) -> bool:
    """Whether a mistaken result pins down anything (is not all "any value")."""
    if isinstance(value, tuple | list):
        return any(has_definite_values(v) for v in value)
    if isinstance(value, dict):
        return any(has_definite_values(v) for v in value.values())
    if isinstance(value, torch.Tensor | np.ndarray):
        array = _to_numpy(value.detach() if isinstance(value, torch.Tensor) else value)
        return array.dtype == np.bool_ or bool((~np.isnan(array)).any())
    return True


def describe(obj: Any) -> str:
    """A short description of any object, for messages."""
    if obj is None:
        return "None"
    if isinstance(obj, torch.Tensor):
        return f"a tensor of shape {tuple(obj.shape)} and dtype {obj.dtype}"
    if isinstance(obj, np.ndarray):
        return f"a NumPy array of shape {obj.shape} and dtype {obj.dtype}"
    if isinstance(obj, tuple | list):
        return f"a {type(obj).__name__} of {len(obj)} items"
    if inspect.isclass(obj):
        return f"the class {obj.__name__}"
    return f"a value of type {type(obj).__name__}"


def compare(got: Any, want: Any, name: Any) -> str | None:
    """Describe how ``got`` differs from ``want``, or return None if it matches.

    ``want`` may hold NaN where any value is acceptable.
    """
    if want is None:
        return None if got is None else f"{name} should be None, got {describe(got)}"
    if isinstance(want, tuple):
        return _compare_tuple(got, want, name)
    if isinstance(want, dict):
        return _compare_dict(got, want, name)
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"{name} should be a torch tensor, got {describe(got)}"
        return _compare_arrays(got.detach().cpu(), want.detach().cpu(), name)
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{name} should be a NumPy array, got {describe(got)}"
        return _compare_arrays(got, want, name)
    raise TypeError(f"cannot compare with a reference of type {type(want).__name__}")


def _compare_tuple(got: Any, want: tuple, name: Any) -> str | None:
    names = name if isinstance(name, tuple) else (name,) * len(want)
    if not isinstance(got, tuple | list) or len(got) != len(want):
        listed = ", ".join(n.removeprefix("the ") for n in names)
        return f"the result should be a tuple ({listed}), got {describe(got)}"
    for got_item, want_item, item_name in zip(got, want, names, strict=True):
        difference = compare(got_item, want_item, item_name)
        if difference is not None:
            return difference
    return None


def _compare_dict(got: Any, want: dict, name: str) -> str | None:
    if not isinstance(got, dict):
        return f"{name} should be a dict with keys {sorted(want)}, got {describe(got)}"
    if set(got) != set(want):
        return (
            f"{name} should have the keys {sorted(want)}, got {sorted(map(str, got))}"
        )
    for key, want_item in want.items():
        difference = compare(got[key], want_item, f"{name}[{key!r}]")
        if difference is not None:
            return difference
    return None


def _compare_arrays(got: Any, want: Any, name: str) -> str | None:
    """Compare two tensors, or two NumPy arrays, of the same library."""
    # Verbs that agree with the name: "the mask has", "the weights have".
    plural = name.split("[")[0].endswith("s")
    has, differs = ("have", "differ") if plural else ("has", "differs")
    contains = "contain" if plural else "contains"
    if tuple(got.shape) != tuple(want.shape):
        shapes = f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        return f"{name} {has} {shapes}"
    got_np, want_np = _to_numpy(got), _to_numpy(want)
    if want_np.dtype == np.bool_:
        if got_np.dtype != np.bool_:
            expected = "expected a boolean mask (True = may attend)"
            return f"{name} {has} dtype {got.dtype}, {expected}"
        wrong = int((got_np != want_np).sum())
        if wrong:
            return f"{name} {differs} from the expected mask in {wrong} places"
        return None
    if not np.issubdtype(got_np.dtype, np.floating):
        return f"{name} {has} dtype {got.dtype}, expected floating-point numbers"
    got_np, want_np = got_np.astype(np.float64), want_np.astype(np.float64)
    care = ~np.isnan(want_np)
    if np.isnan(got_np[care]).any():
        return f"{name} {contains} NaN"
    if np.isinf(got_np[care]).any():
        return f"{name} {contains} infinite values"
    close = np.isclose(
        got_np, want_np, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE
    )
    if not (close | ~care).all():
        gap = float(np.abs(got_np - want_np)[care].max())
        return f"{name} {differs} from the expected values by up to {gap:.3g}"
    return None


def _to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of a tensor or array; floats NumPy lacks become float64."""
    if isinstance(x, torch.Tensor):
        if x.is_floating_point() and x.dtype not in (torch.float32, torch.float64):
            x = x.double()  # e.g. bfloat16, which NumPy cannot hold
        return x.numpy()
    return np.asarray(x)
