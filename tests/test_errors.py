"""Bad input raises ValueError or TypeError naming what was expected and what came.

Each case is a call that a learner could plausibly get wrong, the exception it
must raise, and fragments its message must contain: usually the received shape,
dtype or value, and a word for what was expected.
"""

import numpy as np
import pytest
import torch

from mha_course import (
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    LoopedMultiHeadAttention,
    MultiHeadAttention,
    PositionalEncoding,
    SingleHeadAttention,
    Transformer,
    attention_scores,
    causal_mask,
    combine_masks,
    masked_softmax,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
    split_heads,
    to_torch_mha_masks,
)
from mha_course import numpy_attention as npa

D = 8  # model width of every module below
H = 2  # heads


def randn(*shape):
    return torch.randn(*shape)


def mha(*args, **kwargs):
    return MultiHeadAttention(D, H)(*args, **kwargs)


def transformer():
    return Transformer(5, 6, embed_dim=D, num_heads=H, num_layers=1, max_len=8)


# (call, exception type, fragments the message must contain)
CASES = {
    # ---- scaled dot-product attention
    "sdpa_query_key_widths_differ": (
        lambda: scaled_dot_product_attention(randn(3, 4), randn(5, 6), randn(5, 6)),
        ValueError,
        ["same last dimension", "(3, 4)", "(5, 6)"],
    ),
    "sdpa_key_value_lengths_differ": (
        lambda: scaled_dot_product_attention(randn(3, 4), randn(5, 4), randn(6, 4)),
        ValueError,
        ["same length", "(5, 4)", "(6, 4)"],
    ),
    "sdpa_batch_dims_do_not_broadcast": (
        lambda: scaled_dot_product_attention(
            randn(2, 3, 4), randn(3, 5, 4), randn(3, 5, 4)
        ),
        ValueError,
        ["broadcast", "(2, 3, 4)", "(3, 5, 4)"],
    ),
    "sdpa_value_batch_dims_do_not_broadcast": (
        lambda: scaled_dot_product_attention(
            randn(2, 3, 4), randn(2, 5, 4), randn(3, 5, 6)
        ),
        ValueError,
        ["broadcast", "(3, 5, 6)"],
    ),
    "sdpa_1d_input": (
        lambda: scaled_dot_product_attention(randn(4), randn(4), randn(4)),
        ValueError,
        ["at least 2 dimensions", "(4,)"],
    ),
    "sdpa_float_mask": (
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 4), torch.ones(3, 5)
        ),
        TypeError,
        ["boolean", "torch.float32"],
    ),
    "sdpa_int_mask": (
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 4), torch.ones(3, 5, dtype=torch.int64)
        ),
        TypeError,
        ["boolean", "torch.int64"],
    ),
    "sdpa_mask_does_not_broadcast": (
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 4), torch.ones(5, 3, dtype=torch.bool)
        ),
        ValueError,
        ["(5, 3)", "(3, 5)", "broadcast"],
    ),
    "sdpa_mask_with_extra_dims": (
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 4), torch.ones(2, 3, 5, dtype=torch.bool)
        ),
        ValueError,
        ["(2, 3, 5)", "(3, 5)"],
    ),
    "sdpa_list_input": (
        lambda: scaled_dot_product_attention([[1.0]], randn(1, 1), randn(1, 1)),
        TypeError,
        ["query", "torch.Tensor", "list"],
    ),
    "sdpa_integer_tensor": (
        lambda: scaled_dot_product_attention(
            torch.ones(2, 3, dtype=torch.long), randn(4, 3), randn(4, 3)
        ),
        TypeError,
        ["floating-point", "torch.int64"],
    ),
    "attention_scores_widths_differ": (
        lambda: attention_scores(randn(2, 3), randn(2, 4)),
        ValueError,
        ["(2, 3)", "(2, 4)"],
    ),
    "masked_softmax_mask_not_tensor": (
        lambda: masked_softmax(randn(2, 3), [[True, False, True]] * 2),
        TypeError,
        ["torch.Tensor", "list"],
    ),
    # ---- multi-head attention
    "mha_2d_input": (
        lambda: mha(randn(5, D), randn(5, D), randn(5, D)),
        ValueError,
        ["3 dimensions", "(5, 8)"],
    ),
    "mha_wrong_embed_dim": (
        lambda: mha(randn(2, 5, 6), randn(2, 5, 6), randn(2, 5, 6)),
        ValueError,
        ["embed_dim=8", "(2, 5, 6)"],
    ),
    "mha_key_value_lengths_differ": (
        lambda: mha(randn(2, 3, D), randn(2, 5, D), randn(2, 4, D)),
        ValueError,
        ["(2, 5, 8)", "(2, 4, 8)"],
    ),
    "mha_batch_sizes_differ": (
        lambda: mha(randn(2, 3, D), randn(3, 5, D), randn(3, 5, D)),
        ValueError,
        ["batch size", "(2, 3, 8)", "(3, 5, 8)"],
    ),
    "mha_embed_dim_not_divisible": (
        lambda: MultiHeadAttention(10, 4),
        ValueError,
        ["divisible", "embed_dim=10", "num_heads=4"],
    ),
    "mha_num_heads_not_int": (
        lambda: MultiHeadAttention(8, 2.0),
        TypeError,
        ["num_heads", "int", "float"],
    ),
    "mha_num_heads_zero": (
        lambda: MultiHeadAttention(8, 0),
        ValueError,
        ["num_heads", "positive", "0"],
    ),
    "mha_dropout_out_of_range": (
        lambda: MultiHeadAttention(8, 2, dropout=1.5),
        ValueError,
        ["[0, 1)", "1.5"],
    ),
    "mha_float_mask": (
        lambda: mha(randn(2, 3, D), randn(2, 3, D), randn(2, 3, D), torch.ones(3, 3)),
        TypeError,
        ["boolean", "torch.float32"],
    ),
    "mha_mask_does_not_broadcast": (
        lambda: mha(
            randn(2, 3, D),
            randn(2, 4, D),
            randn(2, 4, D),
            torch.ones(3, 3, dtype=torch.bool),
        ),
        ValueError,
        ["(3, 3)", "(2, 2, 3, 4)"],
    ),
    "mha_padding_mask_of_wrong_batch": (
        lambda: mha(
            randn(2, 3, D),
            randn(2, 4, D),
            randn(2, 4, D),
            padding_mask(torch.tensor([1, 2, 3]), max_len=4),
        ),
        ValueError,
        ["(3, 1, 1, 4)", "(2, 2, 3, 4)"],
    ),
    "mha_list_input": (
        lambda: mha([[[1.0] * D]], randn(1, 1, D), randn(1, 1, D)),
        TypeError,
        ["query", "list"],
    ),
    "mha_integer_tensor": (
        lambda: mha(
            torch.ones(1, 2, D, dtype=torch.long), randn(1, 2, D), randn(1, 2, D)
        ),
        TypeError,
        ["floating-point", "torch.int64"],
    ),
    "looped_mha_load_from_other_sizes": (
        lambda: LoopedMultiHeadAttention(D, H).load_from(MultiHeadAttention(D, 4)),
        ValueError,
        ["8, 2", "8, 4"],
    ),
    "looped_mha_wrong_width": (
        lambda: LoopedMultiHeadAttention(D, H)(*[randn(1, 2, 6)] * 3),
        ValueError,
        ["(1, 2, 6)"],
    ),
    "single_head_wrong_width": (
        lambda: SingleHeadAttention(D)(randn(2, 3, 6)),
        ValueError,
        ["D=8", "(2, 3, 6)"],
    ),
    "single_head_2d_input": (
        lambda: SingleHeadAttention(D)(randn(3, D)),
        ValueError,
        ["3 dimensions", "(3, 8)"],
    ),
    # ---- heads
    "split_heads_not_divisible": (
        lambda: split_heads(randn(2, 3, 10), 4),
        ValueError,
        ["D=10", "num_heads=4"],
    ),
    "split_heads_2d": (
        lambda: split_heads(randn(3, 8), 2),
        ValueError,
        ["3 dimensions", "(3, 8)"],
    ),
    "split_heads_num_heads_not_int": (
        lambda: split_heads(randn(2, 3, 8), "2"),
        TypeError,
        ["num_heads", "str"],
    ),
    "merge_heads_3d": (
        lambda: merge_heads(randn(2, 3, 8)),
        ValueError,
        ["4 dimensions", "(2, 3, 8)"],
    ),
    # ---- masks
    "causal_mask_size_zero": (
        lambda: causal_mask(0),
        ValueError,
        ["at least 1", "0"],
    ),
    "causal_mask_size_float": (
        lambda: causal_mask(3.0),
        TypeError,
        ["int", "float"],
    ),
    "padding_mask_float_lengths": (
        lambda: padding_mask(torch.tensor([2.0, 3.0])),
        TypeError,
        ["integer", "torch.float32"],
    ),
    "padding_mask_2d_lengths": (
        lambda: padding_mask(torch.tensor([[2, 3]])),
        ValueError,
        ["(B,)", "(1, 2)"],
    ),
    "padding_mask_negative_length": (
        lambda: padding_mask(torch.tensor([2, -1])),
        ValueError,
        ["non-negative", "[2, -1]"],
    ),
    "padding_mask_length_over_max_len": (
        lambda: padding_mask(torch.tensor([2, 7]), max_len=5),
        ValueError,
        ["7", "max_len=5"],
    ),
    "combine_masks_float": (
        lambda: combine_masks(causal_mask(3), torch.ones(3, 3)),
        TypeError,
        ["boolean", "torch.float32"],
    ),
    "combine_masks_do_not_broadcast": (
        lambda: combine_masks(causal_mask(3), causal_mask(4)),
        ValueError,
        ["(3, 3)", "(4, 4)"],
    ),
    "to_torch_mha_masks_3d_attn_mask": (
        lambda: to_torch_mha_masks(torch.ones(1, 3, 3, dtype=torch.bool)),
        ValueError,
        ["(T_q, T_k)", "(1, 3, 3)"],
    ),
    "to_torch_mha_masks_int_mask": (
        lambda: to_torch_mha_masks(torch.ones(3, 3, dtype=torch.int64)),
        TypeError,
        ["boolean", "torch.int64"],
    ),
    "to_torch_mha_masks_padding_not_from_padding_mask": (
        lambda: to_torch_mha_masks(padding=torch.ones(2, 4, dtype=torch.bool)),
        ValueError,
        ["(B, 1, 1, T_k)", "(2, 4)"],
    ),
    # ---- positions
    "positional_odd_width": (
        lambda: sinusoidal_positional_encoding(4, 7),
        ValueError,
        ["even", "7"],
    ),
    "positional_zero_length": (
        lambda: sinusoidal_positional_encoding(0, 8),
        ValueError,
        ["max_len", "0"],
    ),
    "positional_module_input_too_long": (
        lambda: PositionalEncoding(D, max_len=4)(randn(1, 6, D)),
        ValueError,
        ["T <= 4", "(1, 6, 8)"],
    ),
    "positional_module_list_input": (
        lambda: PositionalEncoding(D)([[0.0] * D]),
        TypeError,
        ["torch.Tensor", "list"],
    ),
    # ---- encoder and decoder
    "encoder_layer_wrong_width_post_norm": (
        lambda: EncoderLayer(D, H)(randn(2, 5, 6)),
        ValueError,
        ["(2, 5, 6)"],
    ),
    "encoder_layer_wrong_width_pre_norm": (
        lambda: EncoderLayer(D, H, norm_first=True)(randn(2, 5, 6)),
        ValueError,
        ["D=8", "(2, 5, 6)"],
    ),
    "encoder_2d_input": (
        lambda: Encoder(1, D, H)(randn(5, D)),
        ValueError,
        ["3 dimensions", "(5, 8)"],
    ),
    "encoder_bad_activation": (
        lambda: Encoder(1, D, H, activation="tanh"),
        ValueError,
        ["relu", "gelu", "'tanh'"],
    ),
    "encoder_no_layers": (
        lambda: Encoder(0, D, H),
        ValueError,
        ["positive", "0"],
    ),
    "decoder_layer_wrong_width_pre_norm": (
        lambda: DecoderLayer(D, H, norm_first=True)(randn(2, 3, 6), randn(2, 4, D)),
        ValueError,
        ["x", "(2, 3, 6)"],
    ),
    "decoder_layer_wrong_memory_width": (
        lambda: DecoderLayer(D, H)(randn(2, 3, D), randn(2, 4, 6)),
        ValueError,
        ["memory", "(2, 4, 6)"],
    ),
    "decoder_memory_batch_differs": (
        lambda: Decoder(1, D, H)(randn(2, 3, D), randn(3, 4, D)),
        ValueError,
        ["batch", "(3, 4, 8)"],
    ),
    # ---- transformer
    "transformer_token_id_too_large": (
        lambda: transformer()(torch.tensor([[0, 4, 5]]), torch.tensor([[1, 2]])),
        ValueError,
        ["[0, 5)", "5"],
    ),
    "transformer_negative_token_id": (
        lambda: transformer()(torch.tensor([[0, 1]]), torch.tensor([[1, -2]])),
        ValueError,
        ["[0, 6)", "-2"],
    ),
    "transformer_float_tokens": (
        lambda: transformer()(torch.zeros(1, 3), torch.tensor([[1, 2]])),
        TypeError,
        ["integer", "torch.float32"],
    ),
    "transformer_bool_tokens": (
        lambda: transformer()(torch.ones(1, 3, dtype=torch.bool), torch.tensor([[1]])),
        TypeError,
        ["integer", "torch.bool"],
    ),
    "transformer_1d_tokens": (
        lambda: transformer()(torch.tensor([0, 1, 2]), torch.tensor([[1, 2]])),
        ValueError,
        ["(B, T)", "(3,)"],
    ),
    "transformer_target_longer_than_max_len": (
        lambda: transformer()(
            torch.tensor([[0, 1]]), torch.ones(1, 9, dtype=torch.long)
        ),
        ValueError,
        ["T <= 8", "9"],
    ),
    "transformer_embed_dim_not_divisible": (
        lambda: Transformer(5, 5, embed_dim=10, num_heads=4),
        ValueError,
        ["embed_dim=10", "num_heads=4"],
    ),
    # ---- NumPy twins
    "numpy_softmax_list": (
        lambda: npa.softmax([1.0, 2.0]),
        TypeError,
        ["NumPy array", "list"],
    ),
    "numpy_softmax_int_array": (
        lambda: npa.softmax(np.array([1, 2])),
        TypeError,
        ["floats", "int64"],
    ),
    "numpy_qkv_weight_wrong_rows": (
        lambda: npa.qkv_projections(
            np.ones((3, 4)), np.ones((5, 2)), np.ones((4, 2)), np.ones((4, 2))
        ),
        ValueError,
        ["w_query", "D = 4", "(5, 2)"],
    ),
    "numpy_qkv_query_key_widths_differ": (
        lambda: npa.qkv_projections(
            np.ones((3, 4)), np.ones((4, 2)), np.ones((4, 3)), np.ones((4, 2))
        ),
        ValueError,
        ["same width", "2", "3"],
    ),
    "numpy_scores_widths_differ": (
        lambda: npa.attention_scores(np.ones((2, 3)), np.ones((2, 4))),
        ValueError,
        ["(2, 3)", "(2, 4)"],
    ),
    "numpy_key_value_lengths_differ": (
        lambda: npa.scaled_dot_product_attention(
            np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3))
        ),
        ValueError,
        ["(4, 3)", "(5, 3)"],
    ),
    "numpy_int_mask": (
        lambda: npa.scaled_dot_product_attention(
            np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 3)), np.ones((2, 4), int)
        ),
        TypeError,
        ["boolean", "int64"],
    ),
    "numpy_mask_does_not_broadcast": (
        lambda: npa.scaled_dot_product_attention(
            np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 3)), np.ones((4, 2), bool)
        ),
        ValueError,
        ["(4, 2)", "(2, 4)"],
    ),
    "numpy_mask_with_extra_dims": (
        lambda: npa.scaled_dot_product_attention(
            np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 3)), np.ones((5, 2, 4), bool)
        ),
        ValueError,
        ["(5, 2, 4)", "(2, 4)"],
    ),
}


@pytest.mark.parametrize(
    ("call", "error", "fragments"), CASES.values(), ids=list(CASES.keys())
)
def test_bad_input_is_reported_clearly(call, error, fragments):
    torch.manual_seed(0)
    with pytest.raises(error) as caught:
        call()
    # Exactly the promised type, not a subclass or a RuntimeError from deep inside.
    assert type(caught.value) is error
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_multi_head_refuses_a_per_batch_mask_without_a_heads_axis():
    """(B, T_q, T_k) with B == H would silently mask per head instead of per item."""
    from mha_course import MultiHeadAttention

    mha = MultiHeadAttention(embed_dim=8, num_heads=2)
    x = torch.randn(2, 3, 8)
    per_item = torch.ones(2, 3, 3, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"\(2, 3, 3\).*mask\[:, None\]"):
        mha(x, x, x, per_item)
    out, _ = mha(x, x, x, per_item[:, None])
    assert out.shape == (2, 3, 8)
