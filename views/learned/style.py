"""The Style transfer tab: paint a photo p in the style of an image a (Gatys, Ecker & Bethge
2016) by gradient descent on the pixels of x through the fixed network chosen above the tabs;
the loss curves, the Gram matrices of photo, result and style, the notes' Gram sum worked out
on a tiny feature map, shallow against deep textures, and what fast style transfer changes.

Not a fragment as a whole: Run and Stop sit in the tab's body (a click inside a fragment would
wait for the run to end). The settings and the results are fragments of their own.

Per-session state (bounded): the widgets' values, the latest run (views.learned.common.Made:
the result, at most 320 px a side, the two input images as used, the loss history and small
Gram matrices) and at most MAX_TEXTURES texture-only results (each at most 320×320×3 bytes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from cnnplay.images import MAX_FILE_BYTES, UPLOAD_TYPES, ImageError
from cnnplay.models.stages import Stage
from cnnplay.plots.grids import grid_figure
from cnnplay.plots.style import fmt
from cnnplay.snippets import Snippet, SnippetError
from cnnplay.snippets import learned as learned_code
from cnnplay.synthesis.style import (
    StyleResult,
    StyleSettings,
    fit_images,
    gram_matrix,
    gram_matrix_loops,
    image_grams,
    stage_names,
    transfer,
    vgg_layer_names,
)
from cnnplay.synthesis.style_images import style_image, style_names, texture_names
from cnnplay.synthesis.style_plots import (
    WORKED_MAP,
    flattened_latex,
    gram_entry_latex,
    gram_figure,
    loss_curves_figure,
    matrix_latex,
    relative_gap,
)
from ui.code_panel import code_panel
from ui.hosting import profile
from ui.inputs import decoded_upload, image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import (
    Net,
    made,
    optimise,
    run_buttons,
    show,
    stages,
    stopped_line,
)

SLOT = "style"  # views.learned.common's slot of this tab: keys wl_style_run, wl_style_made, …
RUN_LABEL = "Paint the photo in this style"
UPLOAD = "your own image (upload)"  # the style select's last option
DEFAULT_STYLE = "swirls"  # the style image before any choice, and after a bad upload
MAX_STYLE_SIDE = 512  # uploads and photos are decoded to at most this side
SIDES = (64, 128, 192, 256, 320)  # image sides offered (64: a quick look)
ALPHAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)  # content weights α offered
BETAS = (0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # style weights β
TV_WEIGHTS = (0.0, 1.0, 10.0, 30.0, 100.0, 300.0)  # total-variation weights λ_TV offered
LEARNING_RATES = (0.005, 0.01, 0.02, 0.05, 0.1)  # Adam steps, fraction of the 0..255 range
MAX_TEXTURES = 4  # texture-only results kept for the shallow-vs-deep comparison
TEXTURES_KEY = "wl_style_textures"  # session state: list of Texture, newest last
OPTIMISERS = {"adam": "Adam", "lbfgs": "L-BFGS"}
STARTS = {"content": "the photo", "noise": "noise"}
_SETTINGS = StyleSettings()
# Session-state defaults of the widgets that do not depend on the network (set when absent).
DEFAULTS = {
    "wl_style_style": DEFAULT_STYLE,
    "wl_style_alpha": _SETTINGS.alpha,
    "wl_style_tv": _SETTINGS.tv_weight,
    "wl_style_steps": _SETTINGS.steps,
    "wl_style_side": _SETTINGS.side,
    "wl_style_start": _SETTINGS.start,
    "wl_style_optimiser": _SETTINGS.optimiser,
    "wl_style_lr": _SETTINGS.lr,
}
# EfficientNet-Lite0: StyleSettings' defaults, measured (see its docstring).
EFFICIENTNET_DEFAULTS = (_SETTINGS.content_stage, _SETTINGS.style_stages, _SETTINGS.beta)
# VGG: Gatys et al.'s conv4_2 and conv1_1 … conv5_1. β: their α/β = 1e-3 … 1e-4 (½ Σ for the
# content) is β/α ≈ 13 … 130 here at 256 px: × 2/(C·H·W) of conv4_2 for this module's mean
# content loss, × 57.6² because torchvision's inputs are 1/57.6 of Caffe's 0..255 pixels (the
# content loss scales with the input², the style loss with its 4th power). Not measured here:
# VGG-16's weights are a download.
VGG_BETA = 30.0


@dataclass(frozen=True)
class RunInputs:
    """What one run was made with (views.learned.common.Made.settings of this tab)."""

    settings: StyleSettings  # the optimisation's settings
    network: str  # Net.short of the network that ran it
    content_label: str  # where the photo came from
    style_label: str  # the style image's name or file name
    content: np.ndarray  # (h, w, 3) uint8, the photo as used (longer side = settings.side)
    style: np.ndarray  # (side, side, 3) uint8, the style image as used
    stage_labels: dict[int, str]  # stage index -> its label, for the result's captions


@dataclass(frozen=True)
class Texture:
    """One texture-only run (α = 0), for the shallow-vs-deep comparison."""

    network: str
    stage: str  # the style stages in a few words (stages_line)
    style_label: str
    image: np.ndarray  # (h, w, 3) uint8


@dataclass(frozen=True)
class Chosen:
    """What the settings panel chose (returned by it on a full run)."""

    content: np.ndarray  # (H, W, 3) uint8
    content_label: str
    style: np.ndarray  # (H, W, 3) uint8
    style_label: str
    settings: StyleSettings | None  # None: the settings cannot run (the panel says why)
    stage_labels: dict[int, str]  # stage index -> label


# --- the network's stages -------------------------------------------------------------------


def slug(net: Net) -> str:
    """The network's short name for widget keys: "EfficientNet-Lite0" -> "efficientnet_lite0"."""
    return re.sub(r"[^a-z0-9]+", "_", net.short.lower()).strip("_")


