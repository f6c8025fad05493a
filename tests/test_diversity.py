"""Tests for mha_course.diversity, against expectations worked out independently."""

import math

import numpy as np
import pytest
import torch

from mha_course.diversity import attention_entropy, head_similarity, max_entropy


def random_weights(*shape, seed=0):
    """Rows that sum to one, made by torch's own softmax."""
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(*shape, generator=generator), dim=-1)


# --- attention_entropy ------------------------------------------------------------


def test_uniform_attention_has_entropy_log_key_len():
    key_len = 7
    weights = torch.full((2, 3, 5, key_len), 1 / key_len)  # (B, H, T_q, T_k)
    entropy = attention_entropy(weights)
    assert entropy.shape == (3,)
    torch.testing.assert_close(entropy, torch.full((3,), math.log(key_len)))


def test_one_hot_attention_has_zero_entropy_and_no_nan():
    weights = torch.nn.functional.one_hot(torch.tensor([[[0, 2, 1]]]), 4).float()
    entropy = attention_entropy(weights)  # (B, H, T_q, T_k) = (1, 1, 3, 4)
    assert not torch.isnan(entropy).any()
    torch.testing.assert_close(entropy, torch.zeros(1))


def test_half_on_two_keys_has_entropy_log_two():
    weights = torch.tensor([[[0.5, 0.0, 0.5, 0.0]]])  # (H, T_q, T_k) = (1, 1, 4)
    torch.testing.assert_close(attention_entropy(weights), torch.tensor([math.log(2)]))


def test_entropy_matches_torch_categorical_averaged_by_hand():
    weights = random_weights(2, 3, 4, 5)  # (B, H, T_q, T_k)
    weights[0, 1, 2] = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0])
    expected = torch.zeros(3)
    for head in range(3):
        rows = [weights[b, head, q] for b in range(2) for q in range(4)]
        row_entropies = [
            torch.distributions.Categorical(probs=r).entropy() for r in rows
        ]
        expected[head] = torch.stack(row_entropies).mean()
    torch.testing.assert_close(attention_entropy(weights), expected)


def test_entropy_per_head_keeps_heads_apart():
    uniform = torch.full((3, 4), 0.25)
    one_hot = torch.eye(4)[:3]
    weights = torch.stack([uniform, one_hot])  # (H, T_q, T_k) = (2, 3, 4)
    torch.testing.assert_close(
        attention_entropy(weights), torch.tensor([math.log(4), 0.0])
    )


def test_fully_masked_rows_are_left_out_of_the_mean():
    weights = torch.full((1, 3, 4), 0.25)
    weights[0, 1] = 0.0  # this query may attend to nothing
    torch.testing.assert_close(attention_entropy(weights), torch.tensor([math.log(4)]))


def test_entropy_accepts_numpy():
    weights = np.full((2, 2, 2), 0.5)
    np.testing.assert_allclose(attention_entropy(weights).numpy(), [math.log(2)] * 2)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (torch.full((2, 4), 0.25), ValueError, r"\(\.\.\., H, T_q, T_k\)"),
        (torch.randn(1, 2, 3), ValueError, "before the softmax"),
        (torch.full((1, 2, 2), 2.0), ValueError, "sum to 1"),
        (torch.full((1, 2, 2), float("nan")), ValueError, "NaN"),
        (torch.ones(1, 2, 1, dtype=torch.long), TypeError, "floating-point"),
        ([[[1.0]]], TypeError, "torch.Tensor"),
    ],
)
def test_entropy_rejects_what_is_not_attention(weights, error, message):
    with pytest.raises(error, match=message):
        attention_entropy(weights)


# --- head_similarity --------------------------------------------------------------


def test_identical_heads_have_similarity_one():
    head = random_weights(2, 5, 6)  # (B, T_q, T_k)
    weights = torch.stack([head, head, head], dim=1)  # (B, H, T_q, T_k)
    torch.testing.assert_close(head_similarity(weights), torch.ones(3, 3))


def test_heads_on_disjoint_keys_have_similarity_zero():
    left = torch.tensor([0.5, 0.5, 0.0, 0.0]).expand(3, 4)  # (T_q, T_k)
    right = torch.tensor([0.0, 0.0, 0.2, 0.8]).expand(3, 4)
    similarity = head_similarity(torch.stack([left, right]))
    torch.testing.assert_close(similarity, torch.eye(2))


def test_similarity_matches_cosine_similarity_averaged_by_hand():
    weights = random_weights(2, 3, 4, 5, seed=1)  # (B, H, T_q, T_k)
    cosine = torch.nn.functional.cosine_similarity
    expected = torch.zeros(3, 3)
    for first in range(3):
        for second in range(3):
            pairs = cosine(weights[:, first], weights[:, second], dim=-1)  # (B, T_q)
            expected[first, second] = pairs.mean()
    similarity = head_similarity(weights)
    torch.testing.assert_close(similarity, expected)
    torch.testing.assert_close(similarity, similarity.T)


def test_similarity_leaves_out_fully_masked_rows():
    weights = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.5, 0.5]]])
    # Only query 0 attends in both heads, and there they agree.
    torch.testing.assert_close(head_similarity(weights), torch.ones(2, 2))


# --- max_entropy ------------------------------------------------------------------


@pytest.mark.parametrize("key_len", [1, 2, 7, 1024])
def test_max_entropy_is_log_key_len(key_len):
    assert max_entropy(key_len) == pytest.approx(math.log(key_len))


def test_max_entropy_is_the_entropy_of_uniform_attention():
    uniform = torch.full((1, 1, 5), 0.2)
    assert attention_entropy(uniform).item() == pytest.approx(max_entropy(5))


@pytest.mark.parametrize(
    ("key_len", "error"),
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_max_entropy_rejects_non_counts(key_len, error):
    with pytest.raises(error):
        max_entropy(key_len)
