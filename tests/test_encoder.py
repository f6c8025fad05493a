"""Tests for mha_course.encoder against ``torch.nn.TransformerEncoderLayer`` and
``torch.nn.TransformerEncoder``.

PyTorch's layers get random biases and normalisation parameters first (it
initialises them to zeros and ones, which would hide a forgotten bias or a
swapped norm), then ours receive their weights through
``load_torch_encoder_layer``.

PyTorch has a fast path for inference: in eval mode, with autograd off, its
encoder runs one fused kernel and, inside ``TransformerEncoder``, may pack the
batch into a nested tensor that returns zeros at padded positions. Most tests
here keep autograd on (the default; our parameters require grad), which keeps
PyTorch on its ordinary path; the tests named ``*_fast_path`` run under
``torch.no_grad()`` and compare only the real, unpadded positions.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_reference import randomize_biases_and_norms

from mha_course import (
    Encoder,
    EncoderLayer,
    FeedForward,
    load_torch_encoder_layer,
    padding_mask,
    to_torch_mha_masks,
)

EMBED_DIM = 8
NUM_HEADS = 2
FF_DIM = 16
BATCH = 2
LENGTH = 5
# Sequence lengths in the batch; the first one is padded.
LENGTHS = (3, 5)
# float32 round-off through attention, feed-forward and layer norms.
ATOL = 1e-5
RTOL = 1e-5


def torch_layer(norm_first=False, activation="relu"):
    layer = nn.TransformerEncoderLayer(
        EMBED_DIM,
        NUM_HEADS,
        FF_DIM,
        dropout=0.0,
        activation=activation,
        norm_first=norm_first,
        batch_first=True,
    )
    randomize_biases_and_norms(layer)
    return layer.eval()


def our_layer(norm_first=False, activation="relu"):
    layer = EncoderLayer(
        EMBED_DIM, NUM_HEADS, FF_DIM, activation=activation, norm_first=norm_first
    )
    return layer.eval()


def padding():
    """Our padding mask and PyTorch's key_padding_mask for LENGTHS."""
    ours = padding_mask(torch.tensor(LENGTHS), max_len=LENGTH)
    _, theirs = to_torch_mha_masks(None, ours)
    return ours, theirs


def real_positions():
    """A (B, T) boolean index of the unpadded positions."""
    return padding()[0][:, 0, 0, :]


# ---------------------------------------------------------------- feed-forward


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_feed_forward_is_two_linear_maps_around_the_activation(activation):
    torch.manual_seed(0)
    ff = FeedForward(EMBED_DIM, activation=activation)
    assert ff.linear1.out_features == 4 * EMBED_DIM
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    act = {"relu": torch.relu, "gelu": F.gelu}[activation]
    hidden = act(x @ ff.linear1.weight.T + ff.linear1.bias)
    expected = hidden @ ff.linear2.weight.T + ff.linear2.bias
    torch.testing.assert_close(ff(x), expected, atol=ATOL, rtol=RTOL)


# ---------------------------------------------------------------- one layer


