"""AppTest of the Pooling page's "Across filters" tab (views/pooling/cross_filter.py): the default
bank and input, the maps and the response-vs-rotation chart checked against torch and the
package's loops, the flatness of the max curve against a single filter's swing (read from the
chart's data), changed widgets (kernel, K, angle, read position, photo), a photo too small to
use, settings that survive leaving the page and "Reset this page", and a hidden tab that does no
work."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from cnnplay.ops.cross_filter import (
    BASE_KERNELS,
    PATTERN_BACKGROUND,
    PATTERNS,
    cross_filter_max_naive,
    filter_responses_naive,
    rotate_grid,
    rotated_bank,
)
from tests.views.apptest_utils import (
    chart,
    forbid,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    png_bytes,
    texts,
)

PAGE = "../../views/pooling.py"
APP = "../../app.py"
TIMEOUT = 60
TAB = "Across filters"
CHARTS = ("pl_xf_in", "pl_xf_max", "pl_xf_win", "pl_xf_bank", "pl_xf_maps", "pl_xf_chart")


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    return open_tab(at, "pl", TAB)


def curves(at: AppTest) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The chart's lines: name -> (angles, responses)."""
    return {
        t["name"]: (plot_array(t["x"]), plot_array(t["y"]))
        for t in chart(at, "pl_xf_chart")["data"]
        if t["mode"] == "lines"
    }


def relative_swing(y: np.ndarray) -> float:
    """How much a curve varies, as a share of its peak."""
    return float((y.max() - y.min()) / y.max())


def heatmap(at: AppTest, key: str, n: int = 0) -> np.ndarray:
    return plot_array(chart(at, key)["data"][n]["z"])


