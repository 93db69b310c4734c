import itertools

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnplay.plots.grids import add_box, grid_figure, sliding_window_animation
from cnnplay.plots.images import to_uint8
from cnnplay.plots.style import INK, fmt, ink_on_white


def test_fmt():
    assert fmt(3.0) == "3" and fmt(-0.1) == "-0.1" and fmt(17.456) == "17.46" and fmt(-2) == "-2"


def test_grid_figure_shows_values_and_padding():
    values = np.array([[0, 0, 0], [0, 9, -1], [0, 0, 0]], dtype=float)
    fig = grid_figure(values, "t", pads=(1, 1, 1, 0))
    heat = fig.data[0]
    assert heat.text[1][1] == "9" and heat.zmax == 9 and heat.zmin == -9
    assert len(fig.layout.shapes) == 3  # top, bottom, left padding bands
    add_box(fig, [0, 1], [1, 2], "red")
    assert len(fig.layout.shapes) == 4
    add_box(fig, [0, 2], [0, 2], "red")  # dilated taps: one box each
    assert len(fig.layout.shapes) == 8


def test_animation_has_a_frame_per_output_cell():
    x = np.arange(16.0).reshape(4, 4)
    out = np.arange(4.0).reshape(2, 2)
    windows = [(range(i, i + 3), range(j, j + 3)) for i in range(2) for j in range(2)]
    fig = sliding_window_animation(x, out, windows, (0, 0, 0, 0))
    assert len(fig.frames) == 4
    last = fig.frames[-1].data[1]
    assert not np.isnan(np.asarray(last.z, dtype=float)).any()
    first = fig.frames[0].data[1]
    assert np.isnan(np.asarray(first.z, dtype=float)).sum() == 3


def test_to_uint8_modes():
    y = np.array([-300.0, -10, 0, 100, 400])
    assert to_uint8(y, "clip").tolist() == [0, 0, 0, 100, 255]
    assert to_uint8(y, "absolute").tolist() == [191, 6, 0, 64, 255]
    r = to_uint8(y, "rescale")
    assert r[0] == 0 and r[-1] == 255
    assert to_uint8(np.zeros(3), "rescale").tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        to_uint8(y, "sepia")


def test_clickable_grid_has_a_point_per_cell():
    from cnnplay.plots.grids import clickable_grid_figure
    from cnnplay.plots.style import CELL_PX

    values = np.array([[-1.0, 1.0, -1.0], [1.0, 1.0, 1.0]])
    fig = clickable_grid_figure(values)
    trace = fig.data[0]
    assert list(trace.x) == [0, 1, 2, 0, 1, 2] and list(trace.y) == [0, 0, 0, 1, 1, 1]
    assert list(trace.text) == ["-1", "1", "-1", "1", "1", "1"]
    assert list(trace.marker.color) == list(values.ravel())
    # Plot area = one CELL_PX per cell, so the square markers tile the grid.
    layout = fig.layout
    assert layout.width - layout.margin.l - layout.margin.r == 3 * CELL_PX
    assert layout.height - layout.margin.t - layout.margin.b == 2 * CELL_PX


def test_resolve_display_mode():
    from cnnplay.kernels import gaussian_kernel, sobel_kernel
    from cnnplay.plots.images import resolve_display_mode

    assert resolve_display_mode("auto", sobel_kernel("x")) == "absolute"
    assert resolve_display_mode("auto", gaussian_kernel(5, 1.0)) == "clip"
    assert resolve_display_mode("rescale", sobel_kernel("x")) == "rescale"


def test_signed():
    from cnnplay.plots.style import signed

    assert signed(-0.1) == "(-0.1)" and signed(2.0) == "2"


def test_topk_figure_best_on_top():
    from cnnplay.plots.charts import topk_figure

    fig = topk_figure(["cat", "dog"], [0.7, 0.2], "top 2")
    bar = fig.data[0] if fig.data else fig.to_dict()["data"][0]
    assert list(bar["y"]) == ["dog", "cat"] and list(bar["x"]) == [0.2, 0.7]
    assert list(bar["text"]) == ["20.0%", "70.0%"]


