"""AppTest of views/receptive_field.py: the notes' examples, changed controls, invalid tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import chart, joined, plot_array, texts

PAGE = "../../views/receptive_field.py"
TIMEOUT = 120
SEED000 = "Seed 000: 3×3 conv → 2×2 max pool"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def set_layers(at: AppTest, records: list[dict], preset: str = SEED000) -> AppTest:
    """Replace the stack table's rows (the data editor's edited state) and rerun."""
    base = [
        {"kind": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1},
        {"kind": "max pool", "kernel": 2, "stride": 2, "padding": 0, "dilation": 1},
    ]
    edited = {n: rec for n, rec in enumerate(records) if n < len(base)}
    added = records[len(base) :]
    at.session_state[f"rf_layers_{preset}"] = {
        "edited_rows": {n: {k: v for k, v in rec.items()} for n, rec in edited.items()},
        "added_rows": added,
        "deleted_rows": [n for n in range(len(records), len(base))],
    }
    return at.run()


def stack_frame(at: AppTest) -> pd.DataFrame:
    """The computed table: the dataframe after the layer editor (dataframes carry no key)."""
    assert at.dataframe[0].key.startswith("rf_layers_")
    return at.dataframe[1].value


def test_default_reproduces_seed000(at):
    assert not at.exception and not at.error
    table = stack_frame(at)
    assert table["field r"].tolist() == ["1×1", "3×3", "4×4"]
    assert table["output size n"].tolist() == ["6×6", "4×4", "2×2"]
    assert table["jump j"].tolist() == [1, 1, 2]
    md = joined(at)
    assert "One unit of the last layer sees **4×4 = 16** input pixels" in md
    assert r"r = 3 + (2-1)\cdot 1\cdot 1 = 4" in md
    assert "**Receptive field of unit (0, 0)**: rows 0–3, columns 0–3." in md
    # seed 002: three 3×3 instead of one 7×7, C = 64
    assert r"3\cdot 9\cdot 64^2 = 110{,}592" in md and "= 200{,}704" in md
    # the real network: ResNet-18 at 224
    assert "sees **435×435** pixels" in md
    net = at.dataframe[2].value
    assert net["size"].iloc[-1] == 435 and net["name"].iloc[0] == "conv1"


def test_clicked_unit_and_growth_chart(at):
    at.session_state["rf_unit"] = (1, 1)
    at.run()
    assert "**Receptive field of unit (1, 1)**: rows 2–5, columns 2–5." in joined(at)
    bars = chart(at, "rf_growth")["data"][0]
    assert plot_array(bars["y"]).tolist() == [1, 3, 4]


def test_preset_and_padding_note(at):
    at.selectbox(key="rf_preset").set_value("ResNet-18 stem + layer1 (main path)").run()
    assert not at.exception and not at.error
    assert at.number_input(key="rf_size").value == 224
    table = stack_frame(at)
    assert table["field r"].tolist()[-1] == "43×43" and table["jump j"].tolist()[-1] == 4
    md = joined(at)
    assert "**Receptive field of unit (0, 0)**: rows -21–21 (21 of them in the padding" in md


def test_input_that_runs_out_of_pixels(at):
    at.number_input(key="rf_size").set_value(2).run()
    errors = texts(at, "error")
    assert errors and "runs out of pixels" in errors[0] and "Layer 1" in errors[0]
    assert "3×3 = 9" not in joined(at)  # the rest of the page still works
    assert "sees **435×435** pixels" in joined(at)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"kernel": 0}], "Layer 1: the kernel must be at least 1"),
        ([{}, {"stride": -1}], "Layer 2: the stride must be at least 1"),
        ([{}, {}, {"kind": None, "kernel": 3}], "Layer 3: choose a layer type"),
        ([{}, {"padding": 2}], "Layer 2: a 2-wide pool allows padding up to 1"),
    ],
)
def test_invalid_layer_tables(at, records, message):
    set_layers(at, records)
    assert not at.exception
    errors = texts(at, "error")
    assert errors and errors[0].startswith(message), errors


def test_added_layer_grows_the_field(at):
    set_layers(at, [{}, {}, {"kind": "conv", "kernel": 3, "stride": 1, "padding": 1}])
    assert not at.error
    assert stack_frame(at)["field r"].tolist() == ["1×1", "3×3", "4×4", "8×8"]


def test_network_choice_and_too_small_input(at):
    at.selectbox(key="rf_net").set_value("VGG-16").run()
    assert "sees **212×212** pixels" in joined(at)
    at.selectbox(key="rf_net_side").set_value(32)
    at.selectbox(key="rf_net").set_value("AlexNet").run()
    assert not at.exception
    assert any("AlexNet cannot run on a 32×32 input" in e for e in texts(at, "error"))


def test_effective_field_on_request(at):
    assert "press the button" in joined(at)
    at.number_input(key="rf_img_r").set_value(3).run()
    md = joined(at)
    assert "**Receptive field of unit (3, 10)** of `layer2.1.conv2`: rows -25–73 (25 of them" in md
    at.button(key="rf_erf_btn").click().run()
    assert not at.exception
    md = joined(at)
    assert "Nonzero gradient: rows 0–73, columns 31–129." in md
    grad = plot_array(chart(at, "rf_erf_fig")["data"][0]["z"])
    assert grad.shape == (160, 160) and grad.max() == 1.0 and grad[150, 150] == 0


def test_stack_of_3x3_calculator(at):
    at.number_input(key="rf_F").set_value(5)
    at.number_input(key="rf_C").set_value(10).run()
    md = joined(at)
    assert r"2\cdot 9\cdot 10^2 = 1{,}800" in md and r"5^2\cdot 10^2 = 2{,}500" in md


def test_effective_field_with_pretrained_weights(at):
    at.radio(key="rf_img_net").set_value("EfficientNet-Lite0 — pretrained on ImageNet").run()
    assert not at.exception
    assert "Network: **EfficientNet-Lite0 — pretrained on ImageNet**." in joined(at)
    at.button(key="rf_erf_btn").click().run()
    assert not at.exception
    trained = plot_array(chart(at, "rf_erf_fig")["data"][0]["z"])
    assert "Nonzero gradient: rows" in joined(at)
    at.radio(key="rf_img_net").set_value("EfficientNet-Lite0 — random weights").run()
    random = plot_array(chart(at, "rf_erf_fig")["data"][0]["z"])
    assert trained.shape == random.shape == (160, 160)
    assert trained.max() == random.max() == 1.0
    assert not np.allclose(trained, random)  # the weights change the effective field
