"""Inside a pretrained CNN: predictions, feature maps, filters, saliency, Grad-CAM, occlusion and
adversarial examples on an ImageNet network (seeds 000, 002, 004)."""

import hashlib
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnplay.explain import (
    activations,
    fgsm,
    first_conv_filters,
    flip_epsilon,
    grad_cam,
    guided_backprop,
    guided_model,
    layer_table,
    occlusion,
    predict,
    private_copy,
    saliency,
    strongest_channels,
)
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    denormalise,
    grey,
    imagenet_categories,
    load_pretrained,
    pixel_bounds,
    preprocess,
)
from cnnplay.plots.charts import topk_figure
from cnnplay.plots.images import heat_colours, heat_overlay, normalise_map, tile_maps
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes

TOP_K = 5
TILE_PX = 64  # feature-map tiles are magnified to about this side
PATCHES = [16, 24, 32, 48, 64]  # occlusion patch sides, pixels of the 224 crop
STRIDES = [8, 16, 24, 32]
MAGNIFY = 50  # the FGSM perturbation is shown this many times larger
GRAD_PERCENTILE = 99.5  # gradient maps: this percentile of |grad| is full brightness


@st.cache_resource(max_entries=2, show_spinner=False)
def shared_model(name: str) -> torch.nn.Module:
    """Shared by all sessions, read-only: eval mode, frozen, used without hooks."""
    bar = st.progress(0.0, text=f"Loading {name}…")

    def on_progress(step: int, total: int, metrics: dict) -> None:
        bar.progress(min(1.0, step / max(total, 1)), text=f"Loading {name}: {step}/{total}")

    try:
        return load_pretrained(name, on_progress)
    finally:
        bar.empty()


def session_copy(name: str, model: torch.nn.Module) -> torch.nn.Module:
    """This session's own copy, for functions that register hooks."""
    held = st.session_state.get("pt_private")
    if held is None or held[0] != name:
        held = (name, private_copy(model))
        st.session_state.pt_private = held
    return held[1]


@st.cache_data(max_entries=8, show_spinner=False)
def categories() -> list[str]:
    return imagenet_categories()


@st.cache_data(max_entries=16, show_spinner=False)
def stages(name: str, digest: str, _pixels: np.ndarray):
    return preprocess(_pixels, REGISTRY[name])


@st.cache_data(max_entries=32, show_spinner="Classifying…")
def top_classes(name: str, digest: str, _model, _x) -> tuple[np.ndarray, np.ndarray]:
    return predict(_model, _x, TOP_K)


@st.cache_resource(max_entries=2, show_spinner=False)
def guided_copy(name: str, _model) -> torch.nn.Module:
    """The model with guided ReLUs, built once per model and shared read-only like the model:
    guided backprop only takes gradients with respect to the input."""
    return guided_model(_model)


@st.cache_data(max_entries=8, show_spinner="Listing the layers…")
def layers(name: str, _model) -> list:
    return layer_table(_model)


@st.cache_data(max_entries=32, show_spinner="Computing the feature maps…")
def feature_maps(name: str, layer: str, digest: str, _model, _x) -> np.ndarray:
    return activations(_model, layer, _x)


