"""mha_course: multi-head attention built step by step, for the course's lessons.

The package is the course's single source of truth: the lessons import it, the
exercise checkers compare learners' code against it, and the solutions are
generated from it.

Vocabulary of dimensions, used in every docstring and shape comment:

- ``B``: batch size
- ``T_q``, ``T_k``: query length and key length (``T`` when they are equal)
- ``D``: model width (``embed_dim``)
- ``H``: number of heads (``num_heads``)
- ``d_head``: width of one head (``head_dim = D // H``)

Masks are boolean, ``True`` meaning "may attend", broadcasting to
``(B, H, T_q, T_k)``.

Submodules not imported here, because later lessons or tools need them and
some pull in plotting or notebook machinery: ``plots``, ``widgets`` and
``diversity`` (figures and measures), ``tasks``, ``tagger`` and ``training``
(lessons 09 and 10), ``checks`` and ``grade`` (exercises), ``bench``.
"""

from . import numpy_attention
from .attention import attention_scores, masked_softmax, scaled_dot_product_attention
from .decoder import Decoder, DecoderLayer
from .encoder import Encoder, EncoderLayer, FeedForward
from .heads import merge_heads, split_heads
from .interop import (
    load_torch_decoder_layer,
    load_torch_encoder_layer,
    load_torch_multihead_attention,
)
from .masks import causal_mask, combine_masks, padding_mask, to_torch_mha_masks
from .multi_head import LoopedMultiHeadAttention, MultiHeadAttention
from .positional import PositionalEncoding, sinusoidal_positional_encoding
from .single_head import SingleHeadAttention
from .transformer import Transformer

__version__ = "0.1.0"  # as in pyproject.toml

__all__ = [
    "Decoder",
    "DecoderLayer",
    "Encoder",
    "EncoderLayer",
    "FeedForward",
    "LoopedMultiHeadAttention",
    "MultiHeadAttention",
    "PositionalEncoding",
    "SingleHeadAttention",
    "Transformer",
    "attention_scores",
    "causal_mask",
    "combine_masks",
    "load_torch_decoder_layer",
    "load_torch_encoder_layer",
    "load_torch_multihead_attention",
    "masked_softmax",
    "merge_heads",
    "numpy_attention",
    "padding_mask",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
    "split_heads",
    "to_torch_mha_masks",
]
