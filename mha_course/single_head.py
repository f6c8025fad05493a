"""One attention head as a module: its own query, key and value projections."""

from __future__ import annotations

import torch
from torch import nn

from ._validation import check_float_tensor, check_ndim
from .attention import scaled_dot_product_attention

__all__ = ["SingleHeadAttention"]


class SingleHeadAttention(nn.Module):
    """A single attention head.

    Three learned linear maps turn the inputs into queries, keys and values of
    width ``head_dim``; scaled dot-product attention then mixes the values.

    Args:
        embed_dim: ``D``, the width of the inputs.
        head_dim: ``d_head``, the width of queries, keys, values and the output;
            defaults to ``embed_dim``.
        bias: whether the projections have a bias.

    Raises:
        TypeError, ValueError: if the widths are not positive ints.

    Example:
        >>> head = SingleHeadAttention(embed_dim=8, head_dim=4)
        >>> out, weights = head(torch.randn(2, 5, 8))
        >>> out.shape, weights.shape
        (torch.Size([2, 5, 4]), torch.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim: int, head_dim: int | None = None, bias: bool = True):
        super().__init__()
        head_dim = embed_dim if head_dim is None else head_dim
        for name, value in (("embed_dim", embed_dim), ("head_dim", head_dim)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be positive, got {value}")
        self.embed_dim = embed_dim
        self.head_dim = head_dim
        self.q_proj = nn.Linear(embed_dim, head_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, head_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, head_dim, bias=bias)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` over ``key``/``value`` (self-attention if omitted).

        Args:
            query: shape ``(B, T_q, D)``.
            key: shape ``(B, T_k, D)``; defaults to ``query``.
            value: shape ``(B, T_k, D)``; defaults to ``key``.
            mask: boolean, broadcasting to ``(B, T_q, T_k)``; ``True`` = may
                attend.

        Returns:
            ``(output, weights)`` of shapes ``(B, T_q, d_head)`` and
            ``(B, T_q, T_k)``.
        """
        key = query if key is None else key
        value = key if value is None else value
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_float_tensor(x, name)
            check_ndim(x, name, 3, "(B, T, D)")
            if x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{name} must have width D={self.embed_dim}, got shape "
                    f"{tuple(x.shape)}"
                )

        # Project: (B, T, D) -> (B, T, d_head)
        q = self.q_proj(query)
        k = self.k_proj(key)
        v = self.v_proj(value)

        # Attend: -> (B, T_q, d_head) and weights (B, T_q, T_k)
        return scaled_dot_product_attention(q, k, v, mask)
