"""Tests for mha_course.masks: causal, padding, combined, and PyTorch's convention.

Expected masks are written out element by element from their definitions, with
plain Python loops, rather than with the tensor operations the package uses.
"""

import pytest
import torch

from mha_course import causal_mask, combine_masks, padding_mask, to_torch_mha_masks


@pytest.mark.parametrize("size", [1, 2, 5])
def test_causal_mask_lets_each_position_see_itself_and_the_past(size):
    expected = torch.tensor(
        [[key <= query for key in range(size)] for query in range(size)]
    )
    mask = causal_mask(size)
    assert mask.dtype == torch.bool
    assert torch.equal(mask, expected)


def test_causal_mask_small_case_by_hand():
    expected = torch.tensor(
        [[True, False, False], [True, True, False], [True, True, True]]
    )
    assert torch.equal(causal_mask(3), expected)


@pytest.mark.parametrize("max_len", [None, 6])
def test_padding_mask_hides_positions_past_each_length(max_len):
    lengths = [2, 0, 4]
    width = 4 if max_len is None else max_len
    expected = torch.tensor(
        [[position < length for position in range(width)] for length in lengths]
    )
    mask = padding_mask(torch.tensor(lengths), max_len=max_len)
    assert mask.dtype == torch.bool
    assert mask.shape == (3, 1, 1, width)
    assert torch.equal(mask[:, 0, 0, :], expected)


def test_padding_mask_broadcasts_over_heads_and_queries():
    mask = padding_mask(torch.tensor([1, 3]))
    scores = torch.zeros(2, 4, 5, 3)  # (B, H, T_q, T_k)
    hidden = scores.masked_fill(~mask, 1.0)
    # Batch item 0 hides keys 1 and 2 for every head and every query.
    assert torch.equal(hidden[0, :, :, 1:], torch.ones(4, 5, 2))
    assert torch.equal(hidden[0, :, :, 0], torch.zeros(4, 5))
    assert torch.equal(hidden[1], torch.zeros(4, 5, 3))


def test_combine_masks_is_logical_and_ignoring_none():
    pad = padding_mask(torch.tensor([2, 3]), max_len=3)  # (2, 1, 1, 3)
    combined = combine_masks(None, causal_mask(3), pad, None)
    assert combined.shape == (2, 1, 3, 3)
    for batch in range(2):
        for query in range(3):
            for key in range(3):
                allowed = key <= query and key < [2, 3][batch]
                assert bool(combined[batch, 0, query, key]) == allowed


def test_combine_masks_of_one_mask_returns_it_and_of_none_returns_none():
    mask = causal_mask(4)
    assert torch.equal(combine_masks(mask), mask)
    assert combine_masks() is None
    assert combine_masks(None, None) is None


def test_to_torch_mha_masks_inverts_and_reshapes():
    causal = causal_mask(3)
    pad = padding_mask(torch.tensor([1, 3]))
    blocked, key_padding = to_torch_mha_masks(causal, pad)
    # PyTorch's module: True means "blocked", the opposite of ours.
    assert torch.equal(blocked, ~causal)
    assert key_padding.shape == (2, 3)
    expected_padding = torch.tensor([[False, True, True], [False, False, False]])
    assert torch.equal(key_padding, expected_padding)


def test_to_torch_mha_masks_passes_none_through():
    assert to_torch_mha_masks() == (None, None)
    blocked, key_padding = to_torch_mha_masks(attn_mask=causal_mask(2))
    assert key_padding is None and blocked.shape == (2, 2)
