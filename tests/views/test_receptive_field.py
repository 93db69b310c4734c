"""AppTest of views/receptive_field.py: the notes' examples in every tab, changed controls,
invalid layer tables, the unit inputs of a large map, the effective field with random and
pretrained weights; settings (and the edited layer table) that survive leaving the page, "Reset
this page", and hidden tabs that do no work."""

from __future__ import annotations

import numpy as np
import pandas as pd
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

PAGE = "../../views/receptive_field.py"
APP = "../../app.py"
TIMEOUT = 180
SEED000 = "Seed 000: 3×3 conv → 2×2 max pool"
LENET = "LeNet-5 (32×32 input)"
STACK, NETWORK, IMAGE, KERNELS = "Stack of layers", "Real network", "On an image", "3×3 stacks"
PRETRAINED = "EfficientNet-Lite0 — pretrained on ImageNet"
LENET_NOTE = "LeNet-5's classifier expects 32×32 inputs, so the input is fixed at 32 px."
LENET_FIELDS = [5, 6, 14, 16]  # C1, S2, C3, S4 at 32×32


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "rf", label)


def set_layers(at: AppTest, records: list[dict], preset: str = SEED000) -> AppTest:
    """Replace the stack table's rows (the data editor's edited state) and rerun."""
    base = [
        {"kind": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1},
        {"kind": "max pool", "kernel": 2, "stride": 2, "padding": 0, "dilation": 1},
    ]
    edited = {n: rec for n, rec in enumerate(records) if n < len(base)}
    added = records[len(base) :]
    at.session_state[f"rf_layers_{preset}"] = {
        "edited_rows": {n: dict(rec) for n, rec in edited.items()},
        "added_rows": added,
        "deleted_rows": list(range(len(records), len(base))),
    }
    return at.run()


def stack_frame(at: AppTest) -> pd.DataFrame:
    """The computed table: the dataframe after the layer editor (dataframes carry no key)."""
    assert at.dataframe[0].key.startswith("rf_layers_")
    return at.dataframe[1].value


def has_chart(at: AppTest, key: str) -> bool:
    try:
        chart(at, key)
    except KeyError:
        return False
    return True


def keys(at: AppTest, kind: str) -> set[str]:
    return {w.key for w in getattr(at, kind)}


def assert_clean(at: AppTest) -> None:
    """No exception and no torch error text in what the page shows."""
    assert not at.exception
    shown = texts(at, "error") + texts(at, "warning") + texts(at, "markdown")
    assert not any("reduction dim" in t or "Traceback" in t for t in shown), shown


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
    assert at.selectbox(key="rf_pick_layer").value == "2: max pool 2×2 /2"  # the last layer
    assert has_chart(at, "rf_input_grid") and has_chart(at, "rf_units_0_2: max pool 2×2 /2")
    presets = at.selectbox(key="rf_preset").options  # named by topic, not by seed number
    assert "3×3 conv → 2×2 max pool (from the CNN applications notes)" in presets
    assert not [p for p in presets if "seed" in p.lower()]
    assert "From the notes: seed 000, “Stacking convolution, pooling, dense layers”." in md


def test_clicked_unit_and_growth_chart(at):
    at.session_state["rf_unit"] = (1, 1)
    at.run()
    assert "**Receptive field of unit (1, 1)**: rows 2–5, columns 2–5." in joined(at)
    bars = chart(at, "rf_growth")["data"][0]
    assert plot_array(bars["y"]).tolist() == [1, 3, 4]
    at.selectbox(key="rf_pick_layer").set_value("1: conv 3×3").run()
    assert "**Receptive field of unit (1, 1)**: rows 1–3, columns 1–3." in joined(at)


def test_unit_and_input_grids_show_what_each_cell_sees(at):
    units = chart(at, "rf_units_0_2: max pool 2×2 /2")["data"][0]
    assert units["text"] == ["16"] * 4  # each pool unit's 4×4 field, all inside the 6×6 input
    coverage = plot_array(chart(at, "rf_input_grid")["data"][0]["z"])
    assert coverage[0].tolist() == [1, 1, 2, 2, 1, 1]  # pixels 2–3 are in both units' fields
    assert coverage[2].tolist() == [2, 2, 4, 4, 2, 2]
    captions = "\n".join(texts(at, "caption"))
    assert "how many real input pixels its field covers" in captions
    assert "how many units of 2: max pool 2×2 /2 have it in their field" in captions
    at.selectbox(key="rf_pick_layer").set_value("1: conv 3×3").run()
    assert plot_array(chart(at, "rf_input_grid")["data"][0]["z"])[2].tolist() == [3, 6, 9, 9, 6, 3]
    set_layers(at, [{"kind": "conv", "kernel": 3, "stride": 1, "padding": 1, "dilation": 1}])
    assert at.selectbox(key="rf_pick_layer").value == "1: conv 3×3 p1"
    key = f"rf_units_{at.session_state['rf_version']}_1: conv 3×3 p1"
    cells = chart(at, key)["data"][0]["text"]
    assert cells[:3] == ["4", "6", "6"] and cells[7] == "9"  # a corner unit sees 2×2 real pixels


