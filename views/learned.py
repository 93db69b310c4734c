"""What a CNN learned: feature space (nearest images, a 2D map, maximally activating patches),
DeconvNet projections, and images made with the network: gradient ascent, DeepDream and style
transfer (seed 002, "Visualization"; "Dreaming and Style Transfer").

A page of its own, beside Inside a pretrained CNN rather than more tabs on it: that page reads
one photo (every tab explains *this* prediction), while these tabs read a whole gallery of
images or make new images, and most of them run an optimisation with Run and Stop. The network
is shared by every tab, so it sits above them (a change reruns the page); each tab is a module of
views/learned/ and runs only while it is open."""

import streamlit as st

from ui.models import pick_network
from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.learned import (
    ascent,
    clusters,
    deconvnet,
    deepdream,
    neighbours,
    style,
    top_patches,
)
from views.learned.common import PREFIX, Net

frame = PageFrame(PREFIX, title="What a CNN learned")
frame.header()
st.markdown(
    f"{notes_name('002', capital=True)} ask how a network's outputs and units are made, and "
    "answer in two ways. **Read what it learned**: find the images that are close *in feature "
    "space*, map a whole gallery by those features, crop the patches that excite one unit most, "
    "and project a deep unit back to pixels. **Make images with it**: climb the gradient of a "
    "class score or a unit from noise, let a layer dream on a photo, and paint one photo in the "
    "style of another. The network's weights never change here; only the images do."
)
from_the_notes(
    ("002", "Retrieving Raw Images", "Clustering Raw Images", "Deconvolution Network (DeconvNet)"),
    ("002", "Gradient Ascent", "DeepDream", "Style Transfer"),
)
left, _ = st.columns([1, 2])
with left:
    name, model = pick_network(PREFIX)
net = Net(name, model)

frame.tabs(
    {
        "Nearest images": lambda: neighbours.render(net),
        "Map of images": lambda: clusters.render(net),
        "Top patches": lambda: top_patches.render(net),
        "DeconvNet": lambda: deconvnet.render(net),
        "Gradient ascent": lambda: ascent.render(net),
        "DeepDream": lambda: deepdream.render(net),
        "Style transfer": lambda: style.render(net),
    }
)
