"""Tests for mha_course.transformer: shapes, causality, padding, greedy decoding."""

import math

import pytest
import torch

from mha_course import Transformer, padding_mask, sinusoidal_positional_encoding

SRC_VOCAB = 11
TGT_VOCAB = 13
EMBED_DIM = 16
NUM_HEADS = 4
NUM_LAYERS = 2
BATCH = 2
SRC_LEN = 7
TGT_LEN = 5
BOS_ID = 1
# float32 round-off through two encoder and two decoder layers.
ATOL = 1e-5
RTOL = 1e-5


def model(**overrides):
    options = {"embed_dim": EMBED_DIM, "num_heads": NUM_HEADS, "num_layers": NUM_LAYERS}
    options.update(overrides)
    return Transformer(SRC_VOCAB, TGT_VOCAB, ff_dim=32, max_len=32, **options).eval()


def tokens(vocab, length):
    return torch.randint(0, vocab, (BATCH, length))


def test_shapes_of_every_entry_point():
    torch.manual_seed(0)
    net = model()
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)

    assert net(src, tgt).shape == (BATCH, TGT_LEN, TGT_VOCAB)

    memory, encoder_weights = net.encode(src, need_weights=True)
    assert memory.shape == (BATCH, SRC_LEN, EMBED_DIM)
    assert len(encoder_weights) == NUM_LAYERS

    logits, decoder_weights = net.decode(tgt, memory, need_weights=True)
    assert logits.shape == (BATCH, TGT_LEN, TGT_VOCAB)
    assert len(decoder_weights) == NUM_LAYERS

    maps = net.attention_maps(src, tgt)
    expected_shapes = {
        "encoder": (BATCH, NUM_HEADS, SRC_LEN, SRC_LEN),
        "decoder_self": (BATCH, NUM_HEADS, TGT_LEN, TGT_LEN),
        "cross": (BATCH, NUM_HEADS, TGT_LEN, SRC_LEN),
    }
    assert set(maps) == set(expected_shapes)
    for name, shape in expected_shapes.items():
        assert len(maps[name]) == NUM_LAYERS
        assert all(w.shape == shape for w in maps[name])

    generated = net.greedy_decode(src, bos_id=BOS_ID, max_len=6)
    assert generated.shape == (BATCH, 6) and generated.dtype == torch.long


def test_forward_is_encode_then_decode():
    torch.manual_seed(1)
    net = model()
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)
    src_mask = padding_mask(torch.tensor([4, 7]))
    memory, _ = net.encode(src, src_mask)
    logits, _ = net.decode(tgt, memory, src_mask)
    torch.testing.assert_close(net(src, tgt, src_mask), logits)


def test_encode_embeds_scales_adds_positions_then_encodes():
    torch.manual_seed(2)
    net = model()
    src = tokens(SRC_VOCAB, SRC_LEN)
    table = sinusoidal_positional_encoding(SRC_LEN, EMBED_DIM)
    embedded = net.src_embed.weight[src] * math.sqrt(EMBED_DIM) + table
    expected, _ = net.encoder(embedded)
    torch.testing.assert_close(net.encode(src)[0], expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_logits_never_depend_on_later_target_tokens(norm_first):
    torch.manual_seed(3)
    net = model(norm_first=norm_first)
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)
    reference = net(src, tgt)
    for position in range(TGT_LEN):
        changed = tgt.clone()
        # A different token at this position, in every sequence of the batch.
        changed[:, position] = (tgt[:, position] + 1) % TGT_VOCAB
        logits = net(src, changed)
        torch.testing.assert_close(
            logits[:, :position], reference[:, :position], atol=ATOL, rtol=RTOL
        )
        # The changed position and every later one do see it: the test can fail.
        moved = (logits[:, position:] - reference[:, position:]).abs().amax(-1)
        assert torch.all(moved > 1e-4)


def test_padded_source_tokens_are_ignored_when_masked():
    torch.manual_seed(4)
    net = model()
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)
    src_mask = padding_mask(torch.tensor([3, SRC_LEN]))
    changed = src.clone()
    changed[0, 3:] = (src[0, 3:] + 1) % SRC_VOCAB
    torch.testing.assert_close(
        net(src, tgt, src_mask), net(changed, tgt, src_mask), atol=ATOL, rtol=RTOL
    )
    assert not torch.allclose(net(src, tgt)[0], net(changed, tgt)[0])


def test_greedy_decode_equals_argmax_step_by_step():
    torch.manual_seed(5)
    net = model()
    src = tokens(SRC_VOCAB, SRC_LEN)
    src_mask = padding_mask(torch.tensor([5, 7]))
    steps = 6
    generated = net.greedy_decode(src, bos_id=BOS_ID, max_len=steps, src_mask=src_mask)

    # By hand: run the whole model on the prefix and keep the best last token.
    prefix = torch.full((BATCH, 1), BOS_ID)
    with torch.no_grad():
        for _ in range(steps):
            logits = net(src, prefix, src_mask)
            best = logits[:, -1].argmax(dim=-1)
            prefix = torch.cat([prefix, best[:, None]], dim=1)
    assert torch.equal(generated, prefix[:, 1:])


def test_attention_maps_rows_sum_to_one_and_decoder_self_is_causal():
    torch.manual_seed(6)
    net = model()
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)
    maps = net.attention_maps(src, tgt)
    for weights in (*maps["encoder"], *maps["decoder_self"], *maps["cross"]):
        torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    future = torch.ones(TGT_LEN, TGT_LEN, dtype=torch.bool).triu(diagonal=1)
    for weights in maps["decoder_self"]:
        assert torch.all(weights[..., future] == 0.0)


def test_dropout_acts_in_train_mode_only():
    torch.manual_seed(7)
    net = model(dropout=0.3)
    src, tgt = tokens(SRC_VOCAB, SRC_LEN), tokens(TGT_VOCAB, TGT_LEN)
    assert torch.equal(net(src, tgt), net(src, tgt))
    net.train()
    torch.manual_seed(8)
    first = net(src, tgt)
    torch.manual_seed(8)
    assert torch.equal(first, net(src, tgt))
    assert not torch.allclose(first, net.eval()(src, tgt))


def test_embeddings_start_as_loud_as_the_positional_encoding():
    """Scaled by sqrt(D), the embeddings' entries start with size about one."""
    torch.manual_seed(0)
    embed_dim = 64
    model = Transformer(500, 600, embed_dim=embed_dim, num_heads=4, num_layers=1)
    for embedding in (model.src_embed, model.tgt_embed):
        scaled = embedding.weight.detach() * embed_dim**0.5
        assert abs(scaled.std().item() - 1.0) < 0.05