def test_heat_overlay_and_normalise_map():
    from cnnplay.plots.images import heat_colours, heat_overlay, normalise_map

    heat = np.array([[0.0, 1.0]])
    colours = heat_colours(heat)
    assert colours.shape == (1, 2, 3) and colours.dtype == np.uint8
    assert colours[0, 0].tolist() == [68, 1, 84] and colours[0, 1].tolist() == [253, 231, 37]
    image = np.full((1, 2, 3), 100, np.uint8)
    mixed = heat_overlay(image, heat, alpha=0.5)
    assert mixed[0, 0].tolist() == [100, 100, 100]  # no heat: the photo shows through
    assert mixed[0, 1].tolist() == [176, 166, 68]  # (100 + 253) / 2, ... rounded
    np.testing.assert_allclose(normalise_map(np.array([0.0, 2.0, 4.0])), [0, 0.5, 1])
    np.testing.assert_allclose(
        normalise_map(np.array([-2.0, 0.0, 1.0]), signed=True), [0, 0.5, 0.75]
    )
    spiky = np.r_[np.ones(999), 1000.0]
    assert normalise_map(spiky, percentile=99)[0] > 0.9 and normalise_map(spiky)[0] < 0.02
    assert (normalise_map(np.zeros(3)) == 0).all()


def test_tile_maps_layout():
    from cnnplay.plots.images import tile_maps

    maps = np.stack([np.eye(2), np.zeros((2, 2)), np.ones((2, 2)) * 3])  # (3, 2, 2)
    mosaic = tile_maps(maps, cols=2, gap=1, upscale=2)
    assert mosaic.shape == (2 * 5, 2 * 5) and mosaic.dtype == np.uint8
    assert mosaic[0, 0] == 255 and mosaic[0, 2] == 0 and mosaic[4, 0] == 255  # gap row
    assert (mosaic[0:4, 5:9] == 0).all()  # a flat map is drawn black
    colour = tile_maps(np.full((1, 2, 2, 3), 0.5), cols=1, gap=0)
    assert colour.shape == (2, 2, 3) and (colour == 128).all()


# --- colour-vision deficiencies -------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB.
MACHADO_2009 = {
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear_rgb(colour: str | tuple[float, float, float]) -> np.ndarray:
    """ "#rrggbb" or (r, g, b) 0..255 -> (3,) linear sRGB in 0..1."""
    if isinstance(colour, str):
        colour = tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    c = np.asarray(colour, np.float64) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """(3,) linear sRGB -> (3,) CIELAB (D65): L* 0..100, a*, b*."""
    xyz = _SRGB_TO_XYZ @ np.clip(linear, 0, 1) / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, deficiency: str | None = None) -> float:
    """CIE76 colour difference ΔE*ab of two colours as seen with ``deficiency`` (None: normal
    vision). About 2.3 is just noticeable; two line colours need tens."""
    la, lb = _linear_rgb(a), _linear_rgb(b)
    if deficiency is not None:
        la, lb = MACHADO_2009[deficiency] @ la, MACHADO_2009[deficiency] @ lb
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_delta_e_simulation_flags_the_old_pair():
    """The checker itself: red and green merge for a deuteranope, the former window / cell pair
    (orange #ff8c00, green #2ca02c) nearly merges for a protanope; white and black never do."""
    assert delta_e("#d62728", "#2ca02c") > 100
    assert delta_e("#d62728", "#2ca02c", "deuteranopia") < 10
    assert delta_e("#ff8c00", "#2ca02c", "protanopia") < 10
    assert delta_e("#ffffff", "#000000", "deuteranopia") == pytest.approx(100, abs=0.1)


@pytest.mark.parametrize("deficiency", [None, "deuteranopia", "protanopia"])
def test_colour_pairs_stay_apart_under_colour_blindness(deficiency):
    from cnnplay.plots import style

    min_de = 50.0  # a pair the simulation must keep at least this far apart (CIE76)
    assert delta_e(style.WINDOW_COLOUR, style.CELL_COLOUR, deficiency) > min_de
    assert delta_e(style.DET_GT_COLOUR, style.DET_FP_COLOUR, deficiency) > 35
    for a, b in itertools.combinations(style.CLASS_COLOURS, 2):
        assert delta_e(a, b, deficiency) > 35, (a, b)
    assert delta_e(style.SELECTED_COLOUR, style.COST_COLOUR, deficiency) > 35


