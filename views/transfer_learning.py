"""Transfer learning: the user's own classes on a pretrained base — a small CNN from scratch,
a frozen base with a new head, and fine-tuning the last blocks, compared (seeds 000, 001).

The images, the backbone (one read-only copy for every session, ui.models.shared_pretrained),
the input side and the train/validation split are shared by every tab, so they sit above the
tabs (a change reruns the page); each tab is a module of views/transfer_learning/ and runs only
while it is open. The trained models stay in this session's state (at most one per strategy)."""

import streamlit as st

from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.transfer_learning import augmentation, common, confusion, data, predict, train

frame = PageFrame("tl", title="Transfer learning")
frame.header()
common.set_defaults()
st.markdown(
    f"{notes_name('000', capital=True)}, on *re-using pretrained layers*: *in practice, we "
    "start with a CNN pre-trained on a very large dataset* (ImageNet-1k: 1.28 million training "
    "images, 1,000 classes), *replace the top layers with a task-specific classification "
    "layer*, train it *keeping the pre-trained convolutional layers frozen*, and *may then "
    "gradually unfreeze some of the convolutional layers too*. Here you do it on your own "
    "classes and compare with a small CNN trained from scratch."
)
from_the_notes(("000", "Re-using pretrained layers"))

left, right = st.columns([1, 2])
with left:
    setup = data.choose()
if setup is None:
    with right:
        st.info("Choose or upload images on the left to start.", icon=":material/upload:")
    st.stop()
common.recover_stopped(setup)  # a training run stopped by a click elsewhere keeps its model
with right:
    data.summary(setup)

frame.tabs(
    {
        "Train & compare": lambda: train.render(setup),
        "Augmentation": lambda: augmentation.render(setup),
        "Confusion matrix": confusion.render,
        "Predict & download": predict.render,
    }
)
