"""Tests for mha_course.decoder against ``torch.nn.TransformerDecoderLayer`` and
``torch.nn.TransformerDecoder``, plus causality of the decoder stack.

PyTorch's layers get random biases and normalisation parameters first (it
initialises them to zeros and ones), then ours receive their weights through
``load_torch_decoder_layer``. PyTorch's decoder has no inference fast path, so
no special care is needed about autograd here.
"""

import pytest
import torch
from torch import nn
from torch_reference import randomize_biases_and_norms

from mha_course import (
    Decoder,
    DecoderLayer,
    causal_mask,
    combine_masks,
    load_torch_decoder_layer,
    padding_mask,
    to_torch_mha_masks,
)

EMBED_DIM = 8
NUM_HEADS = 2
FF_DIM = 16
BATCH = 2
TARGET_LEN = 4
SOURCE_LEN = 6
# float32 round-off through three attention blocks and layer norms.
ATOL = 1e-5
RTOL = 1e-5


def torch_layer(norm_first=False, activation="relu"):
    layer = nn.TransformerDecoderLayer(
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


def masks(kind):
    """Our (self_mask, memory_mask) and PyTorch's four mask arguments."""
    if kind == "none":
        return (None, None), {}
    causal = causal_mask(TARGET_LEN)
    blocked, _ = to_torch_mha_masks(causal)
    if kind == "causal":
        return (causal, None), {"tgt_mask": blocked, "tgt_is_causal": True}
    target_padding = padding_mask(torch.tensor([2, 4]), max_len=TARGET_LEN)
    source_padding = padding_mask(torch.tensor([6, 3]), max_len=SOURCE_LEN)
    _, target_key_padding = to_torch_mha_masks(None, target_padding)
    _, source_key_padding = to_torch_mha_masks(None, source_padding)
    ours = (combine_masks(causal, target_padding), source_padding)
    theirs = {
        "tgt_mask": blocked,
        "tgt_is_causal": True,
        "tgt_key_padding_mask": target_key_padding,
        "memory_key_padding_mask": source_key_padding,
    }
    return ours, theirs


@pytest.mark.parametrize("mask_kind", ["none", "causal", "causal_and_padding"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_layer_equals_torch(norm_first, activation, mask_kind):
    torch.manual_seed(0)
    theirs = torch_layer(norm_first, activation)
    ours = DecoderLayer(
        EMBED_DIM, NUM_HEADS, FF_DIM, activation=activation, norm_first=norm_first
    )
    load_torch_decoder_layer(ours, theirs).eval()
    target = torch.randn(BATCH, TARGET_LEN, EMBED_DIM)
    memory = torch.randn(BATCH, SOURCE_LEN, EMBED_DIM)
    (self_mask, memory_mask), torch_masks = masks(mask_kind)

    output, weights = ours(target, memory, self_mask, memory_mask)
    expected = theirs(target, memory, **torch_masks)

    assert weights is None
    assert output.shape == (BATCH, TARGET_LEN, EMBED_DIM)
    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)


def test_layer_weights_have_self_and_cross_shapes_and_respect_masks():
    torch.manual_seed(1)
    layer = DecoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM).eval()
    target = torch.randn(BATCH, TARGET_LEN, EMBED_DIM)
    memory = torch.randn(BATCH, SOURCE_LEN, EMBED_DIM)
    (self_mask, memory_mask), _ = masks("causal_and_padding")
    _, weights = layer(target, memory, self_mask, memory_mask, need_weights=True)
    assert weights["self"].shape == (BATCH, NUM_HEADS, TARGET_LEN, TARGET_LEN)
    assert weights["cross"].shape == (BATCH, NUM_HEADS, TARGET_LEN, SOURCE_LEN)
    # Nothing above the diagonal; nothing on the second source's padding.
    future = ~causal_mask(TARGET_LEN)
    assert torch.all(weights["self"][..., future] == 0.0)
    assert torch.all(weights["cross"][1, ..., 3:] == 0.0)
    torch.testing.assert_close(
        weights["cross"].sum(-1), torch.ones(BATCH, NUM_HEADS, TARGET_LEN)
    )


def torch_and_our_stacks(norm_first, num_layers=2):
    final_norm = nn.LayerNorm(EMBED_DIM) if norm_first else None
    theirs = nn.TransformerDecoder(torch_layer(norm_first), num_layers, final_norm)
    randomize_biases_and_norms(theirs)  # the layers were deep copies: differ them
    ours = Decoder(num_layers, EMBED_DIM, NUM_HEADS, FF_DIM, norm_first=norm_first)
    for our, their in zip(ours.layers, theirs.layers, strict=True):
        load_torch_decoder_layer(our, their)
    assert (ours.final_norm is None) == (theirs.norm is None)
    if final_norm is not None:
        ours.final_norm.load_state_dict(theirs.norm.state_dict())
    return theirs.eval(), ours.eval()


@pytest.mark.parametrize("use_padding", [False, True], ids=["causal", "padding"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_stack_equals_torch_and_applies_the_causal_mask_itself(norm_first, use_padding):
    torch.manual_seed(2)
    theirs, ours = torch_and_our_stacks(norm_first)
    target = torch.randn(BATCH, TARGET_LEN, EMBED_DIM)
    memory = torch.randn(BATCH, SOURCE_LEN, EMBED_DIM)
    target_padding = source_padding = None
    torch_masks = {"tgt_mask": ~causal_mask(TARGET_LEN), "tgt_is_causal": True}
    if use_padding:
        target_padding = padding_mask(torch.tensor([3, 4]), max_len=TARGET_LEN)
        source_padding = padding_mask(torch.tensor([2, 6]), max_len=SOURCE_LEN)
        torch_masks["tgt_key_padding_mask"] = ~target_padding[:, 0, 0]
        torch_masks["memory_key_padding_mask"] = ~source_padding[:, 0, 0]

    # Decoder's own argument order: target padding, then the memory mask.
    output, weights = ours(target, memory, target_padding, source_padding, True)
    expected = theirs(target, memory, **torch_masks)

    torch.testing.assert_close(output, expected, atol=ATOL, rtol=RTOL)
    assert len(weights) == 2 and set(weights[0]) == {"self", "cross"}


def test_stack_output_at_a_position_ignores_every_later_position():
    torch.manual_seed(3)
    decoder = Decoder(2, EMBED_DIM, NUM_HEADS, FF_DIM).eval()
    target = torch.randn(BATCH, TARGET_LEN, EMBED_DIM)
    memory = torch.randn(BATCH, SOURCE_LEN, EMBED_DIM)
    reference, _ = decoder(target, memory)
    for position in range(TARGET_LEN):
        changed = target.clone()
        changed[:, position] = torch.randn(BATCH, EMBED_DIM)
        output, _ = decoder(changed, memory)
        # Earlier outputs stay exactly as they were (up to round-off)...
        torch.testing.assert_close(
            output[:, :position], reference[:, :position], atol=ATOL, rtol=RTOL
        )
        # ...while this position and every later one see the change.
        moved = (output[:, position:] - reference[:, position:]).abs().amax(-1)
        assert torch.all(moved > 1e-3)


def test_layer_without_a_mask_is_not_causal():
    # DecoderLayer leaves the mask to its caller: with none, the future leaks.
    torch.manual_seed(4)
    layer = DecoderLayer(EMBED_DIM, NUM_HEADS, FF_DIM).eval()
    target = torch.randn(1, TARGET_LEN, EMBED_DIM)
    memory = torch.randn(1, SOURCE_LEN, EMBED_DIM)
    changed = target.clone()
    changed[:, -1] = torch.randn(EMBED_DIM)
    assert not torch.allclose(
        layer(target, memory)[0][:, 0], layer(changed, memory)[0][:, 0]
    )
    causal = causal_mask(TARGET_LEN)
    torch.testing.assert_close(
        layer(target, memory, causal)[0][:, 0], layer(changed, memory, causal)[0][:, 0]
    )