@st.cache_data(max_entries=4, show_spinner=False)
def _layer_names(name: str, _model) -> tuple[list[str], dict[str, int]]:
    """Module name per stage and, for a VGG, Gatys' conv names -> stage index."""
    return stage_names(_model), vgg_layer_names(_model)


def stage_options(net: Net) -> tuple[list[int], dict[int, str]]:
    """The stages a loss may read (indices, shallowest first) and their labels:
    "blocks.2 · 40 channels · 1/8 size"; a VGG offers only its rectified convolutions, named
    as Gatys et al. name them ("conv4_2 · 512 channels · 1/8 size")."""
    rows: list[Stage] = stages(net.name, net.model)
    by_index = {s.index: s for s in rows}
    names, vgg = _layer_names(net.name, net.model)

    def tail(s: Stage) -> str:
        factor = round(net.spec.input_side / s.side)
        return f"{s.channels} channels · " + ("full size" if factor == 1 else f"1/{factor} size")

    if vgg:
        return list(vgg.values()), {i: f"{n} · {tail(by_index[i])}" for n, i in vgg.items()}
    return [s.index for s in rows], {s.index: f"{names[s.index]} · {tail(s)}" for s in rows}


def default_stages(net: Net, options: list[int]) -> tuple[int, tuple[int, ...], float]:
    """(content stage, style stages, β) to start from: Gatys et al.'s layers on a VGG, the
    measured choice on EfficientNet-Lite0, else a rule — the last stage at each of the first
    four output sizes for the style and the last one at 1/8 size for the content."""
    _, vgg = _layer_names(net.name, net.model)
    if vgg:
        return vgg["conv4_2"], tuple(vgg[f"conv{b}_1"] for b in range(1, 6)), VGG_BETA
    if net.short == "EfficientNet-Lite0":
        return EFFICIENTNET_DEFAULTS
    last_at: dict[int, int] = {}  # output side -> the deepest stage with it
    for s in stages(net.name, net.model):
        if s.index in options:
            last_at[s.side] = s.index
    sizes = list(last_at.values())
    style = tuple(sizes[:4])
    return sizes[min(2, len(sizes) - 1)], style, 10.0


