"""AppTest of views/train_cnn.py's Keypoints tab: the default view (sample faces with their
mirrored copies, the MSE formula, the settings), a changed widget, a tiny training with its
results, the flips on / off comparison (at most two runs kept), a stopped run kept, and no widget
given a default besides session state."""

from __future__ import annotations

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.keypoints.faces import KEYPOINTS, make_faces
from cnnplay.keypoints.model import KeypointSettings, build_model
from cnnplay.keypoints.plots import TYPES
from tests.views.apptest_utils import chart, joined, texts, widgets_given_defaults

PAGE = "../../views/train_cnn.py"
TIMEOUT = 300
TAB = "Keypoints"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def open_keypoints() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["cv_tab"] = TAB
    return at.run()


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return open_keypoints()


def sample_source(at: AppTest) -> str:
    return next(t for t in chart(at, "cv_kp_sample")["data"] if t["type"] == "image")["source"]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_default_view(fresh):
    at = fresh
    assert not at.exception and not at.error
    latex = "\n".join(texts(at, "latex"))
    assert r"\mathcal{L}_{\text{MSE}}" in latex and r"\frac{1}{B \cdot 2K}" in latex
    assert r"\text{mean error}" in latex
    md = joined(at)
    assert "**K = 6 keypoints**" in md and "**2K = 12 outputs** and no activation" in md
    assert "1.6 px ok, 1.5 px very good, 1.4 px or less outstanding" in md
    assert "The first 4 of your 2,000 training faces" in md
    assert "Measured here on a 2-core CPU with the defaults" in md
    assert "Nothing trained yet in this session" in md
    assert at.select_slider(key="cv_kp_faces").value == KeypointSettings.faces
    assert at.slider(key="cv_kp_epochs").value == KeypointSettings.epochs
    assert at.toggle(key="cv_kp_flip").value is KeypointSettings.flip
    assert at.number_input(key="cv_kp_seed").value == KeypointSettings.seed
    assert at.button(key="cv_kp_train").label == "Train the keypoint CNN"
    # the sample: one legend entry per keypoint type, the true points of 4 faces + 4 mirrored
    fig = chart(at, "cv_kp_sample")
    legend = [t["name"] for t in fig["data"] if t.get("showlegend") and t["type"] == "scatter"]
    assert legend == list(TYPES)
    n_points = sum(len(t["x"]) for t in fig["data"] if t["type"] == "scatter" and t.get("marker"))
    assert n_points == 8 * len(KEYPOINTS)
    letters = [t for t in fig["data"] if t.get("mode") == "text"]
    assert {s for t in letters for s in t["text"]} == {"L", "R"}
    assert [a["text"] for a in fig["layout"]["annotations"]][4] == "face 1 mirrored"


def test_a_changed_widget_changes_the_sample():
    at = open_keypoints()
    before = sample_source(at)
    at.number_input(key="cv_kp_seed").set_value(7).run()
    assert not at.exception
    assert sample_source(at) != before
    assert any("Training seed **7**" in c for c in texts(at, "caption"))
    at.select_slider(key="cv_kp_faces").set_value(500).run()
    assert "The first 4 of your 500 training faces" in joined(at)
    at.toggle(key="cv_kp_flip").set_value(False).run()
    assert not at.exception and at.toggle(key="cv_kp_flip").value is False


