"""AppTest of views/train_cnn.py's inspection tabs: Dense = convolution, Shared weights, First
layer and Your drawing. Without a trained run each points to the Train tab; with a run from
tests/convnets/helpers.quick_models in ``cv_run`` each shows its numbers, which are checked against
computations made here (the CNN on single images, autograd on a float64 copy), and reacts to its
widgets; a bad upload gets its message and keeps the rest."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from cnnplay.convnets.models import build, normalise
from cnnplay.convnets.preprocess import RECIPES, grid_image, preprocess
from tests.convnets.helpers import fashion_split, quick_models
from tests.views.apptest_utils import chart, image_captions, open_tab, plot_array, png_bytes, texts
from views.train_cnn.common import TrainedRun

PAGE = "../../views/train_cnn.py"
TIMEOUT = 120
DENSE, SHARED, FIRST, DRAW = "Dense = convolution", "Shared weights", "First layer", "Your drawing"
NEED = "Train the three models on the **Train** tab first"


@pytest.fixture(scope="module")
def run() -> TrainedRun:
    split = fashion_split(n_train=400, n_test=40)
    models, histories = quick_models(split)
    return TrainedRun(split=split, models=models, histories=histories, seed=0)


@pytest.fixture
def at(run) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["cv_run"] = run
    return at


def tab(at: AppTest, label: str) -> AppTest:
    at = open_tab(at, "cv", label)
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest, start: str) -> str:
    return next(m for m in texts(at, "markdown") if m.startswith(start))


def probs_of(run: TrainedRun, index: int) -> np.ndarray:
    """The CNN's class probabilities for one test image, (K,)."""
    with torch.no_grad():
        logits = run.models["cnn"](normalise(run.split.x_test[index : index + 1]))
    return torch.softmax(logits[0], 0).numpy()


@pytest.mark.parametrize("label", [DENSE, SHARED, FIRST, DRAW])
def test_without_a_trained_run_each_tab_points_to_training(label):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at = tab(at, label)
    assert any(NEED in i for i in texts(at, "info"))
    assert not at.get("plotly_chart") and not at.error


def test_dense_as_convolution_same_outputs_and_a_class_map(at, run):
    at = tab(at, DENSE)
    assert not at.error and not at.warning
    same = markdown(at, "**Same outputs:**")
    assert "first 40 test images" in same
    assert float(re.search(r"\*\*([0-9.e+-]+)\*\* — float rounding", same).group(1)) < 1e-4
    assert "`Conv2d(64, 10, kernel_size=5)`" in markdown(at, "The dense layer")
    assert "**16,010**" in markdown(at, "The dense layer")  # 1,600·10 + 10
    assert "56×56" in markdown(at, "The canvas is") and "**8×8** map" in markdown(at, "The canvas")
    z = plot_array(chart(at, "cv_dc_map")["data"][0]["z"])
    assert z.shape == (8, 8)
    # the windows exactly on images 0 and 1 (default images 0–3, no gap) give their own answers
    assert z[0, 0] == pytest.approx(probs_of(run, 0).max(), abs=1e-5)
    assert z[0, 7] == pytest.approx(probs_of(run, 1).max(), abs=1e-5)
    assert z[7, 7] == pytest.approx(probs_of(run, 3).max(), abs=1e-5)
    free = markdown(at, "**A sliding-window classifier for free:**")
    assert float(re.search(r"largest difference \*\*([0-9.e+-]+)\*\*", free).group(1)) < 1e-5

    at.number_input(key="cv_dc_img3").set_value(12).run()
    assert not at.exception
    assert "#12 " in next(c for c in texts(at, "caption") if c.startswith("Test images:"))
    z = plot_array(chart(at, "cv_dc_map")["data"][0]["z"])
    assert z[7, 7] == pytest.approx(probs_of(run, 12).max(), abs=1e-5)

    at.select_slider(key="cv_dc_gap").set_value(4).run()
    assert "**9×9** map" in markdown(at, "The canvas is")
    assert plot_array(chart(at, "cv_dc_map")["data"][0]["z"]).shape == (9, 9)

    at.radio(key="cv_dc_layout").set_value("a row of 4").run()
    assert not at.exception
    z = plot_array(chart(at, "cv_dc_map")["data"][0]["z"])
    assert z.shape == (1, 25)  # 4·28 + 3·4 = 124 px wide: (124 - 26) // 4 + 1
    assert any("Map row i: 0" in c for c in texts(at, "caption"))
    at.slider(key="cv_dc_j_25").set_value(16).run()  # the window on the third image (x = 64)
    assert markdown(at, "**Position (0, 16)** sees canvas rows 0–25 and columns 64–89")

    at.button(key="cv_dc_time").click().run()
    timed = markdown(at, "Median on this server")
    one, crops = (float(t) for t in re.findall(r"\*\*([0-9.]+) ms\*\*", timed))
    assert one > 0 and crops > 0 and "the 25 crops" in timed

    at.selectbox(key="cv_dc_show").set_value("Trouser").run()
    spec = chart(at, "cv_dc_map")["data"][0]
    assert spec["colorbar"]["title"]["text"] == "P(Trouser)"
    assert plot_array(spec["z"])[0, 16] == pytest.approx(probs_of(run, 2)[1], abs=1e-5)


