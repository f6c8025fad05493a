"""Tests for mha_course.positional: the sinusoidal table and the module adding it.

The expected table is computed in NumPy, float64, one entry at a time from the
formula ``PE[pos, 2i] = sin(pos / 10000^(2i / D))``, ``PE[pos, 2i + 1] = cos(...)``.
"""

import numpy as np
import pytest
import torch

from mha_course import PositionalEncoding, sinusoidal_positional_encoding

# The original Transformer's base of wavelengths, written out independently.
BASE = 10_000.0
# The package computes in float32; angles up to ~max_len lose ~1e-7 relatively.
ATOL = 2e-5


def formula_table(max_len, embed_dim):
    table = np.zeros((max_len, embed_dim))
    for pos in range(max_len):
        for i in range(embed_dim // 2):
            angle = pos / BASE ** (2 * i / embed_dim)
            table[pos, 2 * i] = np.sin(angle)
            table[pos, 2 * i + 1] = np.cos(angle)
    return table


@pytest.mark.parametrize(("max_len", "embed_dim"), [(1, 2), (7, 6), (50, 16)])
def test_table_matches_the_formula(max_len, embed_dim):
    table = sinusoidal_positional_encoding(max_len, embed_dim)
    assert table.shape == (max_len, embed_dim)
    assert table.dtype == torch.float32
    np.testing.assert_allclose(
        table.numpy(), formula_table(max_len, embed_dim), atol=ATOL, rtol=0
    )


def test_position_zero_is_sin_zero_cos_zero():
    table = sinusoidal_positional_encoding(3, 4)
    assert table[0].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_every_position_gets_a_distinct_code():
    table = sinusoidal_positional_encoding(64, 16)
    distances = torch.cdist(table, table)
    off_diagonal = distances[~torch.eye(64, dtype=torch.bool)]
    assert off_diagonal.min() > 0.1
    assert table.abs().max() <= 1.0


def test_module_adds_the_table_to_the_input():
    torch.manual_seed(0)
    module = PositionalEncoding(embed_dim=8, max_len=20).eval()
    x = torch.randn(3, 5, 8)
    expected = x + torch.from_numpy(formula_table(5, 8)).float()
    torch.testing.assert_close(module(x), expected, atol=ATOL, rtol=0)


def test_module_table_is_a_buffer_not_a_parameter():
    module = PositionalEncoding(embed_dim=8, max_len=20)
    assert list(module.parameters()) == []
    assert module.encoding.shape == (20, 8)


def test_module_dropout_only_while_training():
    torch.manual_seed(1)
    module = PositionalEncoding(embed_dim=8, max_len=20, dropout=0.5)
    x = torch.randn(2, 6, 8)
    added = x + module.encoding[:6]
    assert torch.equal(module.eval()(x), added)
    torch.manual_seed(2)
    dropped = module.train()(x)
    zeroed = dropped == 0
    assert zeroed.any() and not zeroed.all()
    torch.testing.assert_close(dropped[~zeroed], added[~zeroed] * 2)