def test_tiny_trainings_show_results_and_the_flip_comparison():
    at = open_keypoints()
    at.select_slider(key="cv_kp_faces").set_value(250)
    at.slider(key="cv_kp_epochs").set_value(2).run()
    at.button(key="cv_kp_train").click().run()
    assert not at.exception and not at.error
    runs = at.session_state["cv_kp_runs"]
    assert list(runs) == ["flips on"]
    run = runs["flips on"]
    assert run.settings == KeypointSettings(faces=250, epochs=2, flip=True, seed=0)
    assert len(run.epochs) == 2 and not run.stopped
    sc = run.scores
    assert metric(at, "Held-out mean error") == f"{sc.mean_px:.2f} px"
    assert metric(at, "Mean-face baseline") == f"{sc.baseline_px:.2f} px"
    assert metric(at, "Scaled to 96 × 96") == f"{2 * sc.mean_px:.2f} px"
    md = joined(at)
    assert "**Your newest run** (flips on: 250 faces, 2 of 2 epoch(s), seed 0)" in md
    assert f"the mean error is **{sc.mean_96:.2f} px**" in md
    # predicted vs true on 8 held-out faces: crosses and circles of every keypoint
    fig = chart(at, "cv_kp_predicted")
    crosses = [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "x" and t["x"][0]]
    assert sum(len(t["x"]) for t in crosses) == 8 * len(KEYPOINTS)
    x_pred = np.concatenate([t["x"] for t in crosses])
    assert np.isfinite(x_pred).all()
    curves = chart(at, "cv_kp_curves")
    error_line = next(t for t in curves["data"] if t["name"] == "flips on: held-out mean error")
    assert error_line["y"] == [e["val_error_px"] for e in run.epochs]
    bars = chart(at, "cv_kp_per_keypoint")
    assert [t["name"] for t in bars["data"]] == ["flips on", "mean face (baseline)"]
    assert "Turn flip augmentation **off** and train again" in md

    # the same without flips: both runs kept and compared
    at.toggle(key="cv_kp_flip").set_value(False).run()
    at.button(key="cv_kp_train").click().run()
    assert not at.exception
    runs = at.session_state["cv_kp_runs"]
    assert list(runs) == ["flips on", "flips off"]
    table = next(d.value for d in at.dataframe if "run" in d.value.columns)
    assert list(table["run"]) == ["flips on", "flips off", "mean face (baseline)"]
    assert list(table["mean error (px at 48)"][:2]) == [
        round(runs[k].scores.mean_px, 3) for k in ("flips on", "flips off")
    ]
    a, b = runs["flips on"].scores.mean_px, runs["flips off"].scores.mean_px
    assert f"Flips on: **{a:.2f} px**, flips off: **{b:.2f} px**" in joined(at)
    assert not at.warning  # same faces, epochs and seed: a fair comparison
    # another run without flips replaces that one: still two runs
    at.slider(key="cv_kp_epochs").set_value(1).run()
    at.button(key="cv_kp_train").click().run()
    runs = at.session_state["cv_kp_runs"]
    assert list(runs) == ["flips on", "flips off"] and len(runs["flips off"].epochs) == 1
    assert any("differ in more than the flips" in w.value for w in at.warning)


def test_a_stopped_run_is_kept_and_said_once():
    """A Stop interrupts the script and leaves the run's model in session state: the next run
    scores it on the held-out faces and keeps it, marked stopped."""
    at = open_keypoints()
    settings = KeypointSettings(faces=250, epochs=5, flip=False, seed=3)
    at.session_state["cv_kp_pending"] = {
        "model": build_model(3),
        "epochs": [{"epoch": 1, "train_loss": 0.1, "val_loss": 0.1, "val_error_px": 4.0}],
        "steps": [(0.5, 0.2), (1.0, 0.1)],
        "settings": settings,
        "train_points": make_faces(20, seed=3).points,
        "start": time.perf_counter(),
    }
    at.run()
    assert not at.exception and "cv_kp_pending" not in at.session_state
    assert any("stopped after 1 of 5 epoch(s)" in i for i in texts(at, "info"))
    run = at.session_state["cv_kp_runs"]["flips off"]
    assert run.stopped and run.settings == settings
    assert "(flips off: 250 faces, 1 of 5 epoch(s), seed 3, stopped)" in joined(at)
    at.run()
    assert not any("stopped after" in i for i in texts(at, "info"))  # said once


def test_no_widget_takes_a_default_besides_session_state(monkeypatch):
    """Streamlit warns when a widget gets a default while its key is set in session state: every
    widget of the tab takes its value from session state only."""
    given = widgets_given_defaults(monkeypatch, "cv_kp_")
    at = open_keypoints()
    at.number_input(key="cv_kp_seed").set_value(2).run()
    at.toggle(key="cv_kp_flip").set_value(False).run()
    assert not at.exception and given == []
