"""Tests for mha_course.tasks: the toy tasks' data, splits, losses and answers.

Expected values are built independently, with plain Python lists and loops,
never by calling the code under test.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mha_course import padding_mask
from mha_course.tasks import (
    BOS_ID,
    EOS_ID,
    FIRST_SYMBOL_ID,
    HELD_OUT_MODULUS,
    PAD_ID,
    NeighboursTask,
    ReversalTask,
    Seq2SeqBatch,
    TaggingBatch,
    is_held_out,
    source_mask,
)

BATCH = 64


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


# --- Special ids ---------------------------------------------------------------


def test_special_ids_are_distinct_and_come_before_the_symbols():
    assert len({PAD_ID, BOS_ID, EOS_ID}) == 3
    assert max(PAD_ID, BOS_ID, EOS_ID) < FIRST_SYMBOL_ID


# --- ReversalTask ----------------------------------------------------------------


def test_reversal_fixed_length_shapes_and_vocabulary():
    task = ReversalTask(num_symbols=5, min_len=6, max_len=6)
    batch = task.make_batch(BATCH, _generator())
    assert isinstance(batch, Seq2SeqBatch)
    assert batch.src.shape == (BATCH, 6)
    assert batch.tgt_in.shape == batch.tgt_out.shape == (BATCH, 7)
    assert task.vocab_size == FIRST_SYMBOL_ID + 5
    assert batch.src.dtype == torch.long
    assert (batch.src >= FIRST_SYMBOL_ID).all() and (batch.src < 8).all()


def test_reversal_answer_is_the_source_backwards_then_eos():
    task = ReversalTask(num_symbols=6, min_len=2, max_len=7)
    batch = task.make_batch(BATCH, _generator(1))
    for src, tgt_in, tgt_out in zip(*batch, strict=True):
        symbols = [token for token in src.tolist() if token != PAD_ID]
        pads = task.max_len - len(symbols)
        assert src.tolist() == symbols + [PAD_ID] * pads  # padding only at the end
        assert tgt_out.tolist() == symbols[::-1] + [EOS_ID] + [PAD_ID] * pads
        assert tgt_in.tolist() == [BOS_ID] + symbols[::-1] + [PAD_ID] * pads


def test_reversal_lengths_cover_the_whole_range():
    task = ReversalTask(num_symbols=4, min_len=3, max_len=6)
    src = task.make_batch(512, _generator(2)).src
    lengths = set((src != PAD_ID).sum(dim=1).tolist())
    assert lengths == {3, 4, 5, 6}


def test_reversal_fixed_length_has_no_padding_in_the_source():
    batch = ReversalTask(min_len=5, max_len=5).make_batch(BATCH, _generator())
    assert (batch.src != PAD_ID).all()
    assert (batch.tgt_out[:, -1] == EOS_ID).all()


def test_same_seed_same_batch_other_seed_other_batch():
    task = ReversalTask(min_len=3, max_len=8)
    first = task.make_batch(BATCH, _generator(7))
    again = task.make_batch(BATCH, _generator(7))
    other = task.make_batch(BATCH, _generator(8))
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first.src, other.src)


def test_without_a_generator_the_global_seed_decides():
    task = NeighboursTask()
    torch.manual_seed(3)
    first = task.make_batch(8)
    torch.manual_seed(3)
    assert torch.equal(first.tokens, task.make_batch(8).tokens)


def test_consecutive_batches_from_one_generator_differ():
    task = ReversalTask()
    generator = _generator()
    assert not torch.equal(
        task.make_batch(BATCH, generator).src, task.make_batch(BATCH, generator).src
    )


def test_reversal_to_text_uses_letters_and_stops_after_eos():
    task = ReversalTask(num_symbols=4, min_len=1, max_len=4)
    ids = torch.tensor([FIRST_SYMBOL_ID + 2, FIRST_SYMBOL_ID, EOS_ID, 5, PAD_ID])
    assert task.to_text(ids) == "c a <eos>"
    assert task.to_text(ids, stop_at_eos=False) == "c a <eos> c"
    assert task.to_text(torch.tensor([BOS_ID, PAD_ID, PAD_ID])) == "<bos>"


def test_to_text_rejects_ids_outside_the_vocabulary_and_2d_input():
    task = ReversalTask(num_symbols=4)
    with pytest.raises(ValueError, match="outside"):
        task.to_text(torch.tensor([task.vocab_size]))
    with pytest.raises(ValueError, match="1-D"):
        task.to_text(torch.zeros(2, 2, dtype=torch.long))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"num_symbols": 1}, ValueError),
        ({"num_symbols": 27}, ValueError),
        ({"num_symbols": 4.0}, TypeError),
        ({"min_len": 0}, ValueError),
        ({"min_len": 5, "max_len": 4}, ValueError),
    ],
)
def test_reversal_rejects_bad_settings(kwargs, error):
    with pytest.raises(error):
        ReversalTask(**kwargs)


@pytest.mark.parametrize("task", [ReversalTask(), NeighboursTask()], ids=type)
def test_make_batch_rejects_bad_size_and_split(task):
    with pytest.raises(ValueError, match="batch_size"):
        task.make_batch(0)
    with pytest.raises(TypeError, match="batch_size"):
        task.make_batch(2.0)
    with pytest.raises(ValueError, match="split"):
        task.make_batch(4, split="validation")


# --- Held-out split --------------------------------------------------------------


def test_is_held_out_follows_the_checksum_rule():
    tokens = torch.randint(0, 11, (200, 6), generator=_generator(4))
    expected = [
        sum((position + 1) * token for position, token in enumerate(row))
        % HELD_OUT_MODULUS
        == 0
        for row in tokens.tolist()
    ]
    assert is_held_out(tokens).tolist() == expected
    assert any(expected) and not all(expected)


def test_is_held_out_ignores_trailing_padding():
    short = torch.tensor([[4, 5, 6]])
    padded = torch.tensor([[4, 5, 6, PAD_ID, PAD_ID]])
    assert is_held_out(short).item() == is_held_out(padded).item()


@pytest.mark.parametrize(
    "task", [ReversalTask(min_len=2, max_len=6), NeighboursTask()], ids=type
)
def test_train_and_test_splits_never_share_a_sequence(task):
    train = task.make_batch(512, _generator(5), split="train")[0]
    test = task.make_batch(512, _generator(5), split="test")[0]
    assert not is_held_out(train).any()
    assert is_held_out(test).all()
    assert not {tuple(row) for row in train.tolist()} & {
        tuple(row) for row in test.tolist()
    }


def test_is_held_out_rejects_floats_and_wrong_rank():
    with pytest.raises(TypeError, match="integer"):
        is_held_out(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        is_held_out(torch.zeros(3, dtype=torch.long))


# --- Masks and losses ------------------------------------------------------------


def test_source_mask_equals_the_padding_mask_of_the_lengths():
    src = ReversalTask(min_len=2, max_len=7).make_batch(BATCH, _generator(6)).src
    lengths = (src != PAD_ID).sum(dim=1)
    assert torch.equal(source_mask(src), padding_mask(lengths, max_len=7))


class _FixedLogits(nn.Module):
    """Returns the same logits whatever the input; records the mask it got."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits
        self.src_mask = None

    def forward(self, *inputs, src_mask=None):
        self.src_mask = src_mask
        return self.logits


