"""The "Across filters" tab (seed 002, "Cross-Filter Feature Pooling"): max pooling over the
maps of K rotated copies of one kernel, y = max_k (w_k * x), which makes the pooled response
(approximately) invariant to rotations of the input. The student picks the base kernel, its size,
the number of rotated copies and the input, and turns the input with a slider; the chart of
response vs rotation shows each filter's response swing and the max stay nearly flat."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.cross_filter import (
    BASE_KERNELS,
    INPUT_SIDE,
    KERNEL_SIZES,
    PATTERN_BACKGROUND,
    PATTERNS,
    READ_AT,
    ROTATION_COUNTS,
    WEAK_FRACTION,
    ReadAt,
    RotationSweep,
    cross_filter_max_naive,
    filter_responses_naive,
    photo_patch,
    rotate_grid,
    rotated_bank,
    rotation_sweep,
    winner_shown,
)
from cnnplay.plots.cross_filter import (
    angle_chart,
    filter_colour,
    map_figure,
    maps_row_figure,
    winner_figure,
)
from cnnplay.plots.style import fmt
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

PHOTO = "Photo patch"
ANGLE_STEP = 5  # degrees between input angles (the slider and the chart)
DEFAULTS = {  # session-state defaults (set when absent; the widgets pass no default)
    "pl_xf_kernel": next(iter(BASE_KERNELS)),  # the base kernel
    "pl_xf_size": 7,  # its size k (k × k)
    "pl_xf_count": 4,  # how many rotated copies K
    "pl_xf_input": next(iter(PATTERNS)),  # the input pattern (or PHOTO)
    "pl_xf_angle": 30,  # input rotation in degrees
    "pl_xf_read": "anywhere",  # where a map is read for the chart (READ_AT)
}


@st.cache_data(max_entries=64, show_spinner=False)
def _sweep(
    x: np.ndarray, kernel: str, size: int, count: int, fill: float, read: ReadAt
) -> RotationSweep:
    """The response-vs-rotation sweep of one input and bank (the same for every slider
    position); shared by sessions, keyed by the input's values and the settings."""
    bank, _ = rotated_bank(BASE_KERNELS[kernel].build(size), count, BASE_KERNELS[kernel].period)
    return rotation_sweep(x, bank, np.arange(0, 361, ANGLE_STEP), fill, read)


@tab_body
def render() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.markdown(
        f"**Cross-filter feature pooling** ({notes_name('002')}): max pooling need not run "
        "over positions "
        "of one map. We may also take the max over the maps of *different filters*. When the "
        "filters are rotated copies of one pattern detector, turning the input only moves its "
        "strongest response from one filter to another, and the max does not care which filter "
        "it came from: the pooled response is (approximately) **invariant to rotations**."
    )
    from_the_notes(("002", "Cross-Filter Feature Pooling"))
    st.latex(
        r"y_{i,j} = \max_{k = 0, \dots, K-1} \,(w_k * x)_{i,j}, \qquad "
        r"w_k = \operatorname{rot}_{\theta_k}(w), \quad \theta_k = k \cdot \frac{P}{K}"
    )
    st.markdown(
        "A **maxout** unit (Goodfellow et al. 2013) computes the same max over a group of "
        "linear filters, but learns the filters instead of building them by rotation, so it "
        "can learn invariance to whatever transformation the data shows."
    )
    c_kernel, c_size, c_count, c_input = st.columns([3, 2, 3, 3])
    kernel = c_kernel.selectbox(
        "Base kernel w", list(BASE_KERNELS), key="pl_xf_kernel", persist_state=KEEP, bind=LINK
    )
    size = int(
        c_size.select_slider(
            "Kernel size k", list(KERNEL_SIZES), key="pl_xf_size", persist_state=KEEP, bind=LINK
        )
    )
    count = int(
        c_count.select_slider(
            "Rotated copies K",
            list(ROTATION_COUNTS),
            key="pl_xf_count",
            persist_state=KEEP,
            bind=LINK,
            format_func=lambda n: f"{n} (no pooling)" if n == 1 else str(n),
        )
    )
    source = c_input.selectbox(
        "Input x", [*PATTERNS, PHOTO], key="pl_xf_input", persist_state=KEEP, bind=LINK
    )
    c_angle, c_read = st.columns([3, 2])
    angle = int(
        c_angle.slider(
            "Turn the input by (degrees, counter-clockwise)",
            0,
            360,
            step=ANGLE_STEP,
            format="%d°",
            key="pl_xf_angle",
            persist_state=KEEP,
            bind=LINK,
        )
    )
    read: ReadAt = c_read.radio(
        "Chart reads each map at",
        list(READ_AT),
        format_func=READ_AT.get,
        key="pl_xf_read",
        persist_state=KEEP,
        bind=LINK,
    )
    base = BASE_KERNELS[kernel]
    x, fill = _input(source)
    if x is None:
        return

    bank, thetas = rotated_bank(base.build(size), count, base.period)
    labels = [f"filter {k}: {fmt(t)}°" for k, t in enumerate(thetas)]
    colours = [filter_colour(k) for k in range(count)]
    turned = rotate_grid(x, angle, fill)  # (H, W)
    responses = filter_responses_naive(turned, bank, fill)  # (K, H, W)
    pooled, winner = cross_filter_max_naive(responses)  # (H, W) each

    st.caption(
        f"Filters: the {size}×{size} {kernel.lower()} ({base.note}) turned by "
        f"θ_k = k · {base.period}°/{count} (P = {base.period}°: "
        + (
            "its bright and dark sides swap at 180°"
            if base.period == 360
            else "it looks the same turned by 180°"
        )
        + "). Off-grid turns are interpolated (bilinear), then each copy is made zero-mean and "
        "as long (L2 norm) as the base, so no filter is favoured; quarter turns are exact. "
        f"Borders are padded with the input's background ({fmt(fill)}), so every map is "
        f"{INPUT_SIDE}×{INPUT_SIDE}."
    )
    c_in, c_max, c_win = st.columns(3)
    show_figure(map_figure(turned, f"input x, turned by {angle}°", "pixel value"), "pl_xf_in", c_in)
    show_figure(
        map_figure(pooled, f"y = max over the {count} filters", "response"), "pl_xf_max", c_max
    )
    show_figure(
        winner_figure(winner_shown(pooled, winner), labels, "which filter won"),
        "pl_xf_win",
        c_win,
    )
    st.caption(
        "Winner map: each cell in the colour of the filter that gave its max; blank where even "
        f"the best response is below {WEAK_FRACTION:.0%} of the map's peak (there no filter "
        "finds its pattern, so which one wins means nothing)."
    )
    st.markdown("**The filter bank and each filter's response map**")
    show_figure(
        maps_row_figure(bank, labels, "weight", colours, height=150 if count > 3 else 200),
        "pl_xf_bank",
        width="stretch",
    )
    show_figure(
        maps_row_figure(responses, labels, "response", colours, zmax=max_abs(responses, pooled)),
        "pl_xf_maps",
        width="stretch",
    )
    _chart(x, kernel, size, count, fill, read, labels, angle, pooled, winner)


