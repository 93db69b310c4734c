"""The Adversarial tab (seed 004): FGSM moves every pixel by ±ε; find the smallest ε that
changes the prediction."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.models.pretrained import denormalise
from cnnplay.snippets import pretrained as code
from ui.code_panel import code_panel
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.pretrained.common import Seen, attack, needed_epsilon

MAGNIFY = 50  # the FGSM perturbation is shown this many times larger


@tab_body
def render(seen: Seen) -> None:
    name, model, x, digest = seen.name, seen.model, seen.x, seen.digest
    cats, top = seen.cats, seen.top
    eps_levels = st.slider(
        "ε (grey levels out of 255)",
        0.0,
        16.0,
        2.0,
        step=0.25,
        key="pt_eps",
        persist_state=KEEP,
        bind=LINK,
    )
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
            if flipped.label in [int(i) for i in seen.idx[1:]]:
                st.caption(
                    "A close runner-up flips first: when two classes are almost tied, the "
                    "smallest push decides. Try a photo the network is sure about (coffee)."
                )

    def panel() -> None:  # the code is there before the button is pressed, and below the result
        code_panel(lambda: code.fgsm(name, seen.prep.cropped, top, eps_levels), "pt_code_fgsm")

    if not st.session_state.get("pt_attack_on"):
        panel()
        return
    with st.spinner("One gradient step…"):
        result = attack(name, top, eps, digest, model, x)
    delta = result.delta.permute(1, 2, 0).cpu().numpy()  # (S, S, 3), normalised units
    magnified = np.clip(0.5 + MAGNIFY * delta * np.array(seen.spec.std) / 2, 0, 1)
    a, b, c = st.columns(3)
    a.image(seen.prep.cropped, caption=f"original: {cats[top]} ({100 * seen.probs[0]:.1f}%)")
    b.image(magnified, caption=f"perturbation × {MAGNIFY} (grey = 0)")
    c.image(
        denormalise(result.x, seen.spec),
        caption=f"perturbed: {cats[result.label]} ({100 * result.prob:.1f}%)",
    )
    verdict = "the prediction has **changed**" if result.label != top else "it is unchanged"
    st.markdown(
        f"With ε = {eps_levels:g}/255 the network says **{cats[result.label]}** "
        f"({100 * result.prob:.1f}%): {verdict}."
    )
    panel()
