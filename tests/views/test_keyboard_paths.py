"""AppTest of the keyboard paths beside every clickable figure (ui/keyboard.py): the Kernels
grid (row, column, "Flip cell"), the Padding output grid and the Receptive field unit grid (row
and column), the Bottleneck page's layer bars and real-network rows (a select box), and the
Transfer learning confusion matrix (its two class choices).

Each path is checked both ways: the keyboard control does what a click does, and a click moves
the keyboard control. AppTest cannot click a plotly chart or a table, so :func:`select` sends the
selection state a browser sends after a click (the widget's JSON value), through the same
callbacks; tests/e2e/test_keyboard_paths.py drives the keyboard in a real browser."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from cnnplay.kernels import PATTERN_KERNELS
from tests.views.apptest_utils import chart, image_captions, joined, open_tab, plot_array, texts

KERNELS = "../../views/kernels.py"
PADDING = "../../views/padding.py"
RECEPTIVE = "../../views/receptive_field.py"
BOTTLENECK = "../../views/bottleneck_cost.py"
TIMEOUT = 120
KEYBOARD = "**Keyboard:**"  # ui.keyboard.keyboard_caption


def select(at: AppTest, kind: str, key: str, selection: dict) -> AppTest:
    """Run the page as after a click on the chart (kind "plotly_chart") or table ("dataframe")
    whose user key is ``key``: the other widgets keep their values, and the element's widget
    state is the selection a browser sends (ui_value JSON), so its on_select callback runs."""
    elements = at.dataframe if kind == "dataframe" else at.get(kind)
    element = next(e for e in elements if e.proto.id.endswith(f"-{key}"))
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(id=element.proto.id, string_value=json.dumps({"selection": selection}))
    )
    return at._run(states)


def click_point(at: AppTest, key: str, x, y, index: int) -> AppTest:
    """A click on point ``index`` (at x, y) of the plotly chart with this key."""
    point = {"x": x, "y": y, "point_index": index, "point_number": index, "curve_number": 0}
    return select(
        at,
        "plotly_chart",
        key,
        {"points": [point], "point_indices": [index], "box": [], "lasso": []},
    )


def outlines(at: AppTest, key: str) -> list[tuple[float, float]]:
    """The (row, col) of each outlined cell of a grid chart (centre of each shape)."""
    shapes = chart(at, key)["layout"].get("shapes", [])
    return [((s["y0"] + s["y1"]) / 2, (s["x0"] + s["x1"]) / 2) for s in shapes]


def keyboard_captions(at: AppTest) -> list[str]:
    return [c for c in texts(at, "caption") if KEYBOARD in c]


def run(path: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT).run()
    assert not at.exception
    return at


# --- Kernels: row, column and "Flip cell" beside the clickable input grid --------------------


def conv_torch(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Valid cross-correlation of (C, H, W) with (C, k, k), by torch (float64)."""
    xt = torch.from_numpy(x)[None].double()  # (1, C, H, W)
    wt = torch.from_numpy(w)[None].double()  # (1, C, k, k)
    return F.conv2d(xt, wt)[0, 0].numpy()  # (H', W')


def grid_chart_key(at: AppTest, channel: int = 0) -> str:
    return f"kn_click_{at.session_state['kn_grid_version']}_{channel}"


def test_kernels_flip_cell_from_the_keyboard_and_by_click():
    at = run(KERNELS)
    assert any("*Flip cell*" in c for c in keyboard_captions(at))
    before = at.session_state["kn_grid"].copy()  # (1, 6, 6) of ±1
    assert at.number_input(key="kn_cell_0_r").value == 0  # the cursor starts at (0, 0)
    at.number_input(key="kn_cell_0_r").set_value(2)
    at.number_input(key="kn_cell_0_c").set_value(3).run()
    assert outlines(at, grid_chart_key(at)) == [(2, 3)]  # the typed cell is outlined
    assert np.array_equal(at.session_state["kn_grid"], before)  # moving does not flip
    at.button(key="kn_cell_0_go").click().run()
    assert not at.exception
    after = at.session_state["kn_grid"]
    expected = before.copy()
    expected[0, 2, 3] = before.max() + before.min() - before[0, 2, 3]  # ink <-> background
    assert np.array_equal(after, expected)
    shown = plot_array(chart(at, grid_chart_key(at))["data"][0]["marker"]["color"])
    assert np.array_equal(shown.reshape(after.shape[1:]), after[0])  # the grid shows it
    fmap = plot_array(chart(at, "kn_map1")["data"][0]["z"])
    plus = np.asarray(PATTERN_KERNELS["+ (cross)"](3), dtype=np.float64)[None]
    assert np.allclose(fmap, conv_torch(after, plus))  # the feature map follows

    # a click moves the keyboard controls to the clicked cell (and flips it) ...
    click_point(at, grid_chart_key(at), x=1, y=4, index=4 * 6 + 1)
    assert not at.exception
    assert (at.number_input(key="kn_cell_0_r").value, at.number_input(key="kn_cell_0_c").value) == (
        4,
        1,
    )
    assert at.session_state["kn_grid"][0, 4, 1] == -before[0, 4, 1]
    assert outlines(at, grid_chart_key(at)) == [(4, 1)]
    # ... so "Flip cell" now flips it back: the keyboard undoes the click
    at.button(key="kn_cell_0_go").click().run()
    assert np.array_equal(at.session_state["kn_grid"], expected)