def test_reversal_loss_is_the_mean_over_non_padding_targets():
    task = ReversalTask(num_symbols=5, min_len=2, max_len=5)
    batch = task.make_batch(8, _generator(9))
    logits = torch.randn(8, task.target_len, task.vocab_size, generator=_generator())
    model = _FixedLogits(logits)
    log_probs = logits.log_softmax(dim=-1)
    terms = [
        -log_probs[row, position, target]
        for row, targets in enumerate(batch.tgt_out.tolist())
        for position, target in enumerate(targets)
        if target != PAD_ID
    ]
    expected = torch.stack(terms).mean()
    assert torch.allclose(task.loss(model, batch), expected, atol=1e-6)
    assert torch.equal(model.src_mask, source_mask(batch.src))


def test_tagging_loss_is_the_mean_over_every_label():
    task = NeighboursTask(num_symbols=4, seq_len=5, offsets=(-1, 2))
    batch = task.make_batch(6, _generator(10))
    logits = torch.randn(6, 5, 2, task.vocab_size, generator=_generator())
    expected = F.nll_loss(
        logits.log_softmax(dim=-1).reshape(-1, task.vocab_size),
        batch.labels.reshape(-1),
    )
    assert torch.allclose(task.loss(_FixedLogits(logits), batch), expected)


# --- NeighboursTask --------------------------------------------------------------


def test_neighbour_labels_are_the_tokens_at_each_offset_around_the_ring():
    offsets = (-2, -1, 1, 3)
    task = NeighboursTask(num_symbols=6, seq_len=7, offsets=offsets)
    batch = task.make_batch(BATCH, _generator(11))
    assert isinstance(batch, TaggingBatch)
    assert batch.tokens.shape == (BATCH, 7)
    assert batch.labels.shape == (BATCH, 7, 4)
    for tokens, labels in zip(
        batch.tokens.tolist(), batch.labels.tolist(), strict=True
    ):
        for i in range(7):
            assert labels[i] == [tokens[(i + offset) % 7] for offset in offsets]


def test_neighbour_task_names_and_sizes():
    task = NeighboursTask(num_symbols=8, seq_len=8, offsets=(-2, -1, 1, 2))
    assert task.num_relations == 4
    assert task.vocab_size == FIRST_SYMBOL_ID + 8
    assert task.relation_names == ["2 left", "1 left", "1 right", "2 right"]
    assert task.to_text(torch.tensor([FIRST_SYMBOL_ID, FIRST_SYMBOL_ID + 1])) == "a b"


def test_neighbour_predict_takes_the_most_likely_label():
    task = NeighboursTask(num_symbols=4, seq_len=3, offsets=(1,))
    batch = task.make_batch(2, _generator())
    logits = torch.randn(2, 3, 1, task.vocab_size, generator=_generator(1))
    expected = [
        [[max(range(task.vocab_size), key=lambda v: slot[v])] for slot in row]
        for row in logits[:, :, 0].tolist()
    ]
    assert task.predict(_FixedLogits(logits), batch).tolist() == expected
    assert torch.equal(task.targets(batch), batch.labels)


@pytest.mark.parametrize(
    "offsets, error",
    [
        ((), ValueError),
        ((0, 1), ValueError),
        ((1, 1), ValueError),
        ((8,), ValueError),
        ((1.0,), TypeError),
    ],
)
def test_neighbour_task_rejects_bad_offsets(offsets, error):
    with pytest.raises(error):
        NeighboursTask(seq_len=8, offsets=offsets)
