"""cnnplay.text.plots: what each Text CNN figure draws (values, labels, highlighted cells)."""

from __future__ import annotations

import numpy as np

from cnnplay.plots.style import WINDOW_COLOUR, WINNER_COLOUR
from cnnplay.text.plots import (
    MODEL_COLOURS,
    OPPOSE_COLOUR,
    SUPPORT_COLOUR,
    feature_map_figure,
    filter_figure,
    influence_figure,
    kind_accuracy_figure,
    model_curves_figure,
    ngram_labels,
    sentence_matrix_figure,
)

TOKENS = "the plot was good but the acting was boring".split()


def test_sentence_matrix_rows_are_words_and_the_window_is_outlined():
    x = np.arange(36, dtype=float).reshape(9, 4)
    fig = sentence_matrix_figure(TOKENS, x, start=3, width=2)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), x)
    assert list(fig.layout.yaxis.ticktext) == [f"{i} {t}" for i, t in enumerate(TOKENS)]
    box = fig.layout.shapes[-1]
    assert (box.y0, box.y1, box.x0, box.x1) == (2.5, 4.5, -0.5, 3.5)
    assert box.line.color == WINDOW_COLOUR
    assert fig.data[0].text is not None
    wide = sentence_matrix_figure(TOKENS, np.zeros((9, 32)))
    assert wide.data[0].text is None and not wide.layout.shapes  # too many channels to write


def test_filter_rows_are_window_offsets():
    fig = filter_figure(np.ones((3, 2)), 0.5)
    assert list(fig.layout.yaxis.ticktext) == ["word p+0", "word p+1", "word p+2"]
    assert "b = 0.5" in fig.layout.title.text and "3×2" in fig.layout.title.text


def test_feature_map_marks_the_current_step_and_the_max():
    y = np.array([0.1, -0.2, 0.9, 0.3, 0.0, 0.2, 0.4, 0.5])
    fig = feature_map_figure(TOKENS, y, 2, current=0, best=2)
    assert list(fig.data[0].x) == ngram_labels(TOKENS, 2) and len(fig.data[0].x) == 8
    colours = list(fig.data[0].marker.color)
    assert colours[0] == WINDOW_COLOUR and colours[2] == WINNER_COLOUR
    assert fig.layout.title.text == "feature map: 8 positions"


def test_influence_colours_follow_the_sign():
    fig = influence_figure(["a", "b"], [0.8, -0.3])
    assert list(fig.data[0].y) == ["b", "a"]  # largest on top
    assert list(fig.data[0].marker.color) == [OPPOSE_COLOUR, SUPPORT_COLOUR]


def test_curves_and_bars_use_one_colour_per_model_and_say_test():
    epochs = [{"epoch": 1, "train_loss": 0.7, "val_loss": 0.6, "val_accuracy": 0.6}]
    fig = model_curves_figure({"kim": epochs, "bow": epochs}, {"kim": "Kim", "bow": "BoW"})
    assert {t.line.color for t in fig.data if t.legendgroup == "kim"} == {MODEL_COLOURS["kim"]}
    assert {t.line.color for t in fig.data if t.legendgroup == "bow"} == {MODEL_COLOURS["bow"]}
    assert all("val" not in t.name for t in fig.data)
    assert any("test accuracy" in t.name for t in fig.data)
    bars = kind_accuracy_figure(["plain", "all"], {"bow": [0.9, 0.6]}, {"bow": "BoW"})
    assert bars.data[0].name == "BoW" and list(bars.data[0].text) == ["90%", "60%"]
