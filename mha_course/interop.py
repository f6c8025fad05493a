"""Loading PyTorch's own modules' weights into ours, to prove them equal.

``torch.nn.MultiheadAttention`` keeps the query, key and value projections in
one packed matrix ``in_proj_weight`` of shape ``(3 * D, D)``: rows ``0..D-1``
for queries, then keys, then values. Ours keeps three separate
``torch.nn.Linear`` modules, so copying is a matter of cutting that matrix in
three.
"""

from __future__ import annotations

import torch
from torch import nn

from .decoder import DecoderLayer
from .encoder import EncoderLayer
from .multi_head import MultiHeadAttention

__all__ = [
    "load_torch_decoder_layer",
    "load_torch_encoder_layer",
    "load_torch_multihead_attention",
]


def _copy_linear(target: nn.Linear, weight: torch.Tensor, bias: torch.Tensor | None):
    if target.weight.shape != weight.shape:
        raise ValueError(
            f"weight shapes differ: ours {tuple(target.weight.shape)}, "
            f"PyTorch's {tuple(weight.shape)}"
        )
    if (target.bias is None) != (bias is None):
        raise ValueError("one module has biases and the other has none")
    target.weight.copy_(weight)
    if bias is not None:
        target.bias.copy_(bias)


@torch.no_grad()
def load_torch_multihead_attention(
    ours: MultiHeadAttention, theirs: nn.MultiheadAttention
) -> MultiHeadAttention:
    """Copy ``torch.nn.MultiheadAttention``'s weights into our module.

    Args:
        ours: our module, same ``embed_dim``, ``num_heads`` and bias setting.
        theirs: PyTorch's module (``kdim``/``vdim`` equal to ``embed_dim``).

    Returns:
        ``ours``, now computing the same function as ``theirs``.

    Raises:
        ValueError: if sizes, head counts or bias settings differ.

    Example:
        >>> theirs = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> ours = load_torch_multihead_attention(MultiHeadAttention(8, 2), theirs)
        >>> x = torch.randn(1, 3, 8)
        >>> torch.allclose(ours(x, x, x)[0], theirs(x, x, x)[0], atol=1e-6)
        True
    """
    if (ours.embed_dim, ours.num_heads) != (theirs.embed_dim, theirs.num_heads):
        raise ValueError(
            f"sizes differ: ours embed_dim={ours.embed_dim}, num_heads="
            f"{ours.num_heads}; PyTorch's embed_dim={theirs.embed_dim}, "
            f"num_heads={theirs.num_heads}"
        )
    if theirs.in_proj_weight is None:
        raise ValueError("PyTorch's module has separate kdim/vdim; not supported")
    # (3 * D, D) -> three (D, D) matrices: queries, keys, values
    weights = theirs.in_proj_weight.chunk(3, dim=0)
    biases = (
        theirs.in_proj_bias.chunk(3, dim=0)
        if theirs.in_proj_bias is not None
        else (None, None, None)
    )
    for name, weight, bias in zip(
        ("q_proj", "k_proj", "v_proj"), weights, biases, strict=True
    ):
        _copy_linear(getattr(ours, name), weight, bias)
    _copy_linear(ours.out_proj, theirs.out_proj.weight, theirs.out_proj.bias)
    return ours


def _copy_norm(target: nn.LayerNorm, source: nn.LayerNorm) -> None:
    target.load_state_dict(source.state_dict())


@torch.no_grad()
def load_torch_encoder_layer(
    ours: EncoderLayer, theirs: nn.TransformerEncoderLayer
) -> EncoderLayer:
    """Copy ``torch.nn.TransformerEncoderLayer``'s weights into our layer.

    Args:
        ours: our layer, built with the same sizes, activation, norm placement
            and bias setting.
        theirs: PyTorch's layer, built with ``batch_first=True``.

    Returns:
        ``ours``, now computing the same function as ``theirs``.

    Example:
        >>> theirs = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
        ...                                     batch_first=True)
        >>> ours = load_torch_encoder_layer(EncoderLayer(8, 2, 16), theirs)
        >>> x = torch.randn(1, 3, 8)
        >>> torch.allclose(ours(x)[0], theirs(x), atol=1e-5)
        True
    """
    load_torch_multihead_attention(ours.self_attn, theirs.self_attn)
    ff = ours.feed_forward
    _copy_linear(ff.linear1, theirs.linear1.weight, theirs.linear1.bias)
    _copy_linear(ff.linear2, theirs.linear2.weight, theirs.linear2.bias)
    _copy_norm(ours.self_attn_norm, theirs.norm1)
    _copy_norm(ours.ff_norm, theirs.norm2)
    return ours


@torch.no_grad()
def load_torch_decoder_layer(
    ours: DecoderLayer, theirs: nn.TransformerDecoderLayer
) -> DecoderLayer:
    """Copy ``torch.nn.TransformerDecoderLayer``'s weights into our layer.

    PyTorch calls the cross-attention ``multihead_attn``; ours is
    ``cross_attn``.

    Args:
        ours: our layer, built with the same settings.
        theirs: PyTorch's layer, built with ``batch_first=True``.

    Returns:
        ``ours``, now computing the same function as ``theirs``.

    Example:
        >>> theirs = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0,
        ...                                     batch_first=True)
        >>> ours = load_torch_decoder_layer(DecoderLayer(8, 2, 16), theirs)
        >>> x, memory = torch.randn(1, 3, 8), torch.randn(1, 4, 8)
        >>> torch.allclose(ours(x, memory)[0], theirs(x, memory), atol=1e-5)
        True
    """
    load_torch_multihead_attention(ours.self_attn, theirs.self_attn)
    load_torch_multihead_attention(ours.cross_attn, theirs.multihead_attn)
    ff = ours.feed_forward
    _copy_linear(ff.linear1, theirs.linear1.weight, theirs.linear1.bias)
    _copy_linear(ff.linear2, theirs.linear2.weight, theirs.linear2.bias)
    _copy_norm(ours.self_attn_norm, theirs.norm1)
    _copy_norm(ours.cross_attn_norm, theirs.norm2)
    _copy_norm(ours.ff_norm, theirs.norm3)
    return ours
