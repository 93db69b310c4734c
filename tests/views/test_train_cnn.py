"""AppTest of views/train_cnn.py's Train and Results tabs: the defaults (settings, seed caption,
seed 001's Keras listings beside the PyTorch modules, the reachable accuracies), a tiny training
run whose results the Results tab shows (table and confusion matrix checked against the models
run again here), a changed widget, the 8×8 digits (from a made-up file in scikit-learn's format,
and without scikit-learn), MNIST offline, a run interrupted by Stop kept, one run per session,
and no widget given a default besides session state."""

from __future__ import annotations

import time
import urllib.error

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnplay import download
from cnnplay.convnets import data
from cnnplay.convnets.models import KERAS_LISTING, build, normalise
from cnnplay.convnets.training import SideBySideSettings, new_run, train_side_by_side
from tests.convnets.helpers import fashion_split
from tests.convnets.test_data import digits_csv
from tests.views.apptest_utils import (
    chart,
    image_captions,
    joined,
    open_tab,
    plot_array,
    texts,
    widgets_given_defaults,
)
from views.train_cnn.common import (
    PENDING_KEY,
    RUN_KEY,
    Pending,
    TrainedRun,
    cached_split,
    shared_split,
)

PAGE = "../../views/train_cnn.py"
TIMEOUT = 300
TRAIN, RESULTS = "Train", "Results"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(autouse=True)
def fresh_cache():
    """The page's split cache is per process: every test starts without it."""
    cached_split.clear()
    yield
    cached_split.clear()


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tiny(at: AppTest, n_train: int = 500, n_test: int = 500, epochs: int = 1) -> AppTest:
    at.select_slider(key="cv_n_train").set_value(n_train)
    at.select_slider(key="cv_n_test").set_value(n_test)
    at.number_input(key="cv_epochs").set_value(epochs)
    return at.run()


def train(at: AppTest) -> AppTest:
    at.button(key="cv_train").click().run()
    assert not at.exception, at.exception
    return at


def kept(at: AppTest) -> TrainedRun:
    run = at.session_state[RUN_KEY]
    assert isinstance(run, TrainedRun)
    return run


def test_defaults_listings_seed_note_and_reachable_accuracies(at):
    assert not at.exception
    assert at.radio(key="cv_source").value == "fashion"
    assert at.select_slider(key="cv_n_train").value == 60_000
    assert at.select_slider(key="cv_n_test").value == 10_000
    assert at.number_input(key="cv_epochs").value == 3
    assert at.select_slider(key="cv_lr").value == 2e-3
    assert not at.toggle(key="cv_augment").value
    captions = texts(at, "caption")
    assert any("Training seed **0**" in c for c in captions)
    assert any("Nothing trained yet" in c for c in captions)
    codes = [c.value for c in at.code]
    for name in ("cnn", "fcn"):
        assert KERAS_LISTING[name] in codes and str(build(name, 10)) in codes
    text = joined(at)
    assert "**0.9900**" in text and "**0.9910**" in text  # the notes' MNIST figures
    assert "our runs with seeds 0 and 1 reached **89.3 %**" in text and "8×8 digits" in text
    assert r"\log p_{i,\,y_i}" in "\n".join(texts(at, "latex"))
    at.number_input(key="cv_train_seed").set_value(7).run()
    assert any("Training seed **7**" in c for c in texts(at, "caption"))
    open_tab(at, "cv", RESULTS)
    assert not at.exception and any("Train the three models" in i for i in texts(at, "info"))


def test_tiny_training_results_table_and_confusion_matrix(at):
    train(tiny(at))
    assert [m.label for m in at.metric] == [
        "MLP",
        "CNN (Keras notes)",
        "All-convolutional (1×1 conv + GAP)",
    ]
    assert sum("test accuracy on 500 images; 1 epoch(s)" in c for c in texts(at, "caption")) == 3
    run = kept(at)
    assert PENDING_KEY not in at.session_state and not run.stopped
    assert len(run.split.y_train) == 500 and len(run.split.y_test) == 500
    assert set(run.models) == {"mlp", "cnn", "fcn"} and run.seed == 0 and run.hidden == 128
    assert all(len(h.epochs) == 1 for h in run.histories.values())
    curves = chart(at, "cv_curves")
    assert {t["name"] for t in curves["data"]} >= {
        "MLP: train loss",
        "CNN (Keras notes): test accuracy",
    }
    assert curves["layout"]["yaxis2"]["title"]["text"] == "test accuracy"

    open_tab(at, "cv", RESULTS)
    assert not at.exception
    table = at.dataframe[0].value
    y = run.split.y_test.numpy()
    preds = {}
    for row, (name, model) in zip(table.itertuples(), run.models.items(), strict=True):
        with torch.no_grad():
            preds[name] = model(normalise(run.split.x_test)).argmax(1).numpy()  # run again here
        assert row.parameters == f"{sum(p.numel() for p in model.parameters()):,}"
        assert row._2 == f"{100 * (preds[name] == y).mean():.2f}%"  # test accuracy
    assert (
        table["multiply-adds per image"][1] == f"{26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 16_000:,}"
    )
    assert "CNN − MLP:" in joined(at)
    # the confusion matrix of the CNN (chosen by default): its counts are the predictions'
    figure = chart(at, "cv_cm_chart_0")
    counts = np.array([int(t) for t in figure["data"][0]["text"]]).reshape(10, 10)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (y, preds["cnn"]), 1)
    assert np.array_equal(counts, expected) and counts.sum() == 500
    at.selectbox(key="cv_cm_true").set_value(run.split.classes[0]).run()
    at.selectbox(key="cv_cm_pred").set_value(run.split.classes[0]).run()
    hits = int(((y == 0) & (preds["cnn"] == 0)).sum())
    assert hits > 0
    assert any(
        c.startswith(f"{hits:,} test image(s): true T-shirt/top") for c in image_captions(at)
    )
    at.radio(key="cv_cm_model").set_value("mlp").run()
    counts = np.array([int(t) for t in chart(at, "cv_cm_chart_0")["data"][0]["text"]])
    assert np.array_equal(counts.reshape(10, 10).diagonal().sum(), (preds["mlp"] == y).sum())