def network_keys(net: Net) -> dict[str, str]:
    """The widget keys that hold per-network settings (stage indices differ by network)."""
    k = slug(net)
    return {
        "content_stage": f"wl_style_content_stage_{k}",
        "style_stages": f"wl_style_stages_{k}",
        "beta": f"wl_style_beta_{k}",
    }


def set_defaults(net: Net) -> None:
    """Give every widget of the tab its default unless the student has set it (the widgets
    read their values from session state and pass no defaults of their own)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)
    options, _ = stage_options(net)
    content, style, beta = default_stages(net, options)
    keys = network_keys(net)
    st.session_state.setdefault(keys["content_stage"], content)
    st.session_state.setdefault(keys["style_stages"], list(style))
    st.session_state.setdefault(keys["beta"], beta)


# --- the settings ---------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def _style_source(name: str) -> np.ndarray:
    return style_image(name, MAX_STYLE_SIDE)


def style_picker() -> tuple[np.ndarray, str]:
    """The style image: a generated texture, a sample photo or an upload. A bad upload says
    why and the tab goes on with the default texture (nothing else is lost)."""
    name = st.selectbox(
        "Style image",
        [*style_names(), UPLOAD],
        key="wl_style_style",
        persist_state=KEEP,
        bind=LINK,
        format_func=lambda n: (
            f"texture: {n}" if n in texture_names() else (n if n == UPLOAD else f"photo: {n}")
        ),  # fmt: skip
        help="The textures are drawn by the app (no download); any photo works as a style too.",
    )
    if name != UPLOAD:
        return _style_source(name), name
    upload = st.file_uploader(
        f"Your style image ({', '.join(UPLOAD_TYPES)}; up to {MAX_FILE_BYTES // 2**20} MB)",
        type=list(UPLOAD_TYPES),
        key="wl_style_upload",
    )
    if upload is None:
        st.caption(f"No file yet: using the {DEFAULT_STYLE} texture.")
        return _style_source(DEFAULT_STYLE), DEFAULT_STYLE
    try:
        decoded = decoded_upload(upload.getvalue(), MAX_STYLE_SIDE)
    except ImageError as err:
        st.error(
            f"**{upload.name}** cannot be used as the style image: {err} Using the "
            f"{DEFAULT_STYLE} texture instead; your other settings are kept.",
            icon=":material/broken_image:",
        )
        return _style_source(DEFAULT_STYLE), DEFAULT_STYLE
    for note in decoded.notes:
        st.info(note, icon=":material/info:")
    return decoded.pixels, upload.name


@tab_body
def settings_panel(net: Net) -> Chosen:
    """The photo, the style image, the stages and the optimisation settings (a fragment: a
    change reruns only this panel; Run reads what it returns on the full run it starts)."""
    keys = network_keys(net)
    options, labels = stage_options(net)
    left, right = st.columns(2)
    with left:
        picked = image_picker("wl_style_content", MAX_STYLE_SIDE, default="chelsea (cat)")
        show_notes(picked)
        st.image(picked.pixels, caption=f"content p: {picked.label}", width=220)
    with right:
        style, style_label = style_picker()
        st.image(style, caption=f"style a: {style_label}", width=220)
    c1, c2 = st.columns([1, 2])
    content_stage = c1.selectbox(
        "Content stage l",
        options,
        key=keys["content_stage"],
        persist_state=KEEP,
        bind=LINK,
        format_func=labels.get,
        help="Where the content loss compares x and p. Deeper: only the layout survives; "
        "shallower: the photo's exact pixels (and less room for the style).",
    )
    style_stages = c2.multiselect(
        "Style stages (a Gram matrix each)",
        options,
        key=keys["style_stages"],
        persist_state=KEEP,
        bind=LINK,
        format_func=labels.get,
        help="Shallow stages carry colours and fine strokes, deep ones larger motifs.",
    )
    d1, d2, d3 = st.columns(3)
    alpha = d1.select_slider("Content weight α", ALPHAS, key="wl_style_alpha",
                             persist_state=KEEP, bind=LINK, format_func=lambda v: f"{v:g}",
                             help="0: no content — a texture of the style alone.")  # fmt: skip
    beta = d2.select_slider("Style weight β", BETAS, key=keys["beta"], persist_state=KEEP,
                            bind=LINK, format_func=lambda v: f"{v:g}",
                            help="0: no style — x only reproduces the photo's map at the "
                            "content stage.")  # fmt: skip
    tv = d3.select_slider("Smoothness λ_TV", TV_WEIGHTS, key="wl_style_tv", persist_state=KEEP,
                          bind=LINK, format_func=lambda v: f"{v:g}",
                          help="Total variation: penalises differences between neighbouring "
                          "pixels, against the speckle that optimising pixels leaves.")  # fmt: skip
    e1, e2, e3, e4 = st.columns(4)
    steps = e1.slider("Steps", 5, 400, step=5, key="wl_style_steps", persist_state=KEEP, bind=LINK)
    side = e2.select_slider("Image side (px)", SIDES, key="wl_style_side", persist_state=KEEP,
                            bind=LINK, help="The photo's longer side; the style image is cut "
                            "to a square of this side. Time grows with the pixels.")  # fmt: skip
    start = e3.radio("Start from", list(STARTS), key="wl_style_start", persist_state=KEEP,
                     bind=LINK, format_func=STARTS.get, horizontal=True)  # fmt: skip
    optimiser = e4.radio("Optimiser", list(OPTIMISERS), key="wl_style_optimiser",
                         persist_state=KEEP, bind=LINK, format_func=OPTIMISERS.get, horizontal=True,
                         help="Adam takes a step of fixed size per pixel; L-BFGS (Gatys et "
                         "al.'s choice) fits a curvature model and searches along a line, "
                         "several evaluations per step.")  # fmt: skip
    lr = st.select_slider(
        "Adam step per pixel",
        LEARNING_RATES,
        key="wl_style_lr",
        persist_state=KEEP,
        bind=LINK,
        format_func=lambda v: f"{v:g} (≈ {255 * v:.0f} grey levels)",
        disabled=optimiser != "adam",
    )
    settings, problem = None, ""
    try:
        settings = StyleSettings(
            content_stage=int(content_stage),
            style_stages=tuple(sorted(int(i) for i in style_stages)),
            alpha=float(alpha),
            beta=float(beta),
            tv_weight=float(tv),
            steps=int(steps),
            lr=float(lr),
            side=int(side),
            start=str(start),
            optimiser=str(optimiser),
            image_every=1,  # the live image follows the bar (a conversion costs ~1 ms)
        )
    except ValueError as err:
        problem = str(err)
    if settings is None:
        st.warning(f"These settings cannot run: {problem}.", icon=":material/warning:")
    chosen = Chosen(picked.pixels, picked.label, style, style_label, settings, labels)
    code_panel(lambda: style_code(net, chosen, problem), "wl_code_style")  # these settings' run
    return chosen


def style_code(net: Net, chosen: Chosen, problem: str) -> Snippet:
    """The program that paints what the Run button paints with these settings (the photo and
    the style image as the run uses them), without running it here."""
    settings = chosen.settings
    if settings is None:
        raise SnippetError(problem)
    content, style = fit_images(chosen.content, chosen.style, settings.side)
    names = {i: stage_name(label) for i, label in chosen.stage_labels.items()}
    return learned_code.style_transfer(net.name, settings, content, style, names)


# --- the run --------------------------------------------------------------------------------


def progress_caption(step: int, total: int, metrics: dict) -> str:
    return (
        f"step {step} of {total} · content loss {metrics.get('content', 0):.3g} · "
        f"style loss {metrics.get('style', 0):.3g}"
    )


def run(net: Net, chosen: Chosen, where) -> None:
    """One style-transfer run through the page's optimisation pattern (queue, progress, the
    image forming live, Stop keeps the image so far)."""
    settings = chosen.settings
    content, style = fit_images(chosen.content, chosen.style, settings.side)
    inputs = RunInputs(
        settings, net.short, chosen.content_label, chosen.style_label, content, style,
        chosen.stage_labels,
    )  # fmt: skip

    def work(on_progress, should_stop) -> tuple[np.ndarray, dict]:
        result = transfer(net.model, net.spec, content, style, settings, on_progress,
                          should_stop)  # fmt: skip
        return result.image, {"result": result}

    result = optimise(SLOT, f"Style transfer: {net.short}", inputs, work, where,
                      progress_caption)  # fmt: skip
    if settings.alpha == 0 and not result.stopped:
        keep_texture(Texture(net.short, stages_line(settings, chosen.stage_labels),
                             chosen.style_label, result.image))  # fmt: skip


def keep_texture(texture: Texture) -> None:
    """Add a texture-only result to the comparison (one per network, stages and style; at
    most MAX_TEXTURES, the oldest dropped)."""

    def same(t: Texture) -> bool:
        return (t.network, t.stage, t.style_label) == (texture.network, texture.stage,
                                                       texture.style_label)  # fmt: skip

    kept = [t for t in st.session_state.get(TEXTURES_KEY, []) if not same(t)]
    st.session_state[TEXTURES_KEY] = (kept + [texture])[-MAX_TEXTURES:]


# --- the result -----------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Computing Gram matrices…")
def _grams(name: str, digest: str, _image: np.ndarray, _net: Net, stages_: tuple[int, ...]):
    return image_grams(_net.model, _net.spec, _image, stages_)


def _digest(image: np.ndarray) -> str:
    return hashlib.blake2b(image.tobytes() + str(image.shape).encode(), digest_size=16).hexdigest()


def grams_of(net: Net, inputs: RunInputs, image: np.ndarray, extras: dict):
    """(content, result, style) Gram matrices per stage and each stage's channel count: the
    run's own, or (for a run a Stop interrupted) computed now with the same network."""
    result: StyleResult | None = extras.get("result")
    if result is not None:
        return result.content_grams, result.result_grams, result.style_grams, result.channels
    if inputs.network != net.short:
        return None
    wanted = inputs.settings.style_stages if inputs.settings.beta > 0 else ()
    grams = [_grams(net.name, _digest(a), a, net, wanted) for a in (inputs.content, image,
                                                                 inputs.style)]  # fmt: skip
    return grams[0][0], grams[1][0], grams[2][0], grams[2][1]