def _input(source: str) -> tuple[np.ndarray | None, float]:
    """The input grid (INPUT_SIDE, INPUT_SIDE) and its background (the fill for turning and
    padding); (None, 0) with a message when the photo cannot be used."""
    if source != PHOTO:
        return PATTERNS[source](), PATTERN_BACKGROUND
    with st.expander("Photo", expanded=True):
        picked = image_picker("pl_xf_ph", max_side=512, default="cameraman (grayscale)")
        show_notes(picked)
        try:
            patch = photo_patch(picked.pixels)
        except ValueError as err:
            st.error(f"{picked.label}: {err}. Choose another photo.", icon=":material/block:")
            return None, 0.0
        st.caption(
            f"The photo's central square in grey, reduced to {INPUT_SIDE}×{INPUT_SIDE} by "
            "averaging blocks of pixels, scaled to −1…1 and cut to a disc (mean 0), so turning "
            "it brings no corner in or out."
        )
    return patch, 0.0


def _chart(
    x: np.ndarray,
    kernel: str,
    size: int,
    count: int,
    fill: float,
    read: ReadAt,
    labels: list[str],
    angle: int,
    pooled: np.ndarray,
    winner: np.ndarray,
) -> None:
    sweep = _sweep(x, kernel, size, count, fill, read)
    where = READ_AT[read]
    st.markdown(f"**Response vs input rotation**, each map read at {where}")
    show_figure(
        angle_chart(sweep.angles, sweep.per_filter, sweep.pooled, labels, angle, "response"),
        "pl_xf_chart",
        width="stretch",
    )
    per, pooled_swing = sweep.swing()
    single = sweep.per_filter[:, 0]
    top = float(np.max(sweep.pooled))
    best_k = int(winner.flat[np.argmax(pooled)])
    lines = [
        (
            f"Turned through 360°, **filter 0** alone swings from **{single.min():.2f} to "
            f"{single.max():.2f}** (by {_share(per[0], float(single.max()))} of its peak)."
        )
    ]
    if count == 1:
        lines.append(
            "With one filter there is nothing to pool across: the max is filter 0 itself. "
            "Add rotated copies and watch the thick curve flatten."
        )
    else:
        flat = top > 0 and pooled_swing / top <= 0.5 * per[0] / float(single.max())
        verdict = (
            "nearly flat, where each single filter rises and falls"
            if flat
            else "flatter than one filter, but it still dips between the filters' own angles"
        )
        lines.append(
            f"The **max across the {count} filters** stays between **{sweep.pooled.min():.2f} "
            f"and {top:.2f}** (it varies by {_share(pooled_swing, top)} of its peak): "
            f"{verdict}. The dips between the filters' angles shrink as K grows."
        )
    lines.append(
        f"At {angle}° the strongest cell of y ({float(pooled.max()):.2f}) comes from "
        f"**{labels[best_k]}**."
    )
    st.markdown("  \n".join(lines))


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole > 0 else "—"


def max_abs(*arrays: np.ndarray) -> float:
    """The largest |value| of several arrays (a colour range they share); 1 when all are 0."""
    top = max(float(np.max(np.abs(a))) for a in arrays)
    return top if top > 0 else 1.0
