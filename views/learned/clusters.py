"""The Map of images tab (seed 002, "Clustering Raw Images"): a gallery placed on a 2D map by
t-SNE (or PCA) of the network's features, beside the same map made from raw pixels; a click on
a point (or its number) shows that image with its nearest neighbours."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.learned.clustering import METHODS, TSNE_PCA_DIMS
from cnnplay.learned.plots import map_figure, neighbours_figure
from cnnplay.learned.retrieval import knn_agreement, nearest
from cnnplay.plots.style import CHART_CONFIG, ink_on_white
from ui.hosting import profile
from ui.keyboard import keyboard_caption
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import Net
from views.learned.gallery import (
    SPACES,
    Picked,
    pick_gallery,
    projection,
    short,
    thumbnails,
    vectors,
)

SHOW = ["Side by side", "Features only", "Pixels only"]
NEIGHBOURS = 6  # neighbours shown under the picked image
DEFAULTS = {
    "wl_map_method": METHODS[0],
    "wl_map_perplexity": 30,
    "wl_map_thumbs": True,
    "wl_map_show": SHOW[0],
    "wl_map_pick": 0,
    "wl_map_version": 0,  # the charts' key suffix: a click gives them a fresh key
}
TITLES = {"features": "By the network's features", "pixels": "By raw pixels"}


def set_defaults() -> None:
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


def chart_key(space: str) -> str:
    return f"wl_map_chart_{space}_{st.session_state.wl_map_version}"


def clicked(key: str) -> None:
    """A click on a map's point: show that image (its index is the point's customdata); a
    fresh chart key next run, so no stale selection is left on the chart."""
    points = st.session_state[key].selection.points
    if points:
        point = points[0]
        index = point.get("customdata")
        if isinstance(index, list):
            index = index[0]
        if index is not None:
            st.session_state.wl_map_pick = int(index)
            st.session_state.wl_map_version += 1


def map_agreement(points: np.ndarray, labels: list[str]) -> float:
    """Share of the images whose nearest point on the map has their class."""
    return knn_agreement(points, labels, 1, "euclidean").nearest_same


@tab_body
def render(net: Net) -> None:
    set_defaults()
    st.markdown(
        f"{notes_name('002', capital=True)}: *cluster images (e.g. using t-SNE) based on their "
        "similarity **in feature space***. Each image of the gallery becomes a point; images "
        "the network finds alike land close together. t-SNE keeps every image's nearest "
        "neighbours near it on the map (the groups mean something, the distances between "
        "groups and their sizes much less); PCA is the flat projection on the two directions of "
        "largest spread. The right-hand map is made the same way from the raw pixels."
    )
    from_the_notes(("002", "Clustering Raw Images"))
    c1, c2, c3 = st.columns([3, 2, 2])
    with c1:
        picked = pick_gallery("wl_map_gallery")
    method = c2.radio(
        "Map", METHODS, horizontal=True, key="wl_map_method", persist_state=KEEP, bind=LINK
    )
    perplexity = c3.slider(
        "t-SNE perplexity",
        5,
        50,
        step=5,
        key="wl_map_perplexity",
        persist_state=KEEP,
        bind=LINK,
        disabled=method != "t-SNE",
        help="About how many neighbours each image keeps close on the map.",
    )
    c1, c2 = st.columns([2, 1])
    show_what = c1.radio(
        "Show", SHOW, horizontal=True, key="wl_map_show", persist_state=KEEP, bind=LINK
    )
    thumbs = c2.toggle("Draw the images", key="wl_map_thumbs", persist_state=KEEP, bind=LINK)
    if method == "t-SNE":
        st.caption(
            f"t-SNE starts from the vectors reduced to {TSNE_PCA_DIMS} dimensions by PCA; its "
            "random state is fixed, so the same gallery always gives the same map."
        )
    g = picked.gallery
    n = picked.n
    st.session_state.wl_map_pick = min(max(int(st.session_state.wl_map_pick), 0), n - 1)
    pick = int(st.session_state.wl_map_pick)
    spaces = {"Side by side": SPACES, "Features only": ("features",)}.get(show_what, ("pixels",))
    columns = st.columns(len(spaces))
    sources = thumbnails(picked) if thumbs else None
    kept = {}
    for column, space in zip(columns, spaces, strict=True):
        proj = projection(net, picked, space, method, perplexity)
        kept[space] = map_agreement(proj.points, g.labels)
        fig = map_figure(proj.points, g.labels, TITLES[space], sources, selected=pick)
        key = chart_key(space)
        column.plotly_chart(
            ink_on_white(fig),  # shown here, not through show_figure (points are selectable)
            key=key,
            on_select=lambda key=key: clicked(key),
            selection_mode="points",
            width="stretch",
            config=CHART_CONFIG,
        )
        if method == "PCA":
            share = f"the two axes keep {proj.kept:.0%} of the variance"
        else:
            share = f"{TSNE_PCA_DIMS} PCA dimensions keep {proj.kept:.0%} of the variance"
        column.caption(
            f"{n} points. On this map the nearest point has the same class for "
            f"**{kept[space]:.0%}** of the images. {method}: {share}."
        )
    if len(kept) == 2:
        shares = (
            f"({kept['features']:.0%} vs {kept['pixels']:.0%} of the images have a neighbour "
            "of their class on the map)"
        )
        if kept["features"] > kept["pixels"]:
            st.markdown(
                f"The map made from **features** keeps the classes together better {shares}. "
                "Pixels group images by colour, brightness and layout; the features group "
                "them by what is in them."
            )
        else:
            st.markdown(
                f"Here the map made from **pixels** keeps the classes together at least as well "
                f"{shares}: in this gallery the classes differ in colour and layout too."
            )
    picked_image(net, picked, pick)


def picked_image(net: Net, picked: Picked, pick: int) -> None:
    """The picked image, large, with its nearest neighbours by features and by pixels."""
    g = picked.gallery
    st.number_input(
        f"Image shown (0–{picked.n - 1}): click a point, or type its number",
        0,
        picked.n - 1,
        key="wl_map_pick",
        persist_state=KEEP,
        bind=LINK,
    )
    keyboard_caption("type an image's number and press Enter: the same as a click on its point.")
    rows = []
    for space in SPACES:
        x = vectors(net, picked, space)
        found = nearest(x[pick : pick + 1], x, NEIGHBOURS, "cosine", np.array([pick]))
        idx, dist = found.indices[0], found.distances[0]
        rows.append(
            (
                f"by {space}",
                [g.images[i] for i in idx],
                [
                    f"#{i} · {short(g.labels[i])}<br>d = {d:.3f}"
                    for i, d in zip(idx, dist, strict=True)
                ],
                [g.labels[i] == g.labels[pick] for i in idx],
            )
        )
    st.image(g.images[pick], width=224, caption=f"#{pick} · {g.labels[pick]}")
    st.plotly_chart(
        ink_on_white(neighbours_figure(g.images[pick], f"#{pick} · {short(g.labels[pick])}", rows)),
        key="wl_map_neighbours",
        config=CHART_CONFIG,
    )
    st.caption(
        f"Image #{pick} ({g.labels[pick]}), ringed in orange on the maps, and its "
        f"{NEIGHBOURS} nearest images by cosine distance (blue frame: same class)."
    )
