"""AppTest of the Gradient ascent tab of views/learned.py: the defaults, the unit target's
widgets, the notes' example classes, and runs with tiny settings (a class from noise, the
comparison without regularisers, the facets from the gallery, a photo start)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.models.pretrained import imagenet_categories
from tests.views.apptest_utils import chart, image_captions, joined, open_tab, texts

PAGE = "../../views/learned.py"
TIMEOUT = 240
CATS = imagenet_categories()


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    return open_tab(at, "wl", "Gradient ascent")


def tiny(at: AppTest, steps: int = 3) -> None:
    """Settings small enough for a test run: a few steps on a 64-px image."""
    at.session_state["wl_ga_steps"] = steps
    at.session_state["wl_ga_size"] = 64


def test_the_defaults_render(at):
    assert not at.exception and not at.error
    latex = "\n".join(texts(at, "latex"))
    assert r"\arg\max_x J(x)" in latex and r"\lambda_\Omega \lVert x \rVert_2^2" in latex
    assert at.selectbox(key="wl_ga_class").value == CATS.index("ostrich")
    assert at.radio(key="wl_ga_start").value == "noise"
    assert at.toggle(key="wl_ga_blur_on").value and at.toggle(key="wl_ga_jitter_on").value
    assert "Nothing made yet in this session" in joined(at)
    assert "Climb the gradient" in [b.label for b in at.button]


def test_a_unit_target_and_its_channel(at):
    at.radio(key="wl_ga_kind").set_value("unit").run()
    assert not at.exception
    stage = at.selectbox(key="wl_ga_stage")
    assert stage.value == 6  # EfficientNet-Lite0: 112 channels, 14×14
    at.number_input(key="wl_ga_channel").set_value(100).run()
    at.selectbox(key="wl_ga_stage").set_value(3).run()  # 24 channels: 100 is out of range
    assert not at.exception
    assert at.number_input(key="wl_ga_channel").value == 0
    assert "mean of that channel's map" in joined(at)


def test_a_notes_example_becomes_the_class(at):
    at.pills(key="wl_ga_notes").set_value("goose").run()
    assert not at.exception
    assert at.selectbox(key="wl_ga_class").value == CATS.index("goose")
    assert at.pills(key="wl_ga_notes").value is None  # the chips act as buttons


def test_a_run_shows_the_image_its_probabilities_and_curve(at):
    tiny(at)
    at.button(key="wl_ga_run").click().run()
    assert not at.exception and not at.error
    made = [c for c in image_captions(at) if c.startswith("made for ostrich: says ")]
    assert len(made) == 1
    md = joined(at)
    assert "3 of 3 steps in" in md and "Its logit went from" in md
    assert len(chart(at, "wl_ga_curve")["data"]) == 2  # J and the dotted f
    assert len(chart(at, "wl_ga_top")["data"][0]["y"]) == 5
    at.toggle(key="wl_ga_l2_on").set_value(False).run()  # a setting change keeps the result
    assert not at.exception and any(c.startswith("made for ostrich") for c in image_captions(at))


def test_with_and_without_the_regularisers(at):
    tiny(at, steps=2)
    at.toggle(key="wl_ga_compare").set_value(True).run()
    at.button(key="wl_ga_run").click().run()
    assert not at.exception
    captions = image_captions(at)
    assert any(c.startswith("with the regularisers: says ") for c in captions)
    assert any(c.startswith("plain x ← x + λ ∂f/∂x: says ") for c in captions)
    assert "4 of 4 steps in" in joined(at)
    names = [d["name"] for d in chart(at, "wl_ga_curve")["data"]]
    assert "J, no regularisers" in names


def test_facets_start_from_gallery_crops(at):
    tiny(at, steps=2)
    at.radio(key="wl_ga_start").set_value("facets").run()
    at.slider(key="wl_ga_facets").set_value(2).run()
    assert not at.exception and "Multi-faceted ascent" in joined(at)
    at.button(key="wl_ga_run").click().run()
    assert not at.exception
    captions = image_captions(at)
    starts = [c for c in captions if c.startswith("start: facet ")]
    assert len(starts) == 2 and all(": a crop of " in c for c in starts)
    assert sum(c.startswith(("facet 1 for ostrich", "facet 2 for ostrich")) for c in captions) == 2


def test_a_photo_start(at):
    tiny(at, steps=2)
    at.radio(key="wl_ga_start").set_value("photo").run()
    assert at.selectbox(key="wl_ga_img_sample").value == "chelsea (cat)"
    at.button(key="wl_ga_run").click().run()
    assert not at.exception
    assert "start: sample: chelsea (cat)" in image_captions(at)


def test_a_run_interrupted_by_stop_keeps_the_image_so_far(at):
    """Stop interrupts the script: the session keeps the last image and the curve so far."""
    import numpy as np

    from cnnplay.synthesis.ascent import ClassTarget
    from cnnplay.synthesis.regularisers import AscentSettings
    from views.learned.ascent import Choice
    from views.learned.common import Made

    choice = Choice(ClassTarget(9), "ostrich", AscentSettings(), "noise", 1, False)
    history = [{"objective": float(k), "score": float(k), "penalty": 0.0} for k in range(4)]
    at.session_state["wl_ga_made"] = Made(np.zeros((8, 8, 3), np.uint8), 4, 200, choice,
                                          history, 1.5, stopped=True)  # fmt: skip
    at.run()
    assert not at.exception
    assert "ostrich: the image so far" in image_captions(at)
    assert "4 of 200 steps in 1.5 s (stopped)" in joined(at)
    assert len(chart(at, "wl_ga_curve")["data"][0]["y"]) == 4
