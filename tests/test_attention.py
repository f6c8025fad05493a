"""Tests for mha_course.attention: scores, masked softmax, scaled dot-product attention.

Expected values come from PyTorch's own functions
(``torch.nn.functional.scaled_dot_product_attention``, ``torch.softmax``) or from
cases small enough to check by hand.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from mha_course import attention_scores, masked_softmax, scaled_dot_product_attention

# float32 round-off after a few matrix products of small random numbers.
ATOL = 1e-6
# Logits this large overflow exp() unless the softmax subtracts the row maximum.
HUGE_LOGIT = 1e4


def random_mask(shape, generator=None):
    """A random boolean mask that leaves every row at least one visible key."""
    mask = torch.rand(shape, generator=generator) > 0.5
    mask[..., 0] = True
    return mask


# ---------------------------------------------------------------- scores


def test_attention_scores_small_case_by_hand():
    # q . k = 1*1 + 2*0 = 1 and 1*0 + 2*1 = 2, divided by sqrt(d_head) = sqrt(2).
    query = torch.tensor([[1.0, 2.0]])
    key = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = torch.tensor([[1.0, 2.0]]) / math.sqrt(2.0)
    torch.testing.assert_close(attention_scores(query, key), expected)


def test_attention_scores_equal_scaled_matmul_with_batch_and_heads():
    torch.manual_seed(0)
    query, key = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8)
    expected = torch.einsum("bhqd,bhkd->bhqk", query, key) / math.sqrt(8)
    scores = attention_scores(query, key)
    assert scores.shape == (2, 3, 4, 6)
    torch.testing.assert_close(scores, expected, atol=ATOL, rtol=0)


# ---------------------------------------------------------------- masked softmax


def test_masked_softmax_without_mask_is_torch_softmax():
    torch.manual_seed(1)
    scores = torch.randn(2, 4, 5)
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, -1))


def test_masked_softmax_renormalises_over_visible_keys():
    torch.manual_seed(2)
    scores = torch.randn(3, 6)
    mask = random_mask((3, 6))
    weights = masked_softmax(scores, mask)
    # Softmax over the visible scores only, row by row.
    for row in range(3):
        visible = mask[row]
        expected = torch.zeros(6)
        expected[visible] = torch.softmax(scores[row, visible], dim=0)
        torch.testing.assert_close(weights[row], expected)
    assert torch.all(weights[~mask] == 0.0)


def test_masked_softmax_fully_masked_row_is_zero_not_nan():
    scores = torch.randn(2, 3)
    mask = torch.tensor([[True, False, True], [False, False, False]])
    weights = masked_softmax(scores, mask)
    assert not torch.isnan(weights).any()
    assert torch.equal(weights[1], torch.zeros(3))
    torch.testing.assert_close(weights[0].sum(), torch.tensor(1.0))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_masked_softmax_huge_logits_stay_finite(sign):
    scores = torch.tensor([[sign * HUGE_LOGIT, 0.0, -sign * HUGE_LOGIT]])
    mask = torch.tensor([[True, True, False]])
    for weights in (masked_softmax(scores), masked_softmax(scores, mask)):
        assert torch.isfinite(weights).all()
        torch.testing.assert_close(weights.sum(-1), torch.ones(1))
    # The largest visible logit takes (almost) all the weight.
    winner = 0 if sign > 0 else 1
    assert masked_softmax(scores, mask)[0, winner] > 0.999


# ---------------------------------------------------------------- attention


def test_scaled_dot_product_attention_small_case_by_hand():
    # One query equally similar to both keys: the output is the mean value.
    query = torch.tensor([[0.0, 0.0]])
    key = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    value = torch.tensor([[2.0, 4.0], [6.0, 8.0]])
    output, weights = scaled_dot_product_attention(query, key, value)
    torch.testing.assert_close(weights, torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(output, torch.tensor([[4.0, 6.0]]))


SHAPE_CASES = {
    # name: (query shape, key shape, value shape)
    "2d": ((4, 8), (4, 8), (4, 8)),
    "batch": ((2, 5, 8), (2, 5, 8), (2, 5, 8)),
    "batch_heads_tq_ne_tk": ((2, 3, 4, 8), (2, 3, 7, 8), (2, 3, 7, 8)),
    "dv_ne_dk": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)),
}


@pytest.mark.parametrize("use_mask", [False, True], ids=["no_mask", "mask"])
@pytest.mark.parametrize("shapes", SHAPE_CASES.values(), ids=SHAPE_CASES.keys())
def test_scaled_dot_product_attention_equals_torch(shapes, use_mask):
    torch.manual_seed(3)
    query_shape, key_shape, value_shape = shapes
    query, key = torch.randn(query_shape), torch.randn(key_shape)
    value = torch.randn(value_shape)
    # A (T_q, T_k) mask, broadcast over any batch and head dimensions.
    mask = random_mask((query_shape[-2], key_shape[-2])) if use_mask else None

    output, weights = scaled_dot_product_attention(query, key, value, mask)

    expected = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    torch.testing.assert_close(output, expected, atol=ATOL, rtol=1e-5)
    assert weights.shape == (*query_shape[:-1], key_shape[-2])
    # The weights, by the textbook formula written out here.
    scores = query @ key.transpose(-2, -1) / math.sqrt(query_shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(weights, torch.softmax(scores, -1), atol=ATOL, rtol=0)


def test_scaled_dot_product_attention_per_batch_mask_equals_torch():
    torch.manual_seed(4)
    query, key = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8)
    value = torch.randn(2, 3, 6, 8)
    mask = random_mask((2, 1, 4, 6))
    output, _ = scaled_dot_product_attention(query, key, value, mask)
    expected = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    torch.testing.assert_close(output, expected, atol=ATOL, rtol=1e-5)


def test_scaled_dot_product_attention_fully_masked_row_gives_zero_output():
    torch.manual_seed(5)
    query, key, value = torch.randn(3, 4), torch.randn(5, 4), torch.randn(5, 2)
    mask = random_mask((3, 5))
    mask[1] = False
    output, weights = scaled_dot_product_attention(query, key, value, mask)
    assert not torch.isnan(output).any() and not torch.isnan(weights).any()
    assert torch.equal(output[1], torch.zeros(2))
    assert torch.equal(weights[1], torch.zeros(5))
    # The other rows are untouched by the empty one.
    keep = torch.tensor([True, False, True])
    expected = F.scaled_dot_product_attention(
        query[keep], key, value, attn_mask=mask[keep]
    )
    torch.testing.assert_close(output[keep], expected, atol=ATOL, rtol=1e-5)


def test_dropout_is_ignored_when_not_training():
    torch.manual_seed(6)
    query, key, value = torch.randn(2, 4, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    plain = scaled_dot_product_attention(query, key, value)
    not_training = scaled_dot_product_attention(
        query, key, value, dropout_p=0.5, training=False
    )
    for a, b in zip(plain, not_training, strict=True):
        assert torch.equal(a, b)


def test_dropout_when_training_is_seeded_and_rescales():
    torch.manual_seed(7)
    query, key, value = torch.randn(2, 6, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 3)
    dropout_p = 0.5
    _, clean = scaled_dot_product_attention(query, key, value)

    torch.manual_seed(8)
    out_a, dropped_a = scaled_dot_product_attention(
        query, key, value, dropout_p=dropout_p, training=True
    )
    torch.manual_seed(8)
    out_b, dropped_b = scaled_dot_product_attention(
        query, key, value, dropout_p=dropout_p, training=True
    )

    assert torch.equal(out_a, out_b) and torch.equal(dropped_a, dropped_b)
    kept = dropped_a != 0
    assert 0 < kept.sum() < kept.numel()
    # Kept weights are scaled by 1 / (1 - p); the output uses the dropped weights.
    torch.testing.assert_close(dropped_a[kept], clean[kept] / (1 - dropout_p))
    torch.testing.assert_close(out_a, dropped_a @ value)


def test_gradcheck_scaled_dot_product_attention_with_mask():
    torch.manual_seed(9)
    options = {"dtype": torch.float64, "requires_grad": True}
    query = torch.randn(2, 3, 4, **options)
    key = torch.randn(2, 5, 4, **options)
    value = torch.randn(2, 5, 3, **options)
    mask = random_mask((2, 3, 5))

    def attend(q, k, v):
        return scaled_dot_product_attention(q, k, v, mask)

    assert torch.autograd.gradcheck(attend, (query, key, value))
