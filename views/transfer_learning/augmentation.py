"""The Augmentation tab: flips, rotations, crops and colour jitter, previewed on four training
images (the Train & compare tab uses these settings when its augmentation toggle is on)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.plots.images import tile_maps
from cnnplay.seeding import generator
from cnnplay.transfer.strategies import STRATEGIES, augment, to_pixels
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.transfer_learning.common import DEFAULTS, Setup, augmentation

PREVIEW_IMAGES = 4  # training images in the preview, a row each
VIEWS = 3  # random augmentations shown beside each


def settings_row() -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.checkbox("Horizontal flip", key="tl_flip", persist_state=KEEP, bind=LINK)
    c2.slider("Rotation ± (degrees)", 0, 45, key="tl_rot", persist_state=KEEP, bind=LINK)
    c3.slider("Smallest crop", 0.5, 1.0, step=0.05, key="tl_crop", persist_state=KEEP, bind=LINK)
    c4.slider("Colour jitter", 0.0, 0.5, step=0.05, key="tl_jitter", persist_state=KEEP, bind=LINK)


def strategy_notes(views: int) -> str:
    """What augmentation means for each strategy (markdown list); ``views``: the frozen-base
    strategy's augmented copies per training image."""
    return (
        f"- **{STRATEGIES['scratch']}** and **{STRATEGIES['finetune']}**: each epoch sees every "
        "training image under a *new* random transformation (drawn per batch).\n"
        f"- **{STRATEGIES['head']}**: the frozen base's features are computed once and cached, "
        f"so it draws **{views} fixed augmented cop{'y' if views == 1 else 'ies'}** of each "
        "training image once (setting *Augmented copies per image* on the Train tab) and "
        "trains on the originals plus those copies in every epoch — the same "
        f"{views + 1} versions of each image each time, never new ones."
    )


@tab_body
def render(s: Setup) -> None:
    settings_row()
    aug = augmentation()
    st.markdown(
        f"{notes_name('000', capital=True)}, on *data augmentation*: *we can increase the "
        "number of task-specific training examples by adding artificial training examples* — "
        "rotate, squeeze, flip. How each strategy uses these settings:"
    )
    from_the_notes(("000", "Data augmentation"))
    st.markdown(strategy_notes(int(st.session_state.get("tl_views", DEFAULTS["tl_views"]))))
    if not aug.active:
        st.info("Every transformation is off: the preview shows the images unchanged.")
    seed = int(
        st.number_input(
            "Preview seed", 0, 10_000, key="tl_preview_seed", persist_state=KEEP, bind=LINK
        )
    )
    order = np.random.default_rng(seed).permutation(len(s.train_idx))[:PREVIEW_IMAGES]
    pick = s.train_idx[order]
    gen = generator(seed)
    mean, std = s.spec.mean, s.spec.std
    rows = [to_pixels(s.x[pick], mean, std)]
    rows += [to_pixels(augment(s.x[pick], gen, aug, mean, std), mean, std) for _ in range(VIEWS)]
    grid = np.stack(rows, axis=1).reshape(-1, s.side, s.side, 3)  # original + views per image
    st.image(
        tile_maps(grid / 255.0, cols=VIEWS + 1, upscale=max(1, 96 // s.side)),
        caption="Each row: one training image (left) and three random augmentations of it",
    )
