"""The Predict & download tab: a trained model on a photo (sample or upload), its top classes,
and its trained weights with the class names as a zip."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.data.labelled import square
from cnnplay.models.pretrained import REGISTRY
from cnnplay.plots.charts import topk_figure
from cnnplay.transfer.export import export_head
from cnnplay.transfer.strategies import STRATEGIES, predict_probs, to_inputs
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes
from ui.page import tab_body
from views.transfer_learning.common import TOP_K, Trained, pick_model


def model_card(held: Trained) -> dict:
    r, spec = held.result, REGISTRY[held.backbone]
    return {
        "strategy": r.strategy,
        "backbone": held.backbone,
        "input_side": held.side,
        "normalise_mean": list(spec.mean),
        "normalise_std": list(spec.std),
        "val_accuracy": r.val_accuracy,
        "epochs": len(r.history.epochs),
        "trainable_params": r.trainable,
        "augmentation": held.augmented,
        "weights": "safetensors state_dict of the trained part: the new head (key prefix "
        "'head.'), the fine-tuned stages ('suffix.') or the whole small CNN",
    }


@tab_body
def render() -> None:
    held = pick_model("tl_pred_model")
    if held is None:
        return
    picked = image_picker("tl_photo", max_side=512, default="chelsea (cat)")
    show_notes(picked)
    spec = REGISTRY[held.backbone]
    seen = square(picked.pixels, held.side)
    probs = predict_probs(held.result.model, to_inputs(seen[None], held.side, spec.mean, spec.std))[
        0
    ]
    order = np.argsort(probs)[::-1][: min(TOP_K, len(probs))]
    c1, c2 = st.columns([1, 2])
    c1.image(seen, caption=f"what the model sees ({held.side}×{held.side})")
    with c2:
        st.markdown(
            f"**{STRATEGIES[held.result.strategy]}** says: **{held.classes[order[0]]}** "
            f"({100 * probs[order[0]]:.1f}%)."
        )
        show_figure(
            topk_figure([held.classes[i] for i in order], probs[order], "top classes"),
            "tl_topk",
            width="stretch",
        )
    st.caption(
        "The model only knows your classes: a photo of something else still gets one "
        "of them, often with high confidence."
    )
    st.divider()
    r = held.result
    st.download_button(
        "Download the trained weights + class names (zip)",
        data=lambda: export_head(r.model, held.classes, model_card(held)),  # built on the click
        file_name=f"cnnplay-{r.strategy}-{len(held.classes)}classes.zip",
        mime="application/zip",
        key="tl_download_head",
        on_click="ignore",
    )
    st.caption("The zip holds head.safetensors, classes.json (output order) and model.json.")
