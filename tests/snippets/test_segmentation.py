"""The U-Net snippet against the Segmentation page's network: the same parameter count as
``UNet(config)`` (what the Architecture tab shows, via ``cost.count``), and, with the page
model's weights loaded into the snippet's module, the same output."""

from __future__ import annotations

import itertools

import pytest
import torch

from cnnplay.cost import count
from cnnplay.segmentation.unet import UNet, UNetConfig
from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.segmentation import unet
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIGS = [
    UNetConfig(depth, width, upsample=up, skips=skips)
    for depth, width, up, skips in itertools.product(
        [1, 3], [4, 8], ["transpose", "bilinear"], [True, False]
    )
] + [
    UNetConfig(2, 4, decoder="fcn"),
    UNetConfig(5, 32),  # widths capped at max_width
    UNetConfig(5, 4, decoder="fcn"),
]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: f"{c.label()}-{c.depth}-{c.base_width}-{c.upsample}"
)
def test_same_parameters_and_same_output_with_the_same_weights(config):
    size = 32
    ns = run(unet(config, size))
    page = UNet(config).eval()
    assert ns["params"] == count(page, (1, 3, size, size)).params
    assert tuple(ns["y"].shape) == (1, config.num_classes, size, size)
    mine, theirs = ns["model"].state_dict(), page.state_dict()
    assert [v.shape for v in mine.values()] == [v.shape for v in theirs.values()]
    ns["model"].load_state_dict(dict(zip(mine, theirs.values(), strict=True)))
    with torch.no_grad():
        torch.testing.assert_close(ns["model"](ns["x"]), page(ns["x"]))


def test_the_fcn_starts_as_bilinear_upsampling():
    config = UNetConfig(2, 4, decoder="fcn")
    ns = run(unet(config, 16))
    torch.testing.assert_close(ns["model"].upsample.weight, UNet(config).upsample.weight)


def test_sides_that_the_network_cannot_take_are_refused():
    with pytest.raises(SnippetError):
        unet(UNetConfig(depth=3), 20)
