"""Tests for mha_course.multi_head against ``torch.nn.MultiheadAttention``.

Our module gets PyTorch's weights through ``load_torch_multihead_attention`` and
must then give the same outputs and the same per-head weights. PyTorch's module
initialises every bias to zero, so the tests draw random biases first: otherwise
a forgotten bias would go unnoticed.
"""

import pytest
import torch
from torch import nn

from mha_course import (
    LoopedMultiHeadAttention,
    MultiHeadAttention,
    causal_mask,
    combine_masks,
    load_torch_multihead_attention,
    padding_mask,
    to_torch_mha_masks,
)

EMBED_DIM = 12
NUM_HEADS = 3
BATCH = 2
# float32 round-off after a few matrix products of small random numbers.
ATOL = 1e-5
RTOL = 1e-5


def torch_and_ours(bias=True, dropout=0.0):
    """PyTorch's module with random biases, and ours with the same weights."""
    theirs = nn.MultiheadAttention(
        EMBED_DIM, NUM_HEADS, dropout=dropout, bias=bias, batch_first=True
    )
    if bias:
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    ours = MultiHeadAttention(EMBED_DIM, NUM_HEADS, dropout=dropout, bias=bias)
    load_torch_multihead_attention(ours, theirs)
    return theirs.eval(), ours.eval()


def inputs(kind, query_len=4, key_len=6):
    """(query, key, value) for self-attention or cross-attention."""
    query = torch.randn(BATCH, query_len, EMBED_DIM)
    if kind == "self":
        return query, query, query
    memory = torch.randn(BATCH, key_len, EMBED_DIM)
    return query, memory, memory


def our_mask(kind, query_len, key_len):
    """Our boolean mask (True = may attend) and the pieces PyTorch needs."""
    future = None
    padding = None
    if kind in ("causal", "both"):
        # Lower-triangular; for self-attention this is causal_mask(T).
        future = torch.ones(query_len, key_len, dtype=torch.bool).tril()
    if kind in ("padding", "both"):
        # Every length at least 1, so that no row is fully masked here
        # (PyTorch's module returns NaN for such rows; see the tests below).
        lengths = torch.randint(1, key_len + 1, (BATCH,))
        lengths[0] = key_len - 1
        padding = padding_mask(lengths, max_len=key_len)
    return combine_masks(future, padding), future, padding


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
@pytest.mark.parametrize("mask_kind", ["none", "padding", "causal", "both"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("kind", ["self", "cross"])
def test_equals_torch_multihead_attention(kind, bias, mask_kind, need_weights):
    torch.manual_seed(0)
    theirs, ours = torch_and_ours(bias=bias)
    query, key, value = inputs(kind)
    query_len, key_len = query.shape[1], key.shape[1]
    mask, future, padding = our_mask(mask_kind, query_len, key_len)
    attn_mask, key_padding_mask = to_torch_mha_masks(future, padding)

    output, weights = ours(query, key, value, mask=mask, need_weights=need_weights)
    expected, expected_weights = theirs(
        query,
        key,
        value,
        key_padding_mask=key_padding_mask,
        attn_mask=attn_mask,
        need_weights=need_weights,
        average_attn_weights=False,
    )

    assert output.shape == (BATCH, query_len, EMBED_DIM)
    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)
    if need_weights:
        assert weights.shape == (BATCH, NUM_HEADS, query_len, key_len)
        torch.testing.assert_close(weights, expected_weights, atol=ATOL, rtol=RTOL)
    else:
        assert weights is None


def test_equals_torch_fast_path_without_grad():
    # Under no_grad and in eval mode PyTorch's module takes its native fast
    # path (one fused kernel); it must still agree with ours.
    torch.manual_seed(1)
    theirs, ours = torch_and_ours()
    query, key, value = inputs("cross")
    _, _, padding = our_mask("padding", 4, 6)
    _, key_padding_mask = to_torch_mha_masks(None, padding)
    with torch.no_grad():
        expected, _ = theirs(
            query, key, value, key_padding_mask=key_padding_mask, need_weights=False
        )
        for need_weights in (True, False):
            output, _ = ours(query, key, value, padding, need_weights=need_weights)
            torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kind", ["self", "cross"])
def test_weights_path_and_fused_path_agree_even_on_fully_masked_rows(kind):
    torch.manual_seed(2)
    _, ours = torch_and_ours()
    query, key, value = inputs(kind, query_len=5, key_len=5)
    # Batch item 0 has no real key at all: every one of its rows is masked.
    padding = padding_mask(torch.tensor([0, 3]), max_len=5)
    for mask in (padding, combine_masks(causal_mask(5), padding)):
        explicit, _ = ours(query, key, value, mask, need_weights=True)
        fused, _ = ours(query, key, value, mask, need_weights=False)
        torch.testing.assert_close(explicit, fused, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
def test_fully_masked_rows_give_no_nan(need_weights):
    torch.manual_seed(3)
    _, ours = torch_and_ours()
    query, key, value = inputs("cross")
    padding = padding_mask(torch.tensor([0, 4]), max_len=6)
    output, weights = ours(query, key, value, padding, need_weights=need_weights)
    assert not torch.isnan(output).any()
    # No key to read: every head outputs zero, so only the output bias is left.
    expected = ours.out_proj.bias.detach().expand(4, EMBED_DIM)
    torch.testing.assert_close(output[0], expected)
    if need_weights:
        assert torch.equal(weights[0], torch.zeros(NUM_HEADS, 4, 6))


def test_torch_module_gives_nan_on_fully_masked_rows():
    # Documents PyTorch's behaviour that ours deliberately differs from: if this
    # starts failing, PyTorch changed and the course's lesson 06 should say so.
    torch.manual_seed(4)
    theirs, _ = torch_and_ours()
    query, key, value = inputs("cross")
    _, key_padding_mask = to_torch_mha_masks(
        None, padding_mask(torch.tensor([0, 4]), max_len=6)
    )
    expected, _ = theirs(query, key, value, key_padding_mask=key_padding_mask)
    assert torch.isnan(expected[0]).all()
    assert not torch.isnan(expected[1]).any()


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
def test_eval_mode_ignores_dropout(need_weights):
    torch.manual_seed(5)
    theirs, with_dropout = torch_and_ours(dropout=0.5)
    without = MultiHeadAttention(EMBED_DIM, NUM_HEADS, dropout=0.0).eval()
    without.load_state_dict(with_dropout.state_dict())
    query, key, value = inputs("cross")
    output, _ = with_dropout.eval()(query, key, value, need_weights=need_weights)
    expected, _ = without(query, key, value, need_weights=need_weights)
    assert torch.equal(output, expected)
    # PyTorch's module in eval mode ignores its dropout too.
    torch.testing.assert_close(
        output, theirs(query, key, value)[0], atol=ATOL, rtol=RTOL
    )


@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "fused"])
def test_train_mode_dropout_is_seeded_and_active(need_weights):
    torch.manual_seed(6)
    _, mha = torch_and_ours(dropout=0.5)
    query, key, value = inputs("self")
    eval_output, _ = mha.eval()(query, key, value, need_weights=need_weights)
    mha.train()
    outputs = []
    for _ in range(2):
        torch.manual_seed(7)
        outputs.append(mha(query, key, value, need_weights=need_weights))
    (first, first_weights), (second, second_weights) = outputs
    assert first.shape == eval_output.shape
    assert torch.equal(first, second)
    assert not torch.allclose(first, eval_output)
    if need_weights:
        assert torch.equal(first_weights, second_weights)
        assert (first_weights == 0).any()


