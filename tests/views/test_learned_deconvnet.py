"""AppTest of the DeconvNet tab of views/learned.py: the three labelled projections with their
formulas and the unit's field, another stage and channel, the whole map, the step-through of
the hand-set DeconvNet (checked against autograd on the page), and a bad upload."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import chart, image_captions, joined, open_tab, texts

PAGE = "../../views/learned.py"
TIMEOUT = 180
RULES = ["gradient (backprop)", "DeconvNet", "guided backprop"]


@pytest.fixture
def at() -> AppTest:
    return open_tab(AppTest.from_file(PAGE, default_timeout=TIMEOUT).run(), "wl", "DeconvNet")


def shown_channel(at: AppTest) -> int:
    found = re.search(r"\*\*Channel (\d+)\*\* of ", joined(at))
    assert found, "no channel named"
    return int(found.group(1))


def gap(at: AppTest) -> float:
    line = next(c for c in texts(at, "caption") if "the largest difference is" in c)
    return float(line.rsplit(" ", 1)[1].rstrip("."))


def test_defaults_show_three_labelled_projections_and_the_field(at):
    assert not at.exception and not at.error and not at.warning
    captions = image_captions(at)
    assert captions[:4] == ["the photo (centre crop)", *RULES]
    assert [f"{r}, the field" for r in RULES] == captions[5:8]  # zoomed into the field
    formulas = texts(at, "latex")
    assert r"\max(g,\, 0)" in formulas and r"g \cdot \mathbb{1}[x > 0]" in formulas
    assert r"g \cdot \mathbb{1}[x > 0] \cdot \mathbb{1}[g > 0]" in formulas
    text = joined(at)
    assert "of stage 4 (blocks.2) · 40 channels, 28×28 fires most at **row" in text
    assert "its receptive field (67 pixels on a side)" in text
    assert "does not depend on the photo at all" in text  # EfficientNet-Lite0: no max pooling
    assert at.selectbox(key="wl_dc_rank").value == 0  # the strongest channel
    assert at.selectbox(key="wl_dc_rank").options[0].endswith("(the strongest)")
    # the step-through: the hand-set network, 7 steps, equal to autograd's DeconvNet
    assert "filters are **set by hand**" in text
    assert len(chart(at, "wl_dc_steps_fig")["data"]) == 7
    assert gap(at) < 1e-5
    assert "the Pooling page, tab **Undo pooling**" in text  # the link (plain text here)


def test_another_stage_and_channel(at):
    first = shown_channel(at)
    at.selectbox(key="wl_dc_stage").set_value(6).run()
    assert not at.exception
    assert "of stage 6 (blocks.4) · 112 channels, 14×14 fires most" in joined(at)
    rank = at.selectbox(key="wl_dc_rank")
    third = int(rank.options[2].split(" ")[1])
    rank.set_value(2).run()
    assert not at.exception and not at.warning and shown_channel(at) == third
    assert image_captions(at)[:4] == ["the photo (centre crop)", *RULES]
    at.selectbox(key="wl_dc_stage").set_value(4).run()  # back: the rank is kept
    rank = at.selectbox(key="wl_dc_rank")
    assert rank.value == 2 and shown_channel(at) == int(rank.options[2].split(" ")[1]) != first


def test_the_whole_map_and_the_step_through(at):
    at.radio(key="wl_dc_what").set_value("map").run()
    assert not at.exception
    assert "its whole map kept (the positive part)" in joined(at)
    assert any(c.endswith("map (positive part; bright = strong)") for c in image_captions(at))
    at.radio(key="wl_dc_step_rule").set_value("guided").run()
    at.selectbox(key="wl_dc_step_rank").set_value(1).run()
    assert not at.exception
    assert "with the **guided backprop** rule" in joined(at)
    assert gap(at) < 1e-5
    at.select_slider(key="wl_dc_step").set_value(3).run()  # undo the second convolution
    panels = chart(at, "wl_dc_channels_fig")
    names = [a["text"] for a in panels["layout"]["annotations"]]
    assert names == ["brighter " + a for a in "→↘↓↙←↖↑↗"]  # the 8 edge maps below it
    assert any("flip" in f for f in texts(at, "latex"))


def test_a_bad_upload_gives_a_message_and_the_tab_keeps_working(at):
    at.selectbox(key="wl_dc_stage").set_value(5).run()
    at.radio(key="wl_dc_img_source").set_value("Upload").run()
    at.file_uploader(key="wl_dc_img_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "sample photo instead" in errors[0]
    assert image_captions(at)[:4] == ["the photo (centre crop)", *RULES]
    assert "of stage 5 (blocks.3) · 80 channels, 14×14" in joined(at)  # the other settings stay
