"""AppTest of views/padding.py and its tabs (views/padding/): sizes, footprints, padding modes,
stacks, transposed conv, lazy tabs, settings kept across page changes, Reset this page."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    button,
    chart,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    texts,
)

PAGE = "../../views/padding.py"
APP = "../../app.py"
TIMEOUT = 60
SIZE_TAB = "Output size & sliding"
MODES_TAB = "Padding modes"
STACK_TAB = "Shrinking, stride, dilation"
TRANS_TAB = "Transposed convolution"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def latex_starting(at: AppTest, prefix: str) -> list[str]:
    return [t for t in texts(at, "latex") if t.startswith(prefix)]


def test_defaults_formula_torch_check_and_footprint(at):
    assert not at.exception and not at.error
    formula = latex_starting(at, "H'")[0]
    assert r"\frac{5 + 2\cdot1 - 1\cdot(3-1) - 1}{2}" in formula and formula.endswith("= 3")
    md = joined(at)
    assert "Output **3×3** — checked against torch ✓ (`F.conv2d` gives 3×3" in md
    assert "**footprint of output cell (0, 0)**" in md and "5 of its 9 taps fall on padding" in md
    out = plot_array(chart(at, "pd_out_0")["data"][0]["marker"]["color"])
    np.testing.assert_array_equal(
        out.reshape(3, 3)[0], [16, 33, 19]
    )  # 1+2+6+7, 2+3+4+7+8+9, 4+5+9+1
    foot = chart(at, "pd_foot")
    assert plot_array(foot["data"][0]["z"]).shape == (7, 7)  # 5×5 padded by 1


def test_step_buttons_move_the_footprint(at):
    button(at, "step ▶").click().run()
    assert "**footprint of output cell (0, 1)**" in joined(at)
    assert "padded rows [0, 1, 2], columns [2, 3, 4]" in joined(at)  # stride 2
    button(at, "◀ step").click().run()
    button(at, "◀ step").click().run()  # wraps round to the last cell
    assert "**footprint of output cell (2, 2)**" in joined(at)


def test_rectangular_dilated_and_reflect(at):
    at.toggle(key="pd_axes").set_value(True).run()
    at.number_input(key="pd_nw").set_value(9)
    at.number_input(key="pd_dw").set_value(2)
    at.number_input(key="pd_sw").set_value(1)
    at.selectbox(key="pd_mode").set_value("reflect").run()
    assert not at.exception and not at.error
    w_formula = latex_starting(at, "W'")[0]
    assert r"\frac{9 + 2\cdot1 - 2\cdot(3-1) - 1}{1}" in w_formula and w_formula.endswith("= 7")
    assert "Output **3×7** — checked against torch ✓" in joined(at)
    assert "padded rows [0, 1, 2], columns [0, 2, 4]" in joined(at)  # dilated taps


def test_kernel_larger_than_padded_input_is_explained(at):
    at.number_input(key="pd_n").set_value(2)
    at.number_input(key="pd_p").set_value(0)
    at.number_input(key="pd_k").set_value(5).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1
    assert "the kernel spans 5 cells but the padded input is only 2 cells tall" in errors[0]
    assert any("PyTorch agrees: torch refuses" in c for c in texts(at, "caption"))
    assert latex_starting(at, "H'")[0].endswith("= -1")
    # The other tabs keep working.
    open_tab(at, "pd", TRANS_TAB)
    assert not at.exception and not at.error
    assert "Result 3×3: [0, 0, 1], [0, 4, 6], [4, 12, 9]" in joined(at)


def test_reflect_padding_as_large_as_the_input_is_explained(at):
    at.number_input(key="pd_n").set_value(2)
    at.number_input(key="pd_k").set_value(2)
    at.number_input(key="pd_p").set_value(2)
    at.selectbox(key="pd_mode").set_value("reflect").run()
    assert not at.exception
    assert any("reflect padding must be smaller than the input" in e for e in texts(at, "error"))


def test_padding_modes_on_the_grid(at):
    open_tab(at, "pd", MODES_TAB)
    np.testing.assert_array_equal(
        plot_array(chart(at, "pd_mode_reflect")["data"][0]["z"])[0], [11, 10, 9, 10, 11, 12, 11, 10]
    )
    np.testing.assert_array_equal(
        plot_array(chart(at, "pd_mode_replicate")["data"][0]["z"])[0], [1, 1, 1, 2, 3, 4, 4, 4]
    )
    np.testing.assert_array_equal(
        plot_array(chart(at, "pd_mode_circular")["data"][0]["z"])[0], [11, 12, 9, 10, 11, 12, 9, 10]
    )
    assert not plot_array(chart(at, "pd_mode_zeros")["data"][0]["z"])[0].any()
    at.slider(key="pd_mpad").set_value(4).run()
    warnings = texts(at, "warning")
    assert any(
        w.startswith('reflect ("mirroring"): reflect padding must be smaller') for w in warnings
    )
    assert chart(at, "pd_mode_circular")  # the other modes still draw
    assert len(at.image) == 4  # the photo corners


def test_deep_stack_runs_out_of_pixels(at):
    open_tab(at, "pd", STACK_TAB)
    assert latex_starting(at, "n_L")[0] == r"n_L = n - L(f-1) = 32 - 10\cdot(5-1) = -8\ \le 0"
    assert any("no pixels left after layer 8" in w for w in texts(at, "warning"))
    stack = chart(at, "pd_stack")["data"]
    assert list(plot_array(stack[0]["y"])) == [32, 28, 24, 20, 16, 12, 8, 4, 0]
    assert set(plot_array(stack[1]["y"])) == {32}
    at.slider(key="pd_sl").set_value(3).run()
    assert not any("no pixels left" in w for w in texts(at, "warning"))
    md = joined(at)
    assert "**25,600** multiplications; stride 2 computes 16² positions, **6,400**" in md
    assert "| 2 ← | 9×9 | 25 |" in md


def test_transposed_steps_stride_and_bad_padding(at):
    open_tab(at, "pd", TRANS_TAB)
    at.slider(key="pd_tstep").set_value(2).run()
    partial = plot_array(chart(at, "pd_tout")["data"][0]["z"])
    np.testing.assert_array_equal(partial, [[0, 0, 1], [0, 2, 3], [0, 0, 0]])
    at.number_input(key="pd_ts").set_value(2).run()
    assert latex_starting(at, "H' = (n-1)s")[0].endswith("= 4")
    assert "Result 4×4: [0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]" in joined(at)
    assert "checked against torch ✓ (`F.conv_transpose2d`)" in joined(at)
    at.number_input(key="pd_ts").set_value(1)
    at.number_input(key="pd_tp").set_value(2).run()
    assert not at.exception
    assert any("crops more than" in e for e in texts(at, "error"))


def test_matrix_view_stride_1_and_2(at):
    open_tab(at, "pd", TRANS_TAB)
    md = joined(at)
    assert r"a'z + b'y + c'x" in md
    assert at.success and "Wᵀ is itself a convolution" in at.success[0].value
    assert "Wᵀa' = (1, 4, 6, 8, 5, -4) — checked against torch ✓" in md
    at.radio(key="pd_mx").set_value("1D, K = 3, stride 2, padding 1").run()
    latex = [t for t in texts(at, "latex") if t.startswith(r"\mathbf{W}^\top")][0]
    assert latex.endswith(r"\begin{bmatrix}a'x\\a'y\\a'z + b'x\\b'y\\b'z\\0\end{bmatrix}")
    assert not at.success and "no longer a convolution" in at.info[0].value
    assert "— checked against torch ✓" in joined(at)


def test_animation_on_request(at):
    with pytest.raises(KeyError):
        chart(at, "pd_animation")
    at.number_input(key="pd_d").set_value(2)
    at.toggle(key="pd_anim").set_value(True).run()
    fig = chart(at, "pd_animation")
    assert len(fig["frames"]) == 4  # (5 + 2 - 4 - 1) // 2 + 1 = 2, so 2×2 output cells
    from cnnplay.plots.style import WINDOW_COLOUR

    shapes = fig["frames"][0]["layout"]["shapes"]
    boxes = [s for s in shapes if s["line"].get("color") == WINDOW_COLOUR]
    assert len(boxes) == 9  # dilated: one box per tap
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["duration"] == 500


def test_a_hidden_tab_does_no_work(at):
    """Only the open tab runs: no other tab's chart, widget or text is built."""
    for key in ("pd_mode_zeros", "pd_stack", "pd_dil", "pd_tout"):
        with pytest.raises(KeyError):
            chart(at, key)
    assert not at.image and not at.data_editor  # the photo corners, the 4×4 grid, X and K
    assert not any(s.key == "pd_sl" for s in at.slider)
    open_tab(at, "pd", STACK_TAB)
    assert chart(at, "pd_stack")
    assert "**footprint of output cell" not in joined(at)
    with pytest.raises(KeyError):
        chart(at, "pd_foot")


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/padding.py").run()
    at.number_input(key="pd_s").set_value(1).run()
    button(at, "step ▶").click().run()
    open_tab(at, "pd", STACK_TAB)
    at.slider(key="pd_sl").set_value(3).run()
    leave_and_return(at, "views/padding.py")
    assert at.slider(key="pd_sl").value == 3  # the Shrinking tab is open again
    assert latex_starting(at, "n_L")[0] == r"n_L = n - L(f-1) = 32 - 3\cdot(5-1) = 20"
    open_tab(at, "pd", SIZE_TAB)
    assert at.number_input(key="pd_s").value == 1
    assert latex_starting(at, "H'")[0].endswith("= 5")  # (5 + 2 - 2 - 1) / 1 + 1
    assert "**footprint of output cell (0, 1)**" in joined(at)  # the selected cell, too


