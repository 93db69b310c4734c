"""AppTest of views/train_cnn.py's "Shuffled pixels" and "Shifts & rotations" tabs, with and
without a trained run in session state (built from tests/convnets/helpers.quick_models): the
images and their shuffled versions, the float64 proof that the rewired MLP is the same model,
tiny training on shuffled pixels (the MLP's accuracy unchanged, the original-pixel scores those
of the run's models), a stopped run kept; the three robustness charts with the numbers of an
independent count, computed once per run, the augmented copies drawn dashed; hidden tabs idle."""

from __future__ import annotations

import re
import weakref

import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnplay.convnets.models import MODELS, normalise
from cnnplay.convnets.training import SideBySideSettings, new_run, train_three
from tests.convnets.helpers import fashion_split, quick_models
from tests.views.apptest_utils import chart, forbid, image_captions, joined, plot_array
from views.train_cnn import permuted, robustness
from views.train_cnn.common import TrainedRun

PAGE = "../../views/train_cnn.py"
TIMEOUT = 300
PERM, ROB = "Shuffled pixels", "Shifts & rotations"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def small():
    split = fashion_split(400, 120)
    models, histories = quick_models(split)
    return split, models, histories


def page(tab: str, run: TrainedRun | None = None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["cv_tab"] = tab
    if run is not None:
        at.session_state["cv_run"] = run
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def make_run(small, augmented: bool = False) -> TrainedRun:
    split, models, histories = small
    return TrainedRun(split, dict(models), dict(histories), seed=0, hidden=128, augmented=augmented)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def accuracy(model, split) -> float:
    with torch.no_grad():
        pred = model.eval()(normalise(split.x_test)).argmax(1)
    return float((pred == split.y_test).double().mean())


# --- Shuffled pixels ---------------------------------------------------------------------------


def test_shuffled_without_a_run_trains_both_pixel_orders() -> None:
    at = page(PERM, cv_perm_n_train=500, cv_perm_epochs=1)
    assert not at.exception
    captions = image_captions(at)
    assert len(captions) == 12 and sum(c.endswith(", shuffled") for c in captions) == 6
    assert "An untrained MLP" in joined(at)
    assert float(metric(at, "… in float64")) < 1e-12
    assert metric(at, "Same predicted class").endswith("of 500")
    assert "Nothing trained on shuffled pixels yet" in joined(at)
    at.button(key="cv_perm_train").click().run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("model")
    assert list(table.index) == [MODELS["mlp"], MODELS["cnn"]]
    # the shuffled MLP trained from the reordered start: the original's training, reordered
    mlp = table.loc[MODELS["mlp"]]
    assert abs(mlp["shuffled pixels"] - mlp["original pixels"]) <= 0.5  # % of 1,000 images
    bars = chart(at, "cv_perm_bars")
    assert [t["name"] for t in bars["data"]][:2] == ["original pixels", "shuffled pixels"]
    assert (100 * plot_array(bars["data"][0]["y"])).tolist() == pytest.approx(
        table["original pixels"].tolist()
    )
    assert bars["data"][2]["name"] == "chance (10%)"
    text = joined(at)
    assert "original-pixel models from this tab" in text
    assert re.search(r"MLP\*\* changes by \*\*[+-]\d+\.\d points", text)
    # the equivalence check now uses the MLP trained here
    assert "The MLP trained here on the original pixels" in joined(at)


def test_shuffled_with_a_run_uses_its_models_and_settings(small, monkeypatch) -> None:
    run = make_run(small)
    checks = []
    check = permuted.equivalence
    monkeypatch.setattr(permuted, "equivalence", lambda *a: checks.append(a) or check(*a))
    at = page(PERM, run)
    assert not at.exception
    at.run()  # the check is kept for this MLP and permutation
    assert len(checks) == 1 and checks[0][0] is run.models["mlp"]
    assert "Your trained MLP (Train tab)" in joined(at)
    assert "Its MLP and CNN are the original-pixel models" in joined(at)
    assert "400 training images" not in joined(at)  # no widget of the tab's own split
    assert not any(s.label == "Training images" for s in at.select_slider)
    assert float(metric(at, "… in float64")) < 1e-12
    assert metric(at, "Same predicted class").endswith(f"of {len(run.split.y_test):,}")
    at.button(key="cv_perm_train").click().run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("model")
    for key in ("mlp", "cnn"):  # the run's own models, scored on its test images
        expected = accuracy(run.models[key], run.split)
        assert table.loc[MODELS[key], "original pixels"] == pytest.approx(100 * expected)
    assert "original-pixel models from the Train tab" in joined(at)
    # a new run on the Train tab drops the result of the old one
    at.session_state["cv_run"] = make_run(small)
    at.run()
    assert not at.exception and not at.dataframe
    assert "Nothing trained on shuffled pixels yet" in joined(at)


def test_shuffled_with_a_recorded_run_trains_exactly_as_it_did() -> None:
    """A run that carries its settings and results (as the Train tab's do): the shuffled MLP,
    started from the reordered weights with the same settings, scores what the run's MLP did."""
    split = fashion_split(300, 100)
    settings = SideBySideSettings(epochs=1, hidden=64, seed=3, lr=2e-3)
    results = train_three(split, settings, names=("mlp", "cnn"))
    run = TrainedRun(
        split,
        {n: r.model for n, r in results.items()},
        {n: r.history for n, r in results.items()},
        seed=3,
        hidden=64,
        results=results,
        settings=settings,
    )
    at = page(PERM, run)
    assert "1 epoch(s), seed 3, MLP width 64, batches of 64, Adam 0.002" in joined(at)
    at.button(key="cv_perm_train").click().run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("model")
    for key in ("mlp", "cnn"):
        assert table.loc[MODELS[key], "original pixels"] == 100 * results[key].test_accuracy
    mlp = table.loc[MODELS["mlp"]]
    assert abs(mlp["shuffled pixels"] - mlp["original pixels"]) <= 2  # % of 100 images


def test_shuffled_with_an_augmented_run_trains_the_originals_again(small) -> None:
    at = page(PERM, make_run(small, augmented=True))
    assert not at.exception
    assert "trained here again without it" in joined(at)


def test_a_stopped_run_is_kept(small) -> None:
    """A click during training interrupts the script and leaves the stage in session state:
    the next run scores its models as they are."""
    split = small[0]
    settings = SideBySideSettings(epochs=1)
    result = permuted.Result(None, 0, True, settings, "this tab")
    result.original = {"mlp": 0.5, "cnn": 0.6}
    live = new_run(len(split.classes), settings, permuted.NAMES)
    pending = permuted.Pending(result, "shuffled", live, split, 0.0)
    at = page(PERM, cv_perm_pending=pending)
    assert not at.exception
    assert "cv_perm_pending" not in at.session_state
    table = at.dataframe[0].value.set_index("model")
    assert table.loc[MODELS["mlp"], "original pixels"] == 50
    expected = accuracy(live.models["cnn"], split)
    assert table.loc[MODELS["cnn"], "shuffled pixels"] == pytest.approx(100 * expected)
    assert "Stopped early" in joined(at)


# --- Shifts & rotations ------------------------------------------------------------------------


def test_robustness_without_a_run_points_to_training() -> None:
    at = page(ROB)
    assert not at.exception
    assert any("**Train** tab" in i.value for i in at.info)  # common.need_training
    assert not at.get("plotly_chart")
    assert not [b for b in at.button if b.key.startswith("cv_rob_")]


def test_robustness_curves_computed_once_and_checked(small, monkeypatch) -> None:
    run = make_run(small)
    calls = []
    compute = robustness.robustness_curves

    def counted(*args, **kwargs):
        calls.append(len(args[1]))
        return compute(*args, **kwargs)

    monkeypatch.setattr(robustness, "robustness_curves", counted)
    at = page(ROB, run)
    assert not at.exception
    assert calls == [len(run.split.y_test)]  # at most the run's test images
    for key, x_title in (("shift", "shift"), ("rotation", "rotation"), ("scale", "scale")):
        fig = chart(at, f"cv_rob_{key}")
        names = [MODELS[k] for k in ("mlp", "cnn", "fcn")]
        assert [t["name"] for t in fig["data"]] == [*names, "chance (10%)"]
        assert fig["layout"]["xaxis"]["title"]["text"].startswith(x_title)
        assert fig["layout"]["yaxis"]["title"]["text"] == "test accuracy"
    # at 0 px, 0° and ×1 every curve shows the model's plain test accuracy
    for k, trace in zip(
        ("mlp", "cnn", "fcn"), chart(at, "cv_rob_rotation")["data"][:3], strict=True
    ):
        x, y = plot_array(trace["x"]).tolist(), plot_array(trace["y"]).tolist()
        assert y[x.index(0)] == pytest.approx(accuracy(run.models[k], run.split))
    # the table holds the same numbers
    table = at.dataframe[0].value
    assert table["unchanged"].tolist() == pytest.approx(
        [100 * accuracy(run.models[k], run.split) for k in ("mlp", "cnn", "fcn")]
    )
    assert len(image_captions(at)) == sum(len(s.values) for s in robustness.SWEEPS)
    # reruns and another tab visit use the kept curves
    at.run()
    at.session_state["cv_tab"] = PERM
    at.run()
    at.session_state["cv_tab"] = ROB
    at.run()
    assert not at.exception and len(calls) == 1
    kept = at.session_state[robustness.CURVES_KEY]
    assert isinstance(kept.run_ref, weakref.ref) and kept.run_ref() is run
    # a new run: new curves, the old ones dropped
    at.session_state["cv_run"] = make_run(small)
    at.run()
    assert not at.exception and len(calls) == 2
    assert at.session_state[robustness.CURVES_KEY].run_ref() is at.session_state["cv_run"]


def test_robustness_augmented_copies_drawn_dashed(small) -> None:
    run = make_run(small)
    at = page(ROB, run, cv_rob_aug_degrees=20)
    at.button(key="cv_rob_train").click().run()
    assert not at.exception
    fig = chart(at, "cv_rob_scale")
    dashes = [t["line"]["dash"] for t in fig["data"]]
    assert dashes == ["solid", "dash"] * 3 + ["dot"]  # the last: chance
    assert fig["data"][1]["name"].endswith("(with augmentation)")
    assert fig["data"][0]["name"].endswith("(without augmentation)")
    assert len(at.dataframe[0].value) == 6
    text = joined(at)
    assert "Copies trained with augmentation: shifts up to ±2 px, rotations up to ±20°" in text
    copies = at.session_state[robustness.COPIES_KEY]
    assert copies.augmented and copies.settings.max_degrees == 20
    assert copies.settings.epochs == 1 and copies.settings.seed == run.seed
    # the copies' curves at the identity: their own test accuracy
    for k, trace in zip(("mlp", "cnn", "fcn"), fig["data"][1::2], strict=True):
        x, y = plot_array(trace["x"]).tolist(), plot_array(trace["y"]).tolist()
        assert y[x.index(1)] == pytest.approx(copies.accuracy[k])


def test_stopped_copies_are_kept(small) -> None:
    """Copies whose training a click interrupted are scored as they are, marked stopped."""
    run = make_run(small)
    settings = SideBySideSettings(epochs=1, augment=True)
    copies = robustness.Copies(weakref.ref(run), True, settings)
    live = new_run(len(run.split.classes), settings, ("mlp", "cnn", "fcn"))
    pending = robustness.Pending(copies, live, run.split, 0.0)
    at = page(ROB, run, cv_rob_pending=pending)
    assert not at.exception
    assert "cv_rob_pending" not in at.session_state
    assert "stopped early (scored as they were)" in joined(at)
    fig = chart(at, "cv_rob_shift")
    assert len(fig["data"]) == 7  # the stopped copies drawn dashed beside the run's models
    expected = accuracy(live.models["cnn"], run.split)
    assert plot_array(fig["data"][3]["y"])[0] == pytest.approx(expected)


def test_an_augmented_run_gets_plain_copies(small) -> None:
    at = page(ROB, make_run(small, augmented=True))
    assert not at.exception
    assert at.button(key="cv_rob_train").label == "Train the three models without augmentation"
    assert not any(s.label.startswith("Rotation up to") for s in at.slider)


def test_hidden_tabs_do_no_work(small, monkeypatch) -> None:
    """Each of the two tabs open in turn: the other one computes nothing."""
    run = make_run(small)
    calls = forbid(monkeypatch, [(robustness, "robustness_curves")])
    at = page(PERM, run)
    assert not at.exception and calls == []
    monkeypatch.undo()
    calls = forbid(monkeypatch, [(permuted, "equivalence"), (permuted, "show_pairs")])
    at.session_state["cv_tab"] = ROB
    at.run()
    assert not at.exception and calls == []
    assert chart(at, "cv_rob_shift")