@pytest.mark.parametrize("use_padding", [False, True], ids=["no_mask", "padding"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_layer_equals_torch(norm_first, activation, use_padding):
    torch.manual_seed(1)
    theirs = torch_layer(norm_first, activation)
    ours = load_torch_encoder_layer(our_layer(norm_first, activation), theirs)
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, key_padding_mask = padding() if use_padding else (None, None)

    output, weights = ours(x, mask)
    expected = theirs(x, src_key_padding_mask=key_padding_mask)

    assert weights is None
    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_layer_equals_torch_fast_path(norm_first):
    torch.manual_seed(2)
    theirs = torch_layer(norm_first)
    ours = load_torch_encoder_layer(our_layer(norm_first), theirs)
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, key_padding_mask = padding()
    real = real_positions()
    with torch.no_grad():
        output, _ = ours(x, mask)
        expected = theirs(x, src_key_padding_mask=key_padding_mask)
    torch.testing.assert_close(output[real], expected[real], atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_layer_weights_are_those_of_its_self_attention(norm_first):
    torch.manual_seed(3)
    theirs = torch_layer(norm_first)
    ours = load_torch_encoder_layer(our_layer(norm_first), theirs)
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, key_padding_mask = padding()
    _, weights = ours(x, mask, need_weights=True)
    # Pre-norm attends over the normalised input, post-norm over x itself.
    attended = theirs.norm1(x) if norm_first else x
    _, expected = theirs.self_attn(
        attended,
        attended,
        attended,
        key_padding_mask=key_padding_mask,
        average_attn_weights=False,
    )
    assert weights.shape == (BATCH, NUM_HEADS, LENGTH, LENGTH)
    torch.testing.assert_close(weights, expected, atol=ATOL, rtol=RTOL)
    # No query looks at padding.
    assert torch.all(weights[0, :, :, LENGTHS[0] :] == 0.0)


def test_bad_activation_is_refused():
    with pytest.raises(ValueError, match="activation must be one of.*'tanh'"):
        EncoderLayer(EMBED_DIM, NUM_HEADS, activation="tanh")


# ---------------------------------------------------------------- the stack


def torch_and_our_stacks(norm_first, num_layers=2):
    layer = torch_layer(norm_first)
    # PyTorch's pre-norm stacks need an explicit final norm, as ours adds.
    final_norm = nn.LayerNorm(EMBED_DIM) if norm_first else None
    theirs = nn.TransformerEncoder(
        layer, num_layers, norm=final_norm, enable_nested_tensor=not norm_first
    )
    randomize_biases_and_norms(theirs)  # the layers were deep copies: differ them
    ours = Encoder(num_layers, EMBED_DIM, NUM_HEADS, FF_DIM, norm_first=norm_first)
    for our, their in zip(ours.layers, theirs.layers, strict=True):
        load_torch_encoder_layer(our, their)
    assert (ours.final_norm is None) == (theirs.norm is None)
    if final_norm is not None:
        ours.final_norm.load_state_dict(theirs.norm.state_dict())
    return theirs.eval(), ours.eval()


@pytest.mark.parametrize("use_padding", [False, True], ids=["no_mask", "padding"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_stack_equals_torch(norm_first, use_padding):
    torch.manual_seed(4)
    theirs, ours = torch_and_our_stacks(norm_first)
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, key_padding_mask = padding() if use_padding else (None, None)

    output, weights = ours(x, mask, need_weights=True)
    expected = theirs(x, src_key_padding_mask=key_padding_mask)

    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)
    assert len(weights) == 2
    assert all(w.shape == (BATCH, NUM_HEADS, LENGTH, LENGTH) for w in weights)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_stack_equals_torch_fast_path():
    # Post-norm, eval, no grad and a padding mask: PyTorch packs the batch into
    # a nested tensor and hands back zeros at the padded positions.
    torch.manual_seed(5)
    theirs, ours = torch_and_our_stacks(norm_first=False)
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, key_padding_mask = padding()
    real = real_positions()
    with torch.no_grad():
        output, _ = ours(x, mask)
        expected = theirs(x, src_key_padding_mask=key_padding_mask)
    torch.testing.assert_close(output[real], expected[real], atol=ATOL, rtol=RTOL)
    assert torch.all(expected[~real] == 0.0)
    assert torch.all(output[~real] != 0.0)


def test_final_norm_defaults_to_norm_first():
    assert Encoder(1, EMBED_DIM, NUM_HEADS).final_norm is None
    assert isinstance(
        Encoder(1, EMBED_DIM, NUM_HEADS, norm_first=True).final_norm, nn.LayerNorm
    )
    assert Encoder(1, EMBED_DIM, NUM_HEADS, final_norm=True).final_norm is not None


def test_padded_positions_do_not_change_real_outputs():
    torch.manual_seed(6)
    encoder = Encoder(2, EMBED_DIM, NUM_HEADS, FF_DIM).eval()
    x = torch.randn(BATCH, LENGTH, EMBED_DIM)
    mask, _ = padding()
    real = real_positions()
    changed = x.clone()
    changed[~real] = torch.randn(int((~real).sum()), EMBED_DIM)
    torch.testing.assert_close(
        encoder(x, mask)[0][real], encoder(changed, mask)[0][real]
    )
    # Without the mask the padding leaks in.
    assert not torch.allclose(encoder(x)[0][real], encoder(changed)[0][real])