def test_preset_and_padding_note(at):
    at.selectbox(key="rf_preset").set_value("ResNet-18 stem + layer1 (main path)").run()
    assert not at.exception and not at.error
    assert at.number_input(key="rf_size").value == 224
    table = stack_frame(at)
    assert table["field r"].tolist()[-1] == "43×43" and table["jump j"].tolist()[-1] == 4
    md = joined(at)
    assert "**Receptive field of unit (0, 0)**: rows -21–21 (21 of them in the padding" in md
    assert not has_chart(at, "rf_input_grid")  # 224 pixels: no input grid


def test_unit_inputs_of_a_large_map(at):
    at.selectbox(key="rf_preset").set_value(LENET).run()
    at.selectbox(key="rf_pick_layer").set_value("1: conv 5×5").run()  # 28×28 units
    assert not at.exception
    assert {"rf_unit_r", "rf_unit_c"} <= keys(at, "number_input")
    at.number_input(key="rf_unit_r").set_value(3).run()
    at.number_input(key="rf_unit_c").set_value(20).run()
    assert "**Receptive field of unit (3, 20)**: rows 3–7, columns 20–24." in joined(at)
    assert at.session_state["rf_unit"] == (3, 20)
    at.selectbox(key="rf_pick_layer").set_value("4: avg pool 2×2 /2").run()  # 5×5: a grid again
    assert has_chart(at, f"rf_units_{at.session_state['rf_version']}_4: avg pool 2×2 /2")
    assert at.number_input(key="rf_unit_c").max == 4  # the inputs stay: the keyboard path
    assert "**Receptive field of unit (3, 4)**: rows 12–" in joined(at)  # column clipped to 4


def test_input_that_runs_out_of_pixels(at):
    at.number_input(key="rf_size").set_value(2).run()
    errors = texts(at, "error")
    assert errors and "runs out of pixels" in errors[0] and "Layer 1" in errors[0]
    assert "3×3 = 9" not in joined(at)
    tab(at, NETWORK)  # the rest of the page still works
    assert not at.error and "sees **435×435** pixels" in joined(at)


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
    at.run()  # the edits stay while the editor lives (they are not applied twice)
    assert stack_frame(at)["field r"].tolist() == ["1×1", "3×3", "4×4", "8×8"]


def test_real_network_tab(at):
    tab(at, NETWORK)
    assert not at.exception and not at.error
    assert "sees **435×435** pixels" in joined(at)  # ResNet-18 at 224
    net = at.dataframe[0].value
    assert net["size"].iloc[-1] == 435 and net["name"].iloc[0] == "conv1"
    assert plot_array(chart(at, "rf_net_growth")["data"][0]["y"])[-1] == 435
    at.selectbox(key="rf_net").set_value("VGG-16").run()
    assert "sees **212×212** pixels" in joined(at)
    at.selectbox(key="rf_net_side").set_value(32)
    at.selectbox(key="rf_net").set_value("AlexNet").run()
    assert not at.exception
    assert texts(at, "error") == [  # in words, without torch's own message
        (
            "AlexNet cannot run on a 32×32 input: at `features.12` its feature maps have shrunk "
            "to 1×1, smaller than that layer's 3×3 window (the input is too small)."
        )
    ]


@pytest.mark.parametrize("side", [None, 32, 64, 320])  # None: the default 224
def test_lenet_runs_at_its_own_size_in_the_real_network_tab(at, side):
    tab(at, NETWORK)
    if side is not None:
        at.selectbox(key="rf_net_side").set_value(side).run()
    at.selectbox(key="rf_net").set_value("LeNet-5").run()
    assert_clean(at)
    assert not at.error
    assert (
        "**LeNet-5**: 4 convolution / pooling layers; one unit of its last feature map sees "
        "**16×16** pixels (the theoretical field; 32×32 input, native 32)."
    ) in joined(at)
    assert LENET_NOTE in texts(at, "caption")
    fixed = at.selectbox(key="rf_net_side_fixed")
    assert fixed.value == 32 and fixed.options == ["32"] and fixed.disabled
    assert "rf_net_side" not in keys(at, "selectbox")
    net = at.dataframe[0].value
    assert net["size"].tolist() == LENET_FIELDS and net["out_size"].tolist() == [28, 14, 10, 5]
    at.selectbox(key="rf_net").set_value("ResNet-18").run()  # the student's side is back
    assert_clean(at)
    chosen = 224 if side is None else side
    assert at.selectbox(key="rf_net_side").value == chosen
    assert f"{chosen}×{chosen} input, native 224" in joined(at)
    assert LENET_NOTE not in texts(at, "caption")


