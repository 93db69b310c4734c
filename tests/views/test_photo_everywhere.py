"""One photo through every page (ui/photo.py, ui/inputs.image_picker, the sidebar's panel): a
photo chosen in the sidebar or uploaded on one page is where every photo-taking page starts; a
page can still pick another; a bad upload changes nothing; the photo is per session."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.images import load_sample, shrink
from tests.views.apptest_utils import image_captions, joined, png_bytes, texts
from ui.photo import PHOTO_KEY

APP = "../../app.py"
TIMEOUT = 180


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def _pooling_photo(at: AppTest) -> AppTest:
    at.switch_page("views/pooling.py").run()
    at.session_state["pl_tab"] = "Photo"
    return at.run()


def test_without_a_photo_pages_use_their_own_samples(at):
    assert PHOTO_KEY not in at.session_state
    assert "No photo for every page yet" in " ".join(texts(at, "caption"))
    _pooling_photo(at)
    assert at.radio(key="pl_ph_source").value == "Sample"
    assert not at.exception


def test_a_sidebar_sample_becomes_every_pages_photo(at):
    at.selectbox(key="photo_sample").set_value("coffee").run()
    photo = at.session_state[PHOTO_KEY]
    assert photo.label == "coffee" and max(photo.pixels.shape[:2]) <= 1024
    assert "Your photo: coffee" in image_captions(at)  # the sidebar thumbnail
    _pooling_photo(at)
    assert at.radio(key="pl_ph_source").value == "Your photo"
    at.switch_page("views/pretrained.py").run()
    assert at.radio(key="pt_img_source").value == "Your photo"
    assert "sees *your photo: coffee*" in joined(at)
    # a page can still pick another photo for itself, and keeps that choice
    at.radio(key="pt_img_source").set_value("Sample").run()
    assert "sees *sample: chelsea (cat)*" in joined(at)
    _pooling_photo(at)
    at.switch_page("views/pretrained.py").run()
    assert at.radio(key="pt_img_source").value == "Sample"
    # ... until a new photo is chosen: then every page follows it once more
    at.selectbox(key="photo_sample").set_value("rocket").run()
    at.switch_page("views/pretrained.py").run()
    assert "sees *your photo: rocket*" in joined(at)


def test_an_upload_on_one_page_is_the_photo_of_the_others(at):
    at.switch_page("views/pretrained.py").run()
    at.radio(key="pt_img_source").set_value("Upload").run()
    at.file_uploader(key="pt_img_upload").set_value(("box.png", png_bytes(), "image/png")).run()
    assert "sees *box.png*" in joined(at)
    assert any(c.startswith("This photo is now your photo on every page") for c in
               texts(at, "caption"))  # fmt: skip
    assert at.radio(key="pt_img_source").value == "Upload"  # this page stays on its upload
    _pooling_photo(at)
    assert at.radio(key="pl_ph_source").value == "Your photo"
    assert np.array_equal(
        at.session_state[PHOTO_KEY].pixels[10:30, 20:50], np.full((20, 30, 3), 255)
    )


def test_a_bad_sidebar_upload_is_refused_and_the_photo_stays(at):
    at.selectbox(key="photo_sample").set_value("astronaut").run()
    at.file_uploader(key="photo_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "stays as it was" in errors[0]
    assert at.session_state[PHOTO_KEY].label == "astronaut"
    assert not at.exception


def test_forget_it_returns_pages_to_their_samples(at):
    at.selectbox(key="photo_sample").set_value("coffee").run()
    _pooling_photo(at)  # this page follows the photo...
    at.button(key="photo_forget").click().run()  # ... which is then forgotten
    assert PHOTO_KEY not in at.session_state
    assert at.selectbox(key="photo_sample").value == "(none)"
    _pooling_photo(at)
    assert at.radio(key="pl_ph_source").value == "Your photo"  # as left, with a note
    assert any(c.startswith("No photo for every page yet: choose or upload one") for c in
               texts(at, "caption"))  # fmt: skip
    assert not at.exception


def test_each_session_has_its_own_photo():
    one = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    other = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    one.selectbox(key="photo_sample").set_value("coffee").run()
    other.run()
    assert PHOTO_KEY in one.session_state and PHOTO_KEY not in other.session_state


def test_shrink_keeps_the_aspect_and_leaves_small_images_alone():
    cat = load_sample("chelsea (cat)", 1024)  # 451×300
    small = shrink(cat, 150)
    assert max(small.shape[:2]) == 150 and small.dtype == np.uint8
    assert abs(small.shape[1] / small.shape[0] - cat.shape[1] / cat.shape[0]) < 0.02
    assert shrink(cat, 2000) is cat