def test_a_changed_widget_trains_another_mlp_and_only_the_newest_run_is_kept(at):
    tiny(at)
    at.select_slider(key="cv_hidden").set_value(32).run()
    at.select_slider(key="cv_lr").set_value(3e-3).run()
    train(at)
    first = kept(at)
    assert first.hidden == 32 and first.settings.lr == 3e-3
    assert sum(p.numel() for p in first.models["mlp"].parameters()) == 784 * 32 + 32 + 330
    at.toggle(key="cv_augment").set_value(True).run()
    train(at)
    second = kept(at)
    assert second is not first and second.augmented
    state = at.session_state.to_dict()
    runs = [v for v in state.values() if isinstance(v, TrainedRun)]
    assert runs == [second]  # one run per session: the newest


def test_every_seed_shares_one_copy_of_a_whole_training_set_and_subsets_follow_the_seed():
    a, b = shared_split("fashion", 60_000, 500, 1), shared_split("fashion", 60_000, 500, 2)
    assert a.x_train is b.x_train and a.x_test is b.x_test and (a.seed, b.seed) == (1, 2)
    c, d = shared_split("fashion", 500, 500, 1), shared_split("fashion", 500, 500, 2)
    assert not torch.equal(c.x_train, d.x_train) and torch.equal(c.x_test, a.x_test)


def test_the_8x8_digits_are_enlarged_and_trained(monkeypatch, tmp_path, at):
    content, _, _ = digits_csv(30)
    (tmp_path / "digits.csv.gz").write_bytes(content)
    monkeypatch.setattr(data, "digits_file", lambda: tmp_path / "digits.csv.gz")
    at.radio(key="cv_source").set_value("digits").run()
    assert "bilinear interpolation, centred on a black 28×28 canvas" in joined(at)
    train(tiny(at))
    run = kept(at)
    assert run.split.classes == tuple("0123456789") and len(run.split.y_test) == 60
    assert run.split.x_train.shape[1:] == (1, 28, 28)
    open_tab(at, "cv", RESULTS)
    assert "8×8 digits (scikit-learn, enlarged to 28×28)" in joined(at)


def test_without_scikit_learn_the_digits_say_so(monkeypatch, at):
    monkeypatch.setattr(data, "digits_file", lambda: None)
    at.radio(key="cv_source").set_value("digits").run()
    assert any("scikit-learn" in w for w in texts(at, "warning"))
    train(at)
    assert any("scikit-learn" in e for e in texts(at, "error"))
    assert RUN_KEY not in at.session_state


def test_mnist_offline_gives_a_message_and_keeps_the_settings(monkeypatch, tmp_path, at):
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path / "mnist")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(download, "download_file", offline)  # what download_checked calls
    tiny(at)
    at.radio(key="cv_source").set_value("mnist").run()
    assert any("needs an internet connection" in i for i in texts(at, "info"))
    at.button(key="cv_download").click().run()
    assert not at.exception
    assert any("MNIST could not be downloaded" in e for e in texts(at, "error"))
    train(at)
    assert any("MNIST is not downloaded yet" in e for e in texts(at, "error"))
    assert at.select_slider(key="cv_n_train").value == 500  # nothing lost


def test_a_run_interrupted_by_stop_is_kept(at):
    """A Stop interrupts the script mid-run; the models wait in session state (Pending) and
    the next run keeps those with a scored epoch, and says so once."""
    split = fashion_split(300, 100)
    live = new_run(10, SideBySideSettings(epochs=3, hidden=16))
    ends = []
    train_side_by_side(
        split,
        live,
        lambda s, t, m: ends.append(m["model"]) if "train_loss" in m else None,
        lambda: len(ends) == 3,  # each model has finished its first epoch
    )
    at.session_state[PENDING_KEY] = Pending(split, live, time.perf_counter())
    at.run()
    assert not at.exception and PENDING_KEY not in at.session_state
    assert any("stopped after 1 of 3 epoch(s)" in i for i in texts(at, "info"))
    assert kept(at).stopped and "(stopped)" in joined(at)
    at.run()
    assert not any("stopped after" in i for i in texts(at, "info"))  # said once
    # stopped before any model finished an epoch: nothing to keep, the previous run stays
    previous = kept(at)
    at.session_state[PENDING_KEY] = Pending(split, new_run(10, SideBySideSettings()), 0.0)
    at.run()
    assert any("nothing to keep" in i for i in texts(at, "info")) and kept(at) is previous


def test_no_widget_takes_a_default_besides_session_state(monkeypatch, at):
    """Streamlit warns when a widget gets a default while its key is set in session state:
    every Train tab widget takes its value from session state only (common.DEFAULTS)."""
    given = widgets_given_defaults(monkeypatch)
    at.run()
    at.radio(key="cv_source").set_value("digits").run()
    open_tab(at, "cv", RESULTS)
    open_tab(at, "cv", TRAIN)
    assert not at.exception and given == []
    assert plot_array  # (imported for the charts above)
