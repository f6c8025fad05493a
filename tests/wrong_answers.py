"""Deliberately wrong answers to the exercises, one per usual mistake.

Each is written the way a learner would write it, by hand, not by calling the
checkers' own mistake generators, so the tests show that a checker recognises
real code. ``WRONG_ANSWERS`` lists ``(part, mistake key, word in the hint,
answer)``; the word is a literal the hint must contain.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from mha_course import (
    DecoderLayer,
    EncoderLayer,
    MultiHeadAttention,
    SingleHeadAttention,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    split_heads,
)

HIDDEN = -1e9  # what a learner typically fills masked scores with


# --- exercise 01: NumPy softmax and projections --------------------------------


def softmax_unstable(x, axis=-1):
    exps = np.exp(x)
    return exps / exps.sum(axis=axis, keepdims=True)


def softmax_axis_ignored(x, axis=-1):
    exps = np.exp(x - x.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def softmax_no_keepdims(x, axis=-1):
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis)


def qkv_keys_as_values(x, w_query, w_key, w_value):
    return x @ w_query, x @ w_key, x @ w_key


# --- exercise 02: scores and attention ------------------------------------------


def scores_unscaled(query, key):
    return query @ key.transpose(-2, -1)


def scores_divided_by_width(query, key):
    return query @ key.transpose(-2, -1) / query.shape[-1]


def _attention(scale=True, dim=-1, mask_mode="hide", average="value"):
    """A hand-written attention with one switch flipped."""

    def attention(query, key, value, mask=None, *, dropout_p=0.0, training=False):
        scores = query @ key.transpose(-2, -1)
        if scale:
            scores = scores / math.sqrt(query.shape[-1])
        if mask is not None and mask_mode == "hide":
            scores = scores.masked_fill(~mask, HIDDEN)
        if mask is not None and mask_mode == "inverted":
            scores = scores.masked_fill(mask, HIDDEN)
        weights = torch.softmax(scores, dim=dim)
        if mask is not None and mask_mode == "after":
            weights = weights * mask
        if training and dropout_p > 0:
            weights = F.dropout(weights, p=dropout_p)
        return weights @ (key if average == "key" else value), weights

    return attention


# --- exercise 03: one head ------------------------------------------------------


class HeadKeysAsValues(SingleHeadAttention):
    def forward(self, query, key=None, value=None, mask=None):
        key = query if key is None else key
        value = key if value is None else value
        q, k = self.q_proj(query), self.k_proj(key)
        _, weights = scaled_dot_product_attention(q, k, self.v_proj(value), mask)
        return weights @ k, weights


class HeadUnscaled(SingleHeadAttention):
    def forward(self, query, key=None, value=None, mask=None):
        key = query if key is None else key
        value = key if value is None else value
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        scores = q @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores.masked_fill(~mask, HIDDEN)
        weights = scores.softmax(dim=-1)
        return weights @ v, weights


class HeadValueFromQuery(SingleHeadAttention):
    def forward(self, query, key=None, value=None, mask=None):
        key = query if key is None else key
        value = query if value is None else value
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        return scaled_dot_product_attention(q, k, v, mask)


# --- exercise 04: heads ---------------------------------------------------------


def split_by_reshape(x, num_heads):
    batch, length, width = x.shape
    # (B, T, D) -> (B, H, T, d_head) in one reshape: scrambles tokens
    return x.reshape(batch, num_heads, length, width // num_heads)


def split_with_extra_axis(x, num_heads):
    # (B, T, D) -> (B, 1, T, D): a head axis, but no split
    return x.unsqueeze(1)


def merge_by_reshape(x):
    batch, num_heads, length, head_dim = x.shape
    # (B, H, T, d_head) -> (B, T, D) in one reshape: scrambles tokens
    return x.reshape(batch, length, num_heads * head_dim)


def merge_with_view(x):
    batch, num_heads, length, head_dim = x.shape
    # (B, H, T, d_head) -> (B, T, H, d_head) -> .view fails: not contiguous
    return x.transpose(1, 2).view(batch, length, num_heads * head_dim)


# --- exercise 05: the multi-head module -----------------------------------------


def _multi_head(
    split=split_heads, out_proj=True, divisor=None, mask_after_softmax=False
):
    class Wrong(MultiHeadAttention):
        def forward(self, query, key, value, mask=None, need_weights=True):
            q = split(self.q_proj(query), self.num_heads)
            k = split(self.k_proj(key), self.num_heads)
            v = split(self.v_proj(value), self.num_heads)
            scale = divisor(self) if divisor else math.sqrt(self.head_dim)
            scores = q @ k.transpose(-2, -1) / scale
            if mask is not None and not mask_after_softmax:
                scores = scores.masked_fill(~mask, HIDDEN)
            weights = scores.softmax(dim=-1)
            if mask is not None and mask_after_softmax:
                weights = weights.masked_fill(~mask, 0.0)
            output = merge_heads(weights @ v)
            if out_proj:
                output = self.out_proj(output)
            return output, (weights if need_weights else None)

    return Wrong


# --- exercise 06: masks ---------------------------------------------------------


def causal_diagonal_hidden(size, device=None):
    return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device), -1)


def causal_one_future(size, device=None):
    return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device), 1)


def causal_inverted(size, device=None):
    return torch.triu(torch.ones(size, size, dtype=torch.bool, device=device), 1)


def causal_as_floats(size, device=None):
    return torch.tril(torch.ones(size, size, device=device))


def padding_inverted(lengths, max_len=None):
    return ~padding_mask(lengths, max_len)


def padding_flat(lengths, max_len=None):
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len) < lengths[:, None]


def combine_with_or(*masks):
    present = [m for m in masks if m is not None]
    if not present:
        return None
    combined = present[0]
    for mask in present[1:]:
        combined = combined | mask
    return combined


def combine_keeping_none(*masks):
    combined = masks[0]
    for mask in masks[1:]:
        combined = combined & mask
    return combined


# --- exercise 07: encoder layer -------------------------------------------------


class EncoderNoAttentionResidual(EncoderLayer):
    def forward(self, x, mask=None, need_weights=False):
        attended, weights = self.self_attn(x, x, x, mask, need_weights)
        x = self.self_attn_norm(attended)
        x = self.ff_norm(x + self.feed_forward(x))
        return x, weights


class EncoderNoFeedForwardResidual(EncoderLayer):
    def forward(self, x, mask=None, need_weights=False):
        attended, weights = self.self_attn(x, x, x, mask, need_weights)
        x = self.self_attn_norm(x + attended)
        x = self.ff_norm(self.feed_forward(x))
        return x, weights


class EncoderPreNorm(EncoderLayer):
    def forward(self, x, mask=None, need_weights=False):
        h = self.self_attn_norm(x)
        attended, weights = self.self_attn(h, h, h, mask, need_weights)
        x = x + attended
        x = x + self.feed_forward(self.ff_norm(x))
        return x, weights


class EncoderMaskIgnored(EncoderLayer):
    def forward(self, x, mask=None, need_weights=False):
        attended, weights = self.self_attn(x, x, x, need_weights=need_weights)
        x = self.self_attn_norm(x + attended)
        x = self.ff_norm(x + self.feed_forward(x))
        return x, weights


# --- exercise 08: decoder layer -------------------------------------------------


def _decoder(cross="right", self_residual=True):
    class Wrong(DecoderLayer):
        def forward(
            self, x, memory, self_mask=None, memory_mask=None, need_weights=False
        ):
            attended, self_weights = self.self_attn(x, x, x, self_mask, need_weights)
            x = self.self_attn_norm(x + attended if self_residual else attended)
            if cross == "keys_values_from_decoder":
                query, source = x, x
            elif cross == "queries_from_memory":
                query, source = memory, x
            else:
                query, source = x, memory
            attended, cross_weights = self.cross_attn(
                query, source, source, memory_mask, need_weights
            )
            x = self.cross_attn_norm(x + attended)
            x = self.ff_norm(x + self.feed_forward(x))
            weights = {"self": self_weights, "cross": cross_weights}
            return x, (weights if need_weights else None)

    return Wrong


class DecoderSelfMaskIgnored(DecoderLayer):
    def forward(self, x, memory, self_mask=None, memory_mask=None, need_weights=False):
        attended, self_weights = self.self_attn(x, x, x, None, need_weights)
        x = self.self_attn_norm(x + attended)
        attended, cross_weights = self.cross_attn(
            x, memory, memory, memory_mask, need_weights
        )
        x = self.cross_attn_norm(x + attended)
        x = self.ff_norm(x + self.feed_forward(x))
        weights = {"self": self_weights, "cross": cross_weights}
        return x, (weights if need_weights else None)


# (part, mistake key, a word the hint must contain, the wrong answer)
WRONG_ANSWERS = [
    ("softmax", "unstable", "maximum", softmax_unstable),
    ("softmax", "axis_ignored", "axis", softmax_axis_ignored),
    ("softmax", "no_keepdims_in_sum", "keepdims=True", softmax_no_keepdims),
    ("qkv_projections", "keys_as_values", "w_value", qkv_keys_as_values),
    ("attention_scores", "no_scaling", "math.sqrt(d_head)", scores_unscaled),
    ("attention_scores", "scaled_by_head_dim", "once", scores_divided_by_width),
    ("scaled_dot_product_attention", "no_scaling", "sqrt", _attention(scale=False)),
    (
        "scaled_dot_product_attention",
        "softmax_over_queries",
        "dim=-1",
        _attention(dim=-2),
    ),
    (
        "scaled_dot_product_attention",
        "mask_inverted",
        "~mask",
        _attention(mask_mode="inverted"),
    ),
    (
        "scaled_dot_product_attention",
        "mask_after_softmax",
        "before the softmax",
        _attention(mask_mode="after"),
    ),
    (
        "scaled_dot_product_attention",
        "mask_ignored",
        "masked_fill",
        _attention(mask_mode="none"),
    ),
    (
        "scaled_dot_product_attention",
        "keys_as_values",
        "weights @ value",
        _attention(average="key"),
    ),
    ("single_head_attention", "keys_as_values", "weights @ value", HeadKeysAsValues),
    ("single_head_attention", "no_scaling", "sqrt", HeadUnscaled),
    (
        "single_head_attention",
        "value_defaults_to_query",
        "value = key",
        HeadValueFromQuery,
    ),
    ("split_heads", "reshape_without_transpose", ".transpose(1, 2)", split_by_reshape),
    ("merge_heads", "reshape_without_transpose", ".transpose(1, 2)", merge_by_reshape),
    (
        "multi_head_attention",
        "split_by_reshape",
        "split_heads",
        _multi_head(split=split_by_reshape),
    ),
    (
        "multi_head_attention",
        "no_output_projection",
        "out_proj",
        _multi_head(out_proj=False),
    ),
    ("multi_head_attention", "no_scaling", "sqrt", _multi_head(divisor=lambda m: 1.0)),
    (
        "multi_head_attention",
        "scaled_by_embed_dim",
        "head_dim",
        _multi_head(divisor=lambda m: math.sqrt(m.embed_dim)),
    ),
    (
        "multi_head_attention",
        "mask_after_softmax",
        "before the softmax",
        _multi_head(mask_after_softmax=True),
    ),
    ("causal_mask", "diagonal_hidden", "diagonal", causal_diagonal_hidden),
    ("causal_mask", "one_future_visible", "diagonal=1", causal_one_future),
    ("causal_mask", "inverted", "True means may attend", causal_inverted),
    ("padding_mask", "inverted", "True means may attend", padding_inverted),
    ("padding_mask", "flat", "keep[:, None, None, :]", padding_flat),
    ("combine_masks", "or_instead_of_and", "&", combine_with_or),
    (
        "encoder_layer",
        "no_attention_residual",
        "x + attended",
        EncoderNoAttentionResidual,
    ),
    (
        "encoder_layer",
        "no_ff_residual",
        "x + self.feed_forward(x)",
        EncoderNoFeedForwardResidual,
    ),
    ("encoder_layer", "pre_norm_layout", "post-norm", EncoderPreNorm),
    ("encoder_layer", "mask_ignored", "mask=mask", EncoderMaskIgnored),
    (
        "decoder_layer",
        "cross_keys_values_from_decoder",
        "memory, memory",
        _decoder(cross="keys_values_from_decoder"),
    ),
    (
        "decoder_layer",
        "cross_queries_from_memory",
        "memory, memory",
        _decoder(cross="queries_from_memory"),
    ),
    (
        "decoder_layer",
        "no_self_residual",
        "x + attended",
        _decoder(self_residual=False),
    ),
    ("decoder_layer", "self_mask_ignored", "self_mask", DecoderSelfMaskIgnored),
]

# Wrong answers no mistake explains: (part, words the verdict must contain, answer)
UNRECOGNISED_ANSWERS = [
    (
        "split_heads",
        ("has shape (2, 1, 5, 12)", "expected (2, 3, 5, 4)"),
        split_with_extra_axis,
    ),
    ("merge_heads", ("RuntimeError", ".reshape"), merge_with_view),
    ("causal_mask", ("dtype torch.float32", "torch.bool"), causal_as_floats),
    ("combine_masks", ("TypeError", "None"), combine_keeping_none),
]
