"""Tests for mha_course.interop: PyTorch's weights land in the right places.

The behavioural equality with PyTorch's modules is tested in test_multi_head.py,
test_encoder.py and test_decoder.py; here each copied tensor is checked against
the slice of PyTorch's parameter it must come from, and mismatches are refused.
"""

import pytest
import torch
from torch import nn

from mha_course import (
    DecoderLayer,
    EncoderLayer,
    MultiHeadAttention,
    load_torch_decoder_layer,
    load_torch_encoder_layer,
    load_torch_multihead_attention,
)

EMBED_DIM = 8
NUM_HEADS = 2
FF_DIM = 16


@torch.no_grad()
def randomize(module):
    for parameter in module.parameters():
        parameter.normal_()
    return module


def assert_same_attention(ours, theirs):
    """Our q/k/v/out projections hold PyTorch's packed in_proj rows in order."""
    d = EMBED_DIM
    for index, name in enumerate(("q_proj", "k_proj", "v_proj")):
        rows = slice(index * d, (index + 1) * d)
        linear = getattr(ours, name)
        assert torch.equal(linear.weight, theirs.in_proj_weight[rows])
        assert torch.equal(linear.bias, theirs.in_proj_bias[rows])
    assert torch.equal(ours.out_proj.weight, theirs.out_proj.weight)
    assert torch.equal(ours.out_proj.bias, theirs.out_proj.bias)


def assert_same_norm(ours, theirs):
    assert torch.equal(ours.weight, theirs.weight)
    assert torch.equal(ours.bias, theirs.bias)


def test_multihead_attention_rows_are_cut_in_query_key_value_order():
    torch.manual_seed(0)
    theirs = randomize(nn.MultiheadAttention(EMBED_DIM, NUM_HEADS, batch_first=True))
    ours = MultiHeadAttention(EMBED_DIM, NUM_HEADS)
    returned = load_torch_multihead_attention(ours, theirs)
    assert returned is ours
    assert_same_attention(ours, theirs)


def test_multihead_attention_without_bias():
    torch.manual_seed(1)
    theirs = randomize(nn.MultiheadAttention(EMBED_DIM, NUM_HEADS, bias=False))
    ours = load_torch_multihead_attention(
        MultiHeadAttention(EMBED_DIM, NUM_HEADS, bias=False), theirs
    )
    torch.testing.assert_close(ours.k_proj.weight, theirs.in_proj_weight[8:16])
    assert ours.k_proj.bias is None


def test_copy_does_not_share_storage():
    torch.manual_seed(2)
    theirs = randomize(nn.MultiheadAttention(EMBED_DIM, NUM_HEADS))
    ours = load_torch_multihead_attention(
        MultiHeadAttention(EMBED_DIM, NUM_HEADS), theirs
    )
    with torch.no_grad():
        theirs.in_proj_weight.zero_()
    assert ours.q_proj.weight.abs().sum() > 0


@pytest.mark.parametrize(
    ("ours", "theirs", "fragments"),
    [
        (
            MultiHeadAttention(8, 2),
            nn.MultiheadAttention(8, 4),
            ["num_heads=2", "num_heads=4"],
        ),
        (
            MultiHeadAttention(8, 2),
            nn.MultiheadAttention(12, 2),
            ["embed_dim=8", "embed_dim=12"],
        ),
        (
            MultiHeadAttention(8, 2, bias=False),
            nn.MultiheadAttention(8, 2),
            ["bias"],
        ),
        (
            MultiHeadAttention(8, 2),
            nn.MultiheadAttention(8, 2, kdim=4, vdim=4),
            ["kdim"],
        ),
    ],
    ids=["heads", "width", "bias", "kdim"],
)
def test_multihead_attention_mismatch_is_refused(ours, theirs, fragments):
    with pytest.raises(ValueError) as caught:
        load_torch_multihead_attention(ours, theirs)
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_every_tensor_is_copied(norm_first):
    torch.manual_seed(3)
    theirs = randomize(
        nn.TransformerEncoderLayer(
            EMBED_DIM, NUM_HEADS, FF_DIM, norm_first=norm_first, batch_first=True
        )
    )
    ours = EncoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM, norm_first=norm_first)
    assert load_torch_encoder_layer(ours, theirs) is ours
    assert_same_attention(ours.self_attn, theirs.self_attn)
    for name in ("linear1", "linear2"):
        ours_linear = getattr(ours.feed_forward, name)
        theirs_linear = getattr(theirs, name)
        assert torch.equal(ours_linear.weight, theirs_linear.weight)
        assert torch.equal(ours_linear.bias, theirs_linear.bias)
    assert_same_norm(ours.self_attn_norm, theirs.norm1)
    assert_same_norm(ours.ff_norm, theirs.norm2)


def test_decoder_layer_every_tensor_is_copied():
    torch.manual_seed(4)
    theirs = randomize(
        nn.TransformerDecoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM, batch_first=True)
    )
    ours = DecoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM)
    assert load_torch_decoder_layer(ours, theirs) is ours
    assert_same_attention(ours.self_attn, theirs.self_attn)
    # PyTorch's name for the cross-attention is multihead_attn.
    assert_same_attention(ours.cross_attn, theirs.multihead_attn)
    assert torch.equal(ours.feed_forward.linear1.weight, theirs.linear1.weight)
    assert torch.equal(ours.feed_forward.linear2.bias, theirs.linear2.bias)
    assert_same_norm(ours.self_attn_norm, theirs.norm1)
    assert_same_norm(ours.cross_attn_norm, theirs.norm2)
    assert_same_norm(ours.ff_norm, theirs.norm3)


def test_encoder_layer_with_other_feed_forward_width_is_refused():
    theirs = nn.TransformerEncoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM, batch_first=True)
    ours = EncoderLayer(EMBED_DIM, NUM_HEADS, ff_dim=2 * FF_DIM)
    with pytest.raises(ValueError, match=r"ours \(32, 8\), PyTorch's \(16, 8\)"):
        load_torch_encoder_layer(ours, theirs)
