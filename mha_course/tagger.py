"""A one-layer attention tagger: the smallest model that needs its heads.

Token embeddings plus positions go through ONE encoder layer (multi-head
self-attention, then a feed-forward network) and a linear classifier gives
``R`` labels at every position. Attention is the only place where positions
exchange information, so whatever a position must know about other positions
has to pass through its heads. Lesson 10 trains it with one head and with
several heads of the same total width on :class:`mha_course.tasks.NeighboursTask`.
"""

from __future__ import annotations

import torch
from torch import nn

from .encoder import EncoderLayer
from .positional import PositionalEncoding

__all__ = ["AttentionTagger"]


class AttentionTagger(nn.Module):
    """Embeddings, one encoder layer and ``R`` classifiers at each position.

    The parameter count does not depend on ``num_heads``: the attention's four
    ``D x D`` projections are the same size however they are split into heads.

    Args:
        vocab_size: number of token ids (also the number of classes per label).
        num_outputs: ``R``, labels per position.
        embed_dim: model width ``D``.
        num_heads: attention heads ``H``; must divide ``embed_dim``.
        ff_dim: feed-forward hidden width; defaults to ``4 * D``.
        max_len: longest sequence the positional encoding covers.

    Raises:
        TypeError, ValueError: as :class:`mha_course.MultiHeadAttention` for
            ``embed_dim`` and ``num_heads``; ValueError if ``num_outputs`` < 1.

    Example:
        >>> tagger = AttentionTagger(vocab_size=11, num_outputs=4, embed_dim=16,
        ...                          num_heads=2)
        >>> tagger(torch.randint(0, 11, (3, 8))).shape
        torch.Size([3, 8, 4, 11])
        >>> tagger.attention_maps(torch.randint(0, 11, (3, 8))).shape
        torch.Size([3, 2, 8, 8])
    """

    def __init__(
        self,
        vocab_size: int,
        num_outputs: int,
        embed_dim: int = 32,
        num_heads: int = 4,
        ff_dim: int | None = None,
        max_len: int = 64,
    ):
        super().__init__()
        if not isinstance(num_outputs, int) or num_outputs < 1:
            raise ValueError(f"num_outputs must be a positive int, got {num_outputs!r}")
        self.vocab_size = vocab_size
        self.num_outputs = num_outputs
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.positions = PositionalEncoding(embed_dim, max_len)
        self.layer = EncoderLayer(embed_dim, num_heads, ff_dim)
        self.classifier = nn.Linear(embed_dim, num_outputs * vocab_size)

    def _encode(self, tokens: torch.Tensor, need_weights: bool):
        if not isinstance(tokens, torch.Tensor) or tokens.is_floating_point():
            got = getattr(tokens, "dtype", type(tokens).__name__)
            raise TypeError(f"tokens must be an integer tensor, got {got}")
        if tokens.dim() != 2:
            raise ValueError(
                f"tokens must have shape (B, T), got {tuple(tokens.shape)}"
            )
        # NOTE: unlike mha_course.Transformer, embeddings are not multiplied by
        # sqrt(D). Unscaled, the positions are as loud as the tokens, so
        # attention by position (all this tagger needs) is found quickly.
        # (B, T) -> (B, T, D)
        x = self.positions(self.embed(tokens))
        return self.layer(x, need_weights=need_weights)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits for every label slot.

        Args:
            tokens: integer ids ``(B, T)``.

        Returns:
            Logits of shape ``(B, T, R, V)``.

        Raises:
            TypeError: if ``tokens`` is not an integer tensor.
            ValueError: if ``tokens`` is not 2-D.
        """
        x, _ = self._encode(tokens, need_weights=False)
        batch, length, _ = x.shape
        # (B, T, D) -> (B, T, R * V) -> (B, T, R, V)
        logits = self.classifier(x)
        return logits.reshape(batch, length, self.num_outputs, self.vocab_size)

    @torch.no_grad()
    def attention_maps(self, tokens: torch.Tensor) -> torch.Tensor:
        """The attention weights of every head, ``(B, H, T, T)``, for plotting."""
        _, weights = self._encode(tokens, need_weights=True)
        return weights
