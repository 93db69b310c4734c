"""The Confusion matrix tab: a trained model's validation predictions, class against class; a
click on a cell (or the two choices beside it, its keyboard path) shows the images behind it; the
chosen cell is outlined (ui/confusion.py, shared with the Train a CNN page)."""

from __future__ import annotations

import streamlit as st

from cnnplay.transfer.strategies import STRATEGIES
from ui.confusion import confusion_explorer
from ui.page import tab_body
from views.transfer_learning.common import pick_model


@tab_body
def render() -> None:
    held = pick_model("tl_cm_model")
    if held is None:
        return
    r = held.result
    if len(held.val_labels) == 0:
        st.warning("There are no validation images: raise the validation share.")
        return
    st.markdown(
        f"{STRATEGIES[r.strategy]}: **{100 * r.val_accuracy:.1f}%** of {len(held.val_labels)} "
        f"validation images right (the diagonal). Click a cell, or choose it on the right, to "
        "see the images behind it."
    )
    confusion_explorer(
        "tl_cm", held.val_labels, r.val_pred, held.classes, held.val_images, what="validation"
    )
