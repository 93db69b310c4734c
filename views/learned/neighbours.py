"""The Nearest images tab (seed 002, "Conditioned Retrieval"): the images of a gallery nearest
to a query image by the network's features and by raw pixels, side by side with their
distances, and over the whole gallery how often the nearest image has the query's class."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.data.labelled import square
from cnnplay.learned.features import embed, pixel_vectors
from cnnplay.learned.plots import neighbours_figure
from cnnplay.learned.retrieval import nearest
from cnnplay.plots.charts import grouped_bar_figure
from cnnplay.quiz import neighbours_question
from cnnplay.snippets import learned as learned_code
from ui.code_panel import code_panel
from ui.figures import show_table
from ui.hosting import profile
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.learned.common import Net, show
from views.learned.gallery import (
    SIDE,
    SPACES,
    Picked,
    agreement,
    features,
    megabytes,
    pick_gallery,
    pixels,
    sheet,
    short,
)

METRICS = {  # label -> cnnplay.learned.retrieval metric
    "cosine (of L2-normalised vectors)": "cosine",
    "Euclidean": "euclidean",
}
FORMULAS = {
    "cosine": r"d(a, b) = 1 - \frac{a \cdot b}{\lVert a \rVert_2 \, \lVert b \rVert_2}"
    r"\quad\in [0, 2]",
    "euclidean": r"d(a, b) = \lVert a - b \rVert_2 = \sqrt{\textstyle\sum_i (a_i - b_i)^2}",
}
QUERIES = ["An image of the gallery", "A photo (sample or upload)"]
DEFAULTS = {
    "wl_nn_metric": next(iter(METRICS)),
    "wl_nn_k": 6,
    "wl_nn_query": QUERIES[0],
    "wl_nn_member": 0,
}
SPACE_TITLES = {"features": "by features", "pixels": "by pixels"}


def set_defaults() -> None:
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


@st.cache_data(max_entries=16, show_spinner="Reading the photo…")
def photo_vectors(
    name: str, digest: str, _net: Net, _pixels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A photo as the gallery's images are seen: its centre square at SIDE pixels, its
    features (1, D) and its pixel vector (1, 3072)."""
    picture = square(_pixels, SIDE)  # (SIDE, SIDE, 3) uint8
    f = embed(_net.model, _net.spec, picture[None], SIDE)
    return picture, f, pixel_vectors(picture[None])


def pick_member(picked: Picked) -> int:
    """A class and an image of it; returns the gallery index."""
    g = picked.gallery
    classes = g.classes
    key = "wl_nn_class"
    if st.session_state.get(key) not in classes:
        st.session_state[key] = classes[0]
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox("Class of the query", classes, key=key, persist_state=KEEP, bind=LINK)
    members = [i for i, label in enumerate(g.labels) if label == name]
    st.session_state["wl_nn_member"] = min(int(st.session_state["wl_nn_member"]), len(members) - 1)
    n = c2.number_input(
        f"Which one (0–{len(members) - 1})",
        0,
        len(members) - 1,
        key="wl_nn_member",
        persist_state=KEEP,
        bind=LINK,
    )
    return members[int(n)]


def photo_class(label: str, classes: list[str]) -> str | None:
    """The gallery class of a sample photo ("sample: coffee" -> "coffee" in the photo crops),
    or None (an upload, or a photo that is no class of this gallery)."""
    name = label.split(": ", 1)[-1]
    return name if label.startswith(("sample: ", "your photo: ")) and name in classes else None


def texts_for(
    picked: Picked, indices: np.ndarray, distances: np.ndarray, query_label: str | None
) -> tuple[list[str], list[bool | None]]:
    """Each neighbour's text ("#12 · Sneaker<br>d = 0.231", "≠" when another class) and whether
    it has the query's class (None when the query's class is unknown)."""
    labels = picked.gallery.labels
    texts, same = [], []
    for i, d in zip(indices, distances, strict=True):
        match = None if query_label is None else labels[i] == query_label
        mark = " ≠" if match is False else ""
        texts.append(f"#{i} · {short(labels[i])}{mark}<br>d = {d:.3f}")
        same.append(match)
    return texts, same


