"""Figures of the Style transfer tab: the loss curves of a run, the Gram matrices of the photo,
the result and the style image side by side, and the notes' Gram sum written out for a small
worked example (LaTeX strings; the grids themselves are cnnplay.plots.grids.grid_figure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import (
    DIVERGING,
    FONT_SIZE,
    HEAT_SCALE_NAME,
    SERIES_COLOURS,
    fmt,
    signed,
)

# One colour per curve, the same in every run: content, style, TV, total.
CURVE_COLOURS = {
    "content": SERIES_COLOURS[0],
    "style": SERIES_COLOURS[1],
    "tv": SERIES_COLOURS[2],
    "total": SERIES_COLOURS[5],
}
GRAM_PANEL_PX = 230  # side of one Gram heatmap on screen

# A 3-channel 2 × 2 feature map for the worked example: (C, H, W) small integers, chosen so
# that channels 0 and 1 fire at the same places (a large G[0, 1]) and channel 2 elsewhere.
WORKED_MAP = np.array(
    [
        [[1, 0], [2, 1]],  # channel 0
        [[2, 0], [1, 1]],  # channel 1: together with channel 0
        [[0, 3], [0, 1]],  # channel 2: mostly where the others are not
    ],
    dtype=np.int64,
)


def loss_curves_figure(
    history: Sequence[dict], alpha: float, beta: float, tv_weight: float = 0.0, height: int = 300
) -> go.Figure:
    """The weighted terms α·L_content, β·L_style (and λ_TV·TV when on) and their sum, per step,
    on a log axis. history: per step, dicts with step, content, style, tv, total (unweighted
    content and style, as cnnplay.synthesis.style.transfer records them). Zeros (a term
    switched off, or a content loss of 0 at the first step of a run that starts from the
    photo) are left out of the log axis."""
    steps = [int(h["step"]) for h in history]
    terms = {
        "content": (alpha, "α · L_content"),
        "style": (beta, "β · L_style"),
        "tv": (tv_weight, "λ_TV · TV"),
        "total": (1.0, "total"),
    }
    data = []
    for key, (weight, name) in terms.items():
        if weight == 0:
            continue
        values = [weight * float(h[key]) for h in history]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": steps,
                "y": [v if v > 0 else None for v in values],
                "name": name,
                "line": {
                    "color": CURVE_COLOURS[key],
                    "width": 3 if key == "total" else 2,
                    "dash": "dot" if key == "total" else "solid",
                },
                "hovertemplate": f"{name} at step %{{x}}: %{{y:.4g}}<extra></extra>",
            }
        )
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": "step"}},
        "yaxis": {"title": {"text": "loss (log scale)"}, "type": "log", "dtick": 1},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def gram_figure(
    grams: dict[str, np.ndarray],
    channels: int | None = None,
    height: int | None = None,
    percentile: float = 99.0,
) -> go.Figure:
    """Gram matrices side by side (title -> (k, k) array, e.g. photo, result, style), one
    colour scale for all of them: signed values on the blue–white–red scale around 0, or
    viridis from 0 when no entry is negative (features after a ReLU). The scale ends at the
    ``percentile`` of every |entry| together (the few larger ones saturate), so that one
    large entry does not wash the others out. ``channels``: how many channels the stage has
    in all (the title says when only the first k are drawn)."""
    arrays = [np.asarray(g, dtype=np.float64) for g in grams.values()]
    top = float(np.percentile(np.abs(np.concatenate([a.ravel() for a in arrays])), percentile))
    top = top or max(float(np.abs(a).max()) for a in arrays) or 1.0
    has_negative = any(float(a.min()) < 0 for a in arrays)
    scale = (
        {"colorscale": DIVERGING, "zmin": -top, "zmax": top}
        if has_negative
        else {"colorscale": HEAT_SCALE_NAME.capitalize(), "zmin": 0.0, "zmax": top}
    )
    n = len(arrays)
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    data, layout = [], {}
    for k, (title, a) in enumerate(zip(grams, arrays, strict=True)):
        suffix = "" if k == 0 else str(k + 1)
        data.append(
            {
                "type": "heatmap",
                "z": a,
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "showscale": k == n - 1,
                "colorbar": {"thickness": 12, "len": 0.9},
                "hovertemplate": f"{title}: G[%{{y}}, %{{x}}] = %{{z:.4g}}<extra></extra>",
                **scale,
            }
        )
        start = k * (width + gap)
        layout[f"xaxis{suffix}"] = {
            "domain": [start, start + width],
            "showticklabels": False,
            "title": {"text": title},
            "constrain": "domain",
            "fixedrange": True,
        }
        layout[f"yaxis{suffix}"] = {
            "autorange": "reversed",
            "showticklabels": False,
            "scaleanchor": f"x{suffix}",
            "fixedrange": True,
        }
    shown = arrays[0].shape[0]
    note = f"{shown} channels"
    if channels and channels > shown:
        note = f"channels 0–{shown - 1} of {channels}"
    layout.update(
        height=height or GRAM_PANEL_PX + 70,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        font={"size": FONT_SIZE},
        title={"text": f"Gram matrices ({note}), one colour scale", "font": {"size": FONT_SIZE}},
    )
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def relative_gap(gram: np.ndarray, target: np.ndarray) -> float:
    """‖G − T‖_F / ‖T‖_F: how far a Gram matrix is from a target, as a fraction of the
    target's size (0 = matched). Both (k, k)."""
    norm = float(np.linalg.norm(target))
    return float(np.linalg.norm(np.asarray(gram) - np.asarray(target))) / (norm or 1.0)


# --- the worked example: LaTeX ---------------------------------------------------------------


def matrix_latex(values: np.ndarray) -> str:
    """A 2D array as a LaTeX bmatrix of its numbers (integers without decimals)."""
    rows = [" & ".join(fmt(float(v)) for v in row) for row in np.asarray(values)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def flattened_latex(f: np.ndarray) -> str:
    """F, the (C, H·W) reshaped feature map of an (C, H, W) array, as LaTeX: "F = [...]"."""
    c = f.shape[0]
    return "F = " + matrix_latex(np.asarray(f).reshape(c, -1))


def gram_entry_latex(f: np.ndarray, m: int, n: int) -> str:
    """The sum G[m, n] = Σ_{i,j} f[m,i,j] f[n,i,j] written out with f's numbers and its
    value, as LaTeX. f: (C, H, W)."""
    a, b = np.asarray(f[m]).ravel(), np.asarray(f[n]).ravel()
    pairs = zip(a.tolist(), b.tolist(), strict=True)
    products = " + ".join(f"{signed(float(x))}\\cdot{signed(float(y))}" for x, y in pairs)
    value = float(np.dot(a.astype(np.float64), b.astype(np.float64)))
    return (
        f"G_{{{m},{n}}} = \\sum_{{i,j}} f_{{i,j,{m}}}\\, f_{{i,j,{n}}} = {products} = {fmt(value)}"
    )