def test_reset_restores_the_defaults(at):
    at.number_input(key="pd_n").set_value(8)
    at.selectbox(key="pd_mode").set_value("circular").run()
    button(at, "step ▶").click().run()
    open_tab(at, "pd", TRANS_TAB)
    at.number_input(key="pd_ts").set_value(2).run()
    at.sidebar.button(key="pd_reset").click().run()
    assert not at.exception and not at.error
    assert at.session_state["pd_tab_open"] == SIZE_TAB  # back on the first tab
    assert at.number_input(key="pd_n").value == 5
    assert at.selectbox(key="pd_mode").value == "zeros"
    assert "Output **3×3** — checked against torch ✓" in joined(at)
    assert "**footprint of output cell (0, 0)**" in joined(at)
    open_tab(at, "pd", TRANS_TAB)
    assert at.number_input(key="pd_ts").value == 1
    assert "Result 3×3: [0, 0, 1], [0, 4, 6], [4, 12, 9]" in joined(at)


def test_a_1x1_output_is_drawn_readably(at):
    """A 1×1 output gets a readable cell and a figure wide enough for its title (it was drawn
    as a sliver, the title cut)."""
    from cnnplay.plots.grids import MIN_PLOT_PX, TITLE_CHAR_PX

    at.number_input(key="pd_n").set_value(3)
    at.number_input(key="pd_p").set_value(0).run()  # 3×3 input, 3×3 kernel, no padding: 1×1
    assert not at.exception and not at.error
    assert "Output **1×1**" in joined(at)
    fig = chart(at, "pd_out_0")
    layout, marker = fig["layout"], fig["data"][0]["marker"]
    title = layout["title"]["text"]
    assert layout["width"] >= TITLE_CHAR_PX * len(title)  # room for the whole title
    plot_w = layout["width"] - layout["margin"]["l"] - layout["margin"]["r"]
    assert plot_w == MIN_PLOT_PX and marker["size"] == MIN_PLOT_PX - 3  # one big square cell


