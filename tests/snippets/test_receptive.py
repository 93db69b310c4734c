"""The layer-stack snippet against the Receptive field page's table (``stack_table``) and the
module tracker (``receptive_field``) run on the snippet's own nn.Sequential."""

from __future__ import annotations

import pytest

from cnnplay.receptive import (
    PRESETS,
    LayerError,
    LayerSpec,
    parse_layers,
    receptive_field,
    stack_table,
)
from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.receptive import layer_stack
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")


def expected_rows(layers, size) -> list[tuple[int, int, int, int]]:
    return [(r.out_size, r.jump, r.size, r.start) for r in stack_table(layers, size)[1:]]


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset(preset):
    size, layers = PRESETS[preset]
    ns = run(layer_stack(layers, size))
    assert ns["rows"] == expected_rows(layers, size)
    assert receptive_field(ns["net"], size) == ns["rows"][-1][2]


STACKS = [
    [{"kind": "conv", "kernel": 3, "stride": 2, "padding": 1, "dilation": 1}],
    [
        {"kind": "conv", "kernel": 5, "stride": 1, "padding": 2, "dilation": 2},
        {"kind": "max pool", "kernel": 3, "stride": 2, "padding": 1, "dilation": 2},
        {"kind": "1×1 conv", "kernel": 1, "stride": 1, "padding": 0, "dilation": 1},
        {"kind": "avg pool", "kernel": 2, "stride": None, "padding": 1, "dilation": None},
    ],
    [
        {"kind": "avg pool", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1},
        {"kind": "conv", "kernel": 2, "stride": 3, "padding": 0, "dilation": 3},
    ],
]


@pytest.mark.parametrize("records", STACKS)
@pytest.mark.parametrize("size", [19, 40])
def test_edited_stacks(records, size):
    layers = parse_layers(records)
    ns = run(layer_stack(layers, size))
    assert ns["rows"] == expected_rows(layers, size)
    assert ns["y"].shape[-1] == ns["rows"][-1][0]


def test_the_snippet_runs_out_of_pixels_where_the_page_says_so():
    layers = [LayerSpec("conv", 5)] * 3
    with pytest.raises(LayerError):
        stack_table(layers, 10)  # the page shows its message and no panel
    with pytest.raises(RuntimeError):
        run(layer_stack(layers, 10))  # torch refuses too


def test_empty_stacks_are_refused():
    with pytest.raises(SnippetError):
        layer_stack([], 8)
