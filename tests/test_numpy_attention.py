"""Tests for mha_course.numpy_attention: the NumPy twins equal the PyTorch versions.

Expected values come from PyTorch (``torch.softmax``,
``torch.nn.functional.scaled_dot_product_attention``) or from the package's own
PyTorch functions, which test_attention.py checks against PyTorch.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mha_course
from mha_course import numpy_attention

# float64 arrays against float64 tensors: only summation order differs.
ATOL = 1e-12
# Logits this large overflow exp() unless the softmax subtracts the row maximum.
HUGE_LOGIT = 1e4


def to_torch(*arrays):
    return tuple(torch.from_numpy(a) for a in arrays)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_equals_torch(axis):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5))
    expected = torch.softmax(torch.from_numpy(x), dim=axis).numpy()
    np.testing.assert_allclose(
        numpy_attention.softmax(x, axis=axis), expected, atol=ATOL
    )


def test_softmax_huge_logits_stay_finite():
    x = np.array([[HUGE_LOGIT, 0.0, -HUGE_LOGIT], [-HUGE_LOGIT, -HUGE_LOGIT, 0.0]])
    weights = numpy_attention.softmax(x)
    assert np.isfinite(weights).all()
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)
    np.testing.assert_allclose(weights, torch.softmax(torch.from_numpy(x), -1).numpy())


def test_qkv_projections_equal_matrix_products():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 6))
    w_query, w_key = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    w_value = rng.normal(size=(6, 3))
    query, key, value = numpy_attention.qkv_projections(x, w_query, w_key, w_value)
    tx, tq, tk, tv = to_torch(x, w_query, w_key, w_value)
    for ours, expected in ((query, tx @ tq), (key, tx @ tk), (value, tx @ tv)):
        np.testing.assert_allclose(ours, expected.numpy(), atol=ATOL)
    assert value.shape == (2, 5, 3)


def test_attention_scores_equal_torch_version():
    rng = np.random.default_rng(2)
    query, key = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8))
    expected = mha_course.attention_scores(*to_torch(query, key)).numpy()
    ours = numpy_attention.attention_scores(query, key)
    assert ours.shape == (2, 4, 6)
    np.testing.assert_allclose(ours, expected, atol=ATOL)


@pytest.mark.parametrize("use_mask", [False, True], ids=["no_mask", "mask"])
def test_scaled_dot_product_attention_equals_torch(use_mask):
    rng = np.random.default_rng(3)
    query, key = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8))
    value = rng.normal(size=(2, 6, 5))
    mask = None
    if use_mask:
        mask = rng.random(size=(2, 4, 6)) > 0.5
        mask[..., 0] = True  # every query keeps at least one key

    output, weights = numpy_attention.scaled_dot_product_attention(
        query, key, value, mask
    )

    tq, tk, tv = to_torch(query, key, value)
    tmask = None if mask is None else torch.from_numpy(mask)
    expected = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask)
    np.testing.assert_allclose(output, expected.numpy(), atol=ATOL)
    _, expected_weights = mha_course.scaled_dot_product_attention(tq, tk, tv, tmask)
    np.testing.assert_allclose(weights, expected_weights.numpy(), atol=ATOL)
    if mask is not None:
        assert np.all(weights[~mask] == 0.0)


def test_fully_masked_row_gives_zeros_not_nan():
    rng = np.random.default_rng(4)
    query, key = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    value = rng.normal(size=(5, 2))
    mask = np.ones((3, 5), dtype=bool)
    mask[2] = False
    output, weights = numpy_attention.scaled_dot_product_attention(
        query, key, value, mask
    )
    assert not np.isnan(output).any() and not np.isnan(weights).any()
    np.testing.assert_array_equal(weights[2], 0.0)
    np.testing.assert_array_equal(output[2], 0.0)
    # Same as the PyTorch version, whose fully masked rows are zero too.
    _, torch_weights = mha_course.scaled_dot_product_attention(
        *to_torch(query, key, value), torch.from_numpy(mask)
    )
    np.testing.assert_allclose(weights, torch_weights.numpy(), atol=ATOL)


def test_float32_arrays_stay_float32():
    rng = np.random.default_rng(5)
    query = rng.normal(size=(3, 4)).astype(np.float32)
    output, weights = numpy_attention.scaled_dot_product_attention(query, query, query)
    assert output.dtype == np.float32 and weights.dtype == np.float32
