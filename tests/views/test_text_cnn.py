"""AppTest of views/text_cnn.py: seed 001's 9-word / height-2 example by default, the widgets
that change it, training the CNN beside the bag of words (table, curves, reading a sentence,
top n-grams), CSV uploads good and bad, and SST-2 offline."""

from __future__ import annotations

import time
import urllib.error

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import chart, joined, plot_array, texts

PAGE = "../../views/text_cnn.py"
TIMEOUT = 240


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The page's tiny models train fastest on one intra-op thread (and far faster than on two
    when other processes share the cores); restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def latex(at: AppTest) -> str:
    return "\n".join(texts(at, "latex"))


def bars(at: AppTest) -> list[str]:
    return chart(at, "tc_feature_map")["data"][0]["x"]


def matrix(at: AppTest) -> np.ndarray:
    return plot_array(chart(at, "tc_matrix")["data"][0]["z"])


def test_defaults_show_seed_001s_nine_words_and_eight_moves(fresh):
    at = fresh
    assert not at.exception and not at.error
    assert "L - h + 1 = 9 - 2 + 1 = 8" in latex(at)
    md = joined(at)
    assert "made up of **9 words**" in md and "moves **8 times**" in md
    assert "seed 001's example: 9 words, height 2, 8 moves" in md
    assert bars(at)[0] == "0: the plot" and len(bars(at)) == 8
    assert matrix(at).shape == (9, 4)
    assert r"m = \max_{0 \le p \le L-h} y_p" in latex(at)
    assert "**1-max pooling** keeps one number per filter" in md
    assert "**2,000 sentences** from *generated corpus (seed 0)*" in md
    assert "Nothing trained yet" in md
    assert any("Train a CNN first" in i for i in texts(at, "info"))
    assert at.button(key="tc_train").label == "Train the Kim CNN and the bag of words"


def test_height_sentence_position_and_channels_change_what_is_shown(at):
    at.slider(key="tc_height").set_value(3).run()
    assert "9 - 3 + 1 = 7" in latex(at) and len(bars(at)) == 7
    assert bars(at)[0] == "0: the plot was"
    at.slider(key="tc_pos").set_value(6).run()
    assert r"y_{6} &= \sum" in latex(at) and r"\text{boring}" in latex(at)  # words 6..8
    at.text_input(key="tc_sentence").set_value("not good at all !").run()  # 5 tokens
    assert not at.exception
    assert "5 - 3 + 1 = 3" in latex(at) and len(bars(at)) == 3
    assert at.slider(key="tc_pos").value == 2  # clamped to the last position
    at.slider(key="tc_dim").set_value(6).run()
    assert matrix(at).shape == (5, 6)
    before = chart(at, "tc_feature_map")["data"][0]["y"]
    at.slider(key="tc_height").set_value(2).run()
    assert chart(at, "tc_feature_map")["data"][0]["y"] != before
    at.text_input(key="tc_sentence").set_value("good").run()
    assert not at.exception
    assert any("needs at least 2" in w for w in texts(at, "warning"))


def test_training_fills_the_table_and_the_later_tabs(at):
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    labels = {m.label for m in at.metric}
    assert labels == {"Kim CNN: test accuracy", "Bag of words: test accuracy"}
    table = next(d.value for d in at.dataframe if "kind" in d.value.columns).set_index("kind")
    kinds = ["plain", "intensifier", "negation", "contrast", "word order", "all"]
    assert list(table.index) == kinds
    assert table.loc["all", "Kim CNN"] >= 0.9  # the page's defaults: 2,000 sentences, 10 epochs
    assert table.loc["contrast", "Bag of words"] <= 0.6
    assert table.loc["word order", "Kim CNN − BoW (points)"] >= 10
    md = joined(at)
    assert "On the **word-order** sentences" in md and "points** for convolution" in md
    # read a sentence: both models answer, the Kim CNN's filters are highlighted
    assert "**Kim CNN** says" in md and "**Bag of words** says" in md
    assert md.count(":orange-background[") == 5
    assert r"\text{influence}_j = m_j\, w_{cj}" in latex(at)
    at.text_input(key="tc_read").set_value("the film was not bad , zorblax").run()
    assert "Not in the vocabulary (read as `<unk>`): zorblax." in joined(at)
    at.slider(key="tc_top_filters").set_value(8).run()
    assert joined(at).count(":orange-background[") == 8
    # top n-grams over the test sentences
    ngrams = next(d.value for d in at.dataframe if "filter" in d.value.columns)
    assert len(ngrams) == 48 and set(ngrams["width"]) == {2, 3, 4}
    at.multiselect(key="tc_ngram_widths").set_value([2]).run()
    ngrams = next(d.value for d in at.dataframe if "filter" in d.value.columns)
    assert len(ngrams) == 16
    # the 1D-image tab can now use the learned vectors and a learned filter
    at.toggle(key="tc_use_trained").set_value(True).run()
    assert not at.exception and matrix(at).shape == (9, 32)
    assert r"\underbrace" in latex(at)  # 32 channels: one sum per word
    at.selectbox(key="tc_filter").set_value(20).run()  # a width-3 filter
    assert "9 - 3 + 1 = 7" in latex(at)
    # a run interrupted by Stop leaves its model in session state: the next run keeps it
    held = at.session_state["tc_runs"]["kim"]
    at.session_state["tc_pending"] = {
        "arch": "kim", "model": held.model, "epochs": held.history.epochs[:2],
        "settings": held.settings, "data_key": held.data_key, "start": time.perf_counter(),
    }  # fmt: skip
    at.run()
    assert any("stopped after 2 epoch(s); its model is kept" in i for i in texts(at, "info"))
    assert "2 epoch(s)" in joined(at) and "(stopped)" in joined(at)


