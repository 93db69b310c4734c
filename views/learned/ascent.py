"""The Gradient ascent tab (seed 002, "Gradient Ascent", "Natural Image Regularizer",
"Multi-Faceted Gradient Ascent"): make an image that a class's logit or one unit scores high,
from noise, grey, a photo or the gallery images of its facets, with each of the notes'
regularisers switchable; optionally the same run without them, side by side.

The tab body is not a fragment as a whole: Run and Stop sit outside any fragment
(views/learned/common.run_buttons); the settings are a fragment of their own, so changing one
reruns only them. This session keeps one result (views/learned/common.Made, slot "ga": up to
four 256×256 images, their starts, the curves), replaced by the next run, and the photo picked
for a photo start (at most 512 px on its longer side, 0.8 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnplay.learned.gallery import photo_gallery
from cnnplay.models.pretrained import REGISTRY
from cnnplay.plots.charts import topk_figure
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.snippets import Snippet
from cnnplay.snippets import learned as learned_code
from cnnplay.synthesis.ascent import (
    AscentResult,
    ClassTarget,
    Facets,
    Target,
    UnitTarget,
    ascend,
    facets,
    grey_start,
    noise_start,
    photo_start,
)
from cnnplay.synthesis.plots import objective_figure
from cnnplay.synthesis.regularisers import AscentSettings
from ui.code_panel import code_panel
from ui.hosting import profile
from ui.inputs import PickedImage, image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import (
    Made,
    Net,
    categories,
    made,
    optimise,
    run_buttons,
    show,
    stage_module,
    stages,
    stopped_line,
)

SLOT = "ga"  # this tab's Made slot and widget prefix: wl_ga_...
DEFAULT_CLASS = "ostrich"  # in the notes' figure; long neck, legs and plumage come out
# recognisably on EfficientNet-Lite0 with the default settings (flamingo, tarantula, goose too)
# Simonyan et al.'s figure in the notes: classes to try (torchvision's names)
NOTES_CLASSES = ("washer", "computer keyboard", "kit fox", "goose", "ostrich", "limousine")
SIZES = (64, 96, 128, 160, 192, 224, 256)  # side of the image made, px
L2_WEIGHTS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3)  # λ_Ω offered
STARTS = {
    "noise": "noise",
    "grey": "grey",
    "photo": "a photo",
    "facets": "facets (gallery images)",
}
MAX_FACETS = 4
PHOTO_KEY = "wl_ga_photo"  # session state: the PickedImage the photo start uses
_D = AscentSettings()  # the defaults live in the settings dataclass
DEFAULTS = {  # session-state defaults of the tab's widgets (set when absent)
    "wl_ga_kind": "class",
    "wl_ga_channel": 0,
    "wl_ga_start": "noise",
    "wl_ga_facets": 2,
    "wl_ga_steps": _D.steps,
    "wl_ga_size": _D.size,
    "wl_ga_step": _D.step_size,
    "wl_ga_l2_on": _D.l2 > 0,
    "wl_ga_l2": _D.l2,
    "wl_ga_blur_on": _D.blur_sigma > 0,
    "wl_ga_blur": _D.blur_sigma,
    "wl_ga_blur_every": _D.blur_every,
    "wl_ga_jitter_on": _D.jitter > 0,
    "wl_ga_jitter": max(_D.jitter, 1),
    "wl_ga_norm_on": _D.clip_norm_pct > 0,
    "wl_ga_norm": _D.clip_norm_pct or 20.0,
    "wl_ga_contrib_on": _D.clip_contrib_pct > 0,
    "wl_ga_contrib": _D.clip_contrib_pct or 20.0,
    "wl_ga_clamp": _D.clamp,
    "wl_ga_seed": _D.seed,
    "wl_ga_compare": False,
}


@dataclass(frozen=True)
class Choice:
    """Everything one run is made with (kept with its result)."""

    target: Target  # what f is
    label: str  # the target for captions: "flamingo", "stage 6, channel 3"
    settings: AscentSettings
    start: str  # a key of STARTS
    n_facets: int  # facets asked for (start "facets")
    compare: bool  # also run without the regularisers (the first start image)


def set_defaults(net: Net) -> None:
    """Give every widget of the tab its default unless the student has set it (the class and
    the stage depend on the network's lists)."""
    state = st.session_state
    for key, value in profile().page_defaults(DEFAULTS).items():
        state.setdefault(key, value)
    state.setdefault("wl_ga_class", categories().index(DEFAULT_CLASS))
    indices = [s.index for s in stages(net.name, net.model)]
    if state.get("wl_ga_stage") not in indices:
        state["wl_ga_stage"] = indices[int(0.6 * (len(indices) - 1))]


# --- the settings (a fragment) --------------------------------------------------------------


def pick_notes_class() -> None:
    """The notes' example chosen: make it the target class (the chips act as buttons)."""
    name = st.session_state.get("wl_ga_notes")
    if name:
        st.session_state.wl_ga_class = categories().index(name)
    st.session_state.wl_ga_notes = None


def target_widgets(net: Net) -> None:
    cats = categories()
    kind = st.radio(
        "Maximise",
        ["class", "unit"],
        format_func={"class": "a class (its logit)", "unit": "a unit (one channel of a stage)"}.get,
        horizontal=True,
        key="wl_ga_kind",
        persist_state=KEEP,
        bind=LINK,
    )
    if kind == "class":
        st.selectbox(
            "Class", list(range(len(cats))), format_func=lambda i: f"{cats[i]} ({i})",
            key="wl_ga_class", persist_state=KEEP, bind=LINK,
        )  # fmt: skip
        st.pills(
            "The notes' examples", NOTES_CLASSES, key="wl_ga_notes", on_change=pick_notes_class,
            persist_state=KEEP, bind=LINK,
            help="The classes of Simonyan et al.'s figure in the notes (click one to aim at it).",
        )  # fmt: skip
        return
    rows = {s.index: s for s in stages(net.name, net.model)}
    c1, c2 = st.columns([2, 1])
    stage = c1.selectbox(
        "Stage", list(rows), format_func=lambda i: rows[i].label, key="wl_ga_stage",
        persist_state=KEEP, bind=LINK,
        help="Shallow stages respond to colours and edges, deep ones to parts of objects.",
    )  # fmt: skip
    channels = rows[stage].channels
    if st.session_state.get("wl_ga_channel", 0) >= channels:
        st.session_state.wl_ga_channel = 0
    c2.number_input(f"Channel (0–{channels - 1})", 0, channels - 1, key="wl_ga_channel",
                    persist_state=KEEP, bind=LINK)  # fmt: skip
    st.caption("f = the mean of that channel's map over all positions (not only its centre "
               "unit), so the pattern it likes may appear anywhere.")  # fmt: skip


def start_widgets() -> None:
    start = st.radio("Start from", list(STARTS), format_func=STARTS.get, horizontal=True,
                     key="wl_ga_start", persist_state=KEEP, bind=LINK)  # fmt: skip
    if start == "photo":
        picked = image_picker("wl_ga_img", max_side=512, default="chelsea (cat)")
        show_notes(picked)
        st.session_state[PHOTO_KEY] = picked
    elif start == "facets":
        st.slider("Facets", 1, MAX_FACETS, key="wl_ga_facets", persist_state=KEEP, bind=LINK,
                  help="How many starting images, one per cluster.")  # fmt: skip
        st.caption(
            "Multi-faceted ascent: the gallery's photo crops that score highest for the target "
            "are clustered by the network's features (k-means); the crop nearest each "
            "cluster's centre starts one image, so each facet can grow its own kind of "
            "picture. The gallery holds crops of the six sample photos: any class picks the "
            "crops it scores highest, but facets tell most for what the photos show (Egyptian "
            "cat, espresso, space shuttle) or for a unit. k facets take about k times as long."
        )


def regulariser_widgets() -> None:
    state = st.session_state
    c1, c2, c3 = st.columns(3)
    c1.toggle("L2 penalty Ω = λ‖x‖²", key="wl_ga_l2_on", persist_state=KEEP, bind=LINK)
    c1.select_slider(
        "λ (penalty weight)", L2_WEIGHTS, key="wl_ga_l2", persist_state=KEEP, bind=LINK,
        format_func=lambda v: f"{v:g}", disabled=not state.wl_ga_l2_on,
    )  # fmt: skip
    c2.toggle("Gaussian blur", key="wl_ga_blur_on", persist_state=KEEP, bind=LINK)
    c2.slider("σ (px)", 0.3, 2.0, step=0.1, key="wl_ga_blur", persist_state=KEEP, bind=LINK,
              disabled=not state.wl_ga_blur_on)  # fmt: skip
    c2.number_input(
        "every k steps", 1, 20, key="wl_ga_blur_every", persist_state=KEEP, bind=LINK,
        disabled=not state.wl_ga_blur_on,
    )  # fmt: skip
    c3.toggle("Jitter", key="wl_ga_jitter_on", persist_state=KEEP, bind=LINK)
    c3.slider("up to (px)", 1, 32, key="wl_ga_jitter", persist_state=KEEP, bind=LINK,
              disabled=not state.wl_ga_jitter_on)  # fmt: skip
    d1, d2, d3 = st.columns(3)
    d1.toggle("Clip small pixel values", key="wl_ga_norm_on", persist_state=KEEP, bind=LINK)
    d1.slider(
        "below percentile", 1.0, 90.0, step=1.0, key="wl_ga_norm", persist_state=KEEP,
        bind=LINK, disabled=not state.wl_ga_norm_on,
    )  # fmt: skip
    d2.toggle("Clip small contributions", key="wl_ga_contrib_on", persist_state=KEEP, bind=LINK)
    d2.slider(
        "below percentile ", 1.0, 90.0, step=1.0, key="wl_ga_contrib", persist_state=KEEP,
        bind=LINK, disabled=not state.wl_ga_contrib_on,
    )  # fmt: skip
    d3.toggle("Keep pixels in 0–255", key="wl_ga_clamp", persist_state=KEEP, bind=LINK)


@tab_body
def settings_panel(net: Net) -> None:
    """The target, the start, the steps and the regularisers (read back at Run from session
    state)."""
    target_widgets(net)
    start_widgets()
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input("Steps", 1, 1000, key="wl_ga_steps", persist_state=KEEP, bind=LINK)
    c2.select_slider("Image side (px)", SIZES, key="wl_ga_size", persist_state=KEEP, bind=LINK)
    c3.slider(
        "Step λ (grey levels)", 0.5, 20.0, step=0.5, key="wl_ga_step", persist_state=KEEP,
        bind=LINK, help="Each step moves a pixel by this much on average (the gradient is "
        "divided by its mean absolute value).",
    )  # fmt: skip
    c4.number_input("Seed", 0, 10_000, key="wl_ga_seed", persist_state=KEEP, bind=LINK,
                    help="Draws the noise start and the jitter: the same seed and settings "
                    "make the same image.")  # fmt: skip
    with st.expander("Regularisers Ω and the periodic operations", expanded=True):
        regulariser_widgets()
    st.toggle(
        "Also make it without the regularisers (same start, same seed), to compare",
        key="wl_ga_compare", persist_state=KEEP, bind=LINK,
        help="Runs plain gradient ascent x ← x + λ ∂f/∂x after the regularised run: twice "
        "the time (the first starting image only).",
    )  # fmt: skip
    code_panel(lambda: ascent_code(net), "wl_code_ascent")  # these settings' run, as a program


def ascent_code(net: Net) -> Snippet:
    """The program that makes what Climb the gradient makes with the current settings (the
    regularised run; the same start pictures), without running it here."""
    choice = chosen(net)
    pictures, _ = starting_images(net, choice)
    layer = ""
    if isinstance(choice.target, UnitTarget):
        layer = stage_module(net, choice.target.stage)
    return learned_code.gradient_ascent(
        net.name, choice.target, choice.settings, choice.start, pictures, layer
    )


def chosen(net: Net) -> Choice:
    """The run's settings from session state."""
    s = st.session_state
    if s.wl_ga_kind == "class":
        target: Target = ClassTarget(int(s.wl_ga_class))
        label = categories()[target.index]
    else:
        target = UnitTarget(int(s.wl_ga_stage), int(s.wl_ga_channel))
        label = f"stage {target.stage}, channel {target.channel}"
    settings = AscentSettings(
        steps=int(s.wl_ga_steps),
        step_size=float(s.wl_ga_step),
        size=int(s.wl_ga_size),
        l2=float(s.wl_ga_l2) if s.wl_ga_l2_on else 0.0,
        blur_sigma=float(s.wl_ga_blur) if s.wl_ga_blur_on else 0.0,
        blur_every=int(s.wl_ga_blur_every),
        jitter=int(s.wl_ga_jitter) if s.wl_ga_jitter_on else 0,
        clip_norm_pct=float(s.wl_ga_norm) if s.wl_ga_norm_on else 0.0,
        clip_contrib_pct=float(s.wl_ga_contrib) if s.wl_ga_contrib_on else 0.0,
        clamp=bool(s.wl_ga_clamp),
        seed=int(s.wl_ga_seed),
    )
    return Choice(target, label, settings, s.wl_ga_start, int(s.wl_ga_facets),
                  bool(s.wl_ga_compare))  # fmt: skip


# --- the run ----------------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner="Finding the facets in the gallery…")
def facet_starts(
    name: str, target: tuple[str, int, int], k: int, _model
) -> tuple[Facets, list[str]]:
    """The k facet images of the target ("class", index, 0) or ("unit", stage, channel) among
    the photo crops (cached per network, target and k: the gallery never changes), and their
    labels."""
    kind, a, b = target
    aim: Target = ClassTarget(a) if kind == "class" else UnitTarget(a, b)
    gallery = photo_gallery()
    found = facets(_model, REGISTRY[name], aim, gallery.images, k)
    return found, [gallery.labels[i] for i in found.indices]


def target_key(target: Target) -> tuple[str, int, int]:
    """A plain, hashable name of the target for caches."""
    if isinstance(target, ClassTarget):
        return ("class", target.index, 0)
    return ("unit", target.stage, target.channel)


def starting_images(net: Net, choice: Choice) -> tuple[np.ndarray | None, list[str]]:
    """The run's start pictures (N, S, S, 3) uint8 and their captions; None for noise/grey."""
    if choice.start == "photo":
        picked: PickedImage | None = st.session_state.get(PHOTO_KEY)
        if picked is None:
            return None, []
        return picked.pixels[None], [picked.label]
    if choice.start == "facets":
        found, labels = facet_starts(
            net.name, target_key(choice.target), choice.n_facets, net.model
        )
        return found.images, [f"facet {k + 1}: a crop of {label}" for k, label in
                              enumerate(labels)]  # fmt: skip
    return None, []


def work_for(net: Net, choice: Choice):
    """The optimisation the queue runs: (on_progress, should_stop) -> (image, extras)."""
    settings, size = choice.settings, choice.settings.size

    def work(on_progress: ProgressFn, should_stop: StopFn) -> tuple[np.ndarray, dict]:
        pictures, captions = starting_images(net, choice)
        if choice.start == "grey":
            x0 = grey_start(1, size, net.spec)
        elif pictures is not None:
            x0 = photo_start(pictures, size, net.spec)
        else:  # noise (also a photo start whose photo is gone)
            x0 = noise_start(1, size, net.spec, seed=settings.seed)
        runs = 2 if choice.compare else 1
        total = runs * settings.steps

        def progress(offset: int, plain: bool) -> ProgressFn:
            return lambda s, t, m: on_progress(offset + s, total, {**m, "plain": float(plain)})

        main = ascend(net.model, net.spec, choice.target, settings, x0, progress(0, False),
                      should_stop)  # fmt: skip
        plain = None
        if choice.compare and not main.stopped:
            plain = ascend(net.model, net.spec, choice.target, settings.plain(), x0[:1],
                           progress(settings.steps, True), should_stop)  # fmt: skip
        extras = {"main": main, "plain": plain, "starts": pictures, "captions": captions}
        return main.images[0], extras

    return work


def caption(step: int, total: int, metrics: dict) -> str:
    which = " without the regularisers" if metrics.get("plain") else ""
    return (f"step {step} of {total}{which}: J = {metrics['objective']:.2f}, "
            f"f = {metrics['score']:.2f}")  # fmt: skip


# --- what it shows ------------------------------------------------------------------------


def said(result: AscentResult, k: int, choice: Choice) -> str:
    """One line: what the network says about image k (and the target's probability)."""
    cats = categories()
    probs = result.probs[k]
    top = int(np.argmax(probs))
    text = f"says {cats[top]} ({100 * probs[top]:.1f}%)"
    if isinstance(choice.target, ClassTarget) and top != choice.target.index:
        text += f"; {choice.label} {100 * probs[choice.target.index]:.1f}%"
    return text


def verdict(result: AscentResult, choice: Choice) -> None:
    """Does the network now say the class?"""
    cats = categories()
    if not isinstance(choice.target, ClassTarget):
        top = int(np.argmax(result.probs[0]))
        st.markdown(
            f"The unit's mean activation went from **{result.first_score[0]:.2f}** to "
            f"**{result.final_score[0]:.2f}**. Asked what the image shows, the network says "
            f"**{cats[top]}** ({100 * result.probs[0, top]:.1f}%)."
        )
        return
    c = choice.target.index
    before, after = 100 * result.first_probs[0, c], 100 * result.probs[0, c]
    top = int(np.argmax(result.probs[0]))
    if top == c:
        head = f"The network now says **{choice.label}**: {after:.1f}%"
    else:
        head = (f"The network says **{cats[top]}** ({100 * result.probs[0, top]:.1f}%); "
                f"**{choice.label}** has {after:.1f}%")  # fmt: skip
    st.markdown(
        f"{head} (the starting image: {before:.2f}%). Its logit went from "
        f"**{result.first_score[0]:.1f}** to **{result.final_score[0]:.1f}**."
    )


def show_images(res: AscentResult, choice: Choice, extras: dict) -> None:
    starts, captions = extras.get("starts"), extras.get("captions") or []
    n = len(res.images)
    if starts is not None:
        cols = st.columns(max(n, 3))
        for k in range(n):
            cols[k].image(starts[min(k, len(starts) - 1)], width="stretch",
                          caption=f"start: {captions[k] if k < len(captions) else ''}")  # fmt: skip
    cols = st.columns(max(n, 3))
    for k in range(n):
        name = f"facet {k + 1}" if n > 1 else "made"
        cols[k].image(res.images[k], width="stretch",
                      caption=f"{name} for {choice.label}: {said(res, k, choice)}")  # fmt: skip


def show_comparison(res: AscentResult, plain: AscentResult, choice: Choice) -> None:
    st.markdown("**With and without the regularisers** (same start, same seed, same steps)")
    a, b = st.columns(2)
    a.image(res.images[0], width="stretch",
            caption=f"with the regularisers: {said(res, 0, choice)}")  # fmt: skip
    b.image(plain.images[0], width="stretch",
            caption=f"plain x ← x + λ ∂f/∂x: {said(plain, 0, choice)}")  # fmt: skip
    st.caption(
        "Both images usually convince the network; only the regularised one tends to "
        "convince a person. Without the regularisers the ascent finds high-frequency "
        "patterns that excite the units but look like noise: an image can be "
        f"'{choice.label}' to the network and nothing to us."
    )


def show_result(result: Made) -> None:
    choice: Choice = result.settings
    extras = result.extras
    res: AscentResult | None = extras.get("main")
    if res is None:  # Stop interrupted the run: only the image so far is there
        st.image(result.image, width=320, caption=f"{choice.label}: the image so far")
        st.caption(stopped_line(result))
        curve = [h["objective"] for h in result.history if not h.get("plain")]
        if curve:
            show(objective_figure({"image 1": curve}), "wl_ga_curve")
        return
    show_images(res, choice, extras)
    st.caption(stopped_line(result))
    verdict(res, choice)
    plain: AscentResult | None = extras.get("plain")
    left, right = st.columns([3, 2])
    with left:
        series = {(f"facet {k + 1}" if res.images.shape[0] > 1 else "J with Ω"): res.objective[:, k]
                  for k in range(res.images.shape[0])}  # fmt: skip
        dotted = {"f (score alone)": res.score[:, 0]}
        if plain is not None:
            series["J, no regularisers"] = plain.objective[:, 0]
        show(objective_figure(series, dotted=dotted), "wl_ga_curve")
        st.caption("The objective at every step (dotted: the score f of the first image, "
                   "without the penalty). Jitter makes the curve noisy.")  # fmt: skip
    with right:
        cats = categories()
        order = np.argsort(-res.probs[0], kind="stable")[:5]
        show(topk_figure([cats[i] for i in order], res.probs[0, order],
                         "the network's top 5 for the (first) image"), "wl_ga_top")  # fmt: skip
    if plain is not None:
        show_comparison(res, plain, choice)


# --- the words ------------------------------------------------------------------------------


def explain() -> None:
    st.markdown(
        f"Guided backprop needs a photo to explain. **Gradient ascent** makes one from "
        f"scratch: as in {notes_name('002')}, it looks for the image x that a score f — a "
        "class's logit, or one unit's activation — rates highest, minus a penalty Ω that "
        "keeps it looking natural:"
    )
    st.latex(r"\arg\max_x J(x) = \arg\max_x\; f(x) - \Omega(x), \qquad "
             r"\Omega(x) = \lambda_\Omega \lVert x \rVert_2^2")  # fmt: skip
    st.markdown(
        "The network's weights stay fixed; only the pixels move, up the gradient of J. Each "
        "step moves the pixels by λ grey levels on average (the gradient is divided by its "
        "mean absolute value, so λ means the same for every network):"
    )
    st.latex(r"x^{(t)} = x^{(t-1)} + \lambda\,\frac{g}{\operatorname{mean}|g|}, \qquad "
             r"g = \frac{\partial J(x^{(t-1)})}{\partial x}")  # fmt: skip
    from_the_notes(
        (
            "002",
            "Gradient Ascent",
            "Natural Image Regularizer (1/2)",
            "Natural Image Regularizer (2/2)",
            "Multi-Faceted Gradient Ascent (1/2)",
        )
    )


def regularisers_explained() -> None:
    with st.expander("What each regulariser does"):
        st.markdown(
            "- **L2 penalty** Ω = λ‖x‖² (Simonyan et al. 2013): every pixel away from the "
            "mean colour costs score, so only the pixels that really help the class stay "
            "bright; the rest fade to grey.\n"
            "- **Gaussian blur every k steps** (Yosinski et al. 2015): the ascent loves "
            "pixel-sized, high-frequency patterns that no photo has; blurring now and then "
            "wipes them out, and only structures a few pixels wide survive.\n"
            "- **Jitter**: before each step the image is rolled by a few random pixels (and "
            "rolled back after), so a pattern only helps if it works wherever it lands — "
            "another brake on pixel-exact noise.\n"
            "- **Clip small pixel values** (Yosinski et al. 2015): after each step, the pixels "
            "whose colour is closest to the mean (the lowest percentile of ‖x_ij‖) are set to "
            "the mean: a sparse image, with only the strongest parts kept.\n"
            "- **Clip small contributions** (Yosinski et al. 2015): the pixels that add least "
            "to the score, to first order Σ_c |x · ∂f/∂x|, are set to the mean: the "
            "background that does nothing for the class goes.\n"
            "- **Keep pixels in 0–255**: without the clamp, pixel values can run beyond what "
            "a picture can show.\n\n"
            "Switch them off one at a time and compare (the toggle under the settings makes "
            "the same image with all of them off)."
        )
        st.caption(
            "Multi-faceted ascent (Nguyen, Yosinski & Clune 2016): a class or a unit may "
            "respond to several different kinds of image (a grocery store seen from the "
            "aisle or from outside). Clustering the images that excite it most and starting "
            "from one image per cluster makes one picture per facet."
        )


def render(net: Net) -> None:
    """The tab's body. Not a fragment as a whole: Run and Stop must rerun the app (a click
    inside a fragment waits for the run to end)."""
    set_defaults(net)
    explain()
    settings_panel(net)
    pressed = run_buttons(SLOT, "Climb the gradient")
    if pressed:
        choice = chosen(net)
        where = st.container()
        optimise(SLOT, f"What a CNN learned: gradient ascent on {net.short}", choice,
                 work_for(net, choice), where, caption)  # fmt: skip
    result = made(SLOT)
    if result is None:
        st.caption(
            "Nothing made yet in this session: press **Climb the gradient**. With the "
            "defaults (200 steps on a 224-px image) a run took 12 s on two otherwise idle CPU "
            "cores in our measurement; k facets take about k times as long, and the "
            "comparison without regularisers adds one more run."
        )
    else:
        show_result(result)
    regularisers_explained()