@tab_body
def results(net: Net) -> None:
    """The latest run: photo | style | result, the loss curves and the Gram matrices."""
    result = made(SLOT)
    if result is None:
        st.caption(f"Nothing painted yet in this session: press **{RUN_LABEL}**.")
        return
    inputs: RunInputs = result.settings
    s = inputs.settings
    a, b, c = st.columns(3)
    unused = " (not used: α = 0)" if s.alpha == 0 else ""
    a.image(inputs.content, caption=f"content p: {inputs.content_label}{unused}", width="stretch")
    b.image(inputs.style, caption=f"style a: {inputs.style_label}", width="stretch")
    c.image(result.image, caption=f"result x: {stopped_line(result)}", width="stretch")
    content_part = (
        f"content at {stage_name(inputs.stage_labels[s.content_stage])}, α = {s.alpha:g}"
        if s.alpha > 0 else "no content (α = 0)"
    )  # fmt: skip
    style_part = (
        "style at " + ", ".join(stage_name(inputs.stage_labels[i]) for i in s.style_stages)
        + f", β = {s.beta:g}" if s.beta > 0 else "no style (β = 0)"
    )  # fmt: skip
    st.caption(
        f"{inputs.network}, {content_part}; {style_part}; λ_TV = {s.tv_weight:g}; "
        f"{OPTIMISERS[s.optimiser]}, from {STARTS[s.start]}, {result.image.shape[1]}×"
        f"{result.image.shape[0]} px."
    )
    if result.history:
        st.markdown("**The losses, step by step** (each term with its weight; log scale)")
        show(loss_curves_figure(result.history, s.alpha, s.beta, s.tv_weight), "wl_style_losses")
        first, last = result.history[0], result.history[-1]
        st.caption(
            f"Style loss {first['style']:.3g} → {last['style']:.3g}, content loss "
            f"{first['content']:.3g} → {last['content']:.3g}. " + loss_story(s)
        )
    show_grams(net, inputs, result.image, result.extras)


