"""cnnplay.segmentation.plots mask pictures, and the torchvision segmenter's post-processing with a
stand-in network (the real weights need a download)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from cnnplay.segmentation.deeplab import torchvision_segment, voc_categories
from cnnplay.segmentation.metrics import CLASS_NAMES
from cnnplay.segmentation.plots import (
    CLASS_RGB,
    LINE_PX,
    class_legend_figure,
    instance_colours,
    label_rows,
    mask_colours,
    mask_overlay,
    unet_diagram,
)
from cnnplay.segmentation.unet import UNetConfig, stages

PHONE_PLOT_PX = 370  # a 390 px screen less the page's padding and the figure's margins
CHAR_PX = 0.62  # a generous width of one character, in units of the font size


def test_overlay_blends_only_where_the_label_is_not_background() -> None:
    image = np.full((6, 8, 3), 200, np.uint8)
    labels = np.zeros((6, 8), np.int64)
    labels[1:3, 2:5] = 2
    out = mask_overlay(image, labels, alpha=0.5)
    np.testing.assert_array_equal(out[labels == 0], image[labels == 0])
    expected = np.rint(0.5 * 200 + 0.5 * CLASS_RGB[2].astype(np.float32)).astype(np.uint8)
    assert (out[labels == 2] == expected).all()
    picture = instance_colours(labels)
    other = mask_overlay(image, labels, alpha=1.0, colours=picture)
    np.testing.assert_array_equal(other[labels == 2], picture[labels == 2])
    np.testing.assert_array_equal(mask_colours(labels)[labels == 0][0], CLASS_RGB[0])


class _Halves(nn.Module):
    """Scores class ``k`` on the left half of the image, background on the right."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> dict:
        n, _, h, w = x.shape
        out = torch.zeros(n, 21, h, w)
        out[:, self.k, :, : w // 2] = 5.0
        out[:, 0, :, w // 2 :] = 5.0
        return {"out": out}


def test_torchvision_segment_labels_and_found_classes() -> None:
    names = voc_categories()
    person = names.index("person")
    result = torchvision_segment(_Halves(person), np.zeros((10, 12, 3), np.uint8))
    assert result.labels.shape == (10, 12)
    assert (result.labels[:, :6] == person).all() and (result.labels[:, 6:] == 0).all()
    assert result.found == ["person"]
    nothing = torchvision_segment(_Halves(0), np.zeros((4, 4, 3), np.uint8))
    assert nothing.found == ["nothing"]


def test_class_legend_names_every_class_in_its_mask_colour() -> None:
    spec = class_legend_figure(CLASS_NAMES).to_plotly_json()
    assert spec["layout"]["showlegend"] is True
    assert [t["name"] for t in spec["data"]] == list(CLASS_NAMES)
    colours = [t["marker"]["color"] for t in spec["data"]]
    assert colours == ["rgb({},{},{})".format(*c) for c in CLASS_RGB.tolist()]
    assert mask_colours(np.arange(len(CLASS_NAMES))[None]).tolist()[0] == CLASS_RGB.tolist()


def _label_boxes(figure, width_px: float) -> list[tuple[float, float, float, float]]:
    """(left, right, top, bottom) in pixels of every box label of a U-Net diagram drawn
    ``width_px`` wide: widths from the longest line at CHAR_PX per character, heights from
    the line count; y from the annotation's data y, scaled like the figure's height."""
    layout = figure.layout
    x0, x1 = layout.xaxis.range
    y0, y1 = layout.yaxis.range
    height = layout.height - layout.margin.t - layout.margin.b
    boxes = []
    for note in layout.annotations:
        if note.yanchor != "top":  # the skip labels sit above their arrows
            continue
        lines = [re.sub("<[^>]+>", "", t) for t in note.text.split("<br>")]
        size = note.font.size
        half = max(len(t) for t in lines) * CHAR_PX * size / 2
        cx = (note.x - x0) / (x1 - x0) * width_px
        top = (y1 - note.y) / (y1 - y0) * height - (note.yshift or 0)
        boxes.append((cx - half, cx + half, top, top + LINE_PX * len(lines)))
    return boxes


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("decoder", ["unet", "fcn"])
def test_unet_diagram_labels_do_not_overlap_on_a_phone(depth, decoder):
    config = UNetConfig(depth=depth, decoder=decoder)
    parts = stages(config, 128)
    figure = unet_diagram(parts, config, 128)
    boxes = _label_boxes(figure, PHONE_PLOT_PX)
    assert len(boxes) == len(parts)
    below = figure.layout.height - figure.layout.margin.t
    assert max(bottom for *_, bottom in boxes) <= below  # no label cut off at the bottom
    margin = figure.layout.margin.l
    assert all(-margin <= left and right <= PHONE_PLOT_PX + margin for left, right, *_ in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]
            assert apart, (a, b)


def test_neighbours_on_one_level_alternate_label_rows():
    parts = stages(UNetConfig(depth=3), 128)
    rows = label_rows(parts)
    by_name = {s.label: r for s, r in zip(parts, rows, strict=True)}
    assert by_name["enc 1"] == by_name["enc 2"] == by_name["bottleneck"] == 0  # alone on a level
    assert (by_name["up 1"], by_name["dec 1"], by_name["1×1 head"]) == (0, 1, 0)
    assert (by_name["up 3"], by_name["dec 3"]) == (0, 1)
    assert LINE_PX >= 1.25 * 12  # a line of the small font
