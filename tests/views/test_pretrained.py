"""AppTest of views/pretrained.py: the cat sample's prediction, changed layer and class, the
buttons' results, a bad upload and the fallback when an online model cannot be had; the
settings surviving a change of page, "Reset this page", and hidden tabs doing no work."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    chart,
    forbid,
    image_captions,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    png_bytes,
    texts,
)

PAGE = "../../views/pretrained.py"
APP = "../../app.py"
TIMEOUT = 120
CATS = ("Egyptian cat", "tiger cat", "tabby")
PREDICTION, FEATURES, FILTERS = "Prediction", "Feature maps", "Filters"
SALIENCY, OCCLUSION, ADVERSARIAL = "Saliency", "Occlusion", "Adversarial"


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "pt", label)


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
    tab(at, FEATURES)
    assert not at.exception and not at.error
    md = joined(at)
    assert "from 32 maps of 112×112 at `conv_stem` to 1280 maps of 7×7 at `bn2`" in md


def test_changing_the_layer_changes_the_maps(at):
    tab(at, FEATURES)
    layer = at.selectbox(key="pt_layer")
    deep = next(o for o in layer.options if o.startswith("blocks.5.0"))
    layer.set_value(deep).run()
    assert not at.exception
    assert any(c.startswith("blocks.5.0: the 32 strongest of 192 maps") for c in image_captions(at))
    at.slider(key="pt_maps").set_value(8).run()
    assert any(c.startswith("blocks.5.0: the 8 strongest of 192") for c in image_captions(at))


def test_explaining_another_class(at):
    tab(at, SALIENCY)
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
    tab(at, OCCLUSION)
    at.select_slider(key="pt_patch").set_value(64).run()
    at.select_slider(key="pt_stride").set_value(32).run()
    assert "press **Run occlusion**" in joined(at)  # nothing runs before the press
    at.button(key="pt_occlude").click().run()
    assert not at.exception
    assert "6 positions" in joined(at)  # starts 0, 32, 64, 96, 128, 160 -> 6 x 6 = 36
    tab(at, ADVERSARIAL)
    at.button(key="pt_attack").click().run()
    at.button(key="pt_flip").click().run()
    assert not at.exception
    assert any(c.startswith("perturbed: ") for c in image_captions(at))
    assert "grey levels" in texts(at, "success")[0]


def test_occlusion_runs_only_on_a_press_and_keeps_its_result(at, monkeypatch):
    from views.pretrained import occlusion

    real, calls = occlusion.occlusion_map, []

    def counted(*args):
        calls.append(args[2:4])  # (patch, stride)
        return real(*args)

    monkeypatch.setattr(occlusion, "occlusion_map", counted)
    tab(at, OCCLUSION)
    at.select_slider(key="pt_patch").set_value(64).run()
    at.select_slider(key="pt_stride").set_value(32).run()
    assert calls == []
    assert at.button(key="pt_occlude").label == "Run occlusion (36 forward passes)"
    assert any(b.label == "Stop" for b in at.button)
    at.button(key="pt_occlude").click().run()
    assert calls == [(64, 32)] and "36 positions" in joined(at)
    at.select_slider(key="pt_stride").set_value(24).run()  # a nudge: no new run, the old map
    assert not at.exception and calls == [(64, 32)]
    infos = texts(at, "info")
    assert any("The settings changed: press **Run occlusion**" in i for i in infos)
    assert any("patch 64, stride 32" in i for i in infos)
    assert "36 positions" in joined(at)
    at.select_slider(key="pt_stride").set_value(32).run()  # back: the map is current again
    assert not any("The settings changed" in i for i in texts(at, "info"))
    at.session_state["pt_occ_running"] = True  # as after a run that Stop interrupted
    at.run()
    assert any("stopped before the end" in i for i in texts(at, "info"))
    assert calls == [(64, 32)]


def test_occlusion_stop_flag_ends_the_loop(at, monkeypatch):
    from views.pretrained import occlusion

    real = occlusion.occlusion_map

    def stop_pressed(*args):
        occlusion.request_stop()  # Stop's callback, as if clicked during the run
        return real(*args)

    monkeypatch.setattr(occlusion, "occlusion_map", stop_pressed)
    tab(at, OCCLUSION)
    at.button(key="pt_occlude").click().run()
    assert not at.exception
    assert any(i.startswith("Stopped: press **Run occlusion**") for i in texts(at, "info"))
    assert "positions. Unoccluded" not in joined(at)


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

    import cnnplay.download as download

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    at.selectbox(key="pt_model").set_value("ResNet-18 (download 45 MB)").run()
    assert not at.exception and not at.error
    warnings = texts(at, "warning")
    assert warnings == [
        "ResNet-18's weights are downloaded on first use and this server cannot reach the "
        "internet; showing EfficientNet-Lite0, which ships with the app."
    ]
    assert "urlopen" not in warnings[0] and "Errno" not in warnings[0]
    assert at.selectbox(key="pt_model").value == "EfficientNet-Lite0 (offline)"  # what runs
    assert "**EfficientNet-Lite0 (offline)** sees" in joined(at)
    tab(at, FEATURES)  # the note stays while the fallback is in use
    assert len(texts(at, "warning")) == 1 and not at.exception
    at.selectbox(key="pt_model").set_value("MobileNetV3-Large (download 21 MB)").run()
    assert texts(at, "warning")[0].startswith("MobileNetV3-Large's weights are downloaded")
    assert at.selectbox(key="pt_model").value == "EfficientNet-Lite0 (offline)"


def test_a_damaged_download_gets_its_own_message(monkeypatch):
    import pytest as _pytest

    import cnnplay.models.pretrained as pretrained

    def damaged(*args, **kwargs):
        raise RuntimeError("PytorchStreamReader failed reading zip archive")

    monkeypatch.setattr(pretrained, "download_file", lambda *a, **k: None)
    monkeypatch.setattr("torchvision.models.get_model", damaged)
    with _pytest.raises(pretrained.PretrainedUnavailable) as info:
        pretrained.load_classifier("resnet18", "ResNet-18")
    assert str(info.value) == (
        "ResNet-18's weights could not be downloaded or read on this server (RuntimeError); "
        "showing EfficientNet-Lite0, which ships with the app."
    )


def test_filters_tab(at):
    tab(at, FILTERS)
    assert not at.exception
    assert any(
        c.startswith("The 32 kernels of the first convolution, 3×3×3") for c in image_captions(at)
    )


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/pretrained.py").run()
    tab(at, SALIENCY)
    at.selectbox(key="pt_class").set_value(417).run()  # balloon
    tab(at, OCCLUSION)
    assert "Class: **balloon**" in joined(at)  # the class chosen in Saliency, tab hidden
    at.select_slider(key="pt_patch").set_value(64).run()
    tab(at, FEATURES)
    layer = at.selectbox(key="pt_layer")
    deep = next(o for o in layer.options if o.startswith("blocks.5.0"))
    layer.set_value(deep).run()
    at.slider(key="pt_maps").set_value(8).run()
    leave_and_return(at, "views/pretrained.py")
    assert at.selectbox(key="pt_layer").value == deep  # back in the tab we left
    assert at.slider(key="pt_maps").value == 8
    assert any(c.startswith("blocks.5.0: the 8 strongest of 192") for c in image_captions(at))
    tab(at, OCCLUSION)
    assert at.select_slider(key="pt_patch").value == 64
    assert "Class: **balloon**" in joined(at)
    tab(at, SALIENCY)
    assert at.selectbox(key="pt_class").value == 417


def test_reset_this_page_restores_the_defaults(at):
    at.radio(key="pt_img_source").set_value("Upload").run()
    tab(at, ADVERSARIAL)
    at.slider(key="pt_eps").set_value(8.0).run()
    at.button(key="pt_attack").click().run()
    assert any(c.startswith("perturbed: ") for c in image_captions(at))
    at.sidebar.button(key="pt_reset").click().run()
    assert not at.exception
    assert at.radio(key="pt_img_source").value == "Sample"
    assert "sees *sample: chelsea (cat)*" in joined(at)
    assert "3. centre crop, 224×224" in image_captions(at)  # the first tab again
    tab(at, ADVERSARIAL)
    assert at.slider(key="pt_eps").value == 2.0
    assert not any(c.startswith("perturbed: ") for c in image_captions(at))  # results forgotten


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    import views.pretrained.common as common
    from views.pretrained import adversarial, feature_maps, occlusion, saliency

    calls = forbid(
        monkeypatch,
        [
            (feature_maps, "feature_maps"),
            (feature_maps, "session_copy"),
            (saliency, "explanations"),
            (saliency, "session_copy"),
            (occlusion, "occlusion_map"),
            (adversarial, "attack"),
            (common, "shared_weights_copy"),
        ],
    )
    at.radio(key="pt_img_source").set_value("Upload").run()  # the Prediction tab is open
    at.file_uploader(key="pt_img_upload").set_value(("box.png", png_bytes(), "image/png")).run()
    assert not at.exception and calls == []
    assert "sees *box.png*" in joined(at)
    assert "pt_private" not in at.session_state  # no per-session copy of the model
    keys = {w.key for w in at.selectbox} | {w.key for w in at.slider} | {w.key for w in at.button}
    assert not {"pt_layer", "pt_class", "pt_explain", "pt_occlude", "pt_eps"} & keys
    tab(at, FEATURES)
    assert calls and at.exception  # the spy is reached once the tab is open