def torch_pooled(x: np.ndarray, bank: np.ndarray, fill: float) -> np.ndarray:
    """Independent reference: amax over the channel dim of F.conv2d (float64)."""
    k = bank.shape[-1]
    xt = F.pad(torch.tensor(x)[None, None], (k // 2,) * 4, value=fill)
    return torch.amax(F.conv2d(xt, torch.tensor(bank)[:, None]), dim=1)[0].numpy()


def bank_of(kernel: str, size: int, count: int) -> np.ndarray:
    base = BASE_KERNELS[kernel]
    return rotated_bank(base.build(size), count, base.period)[0]


def test_default_view(at):
    assert not at.exception and not at.error
    for key in CHARTS:
        chart(at, key)  # raises when a figure is missing
    latex = " ".join(texts(at, "latex"))
    assert r"y_{i,j} = \max_{k = 0, \dots, K-1} \,(w_k * x)_{i,j}" in latex
    assert "maxout" in joined(at) and "Goodfellow et al. 2013" in joined(at)
    assert at.slider(key="pl_xf_angle").value == 30
    assert at.select_slider(key="pl_xf_count").value == 4
    # the input, turned by 30° (bilinear, background -1), and the pooled map vs torch
    x = rotate_grid(PATTERNS["Bar"](), 30, PATTERN_BACKGROUND)
    np.testing.assert_allclose(heatmap(at, "pl_xf_in"), x)
    bank = bank_of("Bar (line) detector", 7, 4)
    np.testing.assert_allclose(heatmap(at, "pl_xf_max"), torch_pooled(x, bank, -1.0), atol=1e-9)
    # the bank: one heatmap per filter, each copy the base turned (quarter turns exact)
    shown = np.stack([plot_array(t["z"]) for t in chart(at, "pl_xf_bank")["data"]])
    np.testing.assert_allclose(shown[2], np.rot90(shown[0]), atol=1e-12)
    np.testing.assert_allclose(shown, bank)
    ticks = chart(at, "pl_xf_win")["data"][0]["colorbar"]["ticktext"]
    assert ticks == ["filter 0: 0°", "filter 1: 45°", "filter 2: 90°", "filter 3: 135°"]


def test_the_max_curve_is_flat_where_one_filter_swings(at):
    lines = curves(at)
    assert list(lines) == [*(f"filter {k}: {45 * k}°" for k in range(4)), "max across filters"]
    angles, pooled = lines["max across filters"]
    np.testing.assert_array_equal(angles, np.arange(0, 361, 5))
    singles = np.stack([lines[f"filter {k}: {45 * k}°"][1] for k in range(4)], axis=1)
    # read anywhere, the max across filters is the upper envelope of the four curves
    np.testing.assert_allclose(pooled, singles.max(axis=1), rtol=1e-6)
    # each filter's response at a few angles, from the loops (the chart uses torch)
    for a in (0, 25, 130):
        turned = rotate_grid(PATTERNS["Bar"](), a, PATTERN_BACKGROUND)
        r = filter_responses_naive(turned, bank_of("Bar (line) detector", 7, 4), -1.0)
        np.testing.assert_allclose(singles[a // 5], r.max(axis=(1, 2)), rtol=1e-5, atol=1e-4)
    single = min(relative_swing(singles[:, k]) for k in range(4))
    assert relative_swing(pooled) < 0.5 * single
    md = joined(at)
    assert f"swings from **{singles[:, 0].min():.2f} to {singles[:, 0].max():.2f}**" in md
    assert f"stays between **{pooled.min():.2f} and {pooled.max():.2f}**" in md
    assert "nearly flat, where each single filter rises and falls" in md


def test_turning_the_input_moves_the_winner(at):
    at.slider(key="pl_xf_angle").set_value(90).run()
    assert not at.exception
    assert chart(at, "pl_xf_in")["layout"]["title"]["text"] == "input x, turned by 90°"
    x = rotate_grid(PATTERNS["Bar"](), 90, PATTERN_BACKGROUND)
    bank = bank_of("Bar (line) detector", 7, 4)
    pooled, winner = cross_filter_max_naive(filter_responses_naive(x, bank, -1.0))
    ref = torch_pooled(x, bank, -1.0)
    np.testing.assert_allclose(heatmap(at, "pl_xf_max"), ref, atol=1e-9)
    best = np.unravel_index(np.argmax(ref), ref.shape)
    responses = np.sort(filter_responses_naive(x, bank, -1.0)[(slice(None), *best)])
    assert responses[-1] - responses[-2] > 1.0  # a clear winner, no tie
    assert winner[best] == 2  # the 90° copy: the bar is now vertical
    assert "At 90° the strongest cell of y" in joined(at)
    assert "comes from **filter 2: 90°**" in joined(at)
    shown = heatmap(at, "pl_xf_win")
    strong = ~np.isnan(shown)
    np.testing.assert_array_equal(shown[strong], winner[strong])
    assert np.all(pooled[~strong] < 0.25 * pooled.max())


def test_an_edge_bank_over_360_degrees_is_exactly_invariant_to_quarter_turns(at):
    at.selectbox(key="pl_xf_kernel").set_value("Edge detector")
    at.selectbox(key="pl_xf_input").set_value("Letter L").run()
    assert not at.exception
    ticks = chart(at, "pl_xf_win")["data"][0]["colorbar"]["ticktext"]
    assert ticks == ["filter 0: 0°", "filter 1: 90°", "filter 2: 180°", "filter 3: 270°"]
    angles, pooled = curves(at)["max across filters"]
    quarter = np.isin(angles, [0, 90, 180, 270, 360])
    np.testing.assert_allclose(pooled[quarter], pooled[0], rtol=1e-5)  # copies permute exactly
    assert "P = 360°" in joined(at)


def test_more_copies_flatten_the_max_and_one_copy_pools_nothing(at):
    swing4 = relative_swing(curves(at)["max across filters"][1])
    at.select_slider(key="pl_xf_count").set_value(6).run()
    lines = curves(at)
    assert len(lines) == 7 and "filter 5: 150°" in lines
    assert relative_swing(lines["max across filters"][1]) < swing4
    at.select_slider(key="pl_xf_count").set_value(2).run()
    lines = curves(at)
    swing2 = relative_swing(lines["max across filters"][1])
    assert swing2 > swing4  # two copies leave deep dips at 45°, 135°, ...
    flat = swing2 <= 0.5 * relative_swing(lines["filter 0: 0°"][1])
    assert ("nearly flat" in joined(at)) == flat
    assert ("still dips" in joined(at)) == (not flat)
    at.select_slider(key="pl_xf_count").set_value(1).run()
    lines = curves(at)
    np.testing.assert_allclose(lines["max across filters"][1], lines["filter 0: 0°"][1])
    assert "nothing to pool across" in joined(at)


def test_centre_read_and_kernel_size(at):
    at.radio(key="pl_xf_read").set_value("centre")
    at.select_slider(key="pl_xf_size").set_value(5)
    at.selectbox(key="pl_xf_kernel").set_value("Gabor (smooth bar)").run()
    assert not at.exception
    bank = bank_of("Gabor (smooth bar)", 5, 4)
    assert plot_array(chart(at, "pl_xf_bank")["data"][0]["z"]).shape == (5, 5)
    lines = curves(at)
    for a in (0, 60):
        turned = rotate_grid(PATTERNS["Bar"](), a, PATTERN_BACKGROUND)
        r = filter_responses_naive(turned, bank, -1.0)[:, 10, 10]  # the centre cell
        got = np.array([lines[f"filter {k}: {45 * k}°"][1][a // 5] for k in range(4)])
        np.testing.assert_allclose(got, r, rtol=1e-5, atol=1e-4)
        assert lines["max across filters"][1][a // 5] == pytest.approx(r.max(), abs=1e-4)
    assert "read at the centre cell" in joined(at)


def test_photo_patch_and_a_photo_too_small(at):
    at.selectbox(key="pl_xf_input").set_value("Photo patch").run()
    assert not at.exception and not at.error
    assert any("reduced to 21×21" in c for c in texts(at, "caption"))
    assert heatmap(at, "pl_xf_in").shape == (21, 21)
    lines = curves(at)
    assert relative_swing(lines["max across filters"][1]) < relative_swing(lines["filter 0: 0°"][1])
    at.slider(key="pl_xf_angle").set_value(45)
    at.radio(key="pl_xf_ph_source").set_value("Upload").run()
    at.file_uploader(key="pl_xf_ph_upload").set_value(
        ("tiny.png", png_bytes((12, 16, 3)), "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "at least 21×21" in errors[0] and "tiny.png" in errors[0]
    assert at.slider(key="pl_xf_angle").value == 45  # the other settings are kept


def test_settings_survive_leaving_and_reset():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/pooling.py").run()
    open_tab(at, "pl", TAB)
    at.slider(key="pl_xf_angle").set_value(120)
    at.select_slider(key="pl_xf_count").set_value(3).run()
    leave_and_return(at, "views/pooling.py")
    assert at.session_state["pl_tab"] == TAB
    assert at.slider(key="pl_xf_angle").value == 120
    assert at.select_slider(key="pl_xf_count").value == 3
    at.sidebar.button(key="pl_reset").click().run()
    open_tab(at, "pl", TAB)
    assert at.slider(key="pl_xf_angle").value == 30
    assert at.select_slider(key="pl_xf_count").value == 4


def test_a_hidden_tab_does_no_work(monkeypatch):
    from views.pooling import cross_filter

    calls = forbid(
        monkeypatch,
        [(cross_filter, "filter_responses_naive"), (cross_filter, "rotation_sweep")],
    )
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.number_input(key="pl_size").set_value(3).run()
    assert not at.exception and not calls
    assert "pl_xf_angle" not in [w.key for w in at.slider]
