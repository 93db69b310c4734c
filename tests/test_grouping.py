"""cnnplay.grouping: the connection matrix against torch's grouped convolution, and the counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnplay.grouping import connections, grouped_weights, grouping_figure


@pytest.mark.parametrize("c_in, c_out, groups", [(8, 8, 1), (8, 8, 2), (8, 12, 4), (6, 6, 6)])
def test_connections_match_which_inputs_a_torch_output_depends_on(c_in, c_out, groups):
    conv = nn.Conv2d(c_in, c_out, 1, groups=groups, bias=False)
    x = torch.zeros(1, c_in, 1, 1, requires_grad=True)
    seen = np.zeros((c_out, c_in), bool)
    for o in range(c_out):
        (grad,) = torch.autograd.grad(conv(x)[0, o].sum(), x)
        seen[o] = (grad[0, :, 0, 0] != 0).numpy()
    assert (connections(c_in, c_out, groups) == seen).all()
    assert grouped_weights(c_in, c_out, groups, 1) == conv.weight.numel()


def test_bad_groups_and_the_figure():
    with pytest.raises(ValueError, match="divisible"):
        connections(8, 8, 3)
    fig = grouping_figure(4, [1, 4], ["ordinary", "depthwise"])
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 5 and sum(len([v for v in t.x if v is not None]) for t in lines) == 40