def loss_story(s: StyleSettings) -> str:
    """What the curves of a run with these settings show, in a sentence."""
    if s.alpha == 0:
        return "No content term: only the style's statistics are matched, so the style loss "\
            "alone falls."  # fmt: skip
    if s.beta == 0:
        return "No style term: x only rebuilds the photo's map at the content stage."
    if s.start == "content":
        return (
            "Starting from the photo, the content loss starts at 0 and rises while the style "
            "is painted in: the two pull against each other, and β/α sets where they meet."
        )
    return (
        "Starting from noise, x has to build both: the style's strokes come quickly, the "
        "photo's layout slowly — give it more steps or a smaller β/α."
    )


def show_grams(net: Net, inputs: RunInputs, image: np.ndarray, extras: dict) -> None:
    """The Gram matrices of one chosen style stage: photo, result and style image."""
    s = inputs.settings
    if s.beta == 0 or not s.style_stages:
        return
    found = grams_of(net, inputs, image, extras)
    if found is None:
        st.caption("The Gram matrices of this run need the network it was made with.")
        return
    content_g, result_g, style_g, channels = found
    st.markdown("**Gram matrices: what the style loss compares**")
    stage = st.columns([1, 1])[0].selectbox(
        "Stage",
        list(s.style_stages),
        key="wl_style_gram_stage",
        persist_state=KEEP,
        bind=LINK,
        format_func=inputs.stage_labels.get,
    )
    if stage not in style_g:
        return
    figure = gram_figure(
        {"photo p": content_g[stage], "result x": result_g[stage], "style a": style_g[stage]},
        channels.get(stage),
    )
    show(figure, "wl_style_grams")
    st.caption(
        "Entry (m, n): how strongly channels m and n are active at the same places, averaged "
        "over the positions. How far from the style's matrix (‖Ĝ − Ĝ_a‖ / ‖Ĝ_a‖): photo "
        f"**{relative_gap(content_g[stage], style_g[stage]):.2f}**, result "
        f"**{relative_gap(result_g[stage], style_g[stage]):.2f}**. Where each feature sits "
        "is gone from these matrices: that is why the style image's layout does not carry over."
    )


