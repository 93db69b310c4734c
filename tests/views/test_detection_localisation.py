"""AppTest of the Detection page's "Classify + localise" tab: the box panel's losses by default
and after a slider moves, a tiny training of both losses and what it shows (metrics, curves,
the chart by size, the test images), the same seed giving the same numbers, a stopped run's
message, Reset, and no work while the tab is hidden."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.detection.localisation import TEST_SEED, box_ious, make_single_objects, score
from cnnplay.ops.boxes import box_iou
from tests.views.apptest_utils import chart, forbid, joined, open_tab, texts
from views.detection.localisation import TEST_N

PAGE = "../../views/detection.py"
TIMEOUT = 240
TAB = "Classify + localise"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def opened() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["det_tab"] = TAB
    return at.run()


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return opened()


def iou_of(side: float, error: tuple[float, float, float, float]) -> float:
    """IoU of a side×side box centred at (32, 32) and that box moved by error (cx, cy, w, h),
    with the loop version of cnnplay.ops.boxes (not the tab's torch code)."""
    dx, dy, dw, dh = error
    truth = np.array([32 - side / 2, 32 - side / 2, 32 + side / 2, 32 + side / 2])
    w, h = max(side + dw, 0), max(side + dh, 0)
    cx, cy = 32 + dx, 32 + dy
    pred = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return float(box_iou(pred, truth)[0, 0])


def panel_table(at: AppTest):
    return next(d.value for d in at.dataframe if "L2 (px²)" in d.value.columns)


def tiny_training(at: AppTest) -> AppTest:
    at.session_state["det_loc_images"] = 100
    at.session_state["det_loc_epochs"] = 1
    at.run()
    at.button(key="det_loc_train").click().run()
    assert not at.exception and not at.error
    return at


def test_default_panel_shows_both_losses_for_a_small_and_a_large_box(fresh):
    at = fresh
    assert not at.exception and not at.error
    latex = "\n".join(texts(at, "latex"))
    assert r"\|[\hat x, \hat y, \hat w, \hat h] - [x, y, w, h]\|_2^2" in latex
    assert r"1 - \mathrm{IoU}(\hat b, b)" in latex
    # the default error: the prediction 4 px to the right of an 8-px and a 40-px box
    small, large = iou_of(8, (4, 0, 0, 0)), iou_of(40, (4, 0, 0, 0))
    assert rf"= 16\ \text{{px}}^2,\qquad 1 - \mathrm{{IoU}} = 1 - {small:.3f}" in latex
    assert rf"1 - {large:.3f} = {1 - large:.3f}" in latex
    table = panel_table(at)
    assert list(table["L2 (px²)"]) == [16.0, 16.0]
    np.testing.assert_allclose(table["1 − IoU"], [1 - small, 1 - large], atol=1e-9)
    np.testing.assert_allclose(table["∂L2/∂x̂ (per px)"], [8.0, 8.0])  # 2 · 4 px
    assert table["∂(1 − IoU)/∂x̂ (per px)"].iloc[0] > table["∂(1 − IoU)/∂x̂ (per px)"].iloc[1]
    ratio = (1 - small) / (1 - large)
    assert f"**{ratio:.1f}×** what it costs the large one" in joined(at)
    assert "Nothing trained yet" in joined(at)
    kinds = ("slider", "select_slider", "selectbox", "number_input", "toggle", "button")
    keys = [w.key for kind in kinds for w in getattr(at, kind)]
    page = {"det_seed", "det_score", "det_iou", "det_per_class", "det_reset"}  # above the tabs
    assert page <= set(keys) and "det_loc_seed" in keys
    assert all(k.startswith("det_loc_") for k in set(keys) - page)
    for key in ("det_loc_panel_small", "det_loc_panel_large"):
        fig = chart(at, key)
        assert [t["name"] for t in fig["data"] if t.get("showlegend")] == [
            "true box",
            "predicted box",
        ]


def test_moving_the_sliders_changes_the_losses():
    at = opened()
    at.slider(key="det_loc_dx").set_value(0)
    at.slider(key="det_loc_dw").set_value(6)
    at.slider(key="det_loc_small").set_value(10).run()
    assert not at.exception
    table = panel_table(at)
    assert list(table["L2 (px²)"]) == [36.0, 36.0]
    expected = [1 - iou_of(10, (0, 0, 6, 0)), 1 - iou_of(40, (0, 0, 6, 0))]
    np.testing.assert_allclose(table["1 − IoU"], expected, atol=1e-9)
    assert "**36 px²** for both objects" in joined(at)
    # far off: the small box no longer overlaps, 1 − IoU is flat there
    at.slider(key="det_loc_dw").set_value(0)
    at.slider(key="det_loc_dx").set_value(15).run()
    table = panel_table(at)
    assert table["1 − IoU"].iloc[0] == 1.0 and table["∂(1 − IoU)/∂x̂ (per px)"].iloc[0] == 0
    assert "its gradient is 0" in joined(at)
    # a width below 0 is taken as 0, with a note
    at.slider(key="det_loc_dw").set_value(-15).run()
    assert any("narrower than 0 px" in i for i in texts(at, "info"))


def test_a_tiny_training_shows_both_runs_by_size_and_on_test_images():
    at = tiny_training(opened())
    result = at.session_state["det_loc_result"]
    assert set(result["preds"]) == {"l2", "iou"}
    labels = [m.label for m in at.metric]
    assert labels == ["Test accuracy", "Mean IoU", "Mean corner error"] * 2
    # the metrics are the scores of the kept predictions on the page's test images
    test = make_single_objects(TEST_N, TEST_SEED)
    for k, box in enumerate(("l2", "iou")):
        s = score(result["preds"][box], test)
        assert at.metric[3 * k + 1].value == f"{s.mean_iou:.3f}"
        assert at.metric[3 * k].value == f"{100 * s.accuracy:.1f}%"
    curves = chart(at, "det_loc_curves")
    assert {t["name"] for t in curves["data"]} >= {
        "L2 on coordinates: train loss",
        "1 − IoU: test mean IoU",
    }
    sizes = chart(at, "det_loc_sizes")
    layout = sizes["layout"]
    assert layout["yaxis"]["title"]["text"] == "mean IoU (test)"
    assert layout["xaxis"]["title"]["text"].startswith("object size")
    assert layout["yaxis2"]["title"]["text"] == "mean corner error (px)"
    table = next(d.value for d in at.dataframe if "object size" in d.value.columns)
    assert table["test images"].sum() == TEST_N
    md = joined(at)
    assert "100 training images, 1 epoch(s), seed 0" in md and "Mean IoU by size" in md
    examples = chart(at, "det_loc_examples")
    legend = [t["name"] for t in examples["data"] if t.get("showlegend")]
    assert legend == ["true box", "L2 on coordinates", "1 − IoU"]
    # another choice of test images: the 8 smallest objects, each loss's IoU under each
    at.selectbox(key="det_loc_show").set_value("small").run()
    assert not at.exception
    smallest = np.argsort(test.sizes(), kind="stable")[:8]
    words = [t for t in chart(at, "det_loc_examples")["data"] if t.get("mode") == "text"]
    for trace, box in zip(words, ("l2", "iou"), strict=True):
        pred = result["preds"][box]
        ious = box_ious(pred.boxes[smallest], test.boxes[smallest])
        right = pred.labels[smallest] == test.labels[smallest]
        marks = ["✓" if ok else "✗" for ok in right]
        assert trace["text"] == [f"{v:.2f} {m}" for v, m in zip(ious, marks, strict=True)]


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    at = tiny_training(opened())
    first = [m.value for m in at.metric]
    at.button(key="det_loc_train").click().run()
    assert [m.value for m in at.metric] == first
    at.number_input(key="det_loc_seed").set_value(3).run()
    at.button(key="det_loc_train").click().run()
    assert "seed 3" in joined(at) and [m.value for m in at.metric] != first


def test_a_stopped_run_is_reported_once_and_reset_forgets_the_results():
    at = tiny_training(opened())
    at.session_state["det_loc_pending"] = {"box": "iou", "epochs": 1, "total": 12}
    at.run()
    infos = texts(at, "info")
    assert any("stopped during the **1 − IoU** run, after 1 of 12 epoch(s)" in i for i in infos)
    assert "det_loc_pending" not in at.session_state
    assert "det_loc_result" in at.session_state  # the last complete comparison stays
    at.run()
    assert not any("stopped during" in i for i in texts(at, "info"))  # said once
    at.slider(key="det_loc_dx").set_value(-7).run()
    at.button(key="det_reset").click().run()
    assert "det_loc_result" not in at.session_state
    at.session_state["det_tab"] = TAB
    at.run()
    assert at.slider(key="det_loc_dx").value == 4 and "Nothing trained yet" in joined(at)


def test_the_hidden_tab_does_no_work(monkeypatch):
    from views.detection import localisation

    calls = forbid(
        monkeypatch,
        [(localisation, "losses_of_box"), (localisation, "test_set"), (localisation, "count")],
    )
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception and not calls
    assert not [w.key for w in at.slider if w.key.startswith("det_loc_")]
    open_tab(at, "det", TAB)
    assert calls  # the spies are where the tab looks them up
