"""The encoder: self-attention over every position, then a feed-forward network.

Each layer lets every position look at every other position of the input
(self-attention), then transforms each position on its own (feed-forward), with
a residual connection and a layer normalisation around both. The layout can be
post-norm (the original Transformer: normalise after adding the residual) or
pre-norm (normalise the input of each sub-layer, as most modern models do).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_float_tensor, check_ndim
from .multi_head import MultiHeadAttention

__all__ = ["Encoder", "EncoderLayer", "FeedForward", "LayerStack"]

# LayerNorm's default epsilon, as in torch.nn.LayerNorm and most checkpoints.
LAYER_NORM_EPS = 1e-5
# The feed-forward network is this many times wider than the model by default.
FF_EXPANSION = 4
ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _check_layer_input(x, name: str, embed_dim: int) -> None:
    """Raise on a wrong input before a LayerNorm fails on it less clearly."""
    check_float_tensor(x, name)
    check_ndim(x, name, 3, "(B, T, D)")
    if x.shape[-1] != embed_dim:
        raise ValueError(
            f"{name} must have width D={embed_dim} in its last dimension, got "
            f"shape {tuple(x.shape)}"
        )


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        )
    return ACTIVATIONS[name]


class FeedForward(nn.Module):
    """Two linear maps with a non-linearity between, applied to each position.

    Args:
        embed_dim: model width ``D``.
        ff_dim: hidden width; defaults to ``4 * D``.
        dropout: dropout after the activation, while training.
        activation: ``"relu"`` or ``"gelu"``.
        bias: whether the linear maps have biases.

    Example:
        >>> FeedForward(8)(torch.zeros(2, 3, 8)).shape
        torch.Size([2, 3, 8])
    """

    def __init__(
        self,
        embed_dim: int,
        ff_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        bias: bool = True,
    ):
        super().__init__()
        ff_dim = FF_EXPANSION * embed_dim if ff_dim is None else ff_dim
        self.activation = _activation(activation)
        self.linear1 = nn.Linear(embed_dim, ff_dim, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ff_dim, embed_dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T, ff_dim) -> (B, T, D)."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class EncoderLayer(nn.Module):
    """One encoder layer: self-attention and feed-forward, each with a residual.

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
        >>> layer = EncoderLayer(embed_dim=16, num_heads=4)
        >>> out, weights = layer(torch.randn(2, 5, 16), need_weights=True)
        >>> out.shape, weights.shape
        (torch.Size([2, 5, 16]), torch.Size([2, 4, 5, 5]))
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
        self.feed_forward = FeedForward(embed_dim, ff_dim, dropout, activation, bias)
        self.self_attn_norm = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.ff_norm = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.ff_dropout = nn.Dropout(dropout)

    def _attend(self, x, mask, need_weights):
        out, weights = self.self_attn(x, x, x, mask=mask, need_weights=need_weights)
        return self.self_attn_dropout(out), weights

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encode ``x``.

        Args:
            x: shape ``(B, T, D)``.
            mask: boolean, broadcasting to ``(B, H, T, T)``; usually the
                source's padding mask ``(B, 1, 1, T)``.
            need_weights: also return the attention weights.

        Returns:
            ``(output, weights)``: output ``(B, T, D)``; weights
            ``(B, H, T, T)`` or ``None``.

        Raises:
            TypeError: if ``x`` is not a float tensor or the mask not boolean.
            ValueError: if ``x`` is not ``(B, T, D)`` or the mask does not
                broadcast.
        """
        _check_layer_input(x, "x", self.self_attn.embed_dim)
        if self.norm_first:
            # Pre-norm: x + sublayer(norm(x))
            attended, weights = self._attend(self.self_attn_norm(x), mask, need_weights)
            x = x + attended
            x = x + self.ff_dropout(self.feed_forward(self.ff_norm(x)))
        else:
            # Post-norm: norm(x + sublayer(x))
            attended, weights = self._attend(x, mask, need_weights)
            x = self.self_attn_norm(x + attended)
            x = self.ff_norm(x + self.ff_dropout(self.feed_forward(x)))
        return x, weights


class LayerStack(nn.Module):
    """``num_layers`` layers of ``layer_class``, then a LayerNorm when pre-norm.

    The shared base of :class:`Encoder` and :class:`~mha_course.Decoder`, which
    set ``layer_class`` and define ``forward``.

    Args:
        num_layers: how many layers, each with its own weights.
        embed_dim, num_heads, ff_dim, dropout, activation, norm_first,
        layer_norm_eps, bias: passed to every layer.
        final_norm: add a LayerNorm after the last layer; defaults to
            ``norm_first`` (a pre-norm stack leaves its output unnormalised, a
            post-norm one already ends with a normalisation).

    Raises:
        ValueError: if ``num_layers`` is not a positive int.

    Example:
        >>> stack = Encoder(num_layers=3, embed_dim=8, num_heads=2, norm_first=True)
        >>> len(stack.layers), stack.final_norm is not None
        (3, True)
    """

    layer_class: type[nn.Module]

    def __init__(
        self,
        num_layers: int,
        embed_dim: int,
        num_heads: int,
        ff_dim: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
        layer_norm_eps: float = LAYER_NORM_EPS,
        bias: bool = True,
        final_norm: bool | None = None,
    ):
        super().__init__()
        layer_args = (
            embed_dim, num_heads, ff_dim, dropout, activation, norm_first,
            layer_norm_eps, bias,
        )  # fmt: skip
        if (
            not isinstance(num_layers, int)
            or isinstance(num_layers, bool)
            or num_layers < 1
        ):
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        self.layers = nn.ModuleList(
            self.layer_class(*layer_args) for _ in range(num_layers)
        )
        final_norm = norm_first if final_norm is None else final_norm
        self.final_norm = None
        if final_norm:
            self.final_norm = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)


class Encoder(LayerStack):
    """A stack of encoder layers, with a final normalisation when pre-norm.

    Args:
        num_layers: how many layers.
        embed_dim, num_heads, ff_dim, dropout, activation, norm_first,
        layer_norm_eps, bias: as in :class:`EncoderLayer`.
        final_norm: add a LayerNorm after the last layer; defaults to
            ``norm_first`` (pre-norm stacks need one, post-norm ones end normed).

    Example:
        >>> encoder = Encoder(num_layers=2, embed_dim=16, num_heads=4)
        >>> out, weights = encoder(torch.randn(2, 5, 16), need_weights=True)
        >>> out.shape, len(weights), weights[0].shape
        (torch.Size([2, 5, 16]), 2, torch.Size([2, 4, 5, 5]))
    """

    layer_class = EncoderLayer

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """Run every layer; return ``(output (B, T, D), per-layer weights or None)``."""
        all_weights = []
        for layer in self.layers:
            x, weights = layer(x, mask, need_weights)
            all_weights.append(weights)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return x, (all_weights if need_weights else None)
