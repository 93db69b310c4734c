"""The Prediction tab: what happens to a photo before the network sees it (resize, centre crop,
normalisation)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from cnnplay.plots.images import normalise_map
from cnnplay.quiz import normalised_pixel_question
from cnnplay.snippets import pretrained as code
from ui.code_panel import code_panel
from ui.page import tab_body
from ui.quiz import predict_then_reveal
from views.pretrained.common import Seen


@tab_body
def render(seen: Seen) -> None:
    spec, prep, x = seen.spec, seen.prep, seen.x
    st.markdown(
        f"Before the network sees it, a photo is resized so its shorter side is "
        f"{spec.resize_side} pixels, the central {spec.input_side}×{spec.input_side} square is "
        f"cut out, and each colour channel is normalised: (pixel/255 − mean) / std with mean = "
        f"{spec.mean}, std = {spec.std}, the statistics the network was trained with."
    )
    ask = partial(normalised_pixel_question, prep.cropped, x.numpy(), spec.mean, spec.std)
    if not predict_then_reveal("pt_norm", ask):
        return  # quiz mode: the steps wait for the answer
    a, b, c, d = st.columns(4)
    h, w = seen.picked.pixels.shape[:2]
    a.image(seen.picked.pixels, caption=f"1. your image, {w}×{h}")
    rh, rw = prep.resized.shape[:2]
    b.image(prep.resized, caption=f"2. resized, {rw}×{rh}")
    c.image(prep.cropped, caption=f"3. centre crop, {spec.input_side}×{spec.input_side}")
    shown = normalise_map(x.permute(1, 2, 0).numpy(), signed=True)
    d.image(
        shown, caption=f"4. normalised tensor 3×{spec.input_side}×{spec.input_side}", clamp=True
    )
    lo, hi = float(x.min()), float(x.max())
    st.caption(f"The tensor's values run from {lo:.2f} to {hi:.2f}.")
    code_panel(lambda: code.prediction(seen.name, prep.cropped, len(seen.idx)), "pt_code_predict")
