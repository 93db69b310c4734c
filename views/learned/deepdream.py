"""The DeepDream tab (seed 002, "DeepDream"): gradient ascent that starts at a photo and
amplifies every unit of one stage, at several scales (octaves); before and after, and the
image at the end of each octave.

The tab body is not a fragment as a whole: Run and Stop sit outside any fragment
(views/learned/common.run_buttons); the settings are a fragment of their own. This session
keeps one result (views/learned/common.Made, slot "dream": the dream and the photo at most
512 px on their longer side, one image per octave, the curve), replaced by the next run, and
the photo picked (at most 1024 px on its longer side, 3 MB).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.progress import ProgressFn, StopFn
from cnnplay.snippets import Snippet
from cnnplay.snippets import learned as learned_code
from cnnplay.synthesis.deepdream import (
    DeepDreamSettings,
    DreamResult,
    dream,
    fit,
    fitted_size,
    octave_sizes,
)
from cnnplay.synthesis.plots import octave_figure
from ui.code_panel import code_panel
from ui.hosting import profile
from ui.inputs import PickedImage, image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import (
    Made,
    Net,
    made,
    optimise,
    run_buttons,
    show,
    stage_module,
    stages,
    stopped_line,
)

SLOT = "dream"  # this tab's Made slot and widget prefix: wl_dream_...
SIZES = (96, 128, 192, 256, 384, 512)  # longest side of the photo dreamt on, px
PHOTO_KEY = "wl_dream_photo"  # session state: the PickedImage to dream on
SHALLOW, DEEP = 0.3, 0.6  # where the two suggested stages sit, as a fraction of the depth
_D = DeepDreamSettings()  # the defaults live in the settings dataclass
DEFAULTS = {  # session-state defaults of the tab's widgets (set when absent)
    "wl_dream_octaves": _D.octaves,
    "wl_dream_scale": _D.octave_scale,
    "wl_dream_steps": _D.steps,
    "wl_dream_step": _D.step_size,
    "wl_dream_jitter": _D.jitter,
    "wl_dream_size": _D.max_side,
    "wl_dream_seed": _D.seed,
}


def suggested(net: Net) -> tuple[int, int]:
    """A shallow and a deep stage index of the network, to compare."""
    indices = [s.index for s in stages(net.name, net.model)]
    last = len(indices) - 1
    return indices[round(SHALLOW * last)], indices[round(DEEP * last)]


def set_defaults(net: Net) -> None:
    """Give every widget of the tab its default unless the student has set it (the stage
    depends on the network)."""
    state = st.session_state
    for key, value in profile().page_defaults(DEFAULTS).items():
        state.setdefault(key, value)
    if state.get("wl_dream_stage") not in [s.index for s in stages(net.name, net.model)]:
        state["wl_dream_stage"] = suggested(net)[1]


def choose_stage(index: int) -> None:
    st.session_state.wl_dream_stage = index


@tab_body
def settings_panel(net: Net) -> None:
    """The photo, the stage, the octaves and the steps (read back at Run from session state)."""
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("wl_dream_img", max_side=1024, default="chelsea (cat)")
        show_notes(picked)
        st.session_state[PHOTO_KEY] = picked
        side = int(st.session_state.wl_dream_size)
        h, w = fitted_size(*picked.pixels.shape[:2], side)
        st.image(picked.pixels, caption=f"{picked.label}, dreamt at {w}×{h} px", width="stretch")
    with right:
        rows = {s.index: s for s in stages(net.name, net.model)}
        st.selectbox(
            "Stage", list(rows), format_func=lambda i: rows[i].label, key="wl_dream_stage",
            persist_state=KEEP, bind=LINK,
            help="Shallow stages amplify strokes and textures; deep ones, parts of objects.",
        )  # fmt: skip
        shallow, deep = suggested(net)
        b1, b2 = st.columns(2)
        b1.button(f"Shallow: stage {shallow}", key="wl_dream_shallow", on_click=choose_stage,
                  args=(shallow,), width="stretch")  # fmt: skip
        b2.button(f"Deep: stage {deep}", key="wl_dream_deep", on_click=choose_stage,
                  args=(deep,), width="stretch")  # fmt: skip
        st.caption(
            f"A shallow stage (stage {shallow}) sees a few pixels at a time: it paints strokes, "
            f"dots and textures. A deep one (stage {deep}) sees whole parts of objects: eyes, "
            "fur, legs and faces grow out of the photo. Dream with each and compare."
        )
        c1, c2, c3 = st.columns(3)
        c1.slider("Octaves", 1, 4, key="wl_dream_octaves", persist_state=KEEP, bind=LINK,
                  help="Scales dreamt at, smallest first.")  # fmt: skip
        c2.slider(
            "Octave scale", 1.2, 2.0, step=0.1, key="wl_dream_scale", persist_state=KEEP,
            bind=LINK, help="Each octave's image is this many times smaller than the next.",
        )  # fmt: skip
        c3.number_input("Steps per octave", 1, 100, key="wl_dream_steps", persist_state=KEEP,
                        bind=LINK)  # fmt: skip
        d1, d2, d3, d4 = st.columns(4)
        d1.slider("Step λ (grey levels)", 0.5, 8.0, step=0.5, key="wl_dream_step",
                  persist_state=KEEP, bind=LINK)  # fmt: skip
        d2.select_slider("Photo side (px)", SIZES, key="wl_dream_size", persist_state=KEEP,
                         bind=LINK)  # fmt: skip
        d3.slider("Jitter (px)", 0, 64, key="wl_dream_jitter", persist_state=KEEP, bind=LINK)
        d4.number_input("Seed", 0, 10_000, key="wl_dream_seed", persist_state=KEEP, bind=LINK,
                        help="Draws the jitter.")  # fmt: skip
        sizes = octave_sizes(h, w, int(st.session_state.wl_dream_octaves),
                             float(st.session_state.wl_dream_scale))  # fmt: skip
        st.caption("Octave sizes: " + " → ".join(f"{b}×{a}" for a, b in sizes) + " px.")
    code_panel(lambda: dream_code(net, picked), "wl_code_dream")  # these settings' dream


def dream_code(net: Net, picked: PickedImage) -> Snippet:
    """The program that dreams what Dream dreams with the current settings (the photo at the
    size the run uses travels beside it), without running it here."""
    stage, settings = chosen()
    layer = stage_module(net, stage)
    photo = fit(picked.pixels, settings.max_side)  # as dream() shrinks it
    return learned_code.dream(net.name, stage, settings, photo, layer)


def chosen() -> tuple[int, DeepDreamSettings]:
    s = st.session_state
    settings = DeepDreamSettings(
        octaves=int(s.wl_dream_octaves),
        octave_scale=float(s.wl_dream_scale),
        steps=int(s.wl_dream_steps),
        step_size=float(s.wl_dream_step),
        jitter=int(s.wl_dream_jitter),
        max_side=int(s.wl_dream_size),
        seed=int(s.wl_dream_seed),
    )
    return int(s.wl_dream_stage), settings


def caption(step: int, total: int, metrics: dict) -> str:
    return f"step {step} of {total}, octave {metrics['octave']}: L = {metrics['objective']:.3f}"


def work_for(net: Net, picked: PickedImage, stage: int, settings: DeepDreamSettings):
    def work(on_progress: ProgressFn, should_stop: StopFn) -> tuple[np.ndarray, dict]:
        result = dream(net.model, net.spec, picked.pixels, stage, settings, on_progress,
                       should_stop)  # fmt: skip
        return result.image, {"dream": result, "stage": stage, "label": picked.label}

    return work


def show_result(result: Made) -> None:
    res: DreamResult | None = result.extras.get("dream")
    if res is None:  # Stop interrupted the run: only the image so far is there
        st.image(result.image, width=320, caption="the dream so far")
        st.caption(stopped_line(result))
        return
    stage, label = result.extras["stage"], result.extras["label"]
    a, b = st.columns(2)
    a.image(res.original, caption=f"before: {label}", width="stretch")
    b.image(res.image, caption=f"after: dreamt at stage {stage}", width="stretch")
    st.caption(stopped_line(result))
    st.markdown(
        f"The stage's objective L on the whole photo went from **{res.before:.3f}** to "
        f"**{res.after:.3f}** ({res.after / max(res.before, 1e-12):.1f}×): the units of stage "
        f"{stage} now find much more of what they look for."
    )
    if res.octave_images:
        st.markdown("**Octave by octave** (smallest first): each one starts from the photo at "
                    "its size plus the detail dreamt so far, enlarged.")  # fmt: skip
        cols = st.columns(len(res.sizes))
        for o, image in enumerate(res.octave_images):
            h, w = image.shape[:2]
            cols[o].image(image, caption=f"octave {o + 1}: {w}×{h}", width="stretch")
    if len(res.objective):
        show(octave_figure(res.objective, res.octave_of_step, res.sizes), "wl_dream_curve")
        st.caption("L at every step. It drops at the start of each octave: a larger image, "
                   "whose finer detail has not been dreamt on yet.")  # fmt: skip


def explain() -> None:
    st.markdown(
        f"**DeepDream**, in {notes_name('002')}: gradient ascent, but it *starts at a given "
        "photo* and *maximises the activations of all neurons in a layer*. Whatever the "
        "layer half-sees in the photo, it is pushed to see more of — and draws it in. The "
        "objective is half the mean of the squared activations a of the chosen stage "
        "(C channels of h×w):"
    )
    st.latex(r"L(x) = \frac{1}{2\,C\,h\,w} \sum_{c,i,j} a_{c,i,j}(x)^2, \qquad "
             r"x \leftarrow x + \lambda\,\frac{\partial L / \partial x}"
             r"{\operatorname{mean}\,|\partial L / \partial x|}")  # fmt: skip
    st.markdown(
        "Squaring rewards the units that are already strong most (∂L/∂a = a / (C h w)). "
        "**Octaves**: the photo is first shrunk a few times; the dream starts at the "
        "smallest size, and the detail it adds is enlarged and added to the next size's "
        "photo, so patterns grown small come out large. Jitter (a random roll before each "
        "step, undone after) avoids a grid of artefacts."
    )
    from_the_notes(("002", "DeepDream"))


def render(net: Net) -> None:
    """The tab's body. Not a fragment as a whole: Run and Stop must rerun the app (a click
    inside a fragment waits for the run to end)."""
    set_defaults(net)
    explain()
    settings_panel(net)
    pressed = run_buttons(SLOT, "Dream")
    picked: PickedImage | None = st.session_state.get(PHOTO_KEY)
    if pressed and picked is not None:
        stage, settings = chosen()
        optimise(SLOT, f"What a CNN learned: DeepDream on {net.short}", settings,
                 work_for(net, picked, stage, settings), st.container(), caption)  # fmt: skip
    result = made(SLOT)
    if result is None:
        st.caption(
            "Nothing dreamt yet in this session: press **Dream**. With the defaults (384 px, "
            "3 octaves of 12 steps) a dream took 2 s on two idle CPU cores in our "
            "measurement, 5 s at 512 px."
        )
    else:
        show_result(result)
