"""AppTest of the What a CNN learned page as a whole (views/learned.py): the header, the network
above the tabs and its offline fallback, its place on the path through the ideas, and the one
optimisation pattern its image-making tabs share (views/learned/common.py: Run/Stop, progress,
the image kept when a run is stopped or interrupted). Each tab has its own test file."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import joined, texts
from ui.catalog import neighbours

PAGE = "../../views/learned.py"
TIMEOUT = 180


def test_header_names_both_halves_and_the_notes() -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "What a CNN learned"
    text = joined(at)
    assert "Read what it learned" in text and "Make images with it" in text
    assert text.startswith("The NTHU CNN slides ask how")
    assert any(c.startswith("From the notes: seed 002, “Retrieving Raw Images”") for c in
               texts(at, "caption"))  # fmt: skip
    assert at.selectbox(key="wl_model").value == "EfficientNet-Lite0 (offline)"
    assert [t.label for t in at.tabs] == [
        "Nearest images", "Map of images", "Top patches", "DeconvNet", "Gradient ascent",
        "DeepDream", "Style transfer",
    ]  # fmt: skip


def test_an_unavailable_network_falls_back_to_the_offline_one(monkeypatch, tmp_path) -> None:
    import urllib.error

    import torch

    import cnnplay.download as download

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.selectbox(key="wl_model").set_value("VGG-16 (download 528 MB)").run()
    assert not at.exception and not at.error
    assert texts(at, "warning") == [
        "VGG-16's weights are downloaded on first use and this server cannot reach the "
        "internet; showing EfficientNet-Lite0, which ships with the app."
    ]
    assert at.selectbox(key="wl_model").value == "EfficientNet-Lite0 (offline)"


def test_it_sits_between_the_pretrained_inspector_and_transfer_learning() -> None:
    before, after = neighbours("What a CNN learned")
    assert before is not None and before.title == "Inside a pretrained CNN"
    assert after is not None and after.title == "Transfer learning"
    assert neighbours("Inside a pretrained CNN")[1].title == "What a CNN learned"


# --- the optimisation pattern (views/learned/common.py) ------------------------------------


def _pattern_app() -> None:
    """A tab in miniature: Run makes an image in 5 steps (a grey level 40 × step); session
    state "stop_at" presses Stop at that step, "fail_at" interrupts the run there (as a click
    that reruns the script does)."""
    import numpy as np
    import streamlit as st

    from views.learned.common import made, optimise, run_buttons, stop_key, stopped_line

    def work(on_progress, should_stop):
        image = np.zeros((8, 8, 3), np.uint8)
        step = 0
        for step in range(1, 6):
            if should_stop():
                break
            image = np.full((8, 8, 3), 40 * step, np.uint8)
            on_progress(step, 5, {"loss": 1.0 / step, "image": image})
            if st.session_state.get("stop_at") == step:
                st.session_state[stop_key("t")] = True  # as the Stop button's callback does
            if st.session_state.get("fail_at") == step:
                raise KeyboardInterrupt  # stands for the script being interrupted
        return image, {"last": step}

    if run_buttons("t", "Make it"):
        try:
            optimise("t", "test: pattern", {"steps": 5}, work)
        except KeyboardInterrupt:
            st.caption("interrupted")
    result = made("t")
    if result is not None:
        st.caption(stopped_line(result))
        st.caption(f"grey {int(result.image[0, 0, 0])}, extras {result.extras}")
        st.caption(f"history {[round(h['loss'], 2) for h in result.history]}")


def _press(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Make it").click()
    return at.run()


def test_a_run_keeps_its_image_history_and_extras() -> None:
    at = AppTest.from_function(_pattern_app, default_timeout=TIMEOUT).run()
    assert not at.exception and texts(at, "caption")[-1].startswith("Training on this server")
    _press(at)
    captions = texts(at, "caption")
    assert captions[-3].startswith("5 of 5 steps in ") and "(stopped)" not in captions[-3]
    assert captions[-2] == "grey 200, extras {'last': 5}"
    assert captions[-1] == "history [1.0, 0.5, 0.33, 0.25, 0.2]"
    assert at.session_state["wl_t_stop_flag"] is False  # ready for the next run


def test_stop_ends_the_run_and_keeps_the_image_so_far() -> None:
    at = AppTest.from_function(_pattern_app, default_timeout=TIMEOUT)
    at.session_state["stop_at"] = 2
    _press(at.run())
    captions = texts(at, "caption")
    assert captions[-3].startswith("2 of 5 steps") and captions[-3].endswith("(stopped)")
    assert captions[-2] == "grey 80, extras {'last': 3}"


def test_an_interrupted_run_still_leaves_its_last_image() -> None:
    at = AppTest.from_function(_pattern_app, default_timeout=TIMEOUT)
    at.session_state["fail_at"] = 3
    _press(at.run())
    captions = texts(at, "caption")
    assert "interrupted" in captions
    assert captions[-2] == "grey 120, extras {}"  # the image of step 3, kept by on_progress
    assert captions[-3].startswith("3 of 5 steps") and captions[-3].endswith("(stopped)")
    made = at.session_state["wl_t_made"]
    assert made.stopped and np.all(made.image == 120)


def test_a_run_interrupted_before_its_first_step_shows_nothing() -> None:
    at = AppTest.from_function(_pattern_app, default_timeout=TIMEOUT)
    at.session_state["wl_t_stop_flag"] = False
    at.run()
    at.session_state["stop_at"] = None

    from views.learned import common

    # a result object with no step yet is what optimise leaves before the first report
    at.session_state["wl_t_made"] = common.Made(np.zeros((1, 1, 3), np.uint8), 0, 5, {},
                                                 stopped=True)  # fmt: skip
    at.run()
    assert not any(c.startswith("0 of 5") for c in texts(at, "caption"))
