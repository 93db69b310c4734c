"""The "Semantic vs instance" tab: the connected pieces of a semantic mask as instances, and
where they fail (touching objects of one class)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.segmentation.instances import instances_from_semantic
from cnnplay.segmentation.metrics import CLASS_NAMES
from cnnplay.segmentation.plots import instance_colours, mask_colours
from cnnplay.segmentation.unet import predict
from ui.figures import show_table
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.segmentation.common import SIZE, scene_set, shipped, show_masks


@tab_body
def render() -> None:
    st.markdown(
        "**Semantic** segmentation says *what* each pixel is; **instance** segmentation also "
        "says *which object*. From a semantic mask, the simplest instances are the connected "
        "pieces of each class — which fails exactly where two objects of one class touch."
    )
    i1, i2 = st.columns([1, 1])
    inst_seed = int(
        i1.number_input(
            "Scene number", 0, 10**6, key="seg_inst_seed", persist_state=KEEP, bind=LINK
        )
    )
    crowded = i2.toggle(
        "Crowded scenes (up to 8 objects, more overlap)",
        key="seg_inst_crowd",
        persist_state=KEEP,
        bind=LINK,
    )
    inst_scene = scene_set(1, inst_seed, SIZE, crowded)[0]
    pred_sem = predict(shipped("unet_skips"), inst_scene.image)[0][0]
    found = instances_from_semantic(pred_sem, min_area=20)
    truth = instances_from_semantic(inst_scene.semantic)
    show_masks(
        [
            (inst_scene.image, "scene"),
            (mask_colours(inst_scene.semantic), "semantic (truth)"),
            (instance_colours(inst_scene.instances), "instances (truth)"),
            (mask_colours(pred_sem), "semantic (U-Net)"),
            (instance_colours(found.ids), "connected pieces"),
        ]
    )
    table = []
    for c, name in enumerate(CLASS_NAMES[1:], start=1):
        table.append(
            {
                "class": name,
                "objects (truth)": int((inst_scene.labels == c).sum()),
                "connected pieces (truth mask)": int((truth.classes == c).sum()),
                "connected pieces (U-Net mask)": int((found.classes == c).sum()),
            }
        )
    show_table(pd.DataFrame(table), hide_index=True, key="seg_inst_table")
    merged = [
        r["class"] for r in table if r["connected pieces (truth mask)"] < r["objects (truth)"]
    ]
    if merged:
        st.markdown(
            f"Touching objects merge: the true mask has fewer pieces than objects for "
            f"**{', '.join(merged)}**. Instance methods (Mask R-CNN: a mask per detected box) "
            "exist for this."
        )
    else:
        st.caption(
            "No same-class objects touch here; try another scene number with crowded scenes on."
        )