def test_lenet_on_an_image_is_grey_and_32_px(at):
    at.session_state["rf_net"] = "LeNet-5"  # chosen in the Real network tab
    tab(at, IMAGE)
    assert_clean(at)
    assert not at.error
    md = joined(at)
    assert "Network: **LeNet-5**." in md
    assert "**Receptive field of unit (5, 5)** of `features.3`: rows 10–23, columns 10–23." in md
    assert LENET_NOTE in texts(at, "caption")
    assert at.selectbox(key="rf_side_fixed").value == 32
    assert "rf_side" not in keys(at, "selectbox")
    at.button(key="rf_erf_btn").click().run()
    assert_clean(at)
    assert "Nonzero gradient: rows 10–23, columns 10–23." in joined(at)
    grad = plot_array(chart(at, "rf_erf_fig")["data"][0]["z"])
    assert grad.shape == (32, 32) and grad.max() == 1.0
    photo = chart(at, "rf_img_fig")["data"][0]  # the grey 32×32 picture the network sees
    assert photo["type"] == "image"
    last = at.selectbox(key="rf_img_layer").options[-1]  # S4: 5×5, field 16
    at.selectbox(key="rf_img_layer").set_value(last).run()
    at.number_input(key="rf_img_r").set_value(4).run()
    assert_clean(at)
    assert "**Receptive field of unit (4, 2)** of `features.5`: rows 16–31, columns 8–23." in (
        joined(at)
    )


def test_lenet_on_an_image_with_changed_settings(at):
    tab(at, IMAGE)
    at.selectbox(key="rf_side").set_value(128).run()  # chosen for ResNet-18
    at.session_state["rf_net"] = "LeNet-5"
    at.run()
    assert_clean(at)
    assert not at.error and LENET_NOTE in texts(at, "caption")
    assert "Network: **LeNet-5**." in joined(at)
    at.radio(key="rf_img_net").set_value("EfficientNet-Lite0 — random weights").run()
    assert_clean(at)  # a network of any side: the student's 128 is back
    assert at.selectbox(key="rf_side").value == 128 and LENET_NOTE not in texts(at, "caption")
    assert "Network: **EfficientNet-Lite0 — random weights**." in joined(at)
    at.radio(key="rf_img_net").set_value("chosen").run()
    assert_clean(at)
    assert "Network: **LeNet-5**." in joined(at)
    at.sidebar.button(key="rf_reset").click().run()  # Reset: ResNet-18 at 160 again
    tab(at, IMAGE)
    assert_clean(at)
    assert "Network: **ResNet-18**." in joined(at) and at.selectbox(key="rf_side").value == 160


def test_the_lenet_preset_of_the_stack_takes_any_side(at):
    """The Stack of layers tab runs no network (the arithmetic of its conv / pool layers):
    LeNet-5's layers at 224 are fine."""
    at.selectbox(key="rf_preset").set_value(LENET).run()
    at.number_input(key="rf_size").set_value(224).run()
    assert_clean(at)
    assert not at.error and stack_frame(at)["field r"].tolist()[-1] == "32×32"


def test_effective_field_on_request(at):
    tab(at, IMAGE)
    md = joined(at)
    assert "press the button" in md and "Network: **ResNet-18**." in md
    assert "**Receptive field of unit (10, 10)** of `layer2.1.conv2`: rows 31–129" in md
    at.number_input(key="rf_img_r").set_value(3).run()
    md = joined(at)
    assert "**Receptive field of unit (3, 10)** of `layer2.1.conv2`: rows -25–73 (25 of them" in md
    at.button(key="rf_erf_btn").click().run()
    assert not at.exception
    md = joined(at)
    assert "Nonzero gradient: rows 0–73, columns 31–129." in md
    grad = plot_array(chart(at, "rf_erf_fig")["data"][0]["z"])
    assert grad.shape == (160, 160) and grad.max() == 1.0 and grad[150, 150] == 0


