"""Tests for mha_course.tagger: the one-layer attention tagger."""

import pytest
import torch

from mha_course.tagger import AttentionTagger

VOCAB, OUTPUTS, WIDTH = 11, 3, 16


def _count(model):
    return sum(parameter.numel() for parameter in model.parameters())


def test_logits_have_one_distribution_per_label_slot():
    torch.manual_seed(0)
    tagger = AttentionTagger(VOCAB, OUTPUTS, embed_dim=WIDTH, num_heads=4)
    logits = tagger(torch.randint(0, VOCAB, (2, 7)))
    assert logits.shape == (2, 7, OUTPUTS, VOCAB)


def test_parameter_count_does_not_depend_on_the_number_of_heads():
    counts = {
        heads: _count(AttentionTagger(VOCAB, OUTPUTS, WIDTH, heads))
        for heads in (1, 2, 4, 8)
    }
    assert len(set(counts.values())) == 1


def test_attention_maps_are_distributions_per_head():
    torch.manual_seed(1)
    tagger = AttentionTagger(VOCAB, OUTPUTS, embed_dim=WIDTH, num_heads=2)
    weights = tagger.attention_maps(torch.randint(0, VOCAB, (3, 5)))
    assert weights.shape == (3, 2, 5, 5)
    assert torch.allclose(weights.sum(dim=-1), torch.ones(3, 2, 5))


def test_a_position_sees_other_positions_only_through_attention():
    torch.manual_seed(2)
    tagger = AttentionTagger(VOCAB, OUTPUTS, embed_dim=WIDTH, num_heads=2).eval()
    tokens = torch.randint(0, VOCAB, (1, 6))
    changed = tokens.clone()
    changed[0, 4] = (tokens[0, 4] + 1) % VOCAB
    with torch.no_grad():
        # Zero the value projection: attention now carries nothing between positions.
        tagger.layer.self_attn.v_proj.weight.zero_()
        tagger.layer.self_attn.v_proj.bias.zero_()
        before, after = tagger(tokens), tagger(changed)
    unchanged = [0, 1, 2, 3, 5]
    assert torch.allclose(before[0, unchanged], after[0, unchanged])
    assert not torch.allclose(before[0, 4], after[0, 4])


def test_tagger_rejects_float_tokens_and_wrong_rank():
    tagger = AttentionTagger(VOCAB, OUTPUTS, embed_dim=WIDTH, num_heads=2)
    with pytest.raises(TypeError, match="integer"):
        tagger(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        tagger(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="num_outputs"):
        AttentionTagger(VOCAB, 0)