# --- the explanations -----------------------------------------------------------------------


def intro() -> None:
    st.markdown(
        "Take a **content** photo *p* and a **style** image *a*, and look for an image *x* "
        "whose feature maps match *p*'s at one stage, and whose **Gram matrices** — which "
        "features occur *together*, wherever they are — match *a*'s at several stages "
        f"(Gatys, Ecker & Bethge 2016, in {notes_name('002')}). The network stays fixed; "
        "gradient descent changes only the pixels of *x*:"
    )
    st.latex(
        r"x^\ast = \arg\min_x\; \alpha\, L_\text{content}(x, p) + \beta\, L_\text{style}(x, a)"
        r" \;+\; \lambda_\text{TV}\, \mathrm{TV}(x)"
    )
    st.latex(
        r"L_\text{content} = \frac{1}{C_l H_l W_l}\sum_c \big\| f^{(l)}_{\cdot,\cdot,c}(x)"
        r" - f^{(l)}_{\cdot,\cdot,c}(p) \big\|_F^2"
    )
    st.latex(
        r"G^{(l)}_{m,n} = \frac{1}{H_l W_l}\sum_{i,j} f^{(l)}_{i,j,m}\, f^{(l)}_{i,j,n},\qquad"
        r"G^{(l)} = \frac{1}{H_l W_l} F F^\top,\quad F \in \mathbb{R}^{C_l \times H_l W_l}"
    )
    st.latex(
        r"L_\text{style} = \sum_{l} \frac{1}{L}\cdot\frac{1}{4 C_l^2}"
        r"\big\| G_x^{(l)} - G_a^{(l)} \big\|_F^2"
    )
    st.caption(
        "The constants are Gatys et al.'s 1/(4 N² M²) for the style (N = C channels, M = H·W "
        "positions; here 1/M goes into G, so a Gram matrix is a mean over positions, and 1/L "
        "weighs the L style stages equally) and a mean for the content. The notes write the "
        "plain sums (and G_p where the style image's G_a is meant): the constants only "
        "rescale each term, but with them a good α and β do not depend on the image's size or "
        "a stage's number of channels. TV(x), the mean squared difference of neighbouring "
        "pixels, is optional (λ_TV = 0 by default)."
    )
    from_the_notes(("002", "Style Transfer [3]", "Content Loss", "Style Loss (1/2)",
                    "Style Loss (2/2)"))  # fmt: skip


