"""Tests for mha_course.single_head: one head equals its formula written by hand."""

import math

import pytest
import torch

from mha_course import SingleHeadAttention

# float32 round-off after a few matrix products of small random numbers.
ATOL = 1e-6


def by_hand(head, query, key, value, mask=None):
    """softmax(Q K^T / sqrt(d_head)) V with Q, K, V projected explicitly."""

    def project(linear, x):
        out = x @ linear.weight.T
        return out if linear.bias is None else out + linear.bias

    q = project(head.q_proj, query)
    k = project(head.k_proj, key)
    v = project(head.v_proj, value)
    scores = q @ k.transpose(1, 2) / math.sqrt(head.head_dim)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_equals_the_formula(bias):
    torch.manual_seed(0)
    head = SingleHeadAttention(embed_dim=8, head_dim=4, bias=bias)
    x = torch.randn(2, 5, 8)
    output, weights = head(x)
    expected_output, expected_weights = by_hand(head, x, x, x)
    assert output.shape == (2, 5, 4) and weights.shape == (2, 5, 5)
    torch.testing.assert_close(output, expected_output, atol=ATOL, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=ATOL, rtol=0)


def test_cross_attention_with_mask_equals_the_formula():
    torch.manual_seed(1)
    head = SingleHeadAttention(embed_dim=6, head_dim=3)
    query, key, value = torch.randn(2, 3, 6), torch.randn(2, 7, 6), torch.randn(2, 7, 6)
    mask = torch.rand(2, 3, 7) > 0.4
    mask[..., 0] = True
    output, weights = head(query, key, value, mask)
    expected_output, expected_weights = by_hand(head, query, key, value, mask)
    torch.testing.assert_close(output, expected_output, atol=ATOL, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=ATOL, rtol=0)
    assert torch.all(weights[~mask] == 0.0)


def test_value_defaults_to_key_and_key_to_query():
    torch.manual_seed(2)
    head = SingleHeadAttention(embed_dim=4)
    query, key = torch.randn(1, 3, 4), torch.randn(1, 5, 4)
    assert torch.equal(head(query, key)[0], head(query, key, key)[0])
    assert torch.equal(head(query)[0], head(query, query, query)[0])


def test_head_dim_defaults_to_embed_dim():
    head = SingleHeadAttention(embed_dim=6)
    assert head.head_dim == 6
    assert head.q_proj.weight.shape == (6, 6)