NUMBER = r"(-?[0-9.]+) \\times 10\^\{(-?[0-9]+)\}"  # tex_number's "m \times 10^{e}"


def latex_numbers(at: AppTest) -> tuple[float, float]:
    """(the sum of the terms, autograd's gradient) as the Shared weights tab writes them."""
    line = next(x for x in texts(at, "latex") if "autograd" in x)
    (m1, e1), (m2, e2) = re.findall(NUMBER, line)[:2]
    return float(m1) * 10 ** int(e1), float(m2) * 10 ** int(e2)


def autograd_reference(model, run: TrainedRun, image: int, c: int, u: int, v: int) -> float:
    m = copy.deepcopy(model).double().eval()
    x = normalise(run.split.x_test[image : image + 1]).double()
    F.cross_entropy(m(x), run.split.y_test[image : image + 1]).backward()
    return m.features[0].weight.grad[c, 0, u, v].item()


def test_shared_weight_terms_sum_to_autograd(at, run):
    at = tab(at, SHARED)
    assert not at.error
    total, auto = latex_numbers(at)
    want = autograd_reference(run.models["cnn"], run, 0, 0, 0, 0)
    assert total == pytest.approx(want, rel=1e-5) and auto == pytest.approx(want, rel=1e-5)
    assert "676" in markdown(at, "The weight is used at all")
    terms = plot_array(chart(at, "cv_sg_terms")["data"][0]["z"])
    assert terms.shape == (26, 26) and terms.sum() == pytest.approx(want, rel=1e-5, abs=1e-12)
    spec = chart(at, "cv_sg_terms")["data"][0]
    assert spec["zmin"] == -spec["zmax"] and spec["colorbar"]["title"]["text"] == "term"

    at.number_input(key="cv_sg_channel").set_value(9).run()
    at.selectbox(key="cv_sg_u").set_value(2).run()
    at.number_input(key="cv_sg_image").set_value(5).run()
    assert not at.exception
    total, auto = latex_numbers(at)
    want = autograd_reference(run.models["cnn"], run, 5, 9, 2, 0)
    assert total == pytest.approx(want, rel=1e-5) and auto == pytest.approx(want, rel=1e-5)
    assert chart(at, "cv_sg_kernel")["layout"]["title"]["text"] == "filter 9: w[9, u, v]"

    at.radio(key="cv_sg_weights").set_value("fresh (as initialised)").run()
    # the page builds the fresh CNN from the run's seed
    want_fresh = autograd_reference(build("cnn", 10, seed=run.seed).eval(), run, 5, 9, 2, 0)
    total, _ = latex_numbers(at)
    assert total == pytest.approx(want_fresh, rel=1e-5) and at.session_state["cv_sg_image"] == 5
    assert want_fresh != pytest.approx(want, rel=1e-3)