@tab_body
def render(net: Net) -> None:
    set_defaults()
    st.markdown(
        f"{notes_name('002', capital=True)}: *given an input x, find the images most similar to "
        "x **in feature space*** — the neighbours a deep layer finds are semantically "
        "consistent, even where their pixels differ a lot. Here the feature space is the "
        f"network's **penultimate layer**: {net.short}'s last feature maps, averaged over "
        "all positions into one vector f(x) (what its final classifier layer reads). The "
        "pixel space is the image itself, shrunk to 32×32×3 = 3,072 numbers in 0…1."
    )
    from_the_notes(("002", "Conditioned Retrieval"))
    c1, c2, c3 = st.columns([3, 3, 2])
    with c1:
        picked = pick_gallery("wl_nn_gallery")
    label = c2.radio("Distance", list(METRICS), key="wl_nn_metric", persist_state=KEEP, bind=LINK)
    k = int(c3.slider("Neighbours shown", 3, 12, key="wl_nn_k", persist_state=KEEP, bind=LINK))
    metric = METRICS[label]
    st.latex(FORMULAS[metric])

    feats, pix = features(net, picked), pixels(picked)
    g = picked.gallery
    source = st.radio(
        "Query", QUERIES, horizontal=True, key="wl_nn_query", persist_state=KEEP, bind=LINK
    )
    if source == QUERIES[0]:
        index = pick_member(picked)
        query, query_label = g.images[index], g.labels[index]
        q_feat, q_pix = feats[index : index + 1], pix[index : index + 1]
        exclude = np.array([index])
        query_text = f"#{index} · {short(query_label)}"
    else:
        photo = image_picker("wl_nn_photo", max_side=1024, default="chelsea (cat)")
        show_notes(photo)
        digest = hashlib.sha1(photo.pixels.tobytes()).hexdigest()[:16]
        query, q_feat, q_pix = photo_vectors(net.name, digest, net, photo.pixels)
        query_label, exclude = photo_class(photo.label, g.classes), None
        query_text = short(photo.label, 18)

    found = {
        "features": nearest(q_feat, feats, k, metric, exclude),
        "pixels": nearest(q_pix, pix, k, metric, exclude),
    }
    counts = (
        {s: int(sum(g.labels[i] == query_label for i in found[s].indices[0])) for s in SPACES}
        if query_label is not None
        else None
    )
    if counts is not None and not predict_then_reveal(
        "wl_nn_more", neighbours_question(counts, k, query_label)
    ):
        return  # quiz mode: the two searches wait for the answer
    rows = []
    for space in SPACES:
        idx, dist = found[space].indices[0], found[space].distances[0]
        texts, same = texts_for(picked, idx, dist, query_label)
        rows.append((SPACE_TITLES[space], [g.images[i] for i in idx], texts, same))
    show(neighbours_figure(query, query_text, rows), key="wl_nn_strip")
    if counts is not None:
        st.markdown(
            f"Of the {k} nearest images, **{counts['features']}** have the query's class "
            f"*{query_label}* by features and **{counts['pixels']}** by pixels (blue frame: same "
            "class; vermillion and ≠: another class)."
            + (" The query itself is left out." if exclude is not None else "")
        )
    else:
        st.caption(
            "This photo is no class of this gallery, so no frame says right or wrong: judge by "
            "eye which row is *semantically* closer."
        )
    with st.expander("The distances as a table"):
        columns: dict[str, object] = {"rank": np.arange(1, len(found["features"].indices[0]) + 1)}
        for space in SPACES:
            idx = found[space].indices[0]
            columns[f"{space}: image"] = [f"#{i}" for i in idx]
            columns[f"{space}: class"] = [g.labels[i] for i in idx]
            columns[f"{space}: distance"] = np.round(found[space].distances[0], 4)
        show_table(pd.DataFrame(columns), key="wl_nn_table")
    member = None if exclude is None else int(exclude[0])  # the query's gallery index
    code_panel(  # the search above as a program: the gallery travels as one picture
        lambda: learned_code.nearest_images(
            net.name, g.images, g.labels, k, metric, member,
            query if member is None else None, SIDE, sheet(picked),
        ),
        "wl_code_neighbours",
    )  # fmt: skip

    whole_gallery(net, picked, metric, k, feats)


def whole_gallery(net: Net, picked: Picked, metric: str, k: int, feats: np.ndarray) -> None:
    """The measurement: leave-one-out agreement of the nearest images, features vs pixels."""
    st.subheader("Over the whole gallery")
    st.markdown(
        f"Take each of the {picked.n} images in turn as the query, find its nearest *other* "
        "images, and count how often they have its class (leave-one-out k-nearest-neighbours). "
        "If features are *semantically consistent despite pixel-level diversity*, the "
        "features should win."
    )
    result = {s: agreement(net, picked, s, metric, k) for s in SPACES}
    f, p = result["features"], result["pixels"]
    st.markdown("**How often has the nearest image the same class?**")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "By features",
        f"{f.nearest_same:.0%}",
        delta=f"{(f.nearest_same - p.nearest_same) * 100:+.0f} points vs pixels",
    )
    c2.metric("By pixels", f"{p.nearest_same:.0%}")
    c3.metric(
        "A random image",
        f"{f.chance:.0%}",
        help="The share of same-class pairs in the gallery: what a guess would score.",
    )
    st.caption(
        f"Of the {f.k} nearest images, the share of the same class: {f.k_same:.0%} by features, "
        f"{p.k_same:.0%} by pixels. Distance: {metric}. The features take "
        f"{feats.shape[0]} × {feats.shape[1]:,} numbers ({megabytes(feats)}), computed once per "
        "server and network."
    )
    classes = list(f.per_class)
    show(
        grouped_bar_figure(
            [short(c) for c in classes],
            {
                "by features": [f.per_class[c] for c in classes],
                "by pixels": [p.per_class[c] for c in classes],
            },
            title="Nearest image of the same class, per class",
            text_format="{:.0%}",
        ),
        key="wl_nn_classes",
    )
