"""AppTest of views/pretrained.py: the cat sample's prediction, changed layer and class, the
buttons' results, a bad upload and the fallback when an online model cannot be had."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import chart, image_captions, joined, plot_array, png_bytes, texts

PAGE = "../../views/pretrained.py"
TIMEOUT = 120
CATS = ("Egyptian cat", "tiger cat", "tabby")


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def test_defaults_show_a_cat_class_for_chelsea(at):
    assert not at.exception and not at.error
    md = joined(at)
    assert "sees *sample: chelsea (cat)* and says: **" in md
    said = md.split("and says: **")[1].split("**")[0]
    assert said in CATS
    bars = chart(at, "pt_topk")["data"][0]
    labels = list(bars["y"])[::-1]  # drawn best on top
    assert len(labels) == 5 and labels[0] == said
    probs = plot_array(bars["x"])[::-1]
    assert list(probs) == sorted(probs, reverse=True) and 0 < probs.sum() <= 1
    captions = image_captions(at)
    assert "3. centre crop, 224×224" in captions and "2. resized, 385×256" in captions
    assert "from 32 maps of 112×112 at `conv_stem` to 1280 maps of 7×7 at `bn2`" in md


def test_changing_the_layer_changes_the_maps(at):
    layer = at.selectbox(key="pt_layer")
    deep = next(o for o in layer.options if o.startswith("blocks.5.0"))
    layer.set_value(deep).run()
    assert not at.exception
    assert any(c.startswith("blocks.5.0: the 32 strongest of 192 maps") for c in image_captions(at))
    at.slider(key="pt_maps").set_value(8).run()
    assert any(c.startswith("blocks.5.0: the 8 strongest of 192") for c in image_captions(at))


def test_explaining_another_class(at):
    assert "Grad-CAM on bn2" not in image_captions(at)  # nothing heavy before the button
    at.button(key="pt_explain").click().run()
    assert not at.exception
    assert "Grad-CAM on bn2" in image_captions(at)
    assert "All three explain **" + joined(at).split("and says: **")[1].split("**")[0] in joined(at)
    at.selectbox(key="pt_class").set_value(417).run()  # balloon
    at.selectbox(key="pt_cam_layer").set_value("blocks.4.2").run()
    assert not at.exception
    assert "All three explain **balloon**" in joined(at)
    assert "Grad-CAM on blocks.4.2" in image_captions(at)


def test_occlusion_and_adversarial(at):
    at.select_slider(key="pt_patch").set_value(64).run()
    at.select_slider(key="pt_stride").set_value(32).run()
    at.button(key="pt_occlude").click().run()
    assert not at.exception
    assert "6 positions" in joined(at)  # starts 0, 32, 64, 96, 128, 160 -> 6 x 6 = 36
    at.button(key="pt_attack").click().run()
    at.button(key="pt_flip").click().run()
    assert not at.exception
    assert any(c.startswith("perturbed: ") for c in image_captions(at))
    assert "grey levels" in texts(at, "success")[0]


def test_bad_upload_shows_a_message_and_keeps_the_sample(at):
    at.radio(key="pt_img_source").set_value("Upload").run()
    at.file_uploader(key="pt_img_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "not a supported image" in errors[0]
    assert "sees *sample: chelsea (cat)*" in joined(at)
    at.file_uploader(key="pt_img_upload").set_value(("box.png", png_bytes(), "image/png")).run()
    assert not at.error and "sees *box.png*" in joined(at)


def test_an_unavailable_online_model_falls_back(at, monkeypatch, tmp_path):
    import urllib.error

    import torch

    import cnnplay.models.pretrained as pretrained

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    at.selectbox(key="pt_model").set_value("ResNet-18 (download 45 MB)").run()
    assert not at.exception
    warnings = texts(at, "warning")
    assert len(warnings) == 1 and "resnet18 weights could not be downloaded" in warnings[0]
    assert "the offline EfficientNet-Lite0 is used instead" in warnings[0]
    assert "**EfficientNet-Lite0 (offline)** sees" in joined(at)
