"""The "Skips vs no skips vs FCN" tab: the three shipped networks scored on the same new scenes
(IoU, Dice, boundary and edge accuracy, speed), per class, and scene by scene."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.plots.charts import grouped_bar_figure
from cnnplay.segmentation.metrics import CLASS_NAMES
from cnnplay.segmentation.plots import error_map, mask_colours, mask_overlay
from cnnplay.segmentation.unet import SHIPPED, load_card
from ui.figures import show_figure, show_table
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.segmentation.common import (
    COMPARE_N,
    COMPARE_SEED,
    mask_legend,
    scene_set,
    shipped_predictions,
    shipped_scores,
    show_masks,
)

SCORES = ("mean IoU", "mean Dice", "boundary accuracy", "edge 1 px", "pixel accuracy")


@tab_body
def render() -> None:
    st.markdown(
        "Three networks trained the same way on the same scenes (offline, by a script that "
        "ships with the app), "
        f"scored on {COMPARE_N} new scenes: the **U-Net**, the same encoder–decoder **without "
        "skips** (the notes' FCN + DeconvNet: everything must pass the 16×16 bottleneck) and an "
        "**FCN** whose 4×4 class map is upsampled ×32 in one transposed convolution. Watch the "
        "edges."
    )
    st.latex(
        r"\text{IoU}_c = \frac{|P_c \cap T_c|}{|P_c \cup T_c|} \qquad "
        r"\text{Dice}_c = \frac{2\,|P_c \cap T_c|}{|P_c| + |T_c|} \qquad "
        r"\text{mean IoU} = \frac{1}{K}\sum_c \text{IoU}_c"
    )
    compare_scenes = scene_set(COMPARE_N, COMPARE_SEED)
    rows, preds, per_class = [], {}, {}
    for name, cfg in SHIPPED.items():
        pred, ms = shipped_predictions(name)
        preds[name] = pred
        sc = shipped_scores(name)
        per_class[cfg.label()] = sc
        rows.append(
            {
                "model": cfg.label(),
                "mean IoU": sc.mean_iou,
                "mean Dice": sc.mean_dice,
                "boundary accuracy": sc.boundary_accuracy,
                "edge 1 px": sc.edge_accuracy,
                "pixel accuracy": sc.pixel_accuracy,
                "parameters": load_card(name)["params"],
                "ms / scene": round(ms, 1),  # batched on this server's device
            }
        )
    three = st.column_config.NumberColumn(format="%.3f")
    show_table(
        pd.DataFrame(rows),
        hide_index=True,
        key="seg_compare_table",
        column_config={c: three for c in SCORES},
    )
    show_figure(
        grouped_bar_figure(
            list(CLASS_NAMES),
            {label: sc.iou for label, sc in per_class.items()},
            "IoU per class",
            280,
            "{:.2f}",
        ),
        "seg_compare_bars",
        width="stretch",
    )
    with st.expander("IoU and Dice per class, as a table"):
        show_table(
            pd.DataFrame(
                [
                    {"model": label, "class": c, "IoU": sc.iou[k], "Dice": sc.dice[k]}
                    for label, sc in per_class.items()
                    for k, c in enumerate(CLASS_NAMES)
                ]
            ),
            hide_index=True,
            key="seg_compare_classes",
            column_config={"IoU": three, "Dice": three},
        )
    by = {r["model"]: r for r in rows}
    u, e, f = (by[SHIPPED[n].label()] for n in ("unet_skips", "unet_noskips", "fcn32"))
    st.markdown(
        f"**Edges** (pixels within 1 px of a true boundary): U-Net **{100 * u['edge 1 px']:.1f}%** "
        f"right, without skips **{100 * e['edge 1 px']:.1f}%**, FCN ×32 "
        f"**{100 * f['edge 1 px']:.1f}%**. The FCN paints blobs: its 4×4 map cannot say where "
        "a corner is, and its single ×32 upsampling step — a learned transposed convolution "
        "(64×64 kernel, stride 32, initialised to bilinear interpolation and trained from there) "
        "— spreads each cell's class scores over overlapping 64×64 patches, so every shape comes "
        "out rounded. The encoder–decoder "
        "without skips gets most of the way back through its 16×16 bottleneck (these shapes are "
        "simple, and its mean IoU is close to the U-Net's), but where objects touch or a corner "
        "is sharp, the skips' full-resolution detail decides — see scene 18."
    )
    k = int(st.slider("Scene", 1, COMPARE_N, key="seg_scene", persist_state=KEEP, bind=LINK)) - 1
    scene_ = compare_scenes[k]
    show_masks(
        [(scene_.image, "scene"), (mask_colours(scene_.semantic), "ground truth")]
        + [(mask_colours(preds[n][k]), SHIPPED[n].label()) for n in SHIPPED]
    )
    wrong = {n: int((preds[n][k] != scene_.semantic).sum()) for n in SHIPPED}
    show_masks(
        [(scene_.image, "scene"), (mask_overlay(scene_.image, scene_.semantic), "overlay")]
        + [
            (error_map(preds[n][k], scene_.semantic, scene_.image), f"wrong: {wrong[n]} px")
            for n in SHIPPED
        ]
    )
    mask_legend("seg_legend_compare")
    st.caption("Bottom row: wrongly labelled pixels in red.")