def test_the_keras_stack_trains_too(at):
    at.slider(key="tc_n").set_value(500)
    at.radio(key="tc_arch").set_value("keras")
    at.number_input(key="tc_epochs").set_value(3).run()
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    assert {m.label for m in at.metric} == {
        "Keras stack: test accuracy",
        "Bag of words: test accuracy",
    }
    assert "The n-gram view needs the Kim CNN" in joined(at)


GOOD_CSV = "review,stars\n" + "".join(f"a fine film {i},good\nnot fine {i},bad\n" for i in range(6))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        ("text,label\ncaf\xe9,x\n".encode("latin-1"), "not UTF-8"),
        (b"only one column\nrow\n", "at least two columns"),
        (b"text,label\n" + b"good,pos\n" * 6, "one value only"),
        (b"text,label\n" + b"good,pos\nbad,neg\n" * 2, "at least 5 rows"),
    ],
)
def test_bad_csv_uploads_show_the_message_and_keep_the_rest(at, data, message):
    at.slider(key="tc_height").set_value(3)
    at.radio(key="tc_source").set_value("Your CSV").run()
    assert any("No file yet" in i for i in texts(at, "info"))
    at.file_uploader(key="tc_csv").set_value(("mine.csv", data, "text/csv")).run()
    assert not at.exception
    assert any(message in e and "generated corpus is used instead" in e for e in texts(at, "error"))
    assert "from *generated corpus (seed 0)*" in joined(at)
    assert "9 - 3 + 1 = 7" in latex(at)  # the other settings are kept


def test_a_good_csv_is_used_and_its_columns_can_be_changed(at):
    at.radio(key="tc_source").set_value("Your CSV").run()
    at.file_uploader(key="tc_csv").set_value(("mine.csv", GOOD_CSV.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert "**12 sentences** from *your file mine.csv*, classes *bad* (6), *good* (6)" in joined(at)
    assert at.selectbox(key="tc_text_col").value == "review"
    at.selectbox(key="tc_label_col").set_value("review").run()
    assert any("must be different" in e for e in texts(at, "error"))
    assert "from *generated corpus (seed 0)*" in joined(at)


def test_a_three_class_csv_trains_and_reads_sentences(at):
    rows = "".join(
        f"great fun {i},pos\nsad and dull {i},neg\nnot so bad {i},meh\n" for i in range(6)
    )
    at.radio(key="tc_source").set_value("Your CSV").run()
    at.file_uploader(key="tc_csv").set_value(("m.csv", b"text,label\n" + rows.encode(), "text/csv"))
    at.number_input(key="tc_epochs").set_value(3)
    at.run()
    assert "classes *meh* (6), *neg* (6), *pos* (6)" in joined(at)
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "kind" in d.value.columns).set_index("kind")
    assert table.loc["all", "test sentences"] >= 3
    assert "**Kim CNN** says" in joined(at)
    assert chart(at, "tc_probs_kim")["data"][0]["y"] != []


def test_sst2_offline_keeps_the_generated_corpus(monkeypatch, tmp_path):
    from cnnplay.models import pretrained
    from cnnplay.text import corpus as sentiment

    monkeypatch.setattr(sentiment, "SST2_DIR", tmp_path / "sst2")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.radio(key="tc_source").set_value("SST-2 (download)").run()
    assert any("not on this server yet" in w for w in texts(at, "warning"))
    at.button(key="tc_download").click().run()
    assert not at.exception
    assert any("could not be downloaded" in e for e in texts(at, "error"))
    assert "from *generated corpus (seed 0)*" in joined(at)
