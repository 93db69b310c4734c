"""AppTest of views/pooling.py: the notes' examples in every tab, changed controls, bad
settings and a bad upload; the Backprop tab following the grid edited in "Pool a grid";
settings that survive leaving the page, "Reset this page", and hidden tabs that do no work.
Nothing here depends on which of several tied maxima torch's kernel remembers."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.ops.pool import (
    SEED002_UNPOOL,
    max_pool_grad_autograd,
    max_pool_grad_rule,
    pool2d_naive,
    seed000_feature_maps,
)
from tests.views.apptest_utils import (
    chart,
    forbid,
    image_captions,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    texts,
)

PAGE = "../../views/pooling.py"
APP = "../../app.py"
TIMEOUT = 60
SEED002_UNPOOL_SOURCE = "Seed 002: 4×4 with remembered maxima"
GRID, PHOTO, UNDO, BACKPROP = "Pool a grid", "Photo", "Undo pooling", "Backprop"
INVARIANCE, SAVING = "Invariance", "Saving work"
DISTINCT = "1, 2, 3, … (one number per output cell)"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "pl", label)


def has_chart(at: AppTest, key: str) -> bool:
    try:
        chart(at, key)
    except KeyError:
        return False
    return True


def tied_windows(plane: np.ndarray, size: int, stride: int) -> int:
    """How many size×size windows (stride ``stride``) of ``plane`` hold more than one max."""
    _, idx = pool2d_naive(plane, size, stride, return_indices=True)
    ho, wo = idx.shape
    windows = [
        plane[i * stride : i * stride + size, j * stride : j * stride + size]
        for i in range(ho)
        for j in range(wo)
    ]
    return sum(int(np.sum(w == w.max())) > 1 for w in windows)


def output_of(at: AppTest, channel: int) -> np.ndarray:
    """Values of the clickable pooled map of one channel, as an (H', W') grid."""
    key = f"pl_out_{at.session_state['pl_version']}_{channel}"
    trace = chart(at, key)["data"][0]
    x, y = plot_array(trace["x"]).astype(int), plot_array(trace["y"]).astype(int)
    grid = np.zeros((y.max() + 1, x.max() + 1))
    grid[y, x] = plot_array(trace["marker"]["color"])
    return grid


def test_default_reproduces_seed000_max_pool(at):
    assert not at.exception and not at.error
    np.testing.assert_allclose(output_of(at, 0), [[17.5, 1.9, -2], [1.9, -2, 9.7], [-2, 9.7, 7.7]])
    np.testing.assert_allclose(output_of(at, 1), [[7.8, 5.8, 0], [5.8, 5.8, 7.8], [0, 7.8, 17.5]])
    md = joined(at)
    assert r"\left\lfloor \frac{6 - 2}{2} \right\rfloor + 1 = 3" in md
    assert "**6×6 = 36 values → 3×3 = 9** (75% fewer)" in md
    assert "**Window of output cell (0, 0)** (channel 1)" in md
    assert "The max **17.5** is won by input cell **(1, 1)**" in md


def test_seed002_pool_and_average(at):
    shown = at.selectbox(key="pl_source").options  # the names students read
    assert "4×4, max pool → [[6, 8], [3, 4]] (from the NTHU CNN slides)" in shown
    assert not [o for o in shown if "seed" in o.lower()]
    at.selectbox(key="pl_source").set_value("Seed 002: 4×4, max pool → [[6, 8], [3, 4]]").run()
    np.testing.assert_array_equal(output_of(at, 0), [[6, 8], [3, 4]])
    at.radio(key="pl_mode").set_value("avg").run()
    np.testing.assert_array_equal(output_of(at, 0), [[3.25, 5.25], [2, 2]])
    assert "Their mean: 13 / 4 = **3.25**." in joined(at)


def test_overlapping_windows_and_ties(at):
    at.selectbox(key="pl_source").set_value(SEED002_UNPOOL_SOURCE)
    at.number_input(key="pl_stride").set_value(1).run()
    assert not at.error
    assert "= 3" in next(t for t in texts(at, "latex") if t.startswith("H'"))
    assert "The windows **overlap**" in joined(at)
    np.testing.assert_array_equal(output_of(at, 0), [[5, 6, 6], [5, 5, 2], [7, 4, 8]])
    # the Backprop tab pools the same grid: cell (1, 1) holds 5 and wins three windows
    tab(at, BACKPROP)
    grad = plot_array(chart(at, "pl_bp_auto")["data"][0]["z"])
    assert grad[1, 1] == 3 and grad.sum() == 9
    # window (1, 2) ties (2 at cells (1, 2) and (2, 2)): the rule takes the first, autograd
    # whichever torch's kernel remembered (the first on the CPUs seen so far); the page must
    # report what the two really give
    _, idx = pool2d_naive(SEED002_UNPOOL, 2, 1, return_indices=True)
    rule = max_pool_grad_rule(idx, np.ones(idx.shape), SEED002_UNPOOL.shape)
    auto = max_pool_grad_autograd(SEED002_UNPOOL, 2, 1, np.ones(idx.shape))
    np.testing.assert_array_equal(grad, auto)
    verdict = "agree" if np.array_equal(rule, auto) else "differ"
    assert f"Autograd and the rule **{verdict}**" in joined(at)
    assert "1 window(s) have tied maxima" in joined(at)
    assert "torch documents no order for ties" in joined(at)
    tab(at, GRID)
    at.session_state["pl_sel"] = (0, 0, 2)  # window rows 0-1, columns 2-3: 6, 3, 2, 1
    at.run()
    assert "The max **6** is won by input cell **(0, 2)**." in joined(at)
    at.selectbox(key="pl_source").set_value("Random 8×8 digits (ties!)")
    at.session_state["pl_sel"] = (0, 1, 2)  # rows 1-2, columns 2-3: 3, 5, 3, 5
    at.run()
    assert (
        "The max **5** is won by input cell **(1, 3)**; 2 cells tie: this page's rule picks the "
        "first in row-major order; torch documents no order for ties, so on a tied window its "
        "choice may differ."
    ) in joined(at)
    assert "as in torch" not in joined(at)


def test_window_larger_than_input_gets_a_message(at):
    at.selectbox(key="pl_source").set_value(SEED002_UNPOOL_SOURCE)
    at.number_input(key="pl_size").set_value(5).run()
    assert not at.exception
    errors = texts(at, "error")
    assert any("A 5×5 window with stride 2 cannot pool this 4×4 input" in e for e in errors)
    assert any("larger than the input (4 cells). Choose a smaller window." in e for e in errors)
    # the other tabs keep working
    tab(at, BACKPROP)
    assert "Choose a window that fits the grid" in texts(at, "info")[0]
    tab(at, INVARIANCE)
    assert "Raw feature map: **8 of 8** values changed (100%)" in joined(at)
    tab(at, PHOTO)
    assert "max pooling 5×5, stride 2 → 224×148" in image_captions(at)  # the photo is big enough
    assert not at.exception and not at.error


def test_stride_zero_gets_a_message(at):
    at.number_input(key="pl_stride").set_value(0).run()
    assert not at.exception
    errors = texts(at, "error")
    assert any("must be at least 1" in e and "Choose a stride of at least 1." in e for e in errors)
    tab(at, PHOTO)
    assert any("Choose a stride of at least 1." in e for e in texts(at, "error"))
    assert not at.image


def test_global_average_pooling(at):
    at.radio(key="pl_mode").set_value("global").run()
    assert not at.exception and not at.error
    md = joined(at)
    assert "**72 values → 2**" in md
    means = [t for t in texts(at, "latex") if t.startswith(r"\text{GAP}")]
    assert len(means) == 2
    assert any("{36}" in m for m in means)
    tab(at, PHOTO)
    assert "global average pooling → 1×1" in image_captions(at)
    md = joined(at)
    assert "max pooling keeps bright details" not in md  # not true of GAP
    assert "one number per channel" in md and "(R, G, B = " in md
    tab(at, BACKPROP)
    assert "Choose a window that fits the grid" in texts(at, "info")[0]


def test_clicking_an_output_cell_selects_its_window(at):
    at.session_state["pl_sel"] = (1, 2, 2)
    at.run()
    md = joined(at)
    assert "**Window of output cell (2, 2)** (channel 2): rows 4–5, columns 4–5" in md
    assert "The max **17.5** is won by input cell **(4, 4)**" in md


def test_photo_pooled_with_torch(at):
    tab(at, PHOTO)
    captions = image_captions(at)
    assert "input, 451×300" in captions
    assert "max pooling 2×2, stride 2 → 225×150" in captions
    assert "max pooling keeps bright details" in joined(at)
    at.number_input(key="pl_size").set_value(4)
    at.number_input(key="pl_stride").set_value(4).run()
    assert "max pooling 4×4, stride 4 → 112×75" in image_captions(at)
    at.radio(key="pl_mode").set_value("avg").run()
    assert "average pooling 4×4, stride 4 → 112×75" in image_captions(at)
    assert "average pooling blurs fine details" in joined(at)
    assert "max pooling keeps bright details" not in joined(at)
    assert "**135,300 → 8,400 pixels** per channel" in joined(at)


def test_photo_bad_upload_keeps_the_sample(at):
    tab(at, PHOTO)
    at.radio(key="pl_ph_source").set_value("Upload").run()
    assert "No file yet: showing the sample photo." in texts(at, "caption")
    at.file_uploader(key="pl_ph_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0]
    assert "max pooling 2×2, stride 2 → 225×150" in image_captions(at)  # the sample, pooled


def test_unpooling_reproduces_seed002(at):
    tab(at, UNDO)
    assert "Remembered positions of the maxima: **(1, 1), (0, 2), (3, 0), (3, 3)**" in joined(at)
    unpooled = plot_array(chart(at, "pl_un_max")["data"][0]["z"])
    np.testing.assert_array_equal(
        unpooled, [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]
    )
    nearest = plot_array(chart(at, "pl_un_nn")["data"][0]["z"])
    np.testing.assert_array_equal(nearest[:, 0], [1, 1, 3, 3])
    nails = plot_array(chart(at, "pl_un_nails")["data"][0]["z"])
    np.testing.assert_array_equal(nails, [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])


def test_unpooling_edited_values(at):
    # what the editors keep in session state (ui.inputs.matrix_editor), as after typing
    at.session_state["pl_un_x_kept"] = np.arange(16.0).reshape(4, 4)  # maxima: bottom-right
    at.session_state["pl_un_y_kept"] = np.array([[10.0, 20], [30, 40]])
    tab(at, UNDO)
    assert not at.exception
    assert "Remembered positions of the maxima: **(1, 1), (1, 3), (3, 1), (3, 3)**" in joined(at)
    assert "torch's flattened indices 5, 7, 13, 15" in joined(at)
    unpooled = plot_array(chart(at, "pl_un_max")["data"][0]["z"])
    np.testing.assert_array_equal(
        unpooled, [[0, 0, 0, 0], [0, 10, 0, 20], [0, 0, 0, 0], [0, 30, 0, 40]]
    )
    nearest = plot_array(chart(at, "pl_un_nn")["data"][0]["z"])
    np.testing.assert_array_equal(nearest[0], [10, 10, 20, 20])


def test_backprop_with_distinct_upstream(at):
    tab(at, BACKPROP)
    plane = seed000_feature_maps()[0]  # the default input's channel 1, 2×2 windows, stride 2
    ones = plot_array(chart(at, "pl_bp_auto")["data"][0]["z"])
    assert ones.sum() == 9 and np.count_nonzero(ones) == 9  # 9 windows, 9 distinct winners
    assert f"{tied_windows(plane, 2, 2)} window(s) have tied maxima" in joined(at)
    at.radio(key="pl_upstream").set_value(DISTINCT).run()
    rule = plot_array(chart(at, "pl_bp_rule")["data"][0]["z"])
    auto = plot_array(chart(at, "pl_bp_auto")["data"][0]["z"])
    upstream = np.arange(1.0, 10).reshape(3, 3)
    _, idx = pool2d_naive(plane, 2, return_indices=True)
    np.testing.assert_array_equal(rule, max_pool_grad_rule(idx, upstream, plane.shape))
    np.testing.assert_array_equal(auto, max_pool_grad_autograd(plane, 2, None, upstream))
    # window (1, 1) is four tied -2s: the rule sends its 5 to the first, autograd to the cell
    # torch's kernel remembered (not documented); every other window has one winner
    tied = np.zeros(plane.shape, bool)
    tied[2:4, 2:4] = True
    np.testing.assert_array_equal(rule[~tied], auto[~tied])
    assert rule[2, 2] == 5 and np.count_nonzero(auto[tied]) == 1 and auto[tied].sum() == 5
    assert auto[1, 1] == 1 and auto.sum() == 45  # 1 + 2 + … + 9
    assert "**27 of 36** input cells get no gradient" in joined(at)


def test_backprop_follows_the_grid_tab(at):
    # channel 2 selected and a cell typed in the grid tab's editor: the Backprop tab uses both
    source = "Seed 000: the + and X feature maps (2 channels)"
    edited = seed000_feature_maps()[1].copy()
    edited[0, 0] = 50.0
    at.session_state[f"pl_ed_{source}_1_kept"] = edited
    at.session_state["pl_sel"] = (1, 0, 0)
    at.run()
    assert "The max **50** is won by input cell **(0, 0)**" in joined(at)
    tab(at, BACKPROP)
    shown = plot_array(chart(at, "pl_bp_x")["data"][0]["z"])
    np.testing.assert_array_equal(shown, edited)
    at.radio(key="pl_mode").set_value("avg").run()
    assert "1/4 of each output's gradient" in joined(at)
    at.number_input(key="pl_stride").set_value(1).run()  # overlapping windows: 5×5 outputs
    assert plot_array(chart(at, "pl_bp_up")["data"][0]["z"]).shape == (5, 5)
    assert not at.exception and not at.error


def test_invariance_counts(at):
    tab(at, INVARIANCE)
    md = joined(at)
    assert "Raw feature map: **8 of 8** values changed (100%)" in md
    assert "Max-pooled map: **2 of 6** values changed (33%): only partly invariant." in md
    at.selectbox(key="pl_inv_src").set_value("9×9 + through the + kernel")
    at.number_input(key="pl_inv_k").set_value(2).run()
    assert not at.error
    changed = [line for line in joined(at).splitlines() if "values changed" in line]
    raw, pooled = (int(line.split("**")[1].split(" of ")[0]) for line in changed[:2])
    assert raw > 0 and pooled >= 0


def test_equivariance_is_checked_on_screen(at):
    """f(g(x)) = g(f(x)): the map of the shifted input equals the shifted map (seed 002)."""
    from cnnplay.grids import PLUS_3, plus_image, shift
    from cnnplay.ops.conv import conv2d_naive

    tab(at, INVARIANCE)
    assert not at.exception and not at.error
    md = joined(at)
    assert r"f\big(g(x)\big) = g\big(f(x)\big)" in md
    assert "**equal: yes** (all 81 cells)" in md
    fgx = plot_array(chart(at, "pl_eq_fgx")["data"][0]["z"])
    gfx = plot_array(chart(at, "pl_eq_gfx")["data"][0]["z"])
    np.testing.assert_array_equal(fgx, gfx)
    moved = shift(plus_image(9), 1, 1, -1.0)  # the default g: one down, one right
    np.testing.assert_allclose(fgx, conv2d_naive(np.pad(moved, 1, constant_values=-1), PLUS_3))
    assert "almost every value changes" in md and "(approximately) **invariant**" in md

    at.number_input(key="pl_eq_dx").set_value(3).run()  # the + leaves the frame
    md = joined(at)
    assert "**equal: no**" in md and "pushes part of the input out of the frame" in md
    at.number_input(key="pl_eq_dx").set_value(-1)
    at.selectbox(key="pl_eq_src").set_value("9×9 X").run()
    assert "**equal: yes**" in joined(at) and not at.exception


def test_invariance_window_too_large(at):
    tab(at, INVARIANCE)
    at.number_input(key="pl_inv_k").set_value(8)
    at.number_input(key="pl_inv_dx").set_value(2).run()
    assert "Max-pooled map: **" in joined(at)  # 1×8 fits the 8-long row
    at.selectbox(key="pl_inv_src").set_value("9×9 + through the + kernel").run()
    errors = texts(at, "error")
    assert any(
        "does not fit the feature map" in e and "larger than the input (7 cells)" in e
        for e in errors
    )


def savings_table(at: AppTest):
    return next(d.value for d in at.dataframe if "layer" in d.value.columns)


def test_savings_table(at):
    tab(at, SAVING)
    table = savings_table(at)
    assert list(table["map with pooling"]) == [
        "64×64",
        "64×64",
        "32×32",
        "32×32",
        "16×16",
        "16×16",
        "8×8",
    ]
    latex = next(t for t in texts(at, "latex") if t.startswith(r"\text{sides"))
    assert r"64 \to 32 \to 16 \to 8" in latex
    at.number_input(key="pl_sv_side").set_value(32).run()
    assert list(savings_table(at)["map with pooling"])[-1] == "4×4"
    at.number_input(key="pl_sv_side").set_value(64)
    at.number_input(key="pl_sv_pool").set_value(4).run()
    assert list(savings_table(at)["map with pooling"])[2::2] == ["16×16", "4×4", "1×1"]
    latex = next(t for t in texts(at, "latex") if t.startswith(r"\text{sides"))
    assert r"64 \to 16 \to 4 \to 1" in latex


def test_animation_is_built_only_on_request(at):
    with pytest.raises(KeyError):
        chart(at, "pl_animation")
    at.toggle(key="pl_animate").set_value(True).run()
    fig = chart(at, "pl_animation")
    assert len(fig["frames"]) == 9  # one per output cell of the 3×3 map
    winner_boxes = [s for s in fig["frames"][0]["layout"]["shapes"] if s["line"]["width"] == 3]
    assert winner_boxes and winner_boxes[0]["x0"] == 0.5 and winner_boxes[0]["y0"] == 0.5


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/pooling.py").run()
    at.radio(key="pl_mode").set_value("avg").run()
    at.number_input(key="pl_size").set_value(3).run()
    at.number_input(key="pl_stride").set_value(3).run()
    tab(at, GRID)
    at.toggle(key="pl_animate").set_value(True).run()
    tab(at, INVARIANCE)
    at.number_input(key="pl_inv_k").set_value(2).run()
    assert not at.exception
    leave_and_return(at, "views/pooling.py")
    assert at.radio(key="pl_mode").value == "avg"
    assert at.number_input(key="pl_size").value == 3
    assert at.number_input(key="pl_inv_k").value == 2  # back in the tab the student left
    tab(at, GRID)
    assert at.toggle(key="pl_animate").value is True
    assert "**6×6 = 36 values → 2×2 = 4** (89% fewer)" in joined(at)


def test_reset_this_page_restores_the_defaults(at):
    at.number_input(key="pl_size").set_value(3).run()
    at.radio(key="pl_mode").set_value("avg").run()
    tab(at, SAVING)
    at.number_input(key="pl_sv_side").set_value(32).run()
    at.sidebar.button(key="pl_reset").click().run()
    assert not at.exception
    assert at.number_input(key="pl_size").value == 2
    assert at.radio(key="pl_mode").value == "max"
    assert "**6×6 = 36 values → 3×3 = 9** (75% fewer)" in joined(at)  # the first tab again
    tab(at, SAVING)
    assert at.number_input(key="pl_sv_side").value == 64
    assert list(savings_table(at)["map with pooling"])[-1] == "8×8"


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.pooling import backprop, invariance, photo, saving_work, undo_pooling

    forbid(
        monkeypatch,
        [
            (photo, "pool_image"),
            (undo_pooling, "max_unpool2d"),
            (backprop, "max_pool_grad_autograd"),
            (invariance, "translation_effect"),
            (invariance, "equivariance_check"),
            (saving_work, "pooling_savings"),
        ],
    )
    at.number_input(key="pl_size").set_value(3).run()  # a shared setting: the page reruns
    at.radio(key="pl_mode").set_value("avg").run()
    assert not at.exception
    assert has_chart(at, "pl_in_0")  # the open tab, "Pool a grid"
    for key in ("pl_un_max", "pl_bp_auto", "pl_inv_0"):
        assert not has_chart(at, key)
    assert not at.image  # no photo
    assert not any("layer" in d.value.columns for d in at.dataframe)  # no savings table
    for key in ("pl_upstream", "pl_inv_dx", "pl_sv_side"):
        assert key not in [w.key for w in [*at.radio, *at.number_input]]