def _lightness(colours: list[tuple[float, float, float]]) -> np.ndarray:
    return np.array([_lab(_linear_rgb(c))[0] for c in colours])


def _scale_rgb(scale: list) -> list[tuple[float, float, float]]:
    from plotly.colors import hex_to_rgb, unlabel_rgb

    return [hex_to_rgb(c) if c.startswith("#") else unlabel_rgb(c) for _, c in scale]


def test_scales_are_perceptually_ordered_not_rainbow():
    """Magnitude scales get lighter monotonically (jet's lightness rises and falls, which draws
    false edges); the diverging scale darkens monotonically away from its light middle."""
    from cnnplay.plots import style

    heat = _lightness([tuple(row[1:]) for row in style.HEAT_STOPS])
    assert style.HEAT_SCALE_NAME == "viridis"
    assert (np.diff(heat) > 0).all() and heat[-1] - heat[0] > 60
    for scale in (style.ERF_SCALE, style.COUNT_SCALE):
        lightness = _lightness(_scale_rgb(scale))
        assert (np.diff(lightness) > 0).all() or (np.diff(lightness) < 0).all()
    div = _lightness(_scale_rgb(style.DIVERGING))
    mid = int(np.argmax(div))
    assert 0 < mid < len(div) - 1
    assert (np.diff(div[: mid + 1]) > 0).all() and (np.diff(div[mid:]) < 0).all()
    names = " ".join(str(v) for k, v in vars(style).items() if k.isupper()).lower()
    assert not any(bad in names for bad in ("jet", "rainbow", "turbo", "hsv"))


def test_text_on_a_white_plot_area_is_inked_for_the_dark_theme():

    spec = {
        "data": [
            {"type": "scatter", "x": [0], "y": [0], "mode": "markers+text", "text": ["a"]},
            {
                "type": "scatter",
                "x": [0],
                "y": [0],
                "mode": "text",
                "text": ["b"],
                "textfont": {"color": "white"},
            },  # on a dark marker: its own colour stays
            {"type": "scatter", "x": [0], "y": [0], "mode": "lines"},
            {"type": "bar", "x": [1], "y": [2], "text": ["2"]},
            {"type": "heatmap", "z": [[1]]},
        ],
        "layout": {
            "plot_bgcolor": "White",
            "annotations": [
                {"x": 0, "y": 0, "text": "in the plot"},
                {"x": 0.5, "y": 1.1, "xref": "paper", "yref": "paper", "text": "above it"},
                {"x": 0, "y": 0, "text": "own colour", "font": {"color": "red", "size": 9}},
                {"x": 0, "y": 0, "text": "sized", "font": {"size": 9}},
            ],
        },
    }
    out = ink_on_white(go.Figure(spec, _validate=False)).to_plotly_json()
    notes, traces = out["layout"]["annotations"], out["data"]
    assert notes[0]["font"] == {"color": INK}
    assert "font" not in notes[1]  # on the paper: the theme's colour, which suits its background
    assert notes[2]["font"] == {"color": "red", "size": 9}
    assert notes[3]["font"] == {"size": 9, "color": INK}
    assert traces[0]["textfont"] == {"color": INK}
    assert traces[1]["textfont"] == {"color": "white"}
    assert "textfont" not in traces[2] and "textfont" not in traces[4]
    assert traces[3]["outsidetextfont"] == {"color": INK} and "textfont" not in traces[3]
    spec["layout"]["plot_bgcolor"] = "rgba(0,0,0,0)"  # the theme's background: nothing to do
    out = ink_on_white(go.Figure(spec, _validate=False)).to_plotly_json()
    assert "font" not in out["layout"]["annotations"][0]
    assert "textfont" not in out["data"][0]


def test_the_unet_diagram_labels_are_inked():
    from cnnplay.segmentation.plots import unet_diagram
    from cnnplay.segmentation.unet import UNetConfig, stages

    config = UNetConfig()
    fig = ink_on_white(unet_diagram(stages(config, 128), config, 128)).to_plotly_json()
    labels = [a for a in fig["layout"]["annotations"] if a.get("yanchor") == "top"]
    assert labels and all(a["font"]["color"] == INK for a in labels)
