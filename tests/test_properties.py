"""Property tests (hypothesis): what must hold for every shape and every input.

Hypothesis draws the sizes and a seed; the tensors come from a
``torch.Generator`` with that seed, so a failing example can be replayed.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mha_course import (
    MultiHeadAttention,
    PositionalEncoding,
    SingleHeadAttention,
    masked_softmax,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)

# Few examples, no deadline (the first call into torch is slow), derandomized
# and without a database so every run checks the same cases and writes no files.
PROPERTY = settings(max_examples=30, deadline=None, derandomize=True, database=None)
# float32 round-off after a few matrix products of small random numbers.
ATOL = 1e-5

seeds = st.integers(min_value=0, max_value=2**31 - 1)
lengths = st.integers(min_value=1, max_value=6)
widths = st.integers(min_value=1, max_value=8)


def randn(generator, *shape):
    return torch.randn(*shape, generator=generator)


def random_mask(generator, *shape):
    """A random mask that leaves every row at least one visible key."""
    mask = torch.rand(*shape, generator=generator) > 0.5
    rows = mask.reshape(-1, shape[-1])
    first_key = torch.randint(0, shape[-1], (rows.shape[0],), generator=generator)
    rows[torch.arange(rows.shape[0]), first_key] = True
    return rows.reshape(shape)


@PROPERTY
@given(seed=seeds, batch=lengths, query_len=lengths, key_len=lengths, width=widths)
def test_weight_rows_sum_to_one_and_masked_weights_are_zero(
    seed, batch, query_len, key_len, width
):
    generator = torch.Generator().manual_seed(seed)
    query = randn(generator, batch, query_len, width)
    key = randn(generator, batch, key_len, width)
    value = randn(generator, batch, key_len, width)
    mask = random_mask(generator, batch, query_len, key_len)

    _, weights = scaled_dot_product_attention(query, key, value, mask)

    assert torch.all(weights >= 0.0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(batch, query_len))
    assert torch.all(weights[~mask] == 0.0)


@PROPERTY
@given(seed=seeds, rows=lengths, keys=lengths, scale=st.floats(0.0, 1e4))
def test_softmax_of_large_scores_is_finite_and_sums_to_one(seed, rows, keys, scale):
    generator = torch.Generator().manual_seed(seed)
    scores = randn(generator, rows, keys) * scale
    weights = masked_softmax(scores, random_mask(generator, rows, keys))
    assert torch.isfinite(weights).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(rows))


@PROPERTY
@given(seed=seeds, query_len=lengths, key_len=lengths, width=widths)
def test_permuting_keys_and_values_together_changes_nothing(
    seed, query_len, key_len, width
):
    generator = torch.Generator().manual_seed(seed)
    query = randn(generator, 2, query_len, width)
    key = randn(generator, 2, key_len, width)
    value = randn(generator, 2, key_len, width + 1)
    mask = random_mask(generator, 2, query_len, key_len)
    order = torch.randperm(key_len, generator=generator)

    output, weights = scaled_dot_product_attention(query, key, value, mask)
    shuffled_output, shuffled_weights = scaled_dot_product_attention(
        query, key[:, order], value[:, order], mask[..., order]
    )

    torch.testing.assert_close(shuffled_output, output, atol=ATOL, rtol=ATOL)
    # The weights move with their keys.
    torch.testing.assert_close(shuffled_weights, weights[..., order])


@PROPERTY
@given(
    seed=seeds,
    batch=lengths,
    length=lengths,
    num_heads=st.integers(1, 5),
    head_dim=st.integers(1, 5),
)
def test_split_and_merge_heads_round_trip_exactly(
    seed, batch, length, num_heads, head_dim
):
    generator = torch.Generator().manual_seed(seed)
    x = randn(generator, batch, length, num_heads * head_dim)
    heads = split_heads(x, num_heads)
    assert heads.shape == (batch, num_heads, length, head_dim)
    assert torch.equal(merge_heads(heads), x)
    assert torch.equal(split_heads(merge_heads(heads), num_heads), heads)


@PROPERTY
@given(seed=seeds, length=st.integers(2, 6), width=st.integers(1, 6))
def test_single_head_is_blind_to_order(seed, length, width):
    torch.manual_seed(seed)
    head = SingleHeadAttention(embed_dim=width, head_dim=3)
    x = torch.randn(2, length, width)
    order = torch.randperm(length)

    output, weights = head(x)
    shuffled_output, shuffled_weights = head(x[:, order])

    # Shuffling the tokens only shuffles the outputs, and both axes of weights.
    torch.testing.assert_close(shuffled_output, output[:, order], atol=ATOL, rtol=ATOL)
    torch.testing.assert_close(shuffled_weights, weights[:, order][:, :, order])


@PROPERTY
@given(
    seed=seeds,
    length=st.integers(2, 6),
    num_heads=st.integers(1, 4),
    need_weights=st.booleans(),
)
def test_multi_head_attention_is_blind_to_order(seed, length, num_heads, need_weights):
    torch.manual_seed(seed)
    mha = MultiHeadAttention(embed_dim=4 * num_heads, num_heads=num_heads).eval()
    x = torch.randn(2, length, 4 * num_heads)
    order = torch.randperm(length)

    output, _ = mha(x, x, x, need_weights=need_weights)
    shuffled_output, _ = mha(*(x[:, order],) * 3, need_weights=need_weights)

    torch.testing.assert_close(shuffled_output, output[:, order], atol=ATOL, rtol=ATOL)


def test_positions_break_the_order_blindness():
    # The counterpart of the two properties above: once positions are added,
    # shuffling the tokens no longer merely shuffles the outputs.
    torch.manual_seed(0)
    mha = MultiHeadAttention(embed_dim=8, num_heads=2).eval()
    positions = PositionalEncoding(embed_dim=8, max_len=10).eval()
    x = torch.randn(1, 5, 8)
    order = torch.tensor([1, 0, 2, 3, 4])

    def attend(tokens):
        encoded = positions(tokens)
        return mha(encoded, encoded, encoded)[0]

    assert not torch.allclose(attend(x[:, order]), attend(x)[:, order], atol=1e-3)
