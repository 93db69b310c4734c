"""Inside a pretrained CNN: predictions, feature maps, filters, saliency, Grad-CAM, occlusion and
adversarial examples on an ImageNet network (seeds 000, 002, 004).

The network and the photo are shared by every tab, so they (and the top-5 prediction) sit above
the tabs (a change reruns the page); each tab is a module of views/pretrained/ and runs only while
it is open."""

import hashlib

import streamlit as st

from cnnplay.plots.charts import topk_figure
from ui.inputs import image_picker, show_notes
from ui.models import pick_network
from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.pretrained import (
    adversarial,
    common,
    feature_maps,
    filters,
    occlusion,
    prediction,
    saliency,
)

frame = PageFrame("pt", title="Inside a pretrained CNN")
frame.header()
st.markdown(
    "A network trained on ImageNet-1k (1.28 million training images, 1,000 classes; the full "
    "ImageNet has ~14 million) sorts a picture into one of 1,000 classes. Here we open it up. "
    f"{notes_name('000', capital=True)} say: *the kernels of lower layers tend to detect "
    "low-level features (edges of different directions); the kernels of higher layers detect "
    f"higher-level features (eyes, ears)*. {notes_name('002', capital=True)} list ways to see "
    f"that — activations, filters, gradients, occlusion — and {notes_name('004')} give a "
    "limit: *under some perturbations of the input image, the network could take completely "
    "different decisions*."
)
from_the_notes(
    ("000", "What do the layers learn?"), ("002", "Visualization"), ("004", "CNN: Limits")
)

left, right = st.columns([1, 2])
with left:
    name, model = pick_network("pt")
    picked = image_picker("pt_img", max_side=1024, default="chelsea (cat)")
    show_notes(picked)

cats = common.categories()
digest = hashlib.sha1(picked.pixels.tobytes() + str(picked.pixels.shape).encode()).hexdigest()
prep = common.stages(name, digest, picked.pixels)
probs, idx = common.top_classes(name, digest, model, prep.tensor)
seen = common.Seen(name, model, picked, digest, prep, cats, probs, idx)
with right:
    st.markdown(
        f"**{name}** sees *{picked.label}* and says: **{cats[seen.top]}** ({100 * probs[0]:.1f}%)."
    )
    common.show(
        topk_figure([cats[i] for i in idx], probs, f"top {common.TOP_K} classes"), "pt_topk"
    )

frame.tabs(
    {
        "Prediction": lambda: prediction.render(seen),
        "Feature maps": lambda: feature_maps.render(seen),
        "Filters": lambda: filters.render(seen),
        "Saliency": lambda: saliency.render(seen),
        "Occlusion": lambda: occlusion.render(seen),
        "Adversarial": lambda: adversarial.render(seen),
    }
)
