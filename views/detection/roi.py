"""The RoI pool vs align tab: one region of interest cut out of the detector's feature map by
RoI pooling (snapped bins, max) and RoI align (exact bins, bilinear samples), and how each
output moves when the box slides."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.detection.plots import roi_figure, roi_shift_figure
from cnnplay.detection.roi import compare_roi
from cnnplay.plots.grids import grid_figure
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.detection.common import SCENE, roi_features, scene


@tab_body
def render(seed: int) -> None:
    st.markdown(
        "Fast R-CNN runs the CNN **once** and cuts each region of interest out of the feature "
        "map, warping it to a fixed grid (the notes' 7×7) for the classifier. **RoI pooling** "
        "snaps the box and its bins to whole cells and takes each bin's max; **RoI align** "
        "(Mask R-CNN) keeps the exact box and averages bilinear samples at regular points in "
        "each bin — no rounding, so masks line up with pixels."
    )
    sc = scene(seed)
    fmap = roi_features(seed)  # (C, H/8, W/8)
    c1, c2, c3 = st.columns(3)
    fh, fw = fmap.shape[1:]
    stride = SCENE.size // fh
    default_box = sc.boxes[0] / stride if len(sc.boxes) else np.array([2.0, 2.0, 8.0, 8.0])
    x0, y0, x1, y1 = np.round(default_box).astype(int)
    inside = fmap[:, y0:y1, x0:x1].mean(axis=(1, 2)) - fmap.mean(axis=(1, 2))  # (C,)
    channel = c1.slider(
        "Feature channel",
        0,
        fmap.shape[0] - 1,
        int(inside.argmax()),  # the channel that fires most on object 1
        key=f"det_roi_ch_{seed}",
        persist_state=KEEP,
        bind=LINK,
    )
    out = c2.slider("Output grid o×o", 1, 7, key="det_roi_out", persist_state=KEEP, bind=LINK)
    ratio = c3.slider(
        "Samples per bin side (align)", 1, 4, key="det_roi_ratio", persist_state=KEEP, bind=LINK
    )
    xs, ys = (
        where.slider(
            f"RoI {axis}0 – {axis}1 (cells)",
            0.0,
            float(side),
            (round(float(default_box[k]), 1), round(float(default_box[k + 2]), 1)),
            0.1,
            key=f"det_roi_{axis}_{seed}",
            persist_state=KEEP,
            bind=LINK,
        )
        for where, axis, side, k in zip(st.columns(2), "xy", (fw, fh), (0, 1), strict=True)
    )
    box = np.array([xs[0], ys[0], xs[1], ys[1]])
    if xs[1] - xs[0] < 0.1 or ys[1] - ys[0] < 0.1:
        st.warning("The RoI needs some width and height.", icon=":material/warning:")
        return
    feat = fmap[channel]
    comp = compare_roi(feat, box, out, ratio)
    st.caption(
        f"Channel {channel} of the detector's stride-{stride} feature map ({fh}×{fw} cells); "
        f"the dashed box starts as object 1's box divided by {stride}."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**RoI pooling**: quantised bins (orange/purple), max of each")
        show_figure(roi_figure(feat, comp.box, comp.pool_bins, None), "det_roi_pool")
        show_figure(grid_figure(comp.pooled, "roi_pool output"), "det_roi_pool_out")
    with right:
        st.markdown(f"**RoI align**: exact bins, {ratio}×{ratio} bilinear samples each, averaged")
        show_figure(roi_figure(feat, comp.box, None, comp.sample_points), "det_roi_align")
        show_figure(grid_figure(comp.aligned, "roi_align output"), "det_roi_align_out")
    shifts = np.round(np.arange(0, 1.01, 0.1), 1)
    moved = [compare_roi(feat, box + [d, 0, d, 0], out, ratio) for d in shifts]
    series = {
        "RoI pooling": [np.abs(m.pooled - comp.pooled).max() for m in moved],
        "RoI align": [np.abs(m.aligned - comp.aligned).max() for m in moved],
    }
    left, right = st.columns([1, 1.2])
    fig = roi_shift_figure(shifts, series, out)
    show_figure(fig, "det_roi_shift", left, width="stretch")
    right.markdown(
        "**Slide the box to the right** a tenth of a cell at a time: RoI align's output "
        "changes smoothly with the shift, RoI pooling's stays put and then **jumps** when a "
        "rounded corner or bin edge crosses a cell border. That snapping is the "
        "translation invariance the notes blame for misaligned masks; align removes it."
    )
