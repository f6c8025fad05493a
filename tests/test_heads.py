"""Tests for mha_course.heads: splitting a model-width tensor into heads and back."""

import torch

from mha_course import merge_heads, split_heads


def test_split_heads_gives_each_head_its_slice_of_every_token():
    torch.manual_seed(0)
    batch, length, num_heads, head_dim = 2, 5, 3, 4
    x = torch.randn(batch, length, num_heads * head_dim)
    heads = split_heads(x, num_heads)
    assert heads.shape == (batch, num_heads, length, head_dim)
    # Head h of token t holds the numbers h * d_head .. (h + 1) * d_head - 1.
    for b in range(batch):
        for h in range(num_heads):
            for t in range(length):
                expected = x[b, t, h * head_dim : (h + 1) * head_dim]
                assert torch.equal(heads[b, h, t], expected)


def test_split_heads_small_case_by_hand():
    # One sequence of two tokens, width 4, two heads of width 2.
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]])
    expected = torch.tensor([[[[1.0, 2.0], [5.0, 6.0]], [[3.0, 4.0], [7.0, 8.0]]]])
    assert torch.equal(split_heads(x, num_heads=2), expected)


def test_merge_heads_concatenates_heads_side_by_side():
    torch.manual_seed(1)
    heads = torch.randn(2, 3, 5, 4)  # (B, H, T, d_head)
    merged = merge_heads(heads)
    assert merged.shape == (2, 5, 12)
    for t in range(5):
        expected = torch.cat([heads[:, h, t] for h in range(3)], dim=-1)
        assert torch.equal(merged[:, t], expected)


def test_split_then_merge_and_merge_then_split_are_identities():
    torch.manual_seed(2)
    x = torch.randn(3, 7, 12)
    assert torch.equal(merge_heads(split_heads(x, 4)), x)
    heads = torch.randn(3, 4, 7, 3)
    assert torch.equal(split_heads(merge_heads(heads), 4), heads)


def test_one_head_is_the_whole_width():
    torch.manual_seed(3)
    x = torch.randn(2, 5, 6)
    assert torch.equal(split_heads(x, 1)[:, 0], x)


def test_the_wrong_reshape_mixes_tokens():
    # Reshaping straight to (B, H, T, d_head) is a classic mistake: head 0 then
    # holds pieces of several tokens. The right split must differ from it.
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(1, 3, 8)
    wrong = x.reshape(1, 2, 3, 4)
    right = split_heads(x, 2)
    assert not torch.equal(wrong, right)
    # Row 1 of the wrong head 0 starts with token 0's second half.
    assert torch.equal(wrong[0, 0, 1], x[0, 0, 4:])