def gram_example() -> None:
    """The notes' Gram sum on a 3-channel 2 × 2 feature map, both ways."""
    with st.expander("A Gram matrix by hand: a 3-channel 2 × 2 feature map", expanded=True):
        f = WORKED_MAP
        st.markdown(
            "Each entry sums, over every position (i, j), the product of two channels' values "
            "there; the map's layout is summed away:"
        )
        cols = st.columns(4)
        for k in range(3):
            show(grid_figure(f[k], f"channel {k}"), f"wl_style_example_{k}", cols[k])
        loops = gram_matrix_loops(f)
        product = gram_matrix(torch.from_numpy(f.astype(np.float64))[None], normalise=False)
        product = product[0].numpy()  # (3, 3)
        show(grid_figure(loops, "G (3 × 3)"), "wl_style_example_gram", cols[3])
        st.latex(gram_entry_latex(f, 0, 1))
        st.latex(gram_entry_latex(f, 0, 2))
        st.markdown("The same matrix as one product: reshape the map to F, one row per channel.")
        st.latex(flattened_latex(f) + r",\qquad G = FF^\top = " + matrix_latex(product))
        same = np.array_equal(loops, product)
        g = {(m, n): fmt(loops[m, n]) for m in range(3) for n in range(3)}
        st.caption(
            (
                "The loop over positions and the matrix product give the same G"
                if same
                else "The two ways disagree"
            )  # fmt: skip
            + f". Channels 0 and 1 fire at the same places: G₀₁ = {g[0, 1]}, nearly their own "
            f"G₀₀ = {g[0, 0]} and G₁₁ = {g[1, 1]}. Channel 2 fires elsewhere: G₀₂ = {g[0, 2]}, "
            f"though its own G₂₂ = {g[2, 2]} is the largest. The runs above use the product, "
            "divided by H·W."
        )


