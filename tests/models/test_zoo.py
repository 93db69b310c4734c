"""cnnplay.models.zoo: every architecture runs at its own input side, and FIXED_INPUT_SIDE lists
exactly the networks that run at that side only (a flatten + dense classifier, no adaptive
pooling), so a page that lets students change the input side knows which to hold fixed."""

from __future__ import annotations

import pytest
import torch

from cnnplay.models.zoo import ARCHITECTURES, FIXED_INPUT_SIDE, INPUT_CHANNELS, INPUT_SIDE


def runs(name: str, side: int) -> bool:
    """Whether the network (shapes only, meta device) takes a (1, C, side, side) input."""
    with torch.device("meta"):
        model = ARCHITECTURES[name]().eval()
        x = torch.empty(1, INPUT_CHANNELS[name], side, side)
    try:
        with torch.no_grad():
            model(x)
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_fixed_input_sides_are_listed(name):
    side = INPUT_SIDE[name]
    assert runs(name, side)
    fixed = name in FIXED_INPUT_SIDE
    assert runs(name, side + 32) is not fixed and runs(name, 2 * side) is not fixed
    if fixed:
        assert FIXED_INPUT_SIDE[name] == side


def test_lenet_is_fixed_at_32():
    assert FIXED_INPUT_SIDE == {"LeNet-5": 32}
