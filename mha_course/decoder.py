"""The decoder: masked self-attention, cross-attention to the encoder, feed-forward.

Multi-head attention is used twice per layer. First the target attends to
itself under a causal mask, so no position reads a later one: at generation
time the future does not exist yet. Then each target position attends to the
encoder's output (its queries come from the decoder, its keys and values from
the encoder): this is where the source sentence flows into the translation.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validation import check_float_tensor, check_ndim
from .encoder import LAYER_NORM_EPS, FeedForward, LayerStack, _check_layer_input
from .masks import causal_mask, combine_masks
from .multi_head import MultiHeadAttention

__all__ = ["Decoder", "DecoderLayer"]


class DecoderLayer(nn.Module):
    """One decoder layer: masked self-attention, cross-attention, feed-forward.

    Args:
        embed_dim: model width ``D``.
        num_heads: number of attention heads ``H``.
        ff_dim: feed-forward hidden width; defaults to ``4 * D``.
        dropout: dropout on attention weights and after each sub-layer.
        activation: ``"relu"`` or ``"gelu"``.
        norm_first: pre-norm if true, post-norm (the original) if false.
        layer_norm_eps: epsilon of the layer normalisations.
        bias: whether linear maps and normalisations have biases.

    Example:
        >>> layer = DecoderLayer(embed_dim=16, num_heads=4)
        >>> target, memory = torch.randn(2, 3, 16), torch.randn(2, 7, 16)
        >>> out, weights = layer(target, memory, need_weights=True)
        >>> out.shape, weights["self"].shape, weights["cross"].shape
        (torch.Size([2, 3, 16]), torch.Size([2, 4, 3, 3]), torch.Size([2, 4, 3, 7]))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        ff_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
        layer_norm_eps: float = LAYER_NORM_EPS,
        bias: bool = True,
    ):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(embed_dim, num_heads, dropout, bias)
        self.cross_attn = MultiHeadAttention(embed_dim, num_heads, dropout, bias)
        self.feed_forward = FeedForward(embed_dim, ff_dim, dropout, activation, bias)
        eps = layer_norm_eps
        self.self_attn_norm = nn.LayerNorm(embed_dim, eps=eps, bias=bias)
        self.cross_attn_norm = nn.LayerNorm(embed_dim, eps=eps, bias=bias)
        self.ff_norm = nn.LayerNorm(embed_dim, eps=eps, bias=bias)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.cross_attn_dropout = nn.Dropout(dropout)
        self.ff_dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        self_mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
        """Decode ``x`` while reading the encoder's ``memory``.

        Args:
            x: the target so far, shape ``(B, T_q, D)``.
            memory: the encoder's output, shape ``(B, T_k, D)``.
            self_mask: mask for self-attention, broadcasting to
                ``(B, H, T_q, T_q)``; pass :func:`causal_mask` (combined with
                the target's padding, if any). ``None`` applies no mask.
            memory_mask: mask for cross-attention, broadcasting to
                ``(B, H, T_q, T_k)``; usually the source's padding mask.
            need_weights: also return the attention weights.

        Returns:
            ``(output, weights)``: output ``(B, T_q, D)``; weights a dict with
            ``"self"`` ``(B, H, T_q, T_q)`` and ``"cross"`` ``(B, H, T_q, T_k)``,
            or ``None``.

        Raises:
            TypeError: if an input is not a float tensor or a mask not boolean.
            ValueError: if an input is not ``(B, T, D)`` or a mask does not
                broadcast.
        """
        embed_dim = self.self_attn.embed_dim
        _check_layer_input(x, "x", embed_dim)
        _check_layer_input(memory, "memory", embed_dim)
        norm_first = self.norm_first

        # 1. Masked self-attention: the target reads its own past.
        h = self.self_attn_norm(x) if norm_first else x
        attended, self_weights = self.self_attn(h, h, h, self_mask, need_weights)
        x = x + self.self_attn_dropout(attended)
        x = x if norm_first else self.self_attn_norm(x)

        # 2. Cross-attention: queries from the decoder, keys and values from memory.
        h = self.cross_attn_norm(x) if norm_first else x
        attended, cross_weights = self.cross_attn(
            h, memory, memory, memory_mask, need_weights
        )
        x = x + self.cross_attn_dropout(attended)
        x = x if norm_first else self.cross_attn_norm(x)

        # 3. Feed-forward on each position.
        h = self.ff_norm(x) if norm_first else x
        x = x + self.ff_dropout(self.feed_forward(h))
        x = x if norm_first else self.ff_norm(x)

        weights = {"self": self_weights, "cross": cross_weights}
        return x, (weights if need_weights else None)


class Decoder(LayerStack):
    """A stack of decoder layers, applying the causal mask itself.

    Args:
        num_layers: how many layers.
        embed_dim, num_heads, ff_dim, dropout, activation, norm_first,
        layer_norm_eps, bias: as in :class:`DecoderLayer`.
        final_norm: add a LayerNorm after the last layer; defaults to
            ``norm_first``.

    Example:
        >>> decoder = Decoder(num_layers=2, embed_dim=16, num_heads=4)
        >>> out, _ = decoder(torch.randn(2, 3, 16), torch.randn(2, 7, 16))
        >>> out.shape
        torch.Size([2, 3, 16])
    """

    layer_class = DecoderLayer

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        target_padding: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, list[dict[str, torch.Tensor]] | None]:
        """Decode; the causal mask is built here and combined with ``target_padding``.

        Args:
            x: target embeddings ``(B, T_q, D)``.
            memory: encoder output ``(B, T_k, D)``.
            target_padding: optional ``(B, 1, 1, T_q)`` padding mask of the target.
            memory_mask: optional mask for cross-attention, e.g. ``(B, 1, 1, T_k)``.
            need_weights: also return each layer's weights.

        Returns:
            ``(output (B, T_q, D), per-layer weight dicts or None)``.
        """
        check_float_tensor(x, "x")
        check_ndim(x, "x", 3, "(B, T_q, D)")
        self_mask = combine_masks(
            causal_mask(x.shape[1], device=x.device), target_padding
        )
        all_weights = []
        for layer in self.layers:
            x, weights = layer(x, memory, self_mask, memory_mask, need_weights)
            all_weights.append(weights)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return x, (all_weights if need_weights else None)