def texture_section(net: Net) -> None:
    """Deeper stage -> coarser texture: set up texture-only runs and compare them."""
    st.subheader("Deeper stage, coarser texture")
    st.markdown(
        "With α = 0 there is no photo: x only has to match the style's Gram matrices — a "
        "**texture** of the style (Gatys, Ecker & Bethge 2015). Matched at the shallow stages "
        "alone, x takes the colours and the finest strokes, repeated in small motifs; add "
        "deeper stages, whose units see larger patches, and larger motifs appear — the "
        "texture becomes more coarse-grained. As in that paper, each setup below matches "
        "every chosen stage *up to* a depth: a deep stage alone leaves the fine detail free, "
        f"and x fills it with coloured noise (try it). Set up one of each, press **{RUN_LABEL}**, "
        "and compare."
    )
    from_the_notes(("002", "Style Loss (2/2)"))
    options, labels = stage_options(net)
    _, style, _ = default_stages(net, options)
    shallow, deep = style[: min(2, len(style))], style
    b1, b2 = st.columns(2)
    for column, chosen, word in ((b1, shallow, "shallow"), (b2, deep, "deep")):
        column.button(
            f"Set up a {word} texture: stages up to {stage_name(labels[chosen[-1]])}",
            key=f"wl_style_setup_{word}",
            on_click=texture_setup,
            args=(net, tuple(chosen)),
            icon=":material/texture:",
        )
    kept = [t for t in st.session_state.get(TEXTURES_KEY, []) if t.network == net.short]
    if kept:
        cols = st.columns(MAX_TEXTURES)
        for col, t in zip(cols, kept, strict=False):
            col.image(t.image, caption=f"{t.stage} · {t.style_label}", width="stretch")
    else:
        st.caption("Your texture-only runs (α = 0) will appear here, side by side.")


def stage_name(label: str) -> str:
    """ "blocks.2 · 40 channels · 1/8 size" -> "blocks.2"."""
    return label.split(" · ")[0]


def stages_line(settings: StyleSettings, labels: dict[int, str]) -> str:
    """The style stages in a few words: "blocks.3", "bn1 … blocks.3 (4 stages)"."""
    names = [stage_name(labels[i]) for i in settings.style_stages]
    return names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)} stages)"


def texture_setup(net: Net, chosen: tuple[int, ...]) -> None:
    """Button callback (runs before the widgets exist): α = 0, these style stages, start from
    noise."""
    keys = network_keys(net)
    state = st.session_state
    state["wl_style_alpha"] = 0.0
    state[keys["style_stages"]] = list(chosen)
    state["wl_style_start"] = "noise"
    if state.get(keys["beta"], 0) == 0:
        state[keys["beta"]] = 1.0


def fast_section() -> None:
    st.subheader("Fast style transfer")
    st.markdown(
        "Every image above is the end of an optimisation: a hundred or more forward *and* "
        "backward passes through the network, seconds to minutes per image — too slow for "
        "video. **Fast style transfer** moves the optimisation to training time. A separate "
        "**transformation network** (a small encoder–decoder CNN) is trained, once per style, "
        "on many content photos, to minimise the *same* perceptual loss — the content loss "
        "and the Gram-matrix style loss measured by the fixed classification network. After "
        "training, stylising any new photo is **one forward pass** of the transformation "
        "network (milliseconds, fast enough for video); the price is one network per style "
        "and somewhat less quality than a full optimisation (Johnson, Alahi & Fei-Fei 2016, "
        "*Perceptual losses for real-time style transfer and super-resolution*; Ulyanov, "
        "Lebedev, Vedaldi & Lempitsky 2016, *Texture networks*)."
    )
    from_the_notes(("002", "Fast Style Transfer"))


# --- the tab --------------------------------------------------------------------------------


def render(net: Net) -> None:
    """The tab's body (not a fragment: it holds the Run and Stop buttons)."""
    set_defaults(net)
    intro()
    chosen = settings_panel(net)
    pressed = run_buttons(SLOT, RUN_LABEL)
    where = st.container()
    if pressed and chosen is not None and chosen.settings is not None:
        run(net, chosen, where)
    results(net)
    gram_example()
    texture_section(net)
    fast_section()
