"""AppTest of views/detection.py: the default scene through every tab, threshold and NMS-mode
changes, NMS stepping, bad IoU input, empty anchor choices, a bad upload, the sliding window
run and the offline message of the optional COCO detector; settings that survive leaving the
page, "Reset this page", and hidden tabs that do no work."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    chart,
    forbid,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    texts,
)

PAGE = "../../views/detection.py"
APP = "../../app.py"
TIMEOUT = 180
IOU, ANCHORS, RAW, NMS = "IoU", "Anchors", "Raw output", "Pipeline & NMS"
EVAL, PHOTO, ROI = "Evaluation", "Your photo", "RoI pool vs align"


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    """One default run shared by the read-only checks (the first run loads the models)."""
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def at(fresh) -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "det", label)


def counts(at: AppTest) -> list[int]:
    return [int(v) for v in chart(at, "det_counts")["data"][0]["text"]]


def has_chart(at: AppTest, key: str) -> bool:
    try:
        chart(at, key)
    except KeyError:
        return False
    return True


def assert_titled(fig: dict, x_title: str, y_title: str) -> None:
    """Axis titles as plotly.js 3 reads them ({"text": ...}; a plain string is ignored) and a
    legend shown with a name on every trace."""
    layout = fig["layout"]
    assert layout["xaxis"]["title"]["text"].startswith(x_title)
    assert layout["yaxis"]["title"]["text"].startswith(y_title)
    assert layout["showlegend"] is True and all(t.get("name") for t in fig["data"])


def test_defaults_show_every_tab(fresh):
    at = fresh
    assert not at.exception and not at.error
    latex = texts(at, "latex")
    # the IoU tab's default boxes: |A| = 50*40, |B| = 50*50, overlap 30*25
    assert any(r"\frac{750}{2000 + 2500 - 750}" in t and "0.200" in t for t in latex)
    tab(at, RAW)
    assert any(r"8 \times 8 \times (3 \times 5 + 3) = 1152" in t for t in texts(at, "latex"))
    tab(at, NMS)
    c = counts(at)
    assert c[0] == c[1] == 192 and c[0] >= c[2] >= c[3] >= 1
    assert "candidates passed the score threshold" in joined(at)
    tab(at, PHOTO)
    assert "Press **Slide the windows**" in "\n".join(texts(at, "info"))
    tab(at, EVAL)
    labels = [m.label for m in at.metric]
    assert {"AP@0.5 (mean)", "Precision", "Recall", "Misses"} <= set(labels)
    ap = float(next(m.value for m in at.metric if m.label == "AP@0.5 (mean)"))
    assert 0.5 < ap <= 1.0
    pr = chart(at, "det_pr")
    assert_titled(pr, "recall", "precision")
    assert "your thresholds" in [t["name"] for t in pr["data"]]
    tab(at, ROI)
    assert "**Slide the box to the right**" in joined(at)
    shift_fig = chart(at, "det_roi_shift")
    shift = shift_fig["data"]
    assert [t["name"] for t in shift] == ["RoI pooling", "RoI align"]
    assert_titled(shift_fig, "box moved right by (feature-map cells)", "largest change of the")
    align = plot_array(shift[1]["y"])
    assert align[0] == 0 and np.all(np.diff(align[:4]) > 0)  # align moves with the box
    pooled = chart(at, "det_roi_pool_out")["data"][0]["z"]
    assert plot_array(pooled).shape == (2, 2)
    assert not at.exception and not at.error


def test_thresholds_change_the_counts(at):
    tab(at, NMS)
    low = counts(at)
    at.slider(key="det_score").set_value(0.8).run()
    high = counts(at)
    assert not at.exception and high[2] <= low[2] and high[3] <= low[3]
    at.slider(key="det_score").set_value(0.05).run()
    at.slider(key="det_iou").set_value(0.95).run()
    loose = counts(at)
    at.toggle(key="det_per_class").set_value(False).run()
    agnostic = counts(at)
    assert not at.exception
    assert loose[2] >= low[2] and loose[3] >= agnostic[3]
    assert "discard any remaining box with IoU **> 0.95**" in joined(at)


def test_thresholds_change_the_evaluation(at):
    tab(at, EVAL)
    metric = {m.label: m.value for m in at.metric}
    at.slider(key="det_score").set_value(0.8).run()
    strict = {m.label: m.value for m in at.metric}
    assert not at.exception
    assert strict["AP@0.5 (mean)"] == metric["AP@0.5 (mean)"]  # AP ranks every detection
    assert int(strict["True positives"]) <= int(metric["True positives"])
    assert "Precision and recall at score ≥ 0.8" in joined(at)


def test_nms_steps_forward_and_back(at):
    tab(at, NMS)
    md = joined(at)  # the rule the page uses, and the slide's (tests/detection/test_nms_threshold)
    assert "with IoU **> 0.5** with *b*" in md
    assert "The NTHU CNN slides discard at IoU **≥** 0.5; this page discards at IoU **>** 0.5" in md
    assert "From the notes: seed 002, “Reducing #Boxes at Test Time”." in md
    assert "exactly 0.5: here it is **kept**" in md
    at.button(key="det_next").click().run()
    md = joined(at)
    assert not at.exception and "**Kept:** box" in md
    n_after_one = at.slider(key="det_step").value
    assert n_after_one == 1
    at.slider(key="det_step").set_value(at.slider(key="det_step").max).run()
    assert not at.exception
    at.button(key="det_back").click().run()
    assert at.slider(key="det_step").value == at.slider(key="det_step").max - 1
    at.button(key="det_play").click().run()  # every step in turn, ending on the last
    at.run()
    assert not at.exception
    assert at.slider(key="det_step").value == at.slider(key="det_step").max
    at.slider(key="det_score").set_value(1.0).run()  # nothing passes
    assert any("lower the score threshold" in w for w in texts(at, "warning"))


def test_a_new_scene_and_settings(at):
    at.number_input(key="det_seed").set_value(3).run()
    assert not at.exception
    tab(at, ANCHORS)
    at.multiselect(key="det_scales").set_value([]).run()
    assert any("at least one scale" in w for w in texts(at, "warning"))
    at.multiselect(key="det_scales").set_value([32]).run()
    at.multiselect(key="det_ratios").set_value([1.0]).run()
    assert "k = 1 × 1 = 1 anchors" in chart(at, "det_anchor_fig")["layout"]["title"]["text"]
    tab(at, ROI)
    at.slider(key="det_roi_out").set_value(4).run()
    assert plot_array(chart(at, "det_roi_pool_out")["data"][0]["z"]).shape == (4, 4)
    tab(at, EVAL)
    at.slider(key="det_eval_n").set_value(20).run()
    assert not at.exception and "20 fresh scenes" in joined(at)


def test_sliding_windows_and_a_bad_upload(at):
    tab(at, PHOTO)
    at.multiselect(key="det_sw_scales").set_value([0.8]).run()
    at.slider(key="det_sw_overlap").set_value(0.5).run()
    assert "6 windows on this 451×300 photo" in joined(at)  # 3 × 2 windows of 240 px
    at.button(key="det_sw_run").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Forward passes"] == "6"
    title = chart(at, "det_sw_nms")["layout"]["title"]["text"]
    assert title.startswith("score ≥ 0.5: ")
    at.radio(key="det_photo_source").set_value("Upload").run()
    at.file_uploader(key="det_photo_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0]
    assert not at.exception and at.multiselect(key="det_sw_scales").value == [0.8]
    tab(at, NMS)
    assert not at.exception and counts(at)[0] == 192  # the rest of the page is intact


def test_the_coco_detector_offline(at, monkeypatch, tmp_path):
    import urllib.error

    import torch

    from cnnplay.models import pretrained

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    tab(at, PHOTO)
    at.toggle(key="det_coco").set_value(True).run()
    assert not at.exception
    warnings = texts(at, "warning")
    assert any("COCO detector's weights could not be downloaded" in w for w in warnings)
    tab(at, NMS)
    assert counts(at)[0] == 192


def test_settings_survive_leaving_the_page(fresh):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/detection.py").run()
    at.number_input(key="det_seed").set_value(3).run()
    at.slider(key="det_score").set_value(0.6).run()
    at.toggle(key="det_per_class").set_value(False).run()
    tab(at, ANCHORS)
    at.multiselect(key="det_scales").set_value([32]).run()
    tab(at, EVAL)
    at.slider(key="det_eval_n").set_value(20).run()
    assert not at.exception
    leave_and_return(at, "views/detection.py")
    assert at.number_input(key="det_seed").value == 3
    assert at.slider(key="det_score").value == 0.6
    assert at.toggle(key="det_per_class").value is False
    assert at.slider(key="det_eval_n").value == 20  # back in the tab the student left
    assert "20 fresh scenes" in joined(at) and "score ≥ 0.6" in joined(at)
    tab(at, ANCHORS)
    assert at.multiselect(key="det_scales").value == [32]


def test_reset_this_page_restores_the_defaults(at):
    at.number_input(key="det_seed").set_value(3).run()
    at.slider(key="det_iou").set_value(0.8).run()
    tab(at, ROI)
    at.slider(key="det_roi_out").set_value(5).run()
    at.sidebar.button(key="det_reset").click().run()
    assert not at.exception
    assert at.number_input(key="det_seed").value == 36
    assert at.slider(key="det_iou").value == 0.5
    assert any("0.200" in t for t in texts(at, "latex"))  # the first tab (IoU) again
    assert not has_chart(at, "det_roi_pool_out")
    tab(at, ROI)
    assert at.slider(key="det_roi_out").value == 2
    assert plot_array(chart(at, "det_roi_pool_out")["data"][0]["z"]).shape == (2, 2)


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.detection import evaluation, nms, roi

    forbid(
        monkeypatch,
        [
            (evaluation, "evaluation"),
            (nms, "postprocess"),
            (roi, "roi_features"),
        ],
    )
    at.slider(key="det_score").set_value(0.4).run()  # a shared setting: the page reruns
    at.number_input(key="det_seed").set_value(5).run()
    assert not at.exception
    assert has_chart(at, "det_iou_fig")  # the IoU tab, open
    for key in ("det_counts", "det_pr", "det_roi_shift", "det_anchor_fig", "det_obj_fig"):
        assert not has_chart(at, key)
    assert not at.metric
    tab(at, ANCHORS)
    assert not at.exception and has_chart(at, "det_anchor_fig")
    assert not has_chart(at, "det_iou_fig")
