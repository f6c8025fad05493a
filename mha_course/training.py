"""A small training loop and held-out evaluation for the course's toy tasks.

:func:`train` runs AdamW on batches drawn from a task, with an optional linear
warm-up and a cosine decay of the learning rate, and returns the loss of every
step. :func:`evaluate_accuracy` scores a model on held-out sequences, decoding
greedily for sequence-to-sequence tasks.

A *task* is any object with the four methods of :class:`Task`; the tasks of
:mod:`mha_course.tasks` have them. Nothing here prints: the only output is the
optional ``tqdm`` progress bar.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple, Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .tasks import PAD_ID, _check_int

__all__ = [
    "Accuracy",
    "Task",
    "evaluate_accuracy",
    "evaluate_sequence_accuracy",
    "learning_rate_factor",
    "set_seed",
    "train",
]

DEFAULT_LEARNING_RATE = 3e-3  # high for Transformers, right for models this small
DEFAULT_BATCH_SIZE = 64
DEFAULT_WEIGHT_DECAY = 0.01  # AdamW's own default
MAX_GRAD_NORM = 1.0  # gradients are clipped to this norm, a guard against spikes
POSTFIX_EVERY = 25  # steps between updates of the loss shown on the progress bar
DEFAULT_EVAL_SEQUENCES = 512
DEFAULT_EVAL_BATCH_SIZE = 256
# Seed of the held-out data; the split rule keeps it apart from training data
# whatever the seeds, this only fixes WHICH held-out sequences are drawn.
HELD_OUT_SEED = 2024


class Task(Protocol):
    """What :func:`train` and :func:`evaluate_accuracy` need from a task.

    Any object with these four methods will do; the tasks of
    :mod:`mha_course.tasks` have them.

    Example:
        >>> from mha_course.tasks import NeighboursTask
        >>> task = NeighboursTask(seq_len=4, offsets=(1,))
        >>> methods = ("make_batch", "loss", "predict", "targets")
        >>> all(callable(getattr(task, name)) for name in methods)
        True
        >>> batch = task.make_batch(2, torch.Generator().manual_seed(0))
        >>> task.targets(batch).shape[0]
        2
    """

    def make_batch(self, batch_size: int, generator=None, split: str = "train"):
        """A batch of ``batch_size`` examples of the given split."""

    def loss(self, model: nn.Module, batch) -> torch.Tensor:
        """The scalar training loss of ``model`` on ``batch``."""

    def predict(self, model: nn.Module, batch) -> torch.Tensor:
        """The model's answers, shaped like ``targets(batch)``."""

    def targets(self, batch) -> torch.Tensor:
        """The right answers; ``PAD_ID`` marks slots that are not scored."""


class Accuracy(NamedTuple):
    """Held-out accuracy.

    Attributes:
        token: fraction of scored slots (tokens or labels) predicted right.
        sequence: fraction of sequences with every scored slot right.

    Example:
        >>> accuracy = Accuracy(token=0.75, sequence=0.5)
        >>> accuracy.token, accuracy.sequence
        (0.75, 0.5)
    """

    token: float
    sequence: float


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global random generators.

    Args:
        seed: a non-negative int.

    Raises:
        TypeError: if ``seed`` is not an int.
        ValueError: if ``seed`` is negative.

    Example:
        >>> set_seed(0); first = torch.rand(1)
        >>> set_seed(0); torch.equal(first, torch.rand(1))
        True
    """
    _check_int(seed, "seed", 0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def learning_rate_factor(
    step: int, total_steps: int, warmup_steps: int = 0, decay: bool = True
) -> float:
    """The multiplier of the base learning rate at ``step`` (counted from 0).

    It rises linearly from ``1 / warmup_steps`` to 1 over the warm-up, then, if
    ``decay``, follows half a cosine from 1 down towards 0, which it would reach
    one step after the last.

    Args:
        step: the current step, ``0 <= step < total_steps``.
        total_steps: the number of steps of the whole run.
        warmup_steps: steps of linear warm-up.
        decay: whether to decay after the warm-up; if not, stay at 1.

    Returns:
        A float in ``(0, 1]``.

    Example:
        >>> [round(learning_rate_factor(s, 5, warmup_steps=2), 3) for s in range(5)]
        [0.5, 1.0, 1.0, 0.75, 0.25]
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if not decay:
        return 1.0
    progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def train(
    model: nn.Module,
    task: Task,
    steps: int,
    lr: float = DEFAULT_LEARNING_RATE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    seed: int = 0,
    warmup_steps: int = 0,
    decay: bool = True,
    weight_decay: float = DEFAULT_WEIGHT_DECAY,
    progress: bool = True,
    desc: str = "training",
) -> list[float]:
    """Train ``model`` on fresh batches of ``task``; return every step's loss.

    Each step draws a new training batch (from a generator seeded with
    ``seed``, so the data order is reproducible), computes ``task.loss``, and
    takes one AdamW step with gradients clipped to norm ``MAX_GRAD_NORM``. The
    model's initial weights are NOT seeded here: seed before building it. The
    model is left in eval mode.

    Args:
        model: the model to train, in place.
        task: where batches and the loss come from (see :class:`Task`).
        steps: number of optimisation steps.
        lr: peak learning rate.
        batch_size: sequences per step.
        seed: seed of the training data.
        warmup_steps: steps of linear learning-rate warm-up.
        decay: cosine-decay the learning rate to 0 after the warm-up.
        weight_decay: AdamW's decoupled weight decay.
        progress: show a ``tqdm`` progress bar with the running loss.
        desc: the progress bar's label.

    Returns:
        The training loss at each step, a list of ``steps`` floats.

    Raises:
        TypeError: if ``steps``, ``batch_size`` or ``seed`` is not an int.
        ValueError: if one of them is out of range, ``warmup_steps`` exceeds
            ``steps`` or ``lr`` is not positive.

    Example:
        >>> from mha_course.tasks import NeighboursTask
        >>> from mha_course.tagger import AttentionTagger
        >>> task = NeighboursTask(seq_len=4, offsets=(1,))
        >>> _ = torch.manual_seed(0)
        >>> model = AttentionTagger(task.vocab_size, 1, embed_dim=8, num_heads=2)
        >>> history = train(model, task, steps=3, progress=False)
        >>> len(history), all(isinstance(loss, float) for loss in history)
        (3, True)
    """
    _check_int(steps, "steps", 1)
    _check_int(batch_size, "batch_size", 1)
    _check_int(seed, "seed", 0)
    _check_int(warmup_steps, "warmup_steps", 0, steps)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")

    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, steps, warmup_steps, decay)
    )
    history = []
    model.train()
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=True)
    for step in bar:
        batch = task.make_batch(batch_size, generator, split="train")
        loss = task.loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        schedule.step()
        history.append(loss.item())
        if step % POSTFIX_EVERY == 0 or step == steps - 1:
            bar.set_postfix(loss=f"{history[-1]:.3f}", refresh=False)
    bar.close()
    model.eval()
    return history


