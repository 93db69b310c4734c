"""AppTest of the DeepDream tab of views/learned.py: the defaults, the suggested stages, a run
with tiny settings (before/after and one image per octave), and a bad upload that shows a
message and keeps the settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import chart, image_captions, joined, open_tab, png_bytes, texts

PAGE = "../../views/learned.py"
TIMEOUT = 240


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    return open_tab(at, "wl", "DeepDream")


def test_the_defaults_render(at):
    assert not at.exception and not at.error
    assert any(r"\frac{1}{2\,C\,h\,w}" in t for t in texts(at, "latex"))
    assert at.selectbox(key="wl_dream_stage").value == 6  # the deep suggestion
    assert at.select_slider(key="wl_dream_size").value == 384
    assert "sample: chelsea (cat), dreamt at 384×255 px" in image_captions(at)
    md = joined(at)
    assert "Nothing dreamt yet in this session" in md and "Octave sizes:" in md


def test_the_suggested_stages(at):
    at.button(key="wl_dream_shallow").click().run()
    assert not at.exception
    assert at.selectbox(key="wl_dream_stage").value == 3
    at.button(key="wl_dream_deep").click().run()
    assert at.selectbox(key="wl_dream_stage").value == 6


def test_a_run_shows_before_after_and_the_octaves(at):
    at.session_state["wl_dream_size"] = 96
    at.session_state["wl_dream_steps"] = 2
    at.slider(key="wl_dream_octaves").set_value(2).run()
    at.button(key="wl_dream_run").click().run()
    assert not at.exception and not at.error
    captions = image_captions(at)
    assert "before: sample: chelsea (cat)" in captions
    assert "after: dreamt at stage 6" in captions
    assert sum(c.startswith("octave ") for c in captions) == 2
    md = joined(at)
    assert "4 of 4 steps in" in md and "The stage's objective L on the whole photo" in md
    assert len(chart(at, "wl_dream_curve")["data"]) == 2  # one line per octave


def test_a_bad_upload_shows_a_message_and_keeps_the_settings(at):
    at.number_input(key="wl_dream_steps").set_value(7).run()
    at.radio(key="wl_dream_img_source").set_value("Upload").run()
    at.file_uploader(key="wl_dream_img_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0]
    assert at.number_input(key="wl_dream_steps").value == 7
    assert any(c.startswith("sample: chelsea (cat), dreamt at") for c in image_captions(at))
    at.file_uploader(key="wl_dream_img_upload").set_value(("box.png", png_bytes(), "image/png"))
    at.run()
    assert not at.error and any(c.startswith("box.png, dreamt at") for c in image_captions(at))


def test_a_dream_interrupted_by_stop_keeps_the_image_so_far(at):
    import numpy as np

    from cnnplay.synthesis.deepdream import DeepDreamSettings
    from views.learned.common import Made

    at.session_state["wl_dream_made"] = Made(np.zeros((8, 8, 3), np.uint8), 5, 36,
                                             DeepDreamSettings(), [], 2.0, stopped=True)  # fmt: skip
    at.run()
    assert not at.exception
    assert "the dream so far" in image_captions(at)
    assert "5 of 36 steps in 2.0 s (stopped)" in joined(at)
