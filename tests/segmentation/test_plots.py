"""cnnplay.segmentation.plots mask pictures, and the torchvision segmenter's post-processing with a
stand-in network (the real weights need a download)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnplay.segmentation.deeplab import torchvision_segment, voc_categories
from cnnplay.segmentation.metrics import CLASS_NAMES
from cnnplay.segmentation.plots import (
    CLASS_RGB,
    class_legend_figure,
    instance_colours,
    mask_colours,
    mask_overlay,
)


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
