"""Train a CNN: an MLP, seed 001's CNN and its fully convolutional twin trained live on the same
real images, and the notes' arguments for convolution made measurable (seeds 000, 001, 004).

Each tab is a module of views/train_cnn/ and runs only while it is open. The trained models stay
in this session's state (views/train_cnn/common.py: one run, the newest)."""

import streamlit as st

from ui.page import PageFrame
from views.train_cnn import (
    dense_to_conv,
    first_layer,
    keypoints,
    permuted,
    results,
    robustness,
    shared_gradient,
    train,
    your_input,
)

frame = PageFrame("cv", title="Train a CNN")
frame.header()
st.markdown(
    "Every set of notes makes the same argument. An **MLP** flattens the image into a list and "
    "forgets where each pixel was; a **CNN** keeps the grid, slides the same small kernels "
    "everywhere (weight sharing) and so needs far fewer weights; a **fully convolutional** net "
    "replaces the dense head with a 1×1 convolution and global average pooling. Here the three "
    "are trained on the same real images, and each claim becomes a measurement."
)

frame.tabs(
    {
        "Train": train.render,
        "Results": results.render,
        "Shuffled pixels": permuted.render,
        "Shifts & rotations": robustness.render,
        "Dense = convolution": dense_to_conv.render,
        "Shared weights": shared_gradient.render,
        "First layer": first_layer.render,
        "Your drawing": your_input.render,
        "Keypoints": keypoints.render,
    }
)