def test_image_side_and_layer_keep_the_unit_valid(at):
    tab(at, IMAGE)
    at.number_input(key="rf_img_c").set_value(15).run()
    at.selectbox(key="rf_side").set_value(128).run()  # layer2 is 16×16 at 128: (10, 15) fits
    assert not at.exception
    assert "**Receptive field of unit (10, 15)** of `layer2.1.conv2`" in joined(at)
    last = at.selectbox(key="rf_img_layer").options[-1]  # layer4: 4×4, column 15 is gone
    at.selectbox(key="rf_img_layer").set_value(last).run()
    assert not at.exception
    assert at.number_input(key="rf_img_c").value == 2 and at.number_input(key="rf_img_r").value == 2


def test_stack_of_3x3_calculator(at):
    tab(at, KERNELS)
    md = joined(at)
    assert r"3\cdot 9\cdot 64^2 = 110{,}592" in md and "= 200{,}704" in md  # seed 002
    at.number_input(key="rf_F").set_value(5)
    at.number_input(key="rf_C").set_value(10).run()
    md = joined(at)
    assert r"2\cdot 9\cdot 10^2 = 1{,}800" in md and r"5^2\cdot 10^2 = 2{,}500" in md
    assert "**1,800 vs 2,500 weights**: the stack needs 72% of them" in md


def test_effective_field_with_pretrained_weights(at):
    tab(at, IMAGE)
    at.radio(key="rf_img_net").set_value(PRETRAINED).run()
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


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/receptive_field.py").run()
    at.selectbox(key="rf_pick_layer").set_value("1: conv 3×3").run()
    set_layers(at, [{}, {}, {"kind": "conv", "kernel": 3, "stride": 1, "padding": 1}])
    tab(at, NETWORK)
    at.selectbox(key="rf_net").set_value("VGG-16").run()
    tab(at, KERNELS)
    at.number_input(key="rf_F").set_value(5).run()
    assert not at.exception
    leave_and_return(at, "views/receptive_field.py")
    assert at.number_input(key="rf_F").value == 5  # back in the tab the student left
    assert r"n = \frac{F-1}{2} = \frac{5-1}{2} = 2" in joined(at)
    tab(at, IMAGE)  # the Real network tab's choice, never drawn since the return
    assert "Network: **VGG-16**." in joined(at)
    assert at.radio(key="rf_img_net").options[0] == "VGG-16 — random weights"
    tab(at, NETWORK)
    assert at.selectbox(key="rf_net").value == "VGG-16"
    tab(at, STACK)
    assert at.selectbox(key="rf_pick_layer").value == "1: conv 3×3"
    assert stack_frame(at)["field r"].tolist() == ["1×1", "3×3", "4×4", "8×8"]  # the edits
    at.run()
    assert stack_frame(at)["field r"].tolist() == ["1×1", "3×3", "4×4", "8×8"]


def test_reset_this_page_restores_the_defaults(at):
    at.selectbox(key="rf_preset").set_value(LENET).run()
    set_layers(at, [{"kernel": 3}], preset=LENET)
    at.session_state["rf_unit"] = (1, 2)
    tab(at, KERNELS)
    at.number_input(key="rf_C").set_value(10).run()
    at.sidebar.button(key="rf_reset").click().run()
    assert not at.exception
    assert at.selectbox(key="rf_preset").value == SEED000  # the first tab again
    assert at.number_input(key="rf_size").value == 6
    assert stack_frame(at)["field r"].tolist() == ["1×1", "3×3", "4×4"]
    assert "**Receptive field of unit (0, 0)**: rows 0–3" in joined(at)
    at.selectbox(key="rf_preset").set_value(LENET).run()
    assert stack_frame(at)["field r"].tolist()[1] == "5×5"  # LeNet's own first layer again
    tab(at, KERNELS)
    assert at.number_input(key="rf_C").value == 64


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.receptive_field import network, on_image, stacked_kernels

    forbid(
        monkeypatch,
        [
            (network, "network_table"),
            (on_image, "network_table"),
            (on_image, "image_picker"),
            (stacked_kernels, "stacked_3x3"),
        ],
    )
    at.number_input(key="rf_size").set_value(8).run()
    assert not at.exception
    assert "rows 0–3" in joined(at) and has_chart(at, "rf_growth")
    assert keys(at, "number_input") == {"rf_size", "rf_unit_r", "rf_unit_c"}  # unit: keyboard path
    assert keys(at, "selectbox") == {"rf_preset", "rf_pick_layer"}
    assert not at.radio and keys(at, "button") == {"rf_reset"}
    for key in ("rf_net_growth", "rf_img_fig", "rf_erf_fig"):
        assert not has_chart(at, key)
    monkeypatch.undo()
    tab(at, KERNELS)
    assert not at.exception and "110,592 vs 200,704" in joined(at)
    assert not has_chart(at, "rf_growth")
