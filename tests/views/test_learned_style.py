"""AppTest of the Style transfer tab of views/learned.py: the defaults with their formulas and
the worked Gram example, a changed widget, a tiny run that shows the result, its caption, the
loss curves and the Gram matrices, a texture-only run set up by its button, and a bad style
upload that says why and keeps the other settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    button,
    chart,
    image_captions,
    joined,
    open_tab,
    png_bytes,
    texts,
    widgets_given_defaults,
)

pytestmark = pytest.mark.usefixtures("one_thread")

PAGE = "../../views/learned.py"
TIMEOUT = 120
TAB = "Style transfer"
RUN = "Paint the photo in this style"
STAGES_KEY = "wl_style_stages_efficientnet_lite0"


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    return open_tab(at, "wl", TAB)


def tiny(at: AppTest) -> AppTest:
    """A run of seconds: 64 px, 5 steps (set before the widgets read them)."""
    at.session_state["wl_style_side"] = 64
    at.session_state["wl_style_steps"] = 5
    return at.run()


def test_defaults_show_the_formulas_the_worked_example_and_no_result(at, monkeypatch):
    assert not at.exception and not at.error and not at.warning
    latex = "\n".join(texts(at, "latex"))
    assert r"L_\text{content} = \frac{1}{C_l H_l W_l}" in latex
    assert r"\sum_{i,j} f^{(l)}_{i,j,m}\, f^{(l)}_{i,j,n}" in latex  # the explicit sum
    assert r"\frac{1}{4 C_l^2}" in latex  # Gatys' normalisation, stated
    # the worked example: one entry's sum written out, and G = F Fᵀ as numbers
    assert "1\\cdot2 + 0\\cdot0 + 2\\cdot1 + 1\\cdot1 = 5" in latex
    assert r"\begin{bmatrix}6 & 5 & 1 \\ 5 & 6 & 1 \\ 1 & 1 & 10\end{bmatrix}" in latex
    md = joined(at)
    assert "matrix product give the same G" in md
    assert "Johnson, Alahi & Fei-Fei 2016" in md and "Texture networks" in md
    assert f"Nothing painted yet in this session: press **{RUN}**" in md
    # the defaults: the cat in swirls, EfficientNet-Lite0's stages
    assert at.selectbox(key="wl_style_style").value == "swirls"
    assert at.multiselect(key=STAGES_KEY).value == [1, 3, 4, 5]
    assert at.selectbox(key="wl_style_content_stage_efficientnet_lite0").value == 5
    assert "content p: sample: chelsea (cat)" in image_captions(at)
    assert button(at, RUN) is not None
    # the widgets take their defaults from session state only
    given = widgets_given_defaults(monkeypatch, "wl_style_")
    at.run()
    assert [k for k in given if not k.startswith("wl_style_content_")] == []


def test_a_changed_widget_is_kept_and_bad_settings_say_why(at):
    at.select_slider(key="wl_style_beta_efficientnet_lite0").set_value(1.0).run()
    assert not at.exception
    assert at.select_slider(key="wl_style_beta_efficientnet_lite0").value == 1.0
    at.multiselect(key=STAGES_KEY).set_value([]).run()
    assert not at.exception
    assert any("choose at least one style stage" in w for w in texts(at, "warning"))
    at.button(key="wl_style_run").click().run()  # nothing runs with settings that cannot
    assert not at.exception and "result x:" not in " ".join(image_captions(at))


def test_a_tiny_run_shows_the_result_its_losses_and_the_gram_matrices(at):
    tiny(at).button(key="wl_style_run").click().run()
    assert not at.exception and not at.error
    captions = image_captions(at)
    assert "result x: 5 of 5 steps" in " ".join(captions)
    assert any(c.startswith("result x: 5 of 5 steps in ") for c in captions)
    md = joined(at)
    assert "EfficientNet-Lite0, content at blocks.3, α = 1; style at bn1, blocks.1" in md
    assert "64×43 px" in md  # the cat's 451 × 300 photo at a longer side of 64
    losses = chart(at, "wl_style_losses")
    assert [t["name"] for t in losses["data"]] == ["α · L_content", "β · L_style", "total"]
    grams = chart(at, "wl_style_grams")
    assert [t["type"] for t in grams["data"]] == ["heatmap"] * 3
    assert [grams["layout"][f"xaxis{s}"]["title"]["text"] for s in ("", "2", "3")] == [
        "photo p", "result x", "style a",
    ]  # fmt: skip
    assert "How far from the style's matrix" in md
    # another stage's Gram matrices: 80 channels, the first 32 drawn
    at.selectbox(key="wl_style_gram_stage").set_value(5).run()
    assert "channels 0–31 of 80" in chart(at, "wl_style_grams")["layout"]["title"]["text"]


def test_texture_setups_run_without_the_photo_and_line_up_shallow_and_deep(at):
    at.button(key="wl_style_setup_shallow").click().run()
    assert at.select_slider(key="wl_style_alpha").value == 0.0
    assert at.multiselect(key=STAGES_KEY).value == [1, 3]  # every stage up to blocks.1
    assert at.radio(key="wl_style_start").value == "noise"
    tiny(at).button(key="wl_style_run").click().run()
    assert not at.exception
    assert "no content (α = 0)" in joined(at)
    assert "content p: sample: chelsea (cat) (not used: α = 0)" in image_captions(at)
    at.button(key="wl_style_setup_deep").click().run()
    assert at.multiselect(key=STAGES_KEY).value == [1, 3, 4, 5]
    at.button(key="wl_style_run").click().run()
    assert not at.exception
    captions = image_captions(at)  # the comparison row, shallow first
    row = [c for c in captions if c.endswith(" · swirls")]
    assert row == ["bn1 … blocks.1 (2 stages) · swirls", "bn1 … blocks.3 (4 stages) · swirls"]


def test_a_bad_style_upload_says_why_and_keeps_the_rest(at):
    at.select_slider(key="wl_style_side").set_value(192).run()
    at.selectbox(key="wl_style_style").set_value("your own image (upload)").run()
    assert "No file yet: using the swirls texture." in texts(at, "caption")
    at.file_uploader(key="wl_style_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "swirls texture instead" in errors[0]
    assert "style a: swirls" in image_captions(at)
    assert at.select_slider(key="wl_style_side").value == 192  # nothing else lost
    at.file_uploader(key="wl_style_upload").set_value(("box.png", png_bytes(), "image/png")).run()
    assert not at.error and "style a: box.png" in image_captions(at)


def test_a_run_interrupted_by_stop_still_shows_its_gram_matrices(at):
    tiny(at).button(key="wl_style_run").click().run()
    made = at.session_state["wl_style_made"]
    made.extras = {}  # what a Stop that interrupts the script leaves: no result object
    made.stopped = True
    at.run()
    assert not at.exception
    assert chart(at, "wl_style_grams")["data"][0]["type"] == "heatmap"  # computed again
    assert any(c.endswith("(stopped)") for c in image_captions(at))


def test_default_stages_of_the_other_networks():
    """Gatys et al.'s layers on a VGG-16; the rule elsewhere (random weights: no download)."""
    import torch
    from torch import nn
    from torchvision.models import mobilenet_v3_large, resnet18
    from torchvision.models.vgg import cfgs, make_layers

    from views.learned.common import Net
    from views.learned.style import default_stages, stage_options

    class Vgg16(nn.Module):  # VGG-16's layout with a small classifier
        def __init__(self) -> None:
            super().__init__()
            self.features = make_layers(cfgs["D"])
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Linear(512, 8), nn.ReLU(), nn.Linear(8, 2))

    torch.manual_seed(0)
    vgg = Net("VGG-16 (download 528 MB)", Vgg16().eval())
    options, labels = stage_options(vgg)
    assert len(options) == 13 and labels[20] == "conv4_2 · 512 channels · 1/8 size"
    assert labels[1] == "conv1_1 · 64 channels · full size"
    assert default_stages(vgg, options) == (20, (1, 6, 11, 18, 25), 30.0)
    resnet = Net("ResNet-18 (download 45 MB)", resnet18().eval())
    options, labels = stage_options(resnet)
    # relu, layer1, layer2, layer3 for the style; layer2 (1/8 size) for the content
    assert default_stages(resnet, options) == (5, (2, 4, 5, 6), 10.0)
    assert labels[5] == "layer2 · 128 channels · 1/8 size"
    mobile = Net("MobileNetV3-Large (download 21 MB)", mobilenet_v3_large().eval())
    options, _ = stage_options(mobile)
    assert default_stages(mobile, options) == (6, (1, 3, 6, 12), 10.0)
