"""Tests for mha_course.training: the loop, the schedule and the evaluation.

The last two tests really train: a tiny Transformer must learn reversal
perfectly, and several heads must beat one head of the same width. They run in
a few seconds each on one CPU thread.
"""

import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from mha_course import Transformer
from mha_course.tagger import AttentionTagger
from mha_course.tasks import (
    EOS_ID,
    PAD_ID,
    NeighboursTask,
    ReversalTask,
    is_held_out,
)
from mha_course.training import (
    Accuracy,
    evaluate_accuracy,
    evaluate_sequence_accuracy,
    learning_rate_factor,
    set_seed,
    train,
)


@pytest.fixture
def one_thread():
    """Train on one CPU thread (faster for tiny models, and reproducible)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _small_tagger(num_heads=2, seed=0):
    task = NeighboursTask(num_symbols=4, seq_len=5, offsets=(-1, 1))
    torch.manual_seed(seed)
    model = AttentionTagger(task.vocab_size, task.num_relations, 16, num_heads)
    return task, model


# --- set_seed and the schedule ---------------------------------------------------


def test_set_seed_fixes_python_numpy_and_torch():
    set_seed(5)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    set_seed(5)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError)])
def test_set_seed_rejects_bad_seeds(seed, error):
    with pytest.raises(error):
        set_seed(seed)


def test_warmup_rises_linearly_to_one():
    factors = [learning_rate_factor(step, 100, warmup_steps=4) for step in range(4)]
    assert factors == [0.25, 0.5, 0.75, 1.0]


def test_decay_follows_half_a_cosine_after_warmup():
    total, warmup = 12, 2
    for step in range(warmup, total):
        progress = (step - warmup) / (total - warmup)
        expected = (1 + math.cos(math.pi * progress)) / 2
        assert learning_rate_factor(step, total, warmup) == pytest.approx(expected)
    assert learning_rate_factor(total - 1, total, warmup) > 0


def test_without_decay_the_factor_stays_one_after_warmup():
    assert {
        learning_rate_factor(step, 10, 3, decay=False) for step in range(3, 10)
    } == {1.0}


# --- train -----------------------------------------------------------------------


def test_train_returns_one_float_per_step_and_is_silent(capsys):
    task, model = _small_tagger()
    history = train(model, task, steps=5, progress=False)
    assert len(history) == 5
    assert all(isinstance(loss, float) and math.isfinite(loss) for loss in history)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_train_is_reproducible_with_the_same_seeds(one_thread):
    histories = []
    for _ in range(2):
        task, model = _small_tagger(seed=3)
        histories.append(train(model, task, steps=10, seed=4, progress=False))
    assert histories[0] == histories[1]
    task, model = _small_tagger(seed=3)
    assert train(model, task, steps=10, seed=5, progress=False) != histories[0]


def test_train_lowers_the_loss(one_thread):
    task, model = _small_tagger()
    history = train(model, task, steps=60, lr=1e-2, progress=False)
    assert np.mean(history[-10:]) < 0.8 * np.mean(history[:10])


def test_train_changes_the_weights_and_leaves_eval_mode():
    task, model = _small_tagger()
    before = [parameter.detach().clone() for parameter in model.parameters()]
    train(model, task, steps=2, progress=False)
    after = list(model.parameters())
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))
    assert not model.training


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"steps": 0}, ValueError),
        ({"steps": 2.0}, TypeError),
        ({"steps": 3, "batch_size": 0}, ValueError),
        ({"steps": 3, "lr": 0.0}, ValueError),
        ({"steps": 3, "warmup_steps": 4}, ValueError),
        ({"steps": 3, "seed": -2}, ValueError),
    ],
)
def test_train_rejects_bad_arguments(kwargs, error):
    task, model = _small_tagger()
    with pytest.raises(error):
        train(model, task, progress=False, **kwargs)


# --- evaluate_accuracy -----------------------------------------------------------


class _ReverseOracle(nn.Module):
    """Answers a reversal batch by reversing the source in Python lists."""

    def __init__(self, spoil_last=False):
        super().__init__()
        self.spoil_last = spoil_last

    def greedy_decode(self, src, bos_id, max_len, src_mask=None):
        rows = []
        for tokens in src.tolist():
            symbols = [token for token in tokens if token != PAD_ID]
            answer = symbols[::-1] + [EOS_ID]
            if self.spoil_last:
                answer[-1] = answer[0]  # EOS replaced by a symbol
            rows.append(answer + [PAD_ID] * (max_len - len(answer)))
        return torch.tensor(rows)


def test_a_perfect_answerer_scores_one():
    task = ReversalTask(min_len=3, max_len=6)
    accuracy = evaluate_accuracy(_ReverseOracle(), task, num_sequences=100)
    assert accuracy == Accuracy(token=1.0, sequence=1.0)
    assert evaluate_sequence_accuracy(_ReverseOracle(), task, num_sequences=10) == 1.0


def test_one_wrong_token_per_sequence_spoils_every_sequence():
    length = 5
    task = ReversalTask(min_len=length, max_len=length)
    accuracy = evaluate_accuracy(_ReverseOracle(spoil_last=True), task, 40)
    assert accuracy.sequence == 0.0
    assert accuracy.token == pytest.approx(length / (length + 1))


def test_evaluation_restores_the_training_mode():
    task, model = _small_tagger()
    model.train()
    evaluate_accuracy(model, task, num_sequences=4)
    assert model.training


def test_evaluation_uses_only_held_out_sequences():
    seen = []

    class Recorder(nn.Module):
        def forward(self, tokens):
            seen.append(tokens)
            return torch.zeros(*tokens.shape, 1, task.vocab_size)

    task = NeighboursTask(offsets=(1,))
    evaluate_accuracy(Recorder(), task, num_sequences=300, batch_size=128)
    tokens = torch.cat(seen)
    assert tokens.shape[0] == 300
    assert is_held_out(tokens).all()


# --- Real training ---------------------------------------------------------------


def test_tiny_transformer_learns_reversal_perfectly_on_held_out_data(one_thread):
    """Greedy decoding of held-out sequences is right for every sequence."""
    task = ReversalTask(num_symbols=8, min_len=8, max_len=8)
    torch.manual_seed(0)
    model = Transformer(
        task.vocab_size,
        task.vocab_size,
        embed_dim=32,
        num_heads=4,
        num_layers=1,
        ff_dim=64,
    )
    history = train(model, task, steps=300, lr=1e-2, warmup_steps=30, progress=False)
    accuracy = evaluate_accuracy(model, task, num_sequences=512)
    assert history[-1] < history[0]
    assert accuracy.sequence == 1.0


def test_several_heads_learn_several_relations_better_than_one(one_thread):
    """Same width, same parameters, same data and steps: only the heads differ."""
    task = NeighboursTask(num_symbols=8, seq_len=8, offsets=(-2, -1, 1, 2))
    accuracy, sizes = {}, {}
    for num_heads in (1, 2):
        torch.manual_seed(0)
        model = AttentionTagger(task.vocab_size, task.num_relations, 32, num_heads)
        sizes[num_heads] = sum(p.numel() for p in model.parameters())
        train(model, task, steps=600, lr=1e-2, warmup_steps=30, progress=False)
        accuracy[num_heads] = evaluate_accuracy(model, task).token
    assert sizes[1] == sizes[2]
    assert accuracy[2] >= 0.98
    assert accuracy[1] <= 0.93