def test_gradcheck_multi_head_attention_in_float64():
    torch.manual_seed(8)
    # Small sizes: gradcheck perturbs every input number twice.
    embed_dim, num_heads = 4, 2
    mha = MultiHeadAttention(embed_dim, num_heads).double()
    options = {"dtype": torch.float64, "requires_grad": True}
    query = torch.randn(1, 3, embed_dim, **options)
    key = torch.randn(1, 4, embed_dim, **options)
    value = torch.randn(1, 4, embed_dim, **options)
    mask = padding_mask(torch.tensor([3]), max_len=4)
    for need_weights in (True, False):

        def attend(q, k, v, need_weights=need_weights):
            return mha(q, k, v, mask, need_weights=need_weights)[0]

        assert torch.autograd.gradcheck(attend, (query, key, value))


def test_attributes_and_parameter_count():
    mha = MultiHeadAttention(EMBED_DIM, NUM_HEADS)
    assert (mha.embed_dim, mha.num_heads, mha.head_dim) == (EMBED_DIM, 3, 4)
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        assert isinstance(getattr(mha, name), nn.Linear)
    # Four D x D matrices and four biases of D, whatever the number of heads.
    expected = 4 * (EMBED_DIM * EMBED_DIM + EMBED_DIM)
    assert sum(p.numel() for p in mha.parameters()) == expected
    torch_count = sum(
        p.numel() for p in nn.MultiheadAttention(EMBED_DIM, NUM_HEADS).parameters()
    )
    assert torch_count == expected


# ---------------------------------------------------------------- looped version


@pytest.mark.parametrize("mask_kind", ["none", "padding", "causal", "per_head"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_looped_heads_equal_batched_heads_after_load_from(bias, mask_kind):
    torch.manual_seed(9)
    _, batched = torch_and_ours(bias=bias)
    looped = LoopedMultiHeadAttention(EMBED_DIM, NUM_HEADS, bias=bias)
    looped.load_from(batched)
    query, key, value = inputs("self", query_len=5)
    masks = {
        "none": None,
        "padding": padding_mask(torch.tensor([5, 2])),
        "causal": causal_mask(5),
        "per_head": torch.rand(BATCH, NUM_HEADS, 5, 5) > 0.5,
    }
    mask = masks[mask_kind]
    if mask is not None:
        mask[..., 0] = True

    output, weights = looped(query, key, value, mask)
    expected, expected_weights = batched(query, key, value, mask)

    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(weights, expected_weights, atol=ATOL, rtol=RTOL)
    assert len(looped.heads) == NUM_HEADS
    assert looped.heads[0].head_dim == EMBED_DIM // NUM_HEADS


def test_looped_heads_are_independent_modules():
    torch.manual_seed(10)
    _, batched = torch_and_ours()
    looped = LoopedMultiHeadAttention(EMBED_DIM, NUM_HEADS)
    looped.load_from(batched)
    # Head 1's query projection is rows 4..7 of the batched one.
    torch.testing.assert_close(
        looped.heads[1].q_proj.weight, batched.q_proj.weight[4:8], rtol=0, atol=0
    )
    with torch.no_grad():
        looped.heads[1].q_proj.weight.zero_()
    assert batched.q_proj.weight.abs().sum() > 0
