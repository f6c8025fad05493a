"""Multi-head attention: several heads side by side, then one output projection."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_float_tensor, check_mask, check_ndim
from .attention import scaled_dot_product_attention
from .heads import merge_heads, split_heads
from .single_head import SingleHeadAttention

__all__ = ["LoopedMultiHeadAttention", "MultiHeadAttention"]


def _check_inputs(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, embed_dim: int
) -> None:
    for name, x in (("query", query), ("key", key), ("value", value)):
        check_float_tensor(x, name)
        check_ndim(x, name, 3, "(B, T, D), batch first")
        if x.shape[-1] != embed_dim:
            raise ValueError(
                f"{name} must have width embed_dim={embed_dim} in its last "
                f"dimension, got shape {tuple(x.shape)}"
            )
    if key.shape[:2] != value.shape[:2]:
        raise ValueError(
            "key and value must share batch size and length (one value per key); "
            f"got key {tuple(key.shape)} and value {tuple(value.shape)}"
        )
    if query.shape[0] != key.shape[0]:
        raise ValueError(
            "query and key must have the same batch size; got query "
            f"{tuple(query.shape)} and key {tuple(key.shape)}"
        )


def _check_sizes(embed_dim: int, num_heads: int) -> None:
    for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be positive, got {value}")
    if embed_dim % num_heads != 0:
        raise ValueError(
            f"embed_dim must be divisible by num_heads so every head gets an equal "
            f"slice; got embed_dim={embed_dim}, num_heads={num_heads}"
        )


class MultiHeadAttention(nn.Module):
    """Multi-head attention, batch first.

    Each head attends with its own slice of the query, key and value
    projections; the heads' outputs are concatenated and mixed by an output
    projection. The four projections are ``torch.nn.Linear`` modules named as
    in ``torch.nn.MultiheadAttention``'s documentation: ``q_proj``,
    ``k_proj``, ``v_proj`` and ``out_proj``.

    Args:
        embed_dim: ``D``, the model width.
        num_heads: ``H``; each head has width ``d_head = D // H``.
        dropout: dropout on the attention weights while training.
        bias: whether the projections have biases.

    Raises:
        TypeError: if a size is not an int.
        ValueError: if ``embed_dim`` is not divisible by ``num_heads`` or
            ``dropout`` is outside ``[0, 1)``.

    Example:
        >>> mha = MultiHeadAttention(embed_dim=16, num_heads=4)
        >>> x = torch.randn(2, 5, 16)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        (torch.Size([2, 5, 16]), torch.Size([2, 4, 5, 5]))
    """

    def __init__(
        self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True
    ):
        super().__init__()
        _check_sizes(embed_dim, num_heads)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _project(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Project the inputs: ``q_proj(query)``, ``k_proj(key)``, ``v_proj(value)``.

        NOTE: in self-attention the three inputs are one tensor, so the three
        products are done as one against the stacked weights, which reads the
        input once; the result is the same. PyTorch's module stores its weights
        stacked for this reason.
        """
        if not (query is key is value):
            return self.q_proj(query), self.k_proj(key), self.v_proj(value)
        projections = (self.q_proj, self.k_proj, self.v_proj)
        # 3 x (D, D) -> (3 * D, D)
        weight = torch.cat([p.weight for p in projections])
        bias = None
        if self.q_proj.bias is not None:
            bias = torch.cat([p.bias for p in projections])
        # (B, T, D) -> (B, T, 3 * D) -> 3 x (B, T, D)
        return F.linear(query, weight, bias).chunk(3, dim=-1)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
        need_weights: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``query`` over ``key`` and ``value``.

        Args:
            query: shape ``(B, T_q, D)``.
            key: shape ``(B, T_k, D)``.
            value: shape ``(B, T_k, D)``.
            mask: boolean, broadcasting to ``(B, H, T_q, T_k)``; ``True`` means
                "may attend". A ``(T_q, T_k)`` causal mask and a
                ``(B, 1, 1, T_k)`` padding mask both broadcast.
            need_weights: return the per-head weights. When false, the heads
                are computed by PyTorch's fused kernel, which gives the same
                output faster.

        Returns:
            ``(output, weights)``: output ``(B, T_q, D)``; weights
            ``(B, H, T_q, T_k)``, or ``None`` when ``need_weights`` is false.

        Raises:
            TypeError: if an input is not a float tensor or the mask not boolean.
            ValueError: if the shapes do not fit or the mask does not broadcast.
        """
        _check_inputs(query, key, value, self.embed_dim)
        batch, query_len, _ = query.shape
        key_len = key.shape[1]
        if mask is not None:
            scores_shape = (batch, self.num_heads, query_len, key_len)
            check_mask(mask, torch.Size(scores_shape))
            if mask.dim() == 3 and mask.shape[0] > 1:
                # (B, T_q, T_k) would broadcast B against the heads axis.
                raise ValueError(
                    f"a mask of shape {tuple(mask.shape)} is ambiguous: its first "
                    "axis would be matched with the heads, not the batch. Give it "
                    "a heads axis, mask[:, None], for shape (B, 1, T_q, T_k)"
                )
        dropout_p = self.dropout if self.training else 0.0

        # Project: (B, T, D) -> (B, T, D), every head's slice at once
        q, k, v = self._project(query, key, value)

        # Split heads: (B, T, D) -> (B, H, T, d_head)
        q = split_heads(q, self.num_heads)
        k = split_heads(k, self.num_heads)
        v = split_heads(v, self.num_heads)

        # Attend within each head: -> (B, H, T_q, d_head), weights (B, H, T_q, T_k)
        if need_weights:
            # NOTE: a memory-layout detail, not part of the idea. After the
            # transpose each head's rows lie scattered; one copy per tensor
            # gathers them so the matrix products read memory in order.
            q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
            heads, weights = scaled_dot_product_attention(
                q, k, v, mask, dropout_p=dropout_p, training=self.training
            )
        else:
            heads, weights = _fused_attention(q, k, v, mask, dropout_p), None

        # Merge heads: (B, H, T_q, d_head) -> (B, T_q, D), then mix them
        output = self.out_proj(merge_heads(heads))
        return output, weights


def _fused_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None,
    dropout_p: float,
) -> torch.Tensor:
    """The same attention as the explicit path, by PyTorch's fused kernel.

    Tested equal to :func:`scaled_dot_product_attention`. A row whose every key
    is masked outputs zero, as in the explicit path; PyTorch releases have not
    always agreed on what the fused kernel returns there, so it is set here.
    """
    # (B, H, T_q, d_head) -> (B, H, T_q, d_head)
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    if mask is not None:
        # (..., T_q, T_k) -> (..., T_q, 1): rows with no visible key output zero
        row_has_key = mask.any(dim=-1, keepdim=True)
        if not bool(row_has_key.all()):
            heads = heads.masked_fill(~row_has_key, 0.0)
    return heads


class LoopedMultiHeadAttention(nn.Module):
    """Multi-head attention written as a loop over separate single heads.

    The same computation as :class:`MultiHeadAttention`, kept for lesson 04
    and the benchmark: it shows the heads as independent modules, and it is
    slower because the heads run one after another.

    Args:
        embed_dim: ``D``, the model width.
        num_heads: ``H``; each head has width ``D // H``.
        bias: whether the projections have biases.

    Example:
        >>> looped = LoopedMultiHeadAttention(16, 4)
        >>> batched = MultiHeadAttention(16, 4)
        >>> looped.load_from(batched)
        >>> x = torch.randn(1, 3, 16)
        >>> torch.allclose(looped(x, x, x)[0], batched(x, x, x)[0], atol=1e-6)
        True
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        _check_sizes(embed_dim, num_heads)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        head_dim = embed_dim // num_heads
        self.heads = nn.ModuleList(
            SingleHeadAttention(embed_dim, head_dim, bias=bias)
            for _ in range(num_heads)
        )
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    @torch.no_grad()
    def load_from(self, mha: MultiHeadAttention) -> None:
        """Copy the weights of a batched module, head ``h`` taking slice ``h``."""
        if (mha.embed_dim, mha.num_heads) != (self.embed_dim, self.num_heads):
            raise ValueError(
                "sizes differ: this module has embed_dim, num_heads = "
                f"{self.embed_dim}, {self.num_heads}; the source has "
                f"{mha.embed_dim}, {mha.num_heads}"
            )
        width = mha.head_dim
        for index, head in enumerate(self.heads):
            rows = slice(index * width, (index + 1) * width)
            for name in ("q_proj", "k_proj", "v_proj"):
                source, target = getattr(mha, name), getattr(head, name)
                target.weight.copy_(source.weight[rows])
                if target.bias is not None:
                    target.bias.copy_(source.bias[rows])
        self.out_proj.load_state_dict(mha.out_proj.state_dict())

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run each head in turn; same arguments and returns as the batched one."""
        _check_inputs(query, key, value, self.embed_dim)
        outputs, weights = [], []
        for index, head in enumerate(self.heads):
            head_mask = mask
            if mask is not None and mask.dim() == 4:
                # (B, H or 1, T_q, T_k) -> (B, T_q, T_k): this head's mask
                head_mask = mask[:, index if mask.shape[1] > 1 else 0]
            output, weight = head(query, key, value, head_mask)
            outputs.append(output)
            weights.append(weight)
        # H x (B, T_q, d_head) -> (B, T_q, D); H x (B, T_q, T_k) -> (B, H, T_q, T_k)
        return self.out_proj(torch.cat(outputs, dim=-1)), torch.stack(weights, dim=1)
