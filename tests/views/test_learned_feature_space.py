"""AppTest of the feature-space tabs of What a CNN learned (views/learned/neighbours.py,
clusters.py, top_patches.py): defaults, changed widgets, a bad upload, and what is shown —
neighbours' distances sorted, the agreement measured (features beat pixels on the photo crops),
maps with one point per image, top patches ranked by their activation."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.plots.style import INK
from tests.views.apptest_utils import (
    chart,
    forbid,
    joined,
    open_tab,
    plot_array,
    texts,
    widgets_given_defaults,
)

PAGE = "../../views/learned.py"
TIMEOUT = 240
NEAREST, MAP, TOP = "Nearest images", "Map of images", "Top patches"
PHOTO_CROPS = 156  # the default gallery: 6 sample photos × 26 crops
DISTANCE = re.compile(r"d = (\d+\.\d+)")
ACTIVATION = re.compile(r"a = (-?\d+\.\d+)")


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()  # Nearest images is open


def strip_rows(at: AppTest, key: str) -> list[list[str]]:
    """The neighbours strip's texts, one list per row (query first)."""
    fig = chart(at, key)
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    rows, row = [], []
    for text in notes:
        if text.startswith("<b>"):  # a row starts with its query
            row = [text]
            rows.append(row)
        else:
            row.append(text)
    return rows


def distances(row: list[str]) -> list[float]:
    return [float(m.group(1)) for text in row if (m := DISTANCE.search(text))]


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_nearest_images_by_default(at, monkeypatch):
    given = widgets_given_defaults(monkeypatch, "wl_")  # defaults come from session state
    at.run()
    assert given == []
    assert not at.exception and not at.error
    assert at.selectbox(key="wl_nn_gallery").value == "Photo crops"
    rows = strip_rows(at, "wl_nn_strip")
    assert [r[0].split("<br>")[0] for r in rows] == ["<b>by features</b>", "<b>by pixels</b>"]
    for row in rows:
        d = distances(row)
        assert len(d) == 6 and d == sorted(d) and d[0] >= 0
    assert "1 - \\frac{a \\cdot b}" in " ".join(texts(at, "latex"))  # cosine, on screen
    table = at.dataframe[0].value
    for space in ("features", "pixels"):
        column = list(table[f"{space}: distance"])
        assert column == sorted(column)
    # the whole gallery: how often the nearest image has the same class
    values = metric_values(at)
    features, pixels = values["By features"], values["By pixels"]
    assert int(features.rstrip("%")) > int(pixels.rstrip("%")) + 20  # measured: 100 vs 60
    assert "leave-one-out" in joined(at)
    assert "**How often has the nearest image the same class?**" in texts(at, "markdown")
    assert "MB), computed once per server" in joined(at)


def test_changing_distance_neighbours_class_and_gallery(at):
    at.radio(key="wl_nn_metric").set_value("Euclidean").run()
    assert "\\sqrt" in " ".join(texts(at, "latex"))
    at.slider(key="wl_nn_k").set_value(4).run()
    rows = strip_rows(at, "wl_nn_strip")
    assert [len(distances(r)) for r in rows] == [4, 4]
    at.selectbox(key="wl_nn_class").set_value("coffee").run()
    at.number_input(key="wl_nn_member").set_value(5).run()
    assert not at.exception
    assert strip_rows(at, "wl_nn_strip")[0][0].endswith("coffee")
    assert any("have the query's class *coffee*" in m for m in texts(at, "markdown"))
    at.selectbox(key="wl_nn_gallery").set_value("Fashion-MNIST").run()
    assert not at.exception
    caption = next(c for c in texts(at, "caption") if "The network sees each at" in c)
    assert caption.startswith(("200 images of 10 classes", "100 images of 5 classes"))
    assert at.slider(key="wl_nn_k").value == 4  # the other settings stay


