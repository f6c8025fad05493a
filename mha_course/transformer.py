"""The full encoder-decoder Transformer, with embeddings and greedy decoding."""

from __future__ import annotations

import math

import torch
from torch import nn

from .decoder import Decoder
from .encoder import LAYER_NORM_EPS, Encoder
from .positional import PositionalEncoding

__all__ = ["Transformer"]

# Embeddings are multiplied by sqrt(D) so that they are not drowned out by the
# positional encoding, whose entries are of size about one.
SCALE_EMBEDDINGS = True


class Transformer(nn.Module):
    """An encoder-decoder Transformer for sequence-to-sequence tasks.

    Token ids are embedded, given positions, encoded; the decoder reads the
    target so far (shifted right, starting with a begin-of-sequence token) and
    the encoder's output, and a linear layer turns each position into logits
    over the target vocabulary.

    Args:
        src_vocab_size: number of source token ids.
        tgt_vocab_size: number of target token ids.
        embed_dim: model width ``D``.
        num_heads: attention heads ``H`` per attention block.
        num_layers: layers in the encoder and in the decoder.
        ff_dim: feed-forward hidden width; defaults to ``4 * D``.
        dropout: dropout everywhere, while training.
        max_len: longest sequence the positional encoding covers.
        activation, norm_first, layer_norm_eps, bias: as in the layers.

    Example:
        >>> model = Transformer(src_vocab_size=10, tgt_vocab_size=12,
        ...                     embed_dim=16, num_heads=4, num_layers=1)
        >>> src = torch.randint(0, 10, (2, 7))
        >>> tgt = torch.randint(0, 12, (2, 5))
        >>> model(src, tgt).shape
        torch.Size([2, 5, 12])
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_dim: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        ff_dim: int | None = None,
        dropout: float = 0.0,
        max_len: int = 256,
        activation: str = "relu",
        norm_first: bool = False,
        layer_norm_eps: float = LAYER_NORM_EPS,
        bias: bool = True,
    ):
        super().__init__()
        self.embed_dim = embed_dim
        self.src_embed = nn.Embedding(src_vocab_size, embed_dim)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, embed_dim)
        for embedding in (self.src_embed, self.tgt_embed):
            # Entries of size 1/sqrt(D): once multiplied by sqrt(D) the tokens are
            # as loud as the positional encoding. PyTorch's default (size 1) would
            # make them sqrt(D) times louder and slow down learning by position.
            nn.init.normal_(embedding.weight, std=embed_dim**-0.5)
        self.positions = PositionalEncoding(embed_dim, max_len, dropout)
        layer_args = (
            embed_dim,
            num_heads,
            ff_dim,
            dropout,
            activation,
            norm_first,
            layer_norm_eps,
            bias,
        )
        self.encoder = Encoder(num_layers, *layer_args)
        self.decoder = Decoder(num_layers, *layer_args)
        self.to_logits = nn.Linear(embed_dim, tgt_vocab_size, bias=bias)

    def _embed(self, embedding: nn.Embedding, tokens: torch.Tensor) -> torch.Tensor:
        if (
            not isinstance(tokens, torch.Tensor)
            or tokens.is_floating_point()
            or tokens.dtype == torch.bool
        ):
            got = getattr(tokens, "dtype", type(tokens).__name__)
            raise TypeError(f"token ids must be an integer tensor, got {got}")
        if tokens.dim() != 2:
            raise ValueError(
                f"token ids must have shape (B, T), got {tuple(tokens.shape)}"
            )
        if tokens.numel() and (
            tokens.min() < 0 or tokens.max() >= embedding.num_embeddings
        ):
            raise ValueError(
                f"token ids must lie in [0, {embedding.num_embeddings}), got values "
                f"from {int(tokens.min())} to {int(tokens.max())}"
            )
        scale = math.sqrt(self.embed_dim) if SCALE_EMBEDDINGS else 1.0
        # (B, T) -> (B, T, D)
        return self.positions(embedding(tokens) * scale)

    def encode(
        self,
        src: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """Encode source ids ``(B, T_src)`` into memory ``(B, T_src, D)``.

        ``src_mask`` is the source's padding mask ``(B, 1, 1, T_src)``, or None.
        """
        return self.encoder(self._embed(self.src_embed, src), src_mask, need_weights)

    def decode(
        self,
        tgt: torch.Tensor,
        memory: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        tgt_padding: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, list[dict[str, torch.Tensor]] | None]:
        """Logits ``(B, T_tgt, V)`` for target ids ``(B, T_tgt)`` given memory."""
        x, weights = self.decoder(
            self._embed(self.tgt_embed, tgt),
            memory,
            tgt_padding,
            src_mask,
            need_weights,
        )
        return self.to_logits(x), weights

    def forward(
        self,
        src: torch.Tensor,
        tgt: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        tgt_padding: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``(B, T_tgt, V)`` for source ``(B, T_src)`` and target ``(B, T_tgt)``.

        The target is the decoder's input (begin token, then the answer shifted
        right); the causal mask is applied inside the decoder.
        """
        memory, _ = self.encode(src, src_mask)
        logits, _ = self.decode(tgt, memory, src_mask, tgt_padding)
        return logits

    @torch.no_grad()
    def attention_maps(
        self, src: torch.Tensor, tgt: torch.Tensor, src_mask: torch.Tensor | None = None
    ) -> dict[str, list[torch.Tensor]]:
        """Every attention map of one forward pass, for plotting.

        Returns:
            A dict of per-layer lists: ``"encoder"`` ``(B, H, T_src, T_src)``,
            ``"decoder_self"`` ``(B, H, T_tgt, T_tgt)`` and ``"cross"``
            ``(B, H, T_tgt, T_src)``.
        """
        memory, encoder_weights = self.encode(src, src_mask, need_weights=True)
        _, decoder_weights = self.decode(tgt, memory, src_mask, need_weights=True)
        return {
            "encoder": encoder_weights,
            "decoder_self": [w["self"] for w in decoder_weights],
            "cross": [w["cross"] for w in decoder_weights],
        }

    @torch.no_grad()
    def greedy_decode(
        self,
        src: torch.Tensor,
        bos_id: int,
        max_len: int,
        src_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Generate ``max_len`` tokens, each time taking the most likely next one.

        Args:
            src: source ids ``(B, T_src)``.
            bos_id: the begin-of-sequence id the decoder starts from.
            max_len: how many tokens to generate.
            src_mask: the source's padding mask, or None.

        Returns:
            Generated ids ``(B, max_len)``, without the begin token.
        """
        memory, _ = self.encode(src, src_mask)
        tokens = torch.full(
            (src.shape[0], 1), bos_id, dtype=torch.long, device=src.device
        )
        for _ in range(max_len):
            # NOTE: the whole prefix is decoded again at every step. Thanks to
            # the causal mask the earlier positions come out the same each time,
            # so production decoders cache their keys and values instead.
            logits, _ = self.decode(tokens, memory, src_mask)
            # (B, T, V) -> (B, 1): the most likely next token of each sequence
            next_token = logits[:, -1].argmax(dim=-1, keepdim=True)
            tokens = torch.cat([tokens, next_token], dim=1)
        return tokens[:, 1:]