@st.cache_data(max_entries=32, show_spinner=False)
def explanations(name: str, layer: str, target: int, digest: str, _model, _copy, _x) -> dict:
    return {
        "saliency": saliency(_model, _x, target),
        "guided": guided_backprop(_model, _x, target, guided=guided_copy(name, _model)),
        "cam": grad_cam(_copy, layer, _x, target),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def occlusion_map(name: str, target: int, patch: int, stride: int, digest: str, _model, _x):
    """The progress bar lives inside: a cached function may only draw on its own elements."""
    bar = st.progress(0.0, text="Sliding the patch…")

    def on_progress(step: int, total: int, metrics: dict) -> None:
        bar.progress(step / total, text=f"{step}/{total} positions")

    fill = grey(REGISTRY[name])
    try:
        return occlusion(_model, _x, target, patch, stride, fill=fill, on_progress=on_progress)
    finally:
        bar.empty()


@st.cache_data(max_entries=32, show_spinner=False)
def attack(name: str, target: int, eps: float, digest: str, _model, _x):
    spec = REGISTRY[name]
    return fgsm(_model, _x, eps, target, spec.std, pixel_bounds(spec))


@st.cache_data(max_entries=16, show_spinner=False)
def needed_epsilon(name: str, target: int, digest: str, _model, _x) -> float | None:
    spec = REGISTRY[name]
    return flip_epsilon(_model, _x, target, spec.std, pixel_bounds(spec))


show = partial(show_figure, width="stretch")


st.title("Inside a pretrained CNN")
st.markdown(
    "A network trained on the 1.28 million photos of ImageNet sorts a picture into one of "
    "1000 classes. Here we open it up. Seed 000: *the kernels of lower layers tend to detect "
    "low-level features (edges of different directions); the kernels of higher layers detect "
    "higher-level features (eyes, ears)*. Seed 002 lists ways to see that — activations, "
    "filters, gradients, occlusion — and seed 004 a limit: *under some perturbations of the "
    "input image, the network could take completely different decisions*."
)

left, right = st.columns([1, 2])
with left:
    wanted = st.selectbox("Network", list(REGISTRY), key="pt_model")
    st.caption(REGISTRY[wanted].about)
    picked = image_picker("pt_img", max_side=1024, default="chelsea (cat)")
    show_notes(picked)

name = wanted
try:
    model = shared_model(name)
except PretrainedUnavailable as err:
    st.warning(str(err), icon=":material/cloud_off:")
    name = DEFAULT_MODEL
    model = shared_model(name)
spec = REGISTRY[name]
cats = categories()
digest = hashlib.sha1(picked.pixels.tobytes() + str(picked.pixels.shape).encode()).hexdigest()
prep = stages(name, digest, picked.pixels)
x = prep.tensor
probs, idx = top_classes(name, digest, model, x)
top = int(idx[0])
with right:
    st.markdown(
        f"**{name}** sees *{picked.label}* and says: **{cats[top]}** ({100 * probs[0]:.1f}%)."
    )
    show(topk_figure([cats[i] for i in idx], probs, f"top {TOP_K} classes"), "pt_topk")

classes = [int(i) for i in idx] + sorted(set(range(len(cats))) - {int(i) for i in idx})


def class_label(i: int) -> str:
    ranked = [int(j) for j in idx]
    return f"{cats[i]} (#{ranked.index(i) + 1})" if i in ranked else cats[i]


def prediction_tab() -> None:
    st.markdown(
        f"Before the network sees it, a photo is resized so its shorter side is "
        f"{spec.resize_side} pixels, the central {spec.input_side}×{spec.input_side} square is "
        f"cut out, and each colour channel is normalised: (pixel/255 − mean) / std with mean = "
        f"{spec.mean}, std = {spec.std}, the statistics the network was trained with."
    )
    a, b, c, d = st.columns(4)
    h, w = picked.pixels.shape[:2]
    a.image(picked.pixels, caption=f"1. your image, {w}×{h}")
    rh, rw = prep.resized.shape[:2]
    b.image(prep.resized, caption=f"2. resized, {rw}×{rh}")
    c.image(prep.cropped, caption=f"3. centre crop, {spec.input_side}×{spec.input_side}")
    shown = normalise_map(x.permute(1, 2, 0).numpy(), signed=True)
    d.image(
        shown, caption=f"4. normalised tensor 3×{spec.input_side}×{spec.input_side}", clamp=True
    )
    lo, hi = float(x.min()), float(x.max())
    st.caption(f"The tensor's values run from {lo:.2f} to {hi:.2f}.")


def feature_tab(private: torch.nn.Module) -> None:
    table = layers(name, private)
    labels = [
        f"{r.name} ({r.kind}) — {r.shape[0]} maps of {r.shape[1]}×{r.shape[2]}" for r in table
    ]
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Layer", labels, index=len(labels) // 3, key="pt_layer")
    count = c2.slider("Maps shown", 4, 64, 32, step=4, key="pt_maps")
    row = table[labels.index(pick)]
    maps = feature_maps(name, row.name, digest, private, x)  # (C, h, w)
    order = strongest_channels(maps, count)
    upscale = max(1, TILE_PX // row.shape[1])
    st.image(
        tile_maps(maps[order], cols=8, upscale=upscale),
        caption=f"{row.name}: the {len(order)} strongest of {row.shape[0]} maps (highest mean "
        "activation first), each stretched to its own min–max; bright = strong",
    )
    means = maps.mean(axis=(1, 2))
    st.markdown(
        f"Strongest channel: **{int(order[0])}** (mean {means[order[0]]:.3f}); "
        f"{int((maps.max(axis=(1, 2)) <= 0).sum())} of {row.shape[0]} maps are all zero or "
        "negative here."
    )
    first, last = table[0], table[-1]
    st.markdown(
        f"Going deeper, the maps get **smaller** and **more numerous**: from {first.shape[0]} "
        f"maps of {first.shape[1]}×{first.shape[2]} at `{first.name}` to {last.shape[0]} maps "
        f"of {last.shape[1]}×{last.shape[2]} at `{last.name}`. Each deep unit sees a larger "
        "part of the image and stands for a more abstract pattern."
    )
    with st.expander("All layers and their output shapes"):
        frame = pd.DataFrame(
            {
                "layer": [r.name for r in table],
                "kind": [r.kind for r in table],
                "channels": [r.shape[0] for r in table],
                "size": [f"{r.shape[1]}×{r.shape[2]}" for r in table],
            }
        )
        st.dataframe(frame, hide_index=True, key="pt_layer_table")


def filters_tab() -> None:
    kernels = first_conv_filters(model)  # (K, kh, kw, 3)
    k, kh, kw = kernels.shape[:3]
    st.image(
        tile_maps(kernels, cols=8, gap=2, upscale=max(1, 48 // kh)),
        caption=f"The {k} kernels of the first convolution, {kh}×{kw}×3 each, as colour pictures "
        "(grey = 0; each kernel scaled on its own)",
    )
    st.markdown(
        "A first-layer kernel has exactly three input channels — red, green, blue — so it can "
        "be drawn as a tiny colour picture: light-to-dark edges and colour blobs. A deeper "
        "kernel's inputs are the previous layer's *feature maps* (dozens or hundreds of "
        "channels, not colours), so its weights form no picture we can read. To see what deeper "
        "layers respond to, look at their **feature maps** and at **gradients** instead."
    )
    if kh <= 3:
        st.caption(
            f"This network's first kernels are only {kh}×{kw}: too small to show clear edges. "
            "Networks with larger first kernels (AlexNet 11×11, ResNet 7×7) show Gabor-like "
            "stripes and colour blobs."
        )


def saliency_tab(private: torch.nn.Module) -> None:
    table = layers(name, private)
    names = [r.name for r in table]
    c1, c2 = st.columns(2)
    target = c1.selectbox(
        "Class to explain", classes, format_func=class_label, key="pt_class", index=0
    )
    layer = c2.selectbox("Grad-CAM layer", names, index=len(names) - 1, key="pt_cam_layer")
    if st.button("Explain this class", key="pt_explain"):
        st.session_state.pt_explain_on = True
    if not st.session_state.get("pt_explain_on"):
        st.caption("Gradients need a backward pass through the network: press the button.")
        return
    with st.spinner("Back-propagating to the pixels…"):
        maps = explanations(name, layer, int(target), digest, model, private, x)
    picture = prep.cropped
    a, b, c, d = st.columns(4)
    a.image(picture, caption="input (centre crop)")
    b.image(
        heat_colours(normalise_map(maps["saliency"], percentile=GRAD_PERCENTILE)),
        caption="saliency |∂logit/∂pixel| (max over RGB)",
    )
    guided = normalise_map(maps["guided"].transpose(1, 2, 0), True, GRAD_PERCENTILE)
    c.image(guided, caption="guided backprop (grey = 0)")
    d.image(heat_overlay(picture, maps["cam"]), caption=f"Grad-CAM on {layer}")
    st.markdown(
        f"All three explain **{cats[int(target)]}**. The *gradient* says which pixels would "
        "change the class score most if nudged; *guided backprop* keeps only positive signals "
        "through each ReLU, which gives sharper, edge-like pictures; *Grad-CAM* weights the "
        "chosen layer's maps by their average gradient — coarse (that layer's resolution) but "
        "class-specific. Pick another class to see where the network finds *its* evidence."
    )


def occlusion_tab() -> None:
    c1, c2, c3 = st.columns(3)
    patch = c1.select_slider("Grey patch side", PATCHES, value=32, key="pt_patch")
    stride = c2.select_slider("Stride", STRIDES, value=16, key="pt_stride")
    target = int(st.session_state.get("pt_class", top))
    c3.markdown(f"Class: **{cats[target]}** (choose it in *Saliency*)")
    st.caption(
        "Seed 002: mask part of the image, feed it to the network and record how much the "
        "class probability falls, at every position of the mask."
    )
    if st.button("Run occlusion", key="pt_occlude"):
        st.session_state.pt_occlusion_on = True
    if not st.session_state.get("pt_occlusion_on"):
        st.caption("One forward pass per patch position: press the button.")
        return
    result = occlusion_map(name, target, patch, stride, digest, model, x)
    a, b = st.columns(2)
    a.image(
        heat_overlay(prep.cropped, normalise_map(np.clip(result.heat, 0, None))),
        caption="where hiding the image hurts most (red)",
    )
    worst = np.unravel_index(int(np.argmax(result.drops)), result.drops.shape)
    r0, c0 = result.positions[worst[0] * result.drops.shape[1] + worst[1]]
    b.markdown(
        f"{len(result.positions)} positions. Unoccluded: **{100 * result.base:.1f}%** "
        f"{cats[target]}. Worst patch at rows {r0}–{r0 + patch - 1}, columns "
        f"{c0}–{c0 + patch - 1}: the probability falls by "
        f"**{100 * result.drops.max():.1f}** points."
    )


def adversarial_tab() -> None:
    eps_levels = st.slider("ε (grey levels out of 255)", 0.0, 16.0, 2.0, step=0.25, key="pt_eps")
    eps = eps_levels / 255
    st.caption(
        "FGSM (Goodfellow et al. 2015): move every pixel by ±ε in the direction that raises "
        f"the loss of the predicted class, **{cats[top]}**. ε of a few grey levels is invisible."
    )
    c1, c2 = st.columns(2)
    if c1.button("Attack (FGSM)", key="pt_attack"):
        st.session_state.pt_attack_on = True
    if c2.button("Find the ε that flips it", key="pt_flip"):
        with st.spinner("Trying larger and larger ε…"):
            needed = needed_epsilon(name, top, digest, model, x)
        st.session_state.pt_flip_result = (digest, name, needed)
    flip = st.session_state.get("pt_flip_result")
    if flip and flip[:2] == (digest, name):
        if flip[2] is None:
            st.info("Even ε = 64 grey levels does not change this prediction.")
        else:
            flipped = attack(name, top, flip[2], digest, model, x)
            st.success(
                f"ε = **{255 * flip[2]:.3f} grey levels** ({flip[2]:.5f} on a 0–1 scale) is "
                f"enough to change the class from {cats[top]} to **{cats[flipped.label]}** "
                f"({100 * flipped.prob:.1f}%)."
            )
            if flipped.label in [int(i) for i in idx[1:]]:
                st.caption(
                    "A close runner-up flips first: when two classes are almost tied, the "
                    "smallest push decides. Try a photo the network is sure about (coffee)."
                )
    if not st.session_state.get("pt_attack_on"):
        return
    with st.spinner("One gradient step…"):
        result = attack(name, top, eps, digest, model, x)
    delta = result.delta.permute(1, 2, 0).cpu().numpy()  # (S, S, 3), normalised units
    magnified = np.clip(0.5 + MAGNIFY * delta * np.array(spec.std) / 2, 0, 1)
    a, b, c = st.columns(3)
    a.image(prep.cropped, caption=f"original: {cats[top]} ({100 * probs[0]:.1f}%)")
    b.image(magnified, caption=f"perturbation × {MAGNIFY} (grey = 0)")
    c.image(
        denormalise(result.x, spec),
        caption=f"perturbed: {cats[result.label]} ({100 * result.prob:.1f}%)",
    )
    verdict = "the prediction has **changed**" if result.label != top else "it is unchanged"
    st.markdown(
        f"With ε = {eps_levels:g}/255 the network says **{cats[result.label]}** "
        f"({100 * result.prob:.1f}%): {verdict}."
    )


private = session_copy(name, model)
tabs = st.tabs(["Prediction", "Feature maps", "Filters", "Saliency", "Occlusion", "Adversarial"])
with tabs[0]:
    prediction_tab()
with tabs[1]:
    feature_tab(private)
with tabs[2]:
    filters_tab()
with tabs[3]:
    saliency_tab(private)
with tabs[4]:
    occlusion_tab()
with tabs[5]:
    adversarial_tab()