def test_a_bad_upload_keeps_the_tab_working(at):
    at.slider(key="wl_nn_k").set_value(5).run()
    at.radio(key="wl_nn_query").set_value("A photo (sample or upload)").run()
    assert not at.exception and not at.error
    at.radio(key="wl_nn_photo_source").set_value("Upload").run()
    at.file_uploader(key="wl_nn_photo_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "sample photo instead" in errors[0]
    rows = strip_rows(at, "wl_nn_strip")  # the sample photo is searched instead
    assert [len(distances(r)) for r in rows] == [5, 5]
    assert all(distances(r) == sorted(distances(r)) for r in rows)
    assert "By features" in metric_values(at)


def test_a_sample_photo_finds_crops_of_itself_by_features(at):
    at.radio(key="wl_nn_query").set_value("A photo (sample or upload)").run()
    at.radio(key="wl_nn_photo_source").set_value("Sample").run()
    at.selectbox(key="wl_nn_photo_sample").set_value("rocket").run()
    features = strip_rows(at, "wl_nn_strip")[0]
    assert sum("rocket" in text for text in features[1:]) >= 4
    assert any("have the query's class *rocket*" in m for m in texts(at, "markdown"))


def map_points(fig: dict) -> int:
    """Points of a map: the image traces (those with an image index per point)."""
    return sum(len(plot_array(t["customdata"])) for t in fig["data"] if "customdata" in t)


def test_map_of_images(at, monkeypatch):
    given = widgets_given_defaults(monkeypatch, "wl_map_")
    open_tab(at, "wl", MAP)
    assert not at.exception and not at.error and given == []
    features, pixels = chart(at, "wl_map_chart_features_0"), chart(at, "wl_map_chart_pixels_0")
    for fig in (features, pixels):
        assert map_points(fig) == PHOTO_CROPS
        assert len(fig["layout"]["images"]) == PHOTO_CROPS  # the pictures drawn at the points
        assert len([t for t in fig["data"] if "customdata" in t]) == 6  # a trace per photo
    shares = [int(s) for s in re.findall(r"same class for \*\*(\d+)%\*\*", joined(at))]
    assert len(shares) == 2 and shares[0] > shares[1]  # features keep the photos together
    assert "The map made from **features** keeps the classes together better" in joined(at)
    at.number_input(key="wl_map_pick").set_value(30).run()
    assert any(c.startswith("Image #30 (") for c in texts(at, "caption"))
    strip = chart(at, "wl_map_neighbours")["layout"]["annotations"]  # shown without show_figure
    assert strip and all(a["font"]["color"] == INK for a in strip)  # readable in the dark theme
    ring = chart(at, "wl_map_chart_features_0")["data"][-1]
    assert ring["name"] == "#30"
    at.toggle(key="wl_map_thumbs").set_value(False).run()
    assert "images" not in chart(at, "wl_map_chart_features_0")["layout"]
    at.radio(key="wl_map_method").set_value("PCA").run()
    at.radio(key="wl_map_show").set_value("Features only").run()
    assert not at.exception
    assert map_points(chart(at, "wl_map_chart_features_0")) == PHOTO_CROPS
    assert any("PCA: " in c and "of the variance" in c for c in texts(at, "caption"))
    with pytest.raises(KeyError):
        chart(at, "wl_map_chart_pixels_0")


def test_top_patches(at, monkeypatch):
    given = widgets_given_defaults(monkeypatch, "wl_top_")
    open_tab(at, "wl", TOP)
    assert not at.exception and not at.error and given == []
    grid = chart(at, "wl_top_grid")
    values = [float(ACTIVATION.search(a["text"]).group(1)) for a in grid["layout"]["annotations"]]
    assert len(values) == 9 and values == sorted(values, reverse=True)
    assert not any("✂" in a["text"] for a in grid["layout"]["annotations"])  # no padding seen
    text = joined(at)
    assert "r_l = r_{l-1} + (k_l - 1)" in text
    assert "**r = 67 px**, **j = 8 px**" in text  # blocks.2 of EfficientNet-Lite0 at 128 px
    channel = at.number_input(key="wl_top_channel").value
    suggested = [b for b in at.button if b.key and b.key.startswith("wl_top_suggest_")]
    assert len(suggested) == 8 and suggested[0].key == f"wl_top_suggest_{channel}"
    other = suggested[3]
    other.click().run()
    assert at.number_input(key="wl_top_channel").value == int(other.key.rsplit("_", 1)[1])
    at.slider(key="wl_top_k").set_value(16).run()
    assert len(chart(at, "wl_top_grid")["layout"]["annotations"]) == 16
    at.selectbox(key="wl_top_stage").set_value(5).run()  # field 147 px > the 128-px image
    assert not at.exception
    info = " ".join(texts(at, "info"))
    assert "larger than the 128-px image" in info
    assert all("✂" in a["text"] for a in chart(at, "wl_top_grid")["layout"]["annotations"])


def test_hidden_tabs_do_no_work(monkeypatch):
    from views.learned import clusters, top_patches

    calls = forbid(monkeypatch, [(clusters, "projection"), (top_patches, "maxima")])
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.slider(key="wl_nn_k").set_value(3).run()
    assert not at.exception and calls == []


def test_ones_own_transfer_learning_images_become_a_gallery():
    rng = np.random.default_rng(0)
    run = SimpleNamespace(  # what the Transfer learning page keeps of a trained model
        val_images=rng.integers(0, 256, (12, 48, 48, 3), dtype=np.uint8),
        val_labels=np.repeat(np.arange(3), 4),
        classes=("cats", "dogs", "cups"),
    )
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["tl_trained"] = {"head": run}
    at.run()
    box = at.selectbox(key="wl_nn_gallery")
    assert box.options[-1] == "Your Transfer learning images"
    box.set_value("Your Transfer learning images").run()
    assert not at.exception and not at.error
    caption = next(c for c in texts(at, "caption") if "The network sees each at" in c)
    assert caption.startswith("12 images of 3 classes: your Transfer learning validation images")
    assert at.selectbox(key="wl_nn_class").options == ["cats", "dogs", "cups"]
    assert [len(distances(r)) for r in strip_rows(at, "wl_nn_strip")] == [6, 6]
    assert set(metric_values(at)) == {"By features", "By pixels", "A random image"}
