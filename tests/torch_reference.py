"""Helpers shared by the tests that compare our layers with PyTorch's."""

import torch


@torch.no_grad()
def randomize_biases_and_norms(module: torch.nn.Module) -> torch.nn.Module:
    """Draw every bias and LayerNorm parameter of ``module`` from N(0, 1).

    PyTorch starts biases at zero and LayerNorms at ones and zeros, so a
    forgotten bias or two swapped norms would otherwise go unnoticed when our
    layer is compared with PyTorch's.
    """
    for name, parameter in module.named_parameters():
        if "bias" in name or "norm" in name:
            parameter.normal_()
    return module