@torch.no_grad()
def evaluate_accuracy(
    model: nn.Module,
    task: Task,
    num_sequences: int = DEFAULT_EVAL_SEQUENCES,
    seed: int = HELD_OUT_SEED,
    batch_size: int = DEFAULT_EVAL_BATCH_SIZE,
) -> Accuracy:
    """Token and whole-sequence accuracy on held-out sequences.

    The sequences come from the task's ``"test"`` split, which training never
    draws from. For a sequence-to-sequence task ``task.predict`` decodes
    greedily: each output token is fed back in as the next input, so one early
    mistake can spoil the rest, exactly as when the model is used for real.

    Args:
        model: a trained model; put in eval mode while scoring, then restored.
        task: the task (see :class:`Task`).
        num_sequences: how many held-out sequences to score.
        seed: seed of the held-out sequences.
        batch_size: sequences scored at once.

    Returns:
        An :class:`Accuracy`, each part a float in ``[0, 1]``.

    Raises:
        TypeError, ValueError: if a count or the seed is not a valid int.

    Example:
        >>> from mha_course.tasks import NeighboursTask
        >>> from mha_course.tagger import AttentionTagger
        >>> task = NeighboursTask(seq_len=4, offsets=(1,))
        >>> model = AttentionTagger(task.vocab_size, 1, embed_dim=8, num_heads=2)
        >>> accuracy = evaluate_accuracy(model, task, num_sequences=8)
        >>> 0.0 <= accuracy.token <= 1.0 and 0.0 <= accuracy.sequence <= 1.0
        True
    """
    _check_int(num_sequences, "num_sequences", 1)
    _check_int(seed, "seed", 0)
    _check_int(batch_size, "batch_size", 1)
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    right_slots = scored_slots = right_sequences = 0
    remaining = num_sequences
    while remaining > 0:
        batch = task.make_batch(min(batch_size, remaining), generator, split="test")
        targets = task.targets(batch)
        predictions = task.predict(model, batch)
        # (B, ...) -> (B, S): every scored slot of a sequence in one row
        scored = (targets != PAD_ID).reshape(targets.shape[0], -1)
        right = (predictions == targets).reshape(targets.shape[0], -1) & scored
        right_slots += int(right.sum())
        scored_slots += int(scored.sum())
        right_sequences += int((right == scored).all(dim=1).sum())
        remaining -= targets.shape[0]
    model.train(was_training)
    return Accuracy(
        token=right_slots / max(scored_slots, 1),
        sequence=right_sequences / num_sequences,
    )


def evaluate_sequence_accuracy(
    model: nn.Module,
    task: Task,
    num_sequences: int = DEFAULT_EVAL_SEQUENCES,
    seed: int = HELD_OUT_SEED,
) -> float:
    """Fraction of held-out sequences answered entirely right (greedy decoding).

    A shortcut for ``evaluate_accuracy(...).sequence``; see there.

    Example:
        >>> from mha_course.tasks import ReversalTask
        >>> from mha_course import Transformer
        >>> task = ReversalTask(num_symbols=4, min_len=3, max_len=3)
        >>> model = Transformer(task.vocab_size, task.vocab_size, embed_dim=8,
        ...                     num_heads=2, num_layers=1)
        >>> 0.0 <= evaluate_sequence_accuracy(model, task, num_sequences=4) <= 1.0
        True
    """
    return evaluate_accuracy(model, task, num_sequences, seed).sequence