SEED001_TAB = "Worked example: 6×6 with zero padding"


def test_seed001_zero_padded_vertical_edges(at):
    """Seed 001's example, with torch's values, and the two cells where the slide differs."""
    import torch
    import torch.nn.functional as F

    from cnnplay.grids import SEED001_IMAGE
    from cnnplay.kernels import VERTICAL_EDGE_3

    open_tab(at, "pd", SEED001_TAB)
    assert not at.exception and not at.error
    formula = latex_starting(at, "W = ")[0]
    assert r"\qquad n' = n + 2p - k + 1 = 6 + 2\cdot 1 - 3 + 1 = 6" in formula  # n' spaced
    x = torch.from_numpy(SEED001_IMAGE)[None, None]  # (1, 1, 6, 6)
    w = torch.from_numpy(VERTICAL_EDGE_3)[None, None]  # (1, 1, 3, 3)
    expected = F.conv2d(x, w, padding=1)[0, 0].numpy()  # (6, 6)
    shown = plot_array(chart(at, "pd_s1_out")["data"][0]["z"])
    np.testing.assert_array_equal(shown, expected)
    table = next(d.value for d in at.dataframe)
    np.testing.assert_array_equal(table.to_numpy(), expected)
    assert plot_array(chart(at, "pd_s1_in")["data"][0]["z"]).shape == (8, 8)
    md = joined(at)
    assert "6 + 2\\cdot 1 - 3 + 1 = 6" in md
    assert "checked against torch's `F.conv2d` (`padding=1`): ✓" in md
    warning = texts(at, "warning")[0]
    assert "differs from this one in 2 cells" in warning
    assert (
        "row 3, column 0 (counting from 0): the slide prints **11**, the correct value is **-11**"
        in warning
    )
    assert (
        "row 4, column 4 (counting from 0): the slide prints **10**, the correct value is **11**"
        in warning
    )
    # the default cell is the first misprint, spelled out: zeros of the padding on the left
    assert (
        "**Output (3, 0)** = 0·1 + 0·0 + 6·(-1) + 0·1 + 2·0 + 0·(-1) + 0·1 + 5·0 + 5·(-1) = **-11**"
        in md
    )

    at.number_input(key="pd_s1_i").set_value(4)
    at.number_input(key="pd_s1_j").set_value(4).run()
    md = joined(at)
    assert not at.exception
    sum_44 = "9·1 + 4·0 + 0·(-1) + 6·1 + 7·0 + 6·(-1) + 7·1 + 1·0 + 5·(-1)"
    assert f"**Output (4, 4)** = {sum_44} = **11**" in md