def test_kernels_typed_values_show_on_the_clickable_grid_at_once():
    at = run(KERNELS)
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_in_"))
    at.session_state[key] = {"edited_rows": {1: {"2": 0.5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    shown = plot_array(chart(at, grid_chart_key(at))["data"][0]["marker"]["color"]).reshape(6, 6)
    assert shown[1, 2] == 0.5  # in the same run as the edit, not one run later


def test_kernels_two_channels_have_a_keyboard_path_each():
    at = run(KERNELS)
    at.toggle(key="kn_in_two").set_value(True).run()
    before = at.session_state["kn_grid"].copy()  # (2, 6, 6)
    labels = {n.key: n.label for n in at.number_input}
    assert labels["kn_cell_1_r"] == "row (channel 2)"
    at.number_input(key="kn_cell_1_c").set_value(5).run()
    at.button(key="kn_cell_1_go").click().run()
    after = at.session_state["kn_grid"]
    changed = np.argwhere(after != before)
    assert changed.tolist() == [[1, 0, 5]]  # channel 2 only, at (0, 5)


# --- Padding and Receptive field: row and column beside the clickable grid -------------------


def test_padding_output_cell_from_the_keyboard_and_by_click():
    at = run(PADDING)
    assert keyboard_captions(at)
    at.number_input(key="pd_cell_r").set_value(1)
    at.number_input(key="pd_cell_c").set_value(2).run()
    assert at.session_state["pd_cell"] == (1, 2)
    assert "footprint of output cell (1, 2)" in joined(at)
    key = f"pd_out_{at.session_state['pd_click']}"
    assert outlines(at, key) == [(1, 2)]
    click_point(at, key, x=0, y=2, index=2 * 3 + 0)  # the default output is 3×3
    assert not at.exception
    assert (at.number_input(key="pd_cell_r").value, at.number_input(key="pd_cell_c").value) == (
        2,
        0,
    )
    assert "footprint of output cell (2, 0)" in joined(at)
    assert at.number_input(key="pd_cell_r").max == 2  # the output's last row


def test_receptive_field_unit_from_the_keyboard_and_by_click():
    at = run(RECEPTIVE)
    at.selectbox(key="rf_pick_layer").set_value("1: conv 3×3").run()  # a 4×4 grid of units
    assert keyboard_captions(at)
    assert at.number_input(key="rf_unit_c").max == 3
    at.number_input(key="rf_unit_r").set_value(2)
    at.number_input(key="rf_unit_c").set_value(3).run()
    assert at.session_state["rf_unit"] == (2, 3)
    assert "**Receptive field of unit (2, 3)**" in joined(at)
    key = f"rf_units_{at.session_state['rf_version']}_1: conv 3×3"
    assert outlines(at, key) == [(2, 3)]
    click_point(at, key, x=0, y=1, index=1 * 4 + 0)
    assert not at.exception
    assert (at.number_input(key="rf_unit_r").value, at.number_input(key="rf_unit_c").value) == (
        1,
        0,
    )
    assert "**Receptive field of unit (1, 0)**" in joined(at)


# --- Bottleneck & cost: a select box of the bars (and of the table's rows) -------------------


@pytest.fixture(scope="module")
def bottleneck() -> AppTest:
    return run(BOTTLENECK)


def test_layer_bars_from_the_keyboard_and_by_click(bottleneck):
    at = open_tab(bottleneck, "bn", "Layer list")
    pick = at.selectbox(key="bn_ex_pick")
    assert pick.label == "Layer whose arithmetic to show" and pick.value == 0
    labels = chart(at, "bn_ex_chart_0")["data"][0]["x"]
    assert pick.options == labels  # one choice per bar, by the bar's label
    pick.set_value(2).run()
    md = joined(at)
    assert f"**Layer {labels[2].split('.')[0]} (" in md  # the detail a click on bar 3 shows
    key = f"bn_ex_chart_{at.session_state['bn_ex_version']}"
    assert key != "bn_ex_chart_0"  # a fresh chart: no stale selection left on it
    colours = chart(at, key)["data"][0]["marker"]["color"]
    assert [c == colours[2] for c in colours] == [n == 2 for n in range(len(colours))]
    click_point(at, key, x=labels[4], y=1.0, index=4)
    assert not at.exception
    assert at.selectbox(key="bn_ex_pick").value == 4  # the click moved the select box
    assert f"**Layer {labels[4].split('.')[0]} (" in joined(at)


def test_real_network_rows_from_the_keyboard_table_and_bars(bottleneck):
    at = open_tab(bottleneck, "bn", "Real networks")
    pick = at.selectbox(key="bn_md_pick")
    assert pick.label == "Row whose details to show" and pick.value == 0
    pick.set_value(5).run()
    name = at.selectbox(key="bn_md_pick").options[5].split(": ", 1)[1].rsplit(" (", 1)[0]
    assert f"**Row 5: `{name}`**" in joined(at)
    version = at.session_state["bn_md_version"]
    table = next(d for d in at.dataframe if d.proto.id.endswith(f"-bn_md_table_{version}"))
    assert json.loads(table.proto.selection_default)["selection"]["rows"] == [5]  # fresh, on it
    # a click on a table row moves the select box
    select(at, "dataframe", f"bn_md_table_{version}", {"rows": [7], "columns": [], "cells": []})
    assert not at.exception
    assert at.selectbox(key="bn_md_pick").value == 7
    assert "**Row 7: `" in joined(at)
    # a click on a bar (labelled by its row number) moves it too
    key = f"bn_md_chart_{at.session_state['bn_md_version']}"
    rows = chart(at, key)["data"][0]["x"]
    click_point(at, key, x=rows[3], y=1.0, index=3)
    assert not at.exception
    assert at.selectbox(key="bn_md_pick").value == int(rows[3])
    assert f"**Row {int(rows[3])}: `" in joined(at)


# --- Transfer learning: the confusion matrix's two class choices -----------------------------

CLASSES = ("cat", "dog", "owl")
TRUE = (0, 0, 0, 1, 1, 2, 2, 2, 2)  # validation labels
PRED = (0, 1, 1, 1, 2, 2, 2, 0, 1)  # predictions: the worst mix-up, cat as dog, is 2 images


def confusion_script() -> None:
    """The Confusion matrix tab alone, with a made-up trained model (no training)."""
    from types import SimpleNamespace

    import numpy as np
    import streamlit as st

    from tests.views.test_keyboard_paths import CLASSES, PRED, TRUE
    from views.transfer_learning import common, confusion

    if common.TRAINED_KEY not in st.session_state:
        images = np.random.default_rng(0).integers(0, 256, (len(TRUE), 8, 8, 3), dtype=np.uint8)
        result = SimpleNamespace(
            strategy="scratch",
            val_pred=np.array(PRED),
            val_accuracy=float(np.mean(np.array(TRUE) == np.array(PRED))),
        )
        st.session_state[common.TRAINED_KEY] = {
            "scratch": common.Trained(
                result, CLASSES, "fake", "none", 8, images, np.array(TRUE), False
            )
        }
    confusion.render()


def cell_count(true: str, pred: str) -> int:
    t, p = CLASSES.index(true), CLASSES.index(pred)
    return sum(a == t and b == p for a, b in zip(TRUE, PRED, strict=True))


def test_confusion_cell_from_the_keyboard_and_by_click():
    at = AppTest.from_function(confusion_script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert keyboard_captions(at)
    assert (at.selectbox(key="tl_cm_true").value, at.selectbox(key="tl_cm_pred").value) == (
        "cat",
        "dog",
    )  # the worst mix-up first
    assert outlines(at, "tl_cm_chart_0") == [(0, 1)]
    at.selectbox(key="tl_cm_true").set_value("owl")
    at.selectbox(key="tl_cm_pred").set_value("cat").run()
    assert f"{cell_count('owl', 'cat')} validation image(s): true owl, predicted cat" in image_captions(at)
    assert outlines(at, "tl_cm_chart_0") == [(2, 0)]  # the keyboard's cell, outlined
    click_point(at, "tl_cm_chart_0", x=2, y=1, index=1 * 3 + 2)  # true dog, predicted owl
    assert not at.exception
    assert (at.selectbox(key="tl_cm_true").value, at.selectbox(key="tl_cm_pred").value) == (
        "dog",
        "owl",
    )
    assert f"{cell_count('dog', 'owl')} validation image(s): true dog, predicted owl" in image_captions(at)
    assert outlines(at, "tl_cm_chart_1") == [(1, 2)]  # a fresh chart, the clicked cell outlined
