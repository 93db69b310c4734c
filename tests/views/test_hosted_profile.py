"""The hosted profile (ui/hosting.py): one setting, CNNPLAY_PROFILE=hosted, gives a free host's
limits on every page it concerns, and nothing changes without it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import joined, open_tab, texts
from ui.hosting import CLASS, HOSTED, PROFILE_ENV, profile
from ui.run_limit import ENV_VAR, queue_capacity

TIMEOUT = 240


def page(name: str) -> AppTest:
    return AppTest.from_file(f"../../views/{name}.py", default_timeout=TIMEOUT).run()


def test_the_setting_names_a_profile_and_a_typo_is_an_error():
    assert profile({}) is CLASS
    assert profile({PROFILE_ENV: "hosted"}) is HOSTED
    assert profile({PROFILE_ENV: " Hosted "}) is HOSTED
    assert profile({PROFILE_ENV: "class"}) is CLASS
    with pytest.raises(ValueError, match="hosted"):
        profile({PROFILE_ENV: "hostd"})
    assert HOSTED.page_defaults({"tc_n": 2000, "tc_epochs": 10}) == {"tc_n": 1000, "tc_epochs": 10}
    assert CLASS.page_defaults({"tc_n": 2000}) == {"tc_n": 2000}


def test_hosted_runs_one_training_at_a_time_whatever_the_run_setting(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "4")
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    assert queue_capacity() == 4
    monkeypatch.setenv(PROFILE_ENV, "hosted")
    assert queue_capacity() == 1


@pytest.fixture
def hosted(monkeypatch):
    monkeypatch.setenv(PROFILE_ENV, "hosted")


def test_transfer_learning_uses_fewer_images(hosted):
    at = page("transfer_learning")
    assert not at.exception
    per_class = at.slider(key="tl_per_class")
    assert per_class.value == 20 and per_class.max == 40
    assert "**200 images** in **10 classes**" in joined(at)  # 20 of each Fashion-MNIST class
    at.radio(key="tl_source").set_value("Your classes: one zip").run()
    assert any("At most 200 images in all" in c for c in texts(at, "caption"))


def test_segmentation_offers_fewer_training_scenes(hosted):
    at = open_tab(page("segmentation"), "seg", "Train live")
    scenes = at.select_slider(key="seg_train_scenes")
    assert scenes.value == 200 and list(scenes.options) == ["100", "200", "400"]
    assert at.slider(key="seg_epochs").value == 5
    assert any("one at a time on this small host" in c for c in texts(at, "caption"))


def test_text_cnn_generates_fewer_sentences(hosted):
    at = page("text_cnn")
    sentences = at.slider(key="tc_n")
    assert sentences.value == 1000 and sentences.max == 2000


def test_receptive_field_hides_vgg_16(hosted, monkeypatch):
    at = open_tab(page("receptive_field"), "rf", "Real network")
    options = at.selectbox(key="rf_net").options
    assert "VGG-16" not in options and "ResNet-18" in options
    monkeypatch.delenv(PROFILE_ENV)
    at = open_tab(page("receptive_field"), "rf", "Real network")
    assert "VGG-16" in at.selectbox(key="rf_net").options  # a class server offers it


def test_without_the_setting_the_class_server_defaults_stay(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    at = page("text_cnn")
    assert at.slider(key="tc_n").value == 2000 and at.slider(key="tc_n").max == 5000


def test_the_apps_secrets_can_switch_it_on(monkeypatch):
    """Community Cloud's way: a top-level ``CNNPLAY_PROFILE = "hosted"`` in the app's secrets."""
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    at = AppTest.from_file("../../views/text_cnn.py", default_timeout=TIMEOUT)
    at.secrets[PROFILE_ENV] = "hosted"
    at.run()
    assert at.slider(key="tc_n").max == 2000


def test_train_a_cnn_and_localisation_train_on_less(hosted):
    at = page("train_cnn")
    assert at.select_slider(key="cv_n_train").value == 10_000
    at = open_tab(page("train_cnn"), "cv", "Keypoints")
    assert at.select_slider(key="cv_kp_faces").value == 1000
    at = open_tab(page("detection"), "det", "Classify + localise")
    assert at.select_slider(key="det_loc_images").value == 600