def test_first_layer_filters_maps_and_mlp_units(at, run):
    at = tab(at, FIRST)
    assert not at.error
    spec = chart(at, "cv_fl_filters")["data"][0]
    grid = plot_array(spec["z"])
    weights = run.models["cnn"].features[0].weight.detach()[:, 0].numpy()  # (32, 3, 3)
    np.testing.assert_allclose(grid[0:3, 0:3], weights[0], rtol=1e-6)
    np.testing.assert_allclose(grid[4:7, 4:7], weights[9], rtol=1e-6)  # row 1, column 1 of 8
    top = float(np.abs(weights).max())
    assert spec["zmin"] == pytest.approx(-top) and spec["zmax"] == pytest.approx(top)
    assert spec["colorbar"]["title"]["text"] == "weight"
    mlp = plot_array(chart(at, "cv_fl_mlp")["data"][0]["z"])
    unit9 = run.models["mlp"].hidden.weight.detach()[9].reshape(28, 28).numpy()
    np.testing.assert_allclose(mlp[29:57, 29:57], unit9, rtol=1e-6)
    assert "**128 units**" in markdown(at, "The MLP's first layer")
    captions = image_captions(at)
    assert any(c.startswith("test image 0:") for c in captions)
    assert any("the 32 feature maps (after ReLU)" in c for c in captions)
    at.number_input(key="cv_fl_image").set_value(7).run()
    at.radio(key="cv_fl_relu").set_value("before ReLU").run()
    captions = image_captions(at)
    assert any(c.startswith("test image 7:") for c in captions)
    assert any("the 32 feature maps (before ReLU)" in c for c in captions)


def model_lines(at: AppTest) -> dict[str, float]:
    found = {}
    for m in texts(at, "markdown"):
        hit = re.match(r"\*\*(.+?)\*\*: .+ \(([0-9.]+)%\)$", m)
        if hit:
            found[hit.group(1)] = float(hit.group(2))
    return found


def test_your_drawing_grid_keyboard_upload_and_a_bad_upload(at, run):
    at = tab(at, DRAW)
    assert not at.error and not at.warning
    assert at.radio(key="cv_draw_recipe").value == "fashion"  # the run's data: Fashion-MNIST
    captions = image_captions(at)
    assert captions[0] == "1. your image" and captions[-1] == "7. centred in 28×28"
    lines = model_lines(at)
    assert set(lines) == {"MLP", "CNN (Keras notes)", "All-convolutional (1×1 conv + GAP)"}
    # the CNN's bars: its probabilities for the preprocessed drawing, computed here
    cells = at.session_state["cv_draw_grid"]
    pixels = preprocess(grid_image(cells), RECIPES["fashion"]).pixels
    with torch.no_grad():
        p = torch.softmax(run.models["cnn"](normalise(torch.from_numpy(pixels)[None, None]))[0], 0)
    bars = chart(at, "cv_draw_top_cnn")["data"][0]
    assert max(bars["x"]) == pytest.approx(p.max().item(), abs=1e-6)
    assert chart(at, "cv_draw_top_cnn")["layout"]["xaxis"]["title"]["text"] == "probability"

    at.button(key="cv_draw_clear").click().run()
    assert any("blank" in w for w in texts(at, "warning")) and not at.exception
    at.number_input(key="cv_draw_cell_r").set_value(4).run()
    at.number_input(key="cv_draw_cell_c").set_value(6).run()
    at.button(key="cv_draw_cell_go").click().run()  # "Flip cell" from the keyboard
    assert (
        at.session_state["cv_draw_grid"][4, 6] == 1 and at.session_state["cv_draw_grid"].sum() == 1
    )
    assert not at.warning and len(model_lines(at)) == 3

    at.radio(key="cv_draw_recipe").set_value("mnist").run()
    assert "7. centred in 28×28" in image_captions(at)
    assert any("fit 20×20" in c for c in image_captions(at))

    at.radio(key="cv_draw_source").set_value("Upload an image").run()
    assert any(c.startswith("No file yet") for c in texts(at, "caption"))
    at.file_uploader(key="cv_draw_upload").set_value(
        ("bright.png", png_bytes((60, 80, 3)), "image/png")
    ).run()
    assert not at.error and not at.exception
    assert len(model_lines(at)) == 3
    at.file_uploader(key="cv_draw_upload").set_value(
        ("broken.png", b"\x89PNG but broken", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "broken.png" in errors[0] and not at.exception
    assert at.radio(key="cv_draw_recipe").value == "mnist"  # the other settings are kept
    at.radio(key="cv_draw_source").set_value("Draw on a grid").run()
    assert at.session_state["cv_draw_grid"][4, 6] == 1 and len(model_lines(at)) == 3
