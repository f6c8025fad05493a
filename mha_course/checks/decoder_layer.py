"""Check for exercise 08: the forward pass of a decoder layer (post-norm)."""

from __future__ import annotations

import torch

from ..decoder import DecoderLayer
from ..masks import causal_mask, combine_masks, padding_mask
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check
from .encoder_layer import LAYER_SIZES, perturb_norms

__all__ = ["check_decoder_layer"]

ALL_RESIDUALS = ("self_attn", "cross_attn", "ff")


def _cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 7)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    target_padding = padding_mask(torch.tensor([4, 3]))
    return [
        Case(
            "x (2, 4, 16), memory (2, 6, 16), causal self_mask (4, 4), "
            "need_weights=True",
            (randn(2, 4, 16), randn(2, 6, 16)),
            {"self_mask": causal_mask(4), "need_weights": True},
            build=LAYER_SIZES,
        ),
        Case(
            "x (2, 4, 16), memory (2, 6, 16), causal self_mask with target "
            "padding, memory_mask (2, 1, 1, 6), need_weights=True",
            (randn(2, 4, 16), randn(2, 6, 16)),
            {
                "self_mask": combine_masks(causal_mask(4), target_padding),
                "memory_mask": padding_mask(torch.tensor([6, 4])),
                "need_weights": True,
            },
            build=LAYER_SIZES,
        ),
        Case(
            "x and memory both (2, 5, 16), no masks, need_weights left False",
            (randn(2, 5, 16), randn(2, 5, 16)),
            build=LAYER_SIZES,
        ),
    ]


def _run(
    case: Case,
    layer: DecoderLayer,
    *,
    cross: str = "right",
    use_self_mask: bool = True,
    use_memory_mask: bool = True,
    residuals: tuple[str, ...] = ALL_RESIDUALS,
    pre_norm: bool = False,
    weights_always: bool = False,
) -> tuple[torch.Tensor, dict | None]:
    """The layer's post-norm forward, with a chosen mistake."""
    x, memory = case.args
    self_mask = case.kwargs.get("self_mask") if use_self_mask else None
    memory_mask = case.kwargs.get("memory_mask") if use_memory_mask else None
    need_weights = case.kwargs.get("need_weights", False)

    def sublayer(name, x, attend):
        norm = getattr(layer, f"{name}_norm")
        if pre_norm:
            return x + attend(norm(x))
        out = attend(x)
        return norm(x + out if name in residuals else out)

    weights = {}

    def self_attention(h):
        out, weights["self"] = layer.self_attn(h, h, h, self_mask, True)
        return out

    def cross_attention(h):
        sources = {
            "right": (h, memory),
            "kv_from_decoder": (h, h),
            "q_from_memory": (memory, h),
            "q_from_layer_input": (x, memory),
        }
        query, key_value = sources[cross]
        out, weights["cross"] = layer.cross_attn(
            query, key_value, key_value, memory_mask, True
        )
        return out

    hidden = sublayer("self_attn", x, self_attention)
    hidden = sublayer("cross_attn", hidden, cross_attention)
    output = sublayer("ff", hidden, layer.feed_forward)
    return output, (weights if need_weights or weights_always else None)


def _mistake(key: str, problem: str, hint: str, **options) -> Mistake:
    return Mistake(key, problem, hint, lambda case, layer: _run(case, layer, **options))


CROSS_HINT = (
    "cross-attention takes its queries from the decoder and its keys and values "
    "from the encoder: self.cross_attn(x, memory, memory, memory_mask, ...)"
)
RESIDUAL_HINT = "add the sub-layer's input back before normalising"

DECODER_LAYER = Spec(
    part="decoder_layer",
    name="DecoderLayer",
    reference=DecoderLayer,
    make_cases=_cases,
    output_names=("output", "weights"),
    prepare=perturb_norms,
    hint=(
        "three post-norm sub-layers, each x = norm(x + sublayer): "
        "self.self_attn(x, x, x, self_mask, need_weights), then "
        "self.cross_attn(x, memory, memory, memory_mask, need_weights), then "
        "self.feed_forward(x); return (x, {'self': ..., 'cross': ...} or None) "
        "(lesson 08)"
    ),
    mistakes=(
        _mistake(
            "cross_keys_values_from_decoder",
            "the cross-attention takes its keys and values from the decoder, so "
            "the layer never reads memory",
            CROSS_HINT,
            cross="kv_from_decoder",
        ),
        _mistake(
            "cross_queries_from_memory",
            "the cross-attention takes its queries from memory (the encoder) and "
            "its keys and values from the decoder",
            CROSS_HINT,
            cross="q_from_memory",
        ),
        _mistake(
            "cross_queries_from_layer_input",
            "the cross-attention's queries come from the layer's input, not from "
            "the result of the self-attention sub-layer",
            "update x after the self-attention sub-layer and use that x as the "
            "cross-attention's query",
            cross="q_from_layer_input",
        ),
        _mistake(
            "self_mask_ignored",
            "self_mask is not passed to the self-attention: each position sees "
            "its future",
            "self.self_attn(x, x, x, self_mask, need_weights)",
            use_self_mask=False,
        ),
        _mistake(
            "memory_mask_ignored",
            "memory_mask is not passed to the cross-attention: padded source "
            "positions are attended",
            "self.cross_attn(x, memory, memory, memory_mask, need_weights)",
            use_memory_mask=False,
        ),
        _mistake(
            "no_self_residual",
            "the residual around the self-attention is missing",
            f"{RESIDUAL_HINT}: x = self.self_attn_norm(x + attended)",
            residuals=("cross_attn", "ff"),
        ),
        _mistake(
            "no_cross_residual",
            "the residual around the cross-attention is missing",
            f"{RESIDUAL_HINT}: x = self.cross_attn_norm(x + attended)",
            residuals=("self_attn", "ff"),
        ),
        _mistake(
            "no_ff_residual",
            "the residual around the feed-forward network is missing",
            f"{RESIDUAL_HINT}: x = self.ff_norm(x + self.feed_forward(x))",
            residuals=("self_attn", "cross_attn"),
        ),
        _mistake(
            "pre_norm_layout",
            "the layer normalises before each sub-layer (pre-norm), but "
            "norm_first=False asks for post-norm",
            "post-norm normalises after adding the residual: norm(x + sublayer(x))",
            pre_norm=True,
        ),
        _mistake(
            "weights_when_not_needed",
            "weights are returned although need_weights=False",
            "return (x, None) when need_weights is False",
            weights_always=True,
        ),
    ),
    error_hints=(
        ("must match the size", CROSS_HINT),
        ("does not broadcast", CROSS_HINT),
    ),
)


def check_decoder_layer(module_class) -> CheckResult:
    """Check the learner's ``DecoderLayer`` class (its post-norm ``forward``).

    The check builds the package's layer (layer norms moved away from the
    identity) and the learner's, copies the weights across, and compares
    ``(output, weights)`` with causal and padding masks, and without masks.

    Args:
        module_class: the learner's ``DecoderLayer`` class.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_decoder_layer(DecoderLayer).passed
        PASS decoder_layer: matches the reference on 3 cases
        True
    """
    return run_check(DECODER_LAYER, module_class)
