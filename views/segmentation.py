"""Segmentation (U-Net): a class for every pixel. Encoder, decoder and skip connections; the
U-Net against an encoder-decoder without skips and an FCN with one ×32 upsampling; live
training; feature maps; your own image; semantic vs instance segmentation (seeds 001-003).

The network's configuration row is shared by several tabs, so it sits above them (a change
reruns the page); each tab is a module of views/segmentation/ and runs only while it is open."""

import streamlit as st

from cnnplay.scenes import CLASSES
from cnnplay.segmentation.unet import UNetConfig
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, PageFrame
from views.segmentation import (
    architecture,
    common,
    comparison,
    feature_maps,
    instances,
    train_live,
    your_image,
)

DECODERS = {"U-Net (decoder + skips)": "unet", "FCN (one big upsampling)": "fcn"}
UPSAMPLERS = {"transposed conv 2×2, stride 2": "transpose", "bilinear + 1×1 conv": "bilinear"}

frame = PageFrame("seg", title="Segmentation (U-Net)")
frame.header()
common.set_defaults()
common.recover_stopped()  # a training run stopped by a click elsewhere keeps its model
st.markdown(
    f"**Semantic segmentation** gives every pixel a class. {notes_name('001', capital=True)} "
    "build it from a classification CNN in three steps: extract features, turn channels into "
    "one score per class with a **1×1 convolution**, then bring the small map back to the "
    "input size with a **transposed convolution** (×32 for ResNet-18). A **U-Net** does the "
    "upsampling in steps and hands each step the encoder's map of the same size through a "
    "**skip connection**, so fine detail lost by pooling comes back. Here the pixels are shape "
    "scenes "
    f"({', '.join(CLASSES)} over clutter and noise, {common.SIZE}×{common.SIZE} px), so you can "
    "train one live."
)
from_the_notes(("001", "Fully Convolutional Networks (2015)", "Semantic Segmentation"))

st.subheader("The network")
c1, c2, c3, c4, c5 = st.columns([0.9, 0.9, 1.4, 1.5, 1.25])  # "Skip connections" fits
depth = int(c1.slider("Depth (poolings)", 1, 5, key="seg_depth", persist_state=KEEP, bind=LINK))
width = int(
    c2.selectbox("Base width", [4, 8, 16, 32], key="seg_width", persist_state=KEEP, bind=LINK)
)
decoder = DECODERS[
    c3.radio("Decoder", list(DECODERS), key="seg_decoder", persist_state=KEEP, bind=LINK)
]
upsample = UPSAMPLERS[
    c4.radio(
        "Upsampling",
        list(UPSAMPLERS),
        key="seg_upsample",
        disabled=decoder == "fcn",
        persist_state=KEEP,
        bind=LINK,
    )
]
skips = c5.toggle(
    "Skip connections", key="seg_skips", disabled=decoder == "fcn", persist_state=KEEP, bind=LINK
)
config = UNetConfig(depth, width, upsample=upsample, skips=skips, decoder=decoder)

frame.tabs(
    {
        "Architecture": lambda: architecture.render(config),
        "Skips vs no skips vs FCN": comparison.render,
        "Train live": lambda: train_live.render(config),
        "Feature maps": feature_maps.render,
        "Your image": your_image.render,
        "Semantic vs instance": instances.render,
    }
)
