"""Benchmark: our modules against PyTorch's own, as median time ratios.

Run ``python -m mha_course.bench`` (``--quick`` for a short run). Every figure
is a ratio measured in the same run on the same machine, ``ours / PyTorch's``,
so a shared or noisy machine slows both sides alike; a ratio below 1 means ours
is faster. Nothing here is a test: timings are never asserted.

Measured:

- ``MultiHeadAttention`` against ``torch.nn.MultiheadAttention``, forward in
  inference mode, with no weights returned and with per-head weights;
- heads run one after another (``LoopedMultiHeadAttention``) against batched;
- one training step of our ``Transformer`` against ``torch.nn.Transformer``
  of the same size, wrapped with the same embeddings and output layer.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from .interop import load_torch_multihead_attention
from .multi_head import LoopedMultiHeadAttention, MultiHeadAttention
from .transformer import Transformer

__all__ = ["Case", "median_seconds", "run"]

# Attention sizes (B, T, D, H) that the targets are stated for.
ATTENTION_CASES = ((8, 256, 256, 8), (4, 1024, 512, 8))
# Targets: the ratio ours / PyTorch's that each comparison should stay under.
ATTENTION_TARGET = 1.0
TRAINING_TARGET = 1.3
# Training-step comparison: a small model that still does real work.
TRAIN_SIZE = {"embed_dim": 256, "num_heads": 8, "num_layers": 2, "ff_dim": 1024}
TRAIN_BATCH, TRAIN_LEN, VOCAB = 16, 64, 1000
# A training step takes about ten attention calls' time, so it is repeated
# fewer times, but never so few that the median means nothing.
TRAINING_REPEAT_DIVISOR = 4
MIN_TRAINING_REPEATS = 3


@dataclass
class Case:
    """One comparison: a name, the two timings and the target ratio.

    Args:
        name: what was compared, with the sizes.
        ours: median seconds of our module.
        theirs: median seconds of PyTorch's.
        target: the ratio ``ours / theirs`` to stay under, or None when the
            comparison is only informative.

    Example:
        >>> case = Case("attention, no weights", ours=0.012, theirs=0.010, target=1.0)
        >>> round(case.ratio, 2), case.ratio <= case.target
        (1.2, False)
    """

    name: str
    ours: float
    theirs: float
    target: float | None

    @property
    def ratio(self) -> float:
        """Median time of ours divided by PyTorch's."""
        return self.ours / self.theirs


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` calls.

    Example:
        >>> median_seconds(lambda: sum(range(10)), repeats=3) >= 0.0
        True
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _interleaved(ours, theirs, repeats: int) -> tuple[float, float]:
    """Time the two alternately, so a change in machine load hits both."""
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        ours_times.append(median_seconds(ours, repeats=1, warmup=0))
        theirs_times.append(median_seconds(theirs, repeats=1, warmup=0))
    return statistics.median(ours_times), statistics.median(theirs_times)


def attention_cases(repeats: int) -> list[Case]:
    """Our MultiHeadAttention against PyTorch's, with and without weights."""
    cases = []
    for batch, length, width, heads in ATTENTION_CASES:
        torch.manual_seed(0)
        theirs = nn.MultiheadAttention(width, heads, batch_first=True).eval()
        ours = load_torch_multihead_attention(MultiHeadAttention(width, heads), theirs)
        ours.eval()
        x = torch.randn(batch, length, width)
        size = f"B={batch} T={length} D={width} H={heads}"
        for need_weights in (False, True):
            run_ours = partial(ours, x, x, x, need_weights=need_weights)
            run_theirs = partial(
                theirs, x, x, x, need_weights=need_weights, average_attn_weights=False
            )
            with torch.inference_mode():
                run_ours(), run_theirs()
                t_ours, t_theirs = _interleaved(run_ours, run_theirs, repeats)
            label = "per-head weights" if need_weights else "no weights"
            cases.append(
                Case(f"attention, {label}, {size}", t_ours, t_theirs, ATTENTION_TARGET)
            )
    return cases


def looped_case(repeats: int) -> Case:
    """Heads one after another (ours, looped) against all heads batched.

    Args:
        repeats: timed calls per side.

    Returns:
        A ``Case`` with no target: the ratio only shows what batching buys.

    Example:
        >>> looped_case(repeats=1).name
        'heads looped / batched (ours both), B=8 T=256 D=256'
    """
    batch, length, width, heads = ATTENTION_CASES[0]
    torch.manual_seed(0)
    batched = MultiHeadAttention(width, heads).eval()
    looped = LoopedMultiHeadAttention(width, heads).eval()
    looped.load_from(batched)
    x = torch.randn(batch, length, width)
    with torch.inference_mode():
        t_looped, t_batched = _interleaved(
            lambda: looped(x, x, x), lambda: batched(x, x, x), repeats
        )
    name = f"heads looped / batched (ours both), B={batch} T={length} D={width}"
    return Case(name, t_looped, t_batched, None)


class _TorchSeq2Seq(nn.Module):
    """``torch.nn.Transformer`` with the same embeddings and output as ours."""

    def __init__(self, ours: Transformer):
        super().__init__()
        size = TRAIN_SIZE
        self.src_embed = nn.Embedding(VOCAB, size["embed_dim"])
        self.tgt_embed = nn.Embedding(VOCAB, size["embed_dim"])
        self.positions = ours.positions
        self.scale = math.sqrt(size["embed_dim"])
        self.core = nn.Transformer(
            d_model=size["embed_dim"],
            nhead=size["num_heads"],
            num_encoder_layers=size["num_layers"],
            num_decoder_layers=size["num_layers"],
            dim_feedforward=size["ff_dim"],
            dropout=0.0,
            batch_first=True,
        )
        self.to_logits = nn.Linear(size["embed_dim"], VOCAB)

    def forward(self, src, tgt):
        blocked = nn.Transformer.generate_square_subsequent_mask(
            tgt.shape[1], dtype=torch.bool
        )
        src = self.positions(self.src_embed(src) * self.scale)
        tgt = self.positions(self.tgt_embed(tgt) * self.scale)
        return self.to_logits(self.core(src, tgt, tgt_mask=blocked, tgt_is_causal=True))


def training_case(repeats: int) -> Case:
    """One optimizer step of our Transformer against torch.nn.Transformer's."""
    torch.manual_seed(0)
    ours = Transformer(VOCAB, VOCAB, dropout=0.0, **TRAIN_SIZE)
    theirs = _TorchSeq2Seq(ours)
    src = torch.randint(0, VOCAB, (TRAIN_BATCH, TRAIN_LEN))
    tgt = torch.randint(0, VOCAB, (TRAIN_BATCH, TRAIN_LEN))
    loss_fn = nn.CrossEntropyLoss()

    def step_for(model):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            logits = model(src, tgt)
            loss = loss_fn(logits.reshape(-1, VOCAB), tgt.reshape(-1))
            loss.backward()
            optimizer.step()

        return step

    step_ours, step_theirs = step_for(ours), step_for(theirs)
    step_ours(), step_theirs()
    t_ours, t_theirs = _interleaved(step_ours, step_theirs, repeats)
    size = ", ".join(f"{k}={v}" for k, v in TRAIN_SIZE.items())
    name = f"training step, Transformer vs nn.Transformer ({size})"
    return Case(name, t_ours, t_theirs, TRAINING_TARGET)


def run(repeats: int = 20) -> list[Case]:
    """Run every comparison and return the cases (nothing is printed).

    Args:
        repeats: timed calls per side for the attention cases; the training
            step gets a quarter of them, at least 3.

    Returns:
        The ``Case`` objects: the attention cases, then heads looped against
        batched, then the training step.

    Example:
        A full run takes minutes, so it is not run as a doctest:

        >>> cases = run(repeats=3)  # doctest: +SKIP
        >>> len(cases)  # doctest: +SKIP
        6

        One of the cases it returns takes a fraction of a second:

        >>> case = looped_case(repeats=1)
        >>> case.target is None, case.ours > 0, case.theirs > 0
        (True, True, True)
    """
    cases = attention_cases(repeats)
    cases.append(looped_case(repeats))
    training_repeats = max(MIN_TRAINING_REPEATS, repeats // TRAINING_REPEAT_DIVISOR)
    cases.append(training_case(training_repeats))
    return cases


def _report(cases: list[Case]) -> str:
    lines = [f"torch {torch.__version__}, {torch.get_num_threads()} threads"]
    for case in cases:
        verdict = ""
        if case.target is not None:
            ok = case.ratio <= case.target
            verdict = f"  target <= {case.target:.1f}x: {'met' if ok else 'MISSED'}"
        lines.append(
            f"{case.ratio:5.2f}x  {case.name}  "
            f"(ours {case.ours * 1e3:.1f} ms, PyTorch {case.theirs * 1e3:.1f} ms)"
            f"{verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the ratios; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per side")
    parser.add_argument(
        "--quick", action="store_true", help="3 repeats, for a smoke run"
    )
    args = parser.parse_args(argv)
    cases = run(3 if args.quick else args.repeats)
    print(_report(cases))
    missed = [c for c in cases if c.target is not None and c.ratio > c.target]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
