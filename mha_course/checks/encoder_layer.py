"""Check for exercise 07: the forward pass of an encoder layer (post-norm)."""

from __future__ import annotations

import torch
from torch import nn

from ..encoder import EncoderLayer
from ..masks import padding_mask
from ._engine import CHECK_SEED, Case, CheckResult, Mistake, Spec, run_check

__all__ = ["check_encoder_layer", "perturb_norms"]

# (embed_dim, num_heads, ff_dim): small, with the feed-forward twice as wide.
LAYER_SIZES = (16, 4, 32)
# Layer norms start as the identity map (weight 1, bias 0), which would make two
# of them indistinguishable; the check moves them this far from it.
NORM_NOISE = 0.3


def perturb_norms(module: nn.Module, generator: torch.Generator) -> None:
    """Give every LayerNorm of ``module`` its own seeded weight and bias.

    Args:
        module: the module to change in place (under ``torch.no_grad()``).
        generator: the seeded source of the noise.

    Example:
        >>> layer = EncoderLayer(8, 2)
        >>> with torch.no_grad():
        ...     perturb_norms(layer, torch.Generator().manual_seed(0))
        >>> torch.equal(layer.self_attn_norm.weight, layer.ff_norm.weight)
        False
    """
    for layer in module.modules():
        if isinstance(layer, nn.LayerNorm):
            shape = layer.weight.shape
            noise = torch.randn(shape, generator=generator)
            layer.weight.copy_(1.0 + NORM_NOISE * noise)
            if layer.bias is not None:
                layer.bias.copy_(NORM_NOISE * torch.randn(shape, generator=generator))


def _cases() -> list[Case]:
    generator = torch.Generator().manual_seed(CHECK_SEED + 6)

    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    return [
        Case(
            "x (2, 5, 16), no mask, need_weights left False",
            (randn(2, 5, 16),),
            build=LAYER_SIZES,
        ),
        Case(
            "x (2, 5, 16), padding mask (2, 1, 1, 5) with lengths 5 and 3, "
            "need_weights=True",
            (randn(2, 5, 16),),
            {"mask": padding_mask(torch.tensor([5, 3])), "need_weights": True},
            build=LAYER_SIZES,
        ),
        Case(
            "x (1, 4, 16), no mask, need_weights=True",
            (randn(1, 4, 16),),
            {"need_weights": True},
            build=LAYER_SIZES,
        ),
    ]


def _run(
    case: Case,
    layer: EncoderLayer,
    *,
    attention_residual: bool = True,
    ff_residual: bool = True,
    pre_norm: bool = False,
    norm_names: tuple[str, str] | None = ("self_attn_norm", "ff_norm"),
    use_mask: bool = True,
    ff_reads_input: bool = False,
    weights_always: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The layer's post-norm forward, with a chosen mistake."""
    (x,) = case.args
    mask = case.kwargs.get("mask") if use_mask else None
    need_weights = case.kwargs.get("need_weights", False)
    if norm_names is None:
        first_norm = second_norm = nn.Identity()
    else:
        first_norm, second_norm = (getattr(layer, name) for name in norm_names)

    if pre_norm:
        h = first_norm(x)
        attended, weights = layer.self_attn(h, h, h, mask, True)
        hidden = x + attended
        output = hidden + layer.feed_forward(second_norm(hidden))
    else:
        attended, weights = layer.self_attn(x, x, x, mask, True)
        hidden = first_norm(x + attended if attention_residual else attended)
        fed = layer.feed_forward(x if ff_reads_input else hidden)
        output = second_norm(hidden + fed if ff_residual else fed)
    return output, (weights if need_weights or weights_always else None)


def _mistake(key: str, problem: str, hint: str, **options) -> Mistake:
    return Mistake(key, problem, hint, lambda case, layer: _run(case, layer, **options))


RESIDUAL_HINT = "add the sub-layer's input back before normalising"

ENCODER_LAYER = Spec(
    part="encoder_layer",
    name="EncoderLayer",
    reference=EncoderLayer,
    make_cases=_cases,
    output_names=("output", "weights"),
    prepare=perturb_norms,
    hint=(
        "post-norm: attended, weights = self.self_attn(x, x, x, mask=mask, "
        "need_weights=need_weights); x = self.self_attn_norm(x + attended); "
        "x = self.ff_norm(x + self.feed_forward(x)); return (x, weights) "
        "(lesson 07)"
    ),
    mistakes=(
        _mistake(
            "mask_ignored",
            "the mask is not passed to the self-attention: padded positions are "
            "still attended",
            "pass it on: self.self_attn(x, x, x, mask=mask, need_weights=...)",
            use_mask=False,
        ),
        _mistake(
            "no_residuals",
            "both residual connections are missing",
            f"{RESIDUAL_HINT}: self.self_attn_norm(x + attended), then "
            "self.ff_norm(x + self.feed_forward(x))",
            attention_residual=False,
            ff_residual=False,
        ),
        _mistake(
            "no_attention_residual",
            "the residual around the self-attention is missing",
            f"{RESIDUAL_HINT}: x = self.self_attn_norm(x + attended)",
            attention_residual=False,
        ),
        _mistake(
            "no_ff_residual",
            "the residual around the feed-forward network is missing",
            f"{RESIDUAL_HINT}: x = self.ff_norm(x + self.feed_forward(x))",
            ff_residual=False,
        ),
        _mistake(
            "ff_reads_layer_input",
            "the feed-forward network reads the layer's input instead of the "
            "self-attention sub-layer's result",
            "update x after the first sub-layer and feed that x to self.feed_forward",
            ff_reads_input=True,
        ),
        _mistake(
            "pre_norm_layout",
            "the layer normalises before each sub-layer (pre-norm), but "
            "norm_first=False asks for post-norm",
            "post-norm normalises after adding the residual: norm(x + sublayer(x))",
            pre_norm=True,
        ),
        _mistake(
            "norms_swapped",
            "the two layer norms are swapped",
            "self.self_attn_norm follows the self-attention, self.ff_norm the "
            "feed-forward network",
            norm_names=("ff_norm", "self_attn_norm"),
        ),
        _mistake(
            "no_norms",
            "the layer norms are not applied",
            "normalise after each residual sum: self.self_attn_norm(...), "
            "self.ff_norm(...)",
            norm_names=None,
        ),
        _mistake(
            "weights_when_not_needed",
            "weights are returned although need_weights=False",
            "pass need_weights=need_weights to self.self_attn; it returns None "
            "when they are not needed",
            weights_always=True,
        ),
    ),
)


def check_encoder_layer(module_class) -> CheckResult:
    """Check the learner's ``EncoderLayer`` class (its post-norm ``forward``).

    The check builds the package's layer (with its layer norms moved away from
    the identity, so that they can be told apart) and the learner's, copies the
    weights across, and compares ``(output, weights)``.

    Args:
        module_class: the learner's ``EncoderLayer`` class.

    Returns:
        A :class:`CheckResult` with ``passed`` and ``message``.

    Example:
        >>> check_encoder_layer(EncoderLayer).passed
        PASS encoder_layer: matches the reference on 3 cases
        True
    """
    return run_check(ENCODER_LAYER, module_class)
