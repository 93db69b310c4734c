"""The bottleneck snippet against the Bottleneck tab's counts (``block_terms``) and against
``cost.count`` of the page's own blocks (``build_block``)."""

from __future__ import annotations

import pytest

from cnnplay.cost import DESIGNS, BlockSettings, block_terms, build_block, count
from cnnplay.snippets.cost import bottleneck
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")

WIDTHS = [
    BlockSettings(8, 8, 4, 3, 2),
    BlockSettings(12, 6, 3, 5, 3),
    BlockSettings(6, 10, 8, 1, 2),
    BlockSettings(16, 16, 4, 3, 16),
]


@pytest.mark.parametrize("s", WIDTHS)
def test_parameters_and_multiply_adds_match_the_page(s):
    side = 7
    ns = run(bottleneck(s, side))
    for design in DESIGNS:
        weights = sum(t.weights for t in block_terms(design, s))
        assert ns["params"][design] == weights
        report = count(build_block(design, s, "cpu"), (1, s.c_in, side, side))
        assert (report.params, report.macs) == (weights, weights * side * side)
        assert f"{weights * side * side:,} multiply-adds" in ns["__stdout__"]
    assert tuple(ns["y"].shape) == (1, s.c_out, side, side)


def test_the_notes_example():
    """256 → 256 channels, 3×3, bottleneck width 64: 589,824 against 69,632 weights."""
    ns = run(bottleneck(BlockSettings(), 2))
    assert ns["params"]["plain"] == 589_824 and ns["params"]["bottleneck"] == 69_632


def test_groups_that_divide_nothing_leave_the_grouped_block_out():
    s = BlockSettings(8, 8, 4, 3, 3)  # 3 groups do not divide 8 channels
    with pytest.raises(ValueError):
        bottleneck(s, 4)
    designs = tuple(d for d in DESIGNS if d != "grouped")
    ns = run(bottleneck(s, 4, designs))
    assert set(ns["params"]) == set(designs)
    assert "groups" not in bottleneck(s, 4, designs).code.split("blocks =")[0]
