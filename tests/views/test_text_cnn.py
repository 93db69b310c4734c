"""AppTest of views/text_cnn.py: seed 001's 9-word / height-2 example by default, the widgets
that change it, training the CNN beside the bag of words (table, curves, reading a sentence,
top n-grams), a stopped run kept, the bound on kept models, CSV uploads good and bad, SST-2
offline; no widget taking a default besides session state, the settings surviving a change of
page, "Reset this page", and hidden tabs doing no work."""

from __future__ import annotations

import re
import time
import urllib.error
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnplay.text.corpus import make_corpus, prepare_corpus
from cnnplay.text.explain import embedding_rows, slide_filter
from tests.text.test_explain import TOL, assert_start_wins
from tests.views.apptest_utils import (
    chart,
    forbid,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    texts,
    widgets_given_defaults,
)

PAGE = "../../views/text_cnn.py"
APP = "../../app.py"
TIMEOUT = 240
IMAGE, TRAIN = "Sentence as a 1D image", "Train & compare"
READ, NGRAMS = "Read a sentence", "Top n-grams"
DEFAULT_READ = "the acting was boring , but the plot was good"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "tc", label)


def latex(at: AppTest) -> str:
    return "\n".join(texts(at, "latex"))


def bars(at: AppTest) -> list[str]:
    return chart(at, "tc_feature_map")["data"][0]["x"]


def matrix(at: AppTest) -> np.ndarray:
    return plot_array(chart(at, "tc_matrix")["data"][0]["z"])


def frame(at: AppTest, column: str):
    """The st.dataframe with this column (the page's tables have none in common)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def has_chart(at: AppTest, key: str) -> bool:
    try:
        chart(at, key)
    except KeyError:
        return False
    return True


def kept_run(at: AppTest, arch: str):
    return next(r for (_, a), r in at.session_state["tc_runs"].items() if a == arch)


def test_defaults_show_seed_001s_nine_words_and_eight_moves(fresh):
    at = fresh
    assert not at.exception and not at.error
    assert "L - h + 1 = 9 - 2 + 1 = 8" in latex(at)
    md = joined(at)
    assert "made up of **9 words**" in md and "moves **8 times**" in md
    assert "the notes' example: 9 words, height 2, 8 moves" in md
    assert "From the notes: seed 001, “1D CONVOLUTIONAL - EXAMPLE”." in md
    assert bars(at)[0] == "0: the plot" and len(bars(at)) == 8
    assert matrix(at).shape == (9, 4)
    assert r"m = \max_{0 \le p \le L-h} y_p" in latex(at)
    assert "**1-max pooling** keeps one number per filter" in md
    assert "**2,000 sentences** from *generated corpus (seed 0)*" in md
    assert at.toggle(key="tc_use_trained").disabled  # nothing trained yet
    tab(at, TRAIN)
    assert not at.exception and "Nothing trained yet" in joined(at)
    assert at.button(key="tc_train").label == "Train the Kim CNN and the bag of words"
    assert at.radio(key="tc_arch").options == [  # the notes named by topic, not by number
        "Kim CNN: widths in parallel, 1-max pooling (from the NTHU CNN slides)",
        "Keras stack: conv → pool → conv → pool → dense (from the Keras CNN notes)",
    ]
    assert at.number_input(key="tc_epochs").value == 10
    assert at.multiselect(key="tc_widths").value == [2, 3, 4]
    tab(at, READ)
    assert any("Train a CNN first" in i for i in texts(at, "info"))
    tab(at, NGRAMS)
    assert any("Train the Kim CNN first" in i for i in texts(at, "info"))
    tab(at, IMAGE)


def test_no_widget_takes_a_default_besides_session_state(monkeypatch):
    """Streamlit warns when a widget gets a default while its key is set in session state: every
    widget of the page takes its value from session state only (common.DEFAULTS)."""
    given = widgets_given_defaults(monkeypatch)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.text_input(key="tc_sentence").set_value("so good but boring").run()  # 4 words
    at.slider(key="tc_pos").set_value(2).run()
    at.slider(key="tc_height").set_value(4).run()  # one position left: p is clamped to 0
    assert at.slider(key="tc_pos").value == 0 and at.slider(key="tc_pos").disabled
    for label in (TRAIN, READ, NGRAMS, IMAGE):
        tab(at, label)
    at.radio(key="tc_source").set_value("Your CSV").run()
    at.radio(key="tc_source").set_value("SST-2 (download)").run()
    assert not at.exception and given == []


WIDGET_DEFAULT_WARNING = "was created with a default value but also had its value set via"


@pytest.fixture
def server_warnings(monkeypatch) -> list[str]:
    """Streamlit's widget policy checks as a server runs them, their logged warnings collected.
    In an AppTest the check of a widget given both a default and a session-state value returns
    early (no runtime); here it runs, and may warn again (it warns once per server process)."""
    from streamlit.elements.lib import policies

    logged: list[str] = []

    def warning(message: str, *args: object, **_: object) -> None:
        logged.append(message % args)

    monkeypatch.setattr(policies, "runtime", SimpleNamespace(exists=lambda: True))
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies._LOGGER, "warning", warning)
    return logged


def test_server_warnings_catch_a_position_given_a_default(server_warnings, monkeypatch):
    """The check below would have failed on the old filter-position slider, which passed a
    default (0) while the page also set ``tc_pos`` through session state."""
    slider = st.slider

    def old_slider(label, min_value=None, max_value=None, value=None, **kwargs):
        if kwargs.get("key") == "tc_pos" and value is None:
            value = min_value  # the old call: st.slider("Filter position p", 0, n, 0, ...)
        return slider(label, min_value, max_value, value, **kwargs)

    monkeypatch.setattr(st, "slider", old_slider)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.slider(key="tc_pos").set_value(5).run()
    assert server_warnings == [
        (
            'The widget with key "tc_pos" was created with a default value but also had its '
            "value set via the Session State API."
        )
    ]


def test_the_filter_position_follows_without_a_widget_warning(server_warnings):
    """Moving the filter, then the changes that clamp it (a taller filter, a shorter sentence,
    a sentence too short for the filter and back), leaving the page and "Reset this page": the
    position follows, and Streamlit never warns about a widget given a default value besides
    its session-state value."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/text_cnn.py").run()
    at.slider(key="tc_pos").set_value(7).run()  # the last of 8 positions
    assert "(words 7–8: “was boring”)" in joined(at)
    at.slider(key="tc_height").set_value(3).run()  # 7 positions: clamped to 6
    assert at.slider(key="tc_pos").value == 6 and r"y_{6} &= \sum" in latex(at)
    at.slider(key="tc_pos").set_value(4).run()
    at.slider(key="tc_height").set_value(2).run()  # back to 8 positions: 4 is kept
    assert at.slider(key="tc_pos").value == 4
    at.text_input(key="tc_sentence").set_value("not good at all").run()  # 3 positions
    assert at.slider(key="tc_pos").value == 2 and "(words 2–3: “at all”)" in joined(at)
    at.text_input(key="tc_sentence").set_value("good").run()  # too short: no slider
    assert any("needs at least 2" in w for w in texts(at, "warning"))
    assert "tc_pos" not in {s.key for s in at.slider}
    at.text_input(key="tc_sentence").set_value("so good but boring").run()  # 3 positions
    assert at.slider(key="tc_pos").value == 2 and "(words 2–3: “but boring”)" in joined(at)
    at.slider(key="tc_pos").set_value(1).run()
    leave_and_return(at, "views/text_cnn.py")
    assert at.slider(key="tc_pos").value == 1 and "(words 1–2: “good but”)" in joined(at)
    # AppTest keeps sending the URL it last saw, with a value the code set earlier; a browser's
    # address follows the slider (ui/links.py binds it), so it holds no stale position
    at.query_params.clear()
    at.sidebar.button(key="tc_reset").click().run()
    assert at.slider(key="tc_pos").value == 0 and "9 - 2 + 1 = 8" in latex(at)
    at.slider(key="tc_pos").set_value(3).run()
    assert not at.exception and not at.error
    assert not [w for w in server_warnings if WIDGET_DEFAULT_WARNING in w], server_warnings
    assert server_warnings == []  # no other widget policy warning either


def test_height_sentence_position_and_channels_change_what_is_shown(at):
    at.slider(key="tc_height").set_value(3).run()
    assert "9 - 3 + 1 = 7" in latex(at) and len(bars(at)) == 7
    assert bars(at)[0] == "0: the plot was"
    at.slider(key="tc_pos").set_value(6).run()
    assert r"y_{6} &= \sum" in latex(at) and r"\text{boring}" in latex(at)  # words 6..8
    assert "(words 6–8: “acting was boring”)" in joined(at)
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


HIGHLIGHT = re.compile(
    r"^- (?P<before>.*?):orange-background\[\*\*(?P<gram>.*?)\*\*\].* — filter (?P<j>\d+) "
    r"\(width (?P<w>\d+)\): m = (?P<m>-?[0-9.]+),"
)


def check_highlights(at: AppTest, model, sentence: str) -> int:
    """Each highlighted n-gram is a window whose response is its filter's maximum (within TOL;
    exactly the argmax only where the maximum is unique: which of tied windows torch's max picks
    depends on the CPU's kernels and thread count). Returns how many lines were checked."""
    vocab = prepare_corpus(make_corpus(2000, 0), 0.25, "check").vocab  # the page's default data
    tokens = sentence.split()
    x = embedding_rows(model, np.array(vocab.ids(tokens), dtype=np.int64))
    lines = [m for line in texts(at, "markdown") if (m := HIGHLIGHT.match(line))]
    for m in lines:
        start, width = len(m["before"].split()), int(m["w"])
        w, b = model.filter_weights(int(m["j"]))
        assert w.shape[0] == width and m["gram"] == " ".join(tokens[start : start + width])
        trace = slide_filter(x, w, b)
        assert_start_wins(trace.responses, start)
        assert float(m["m"]) == pytest.approx(max(trace.max, 0.0), abs=0.005 + TOL)
    return len(lines)


def test_training_fills_the_table_and_the_later_tabs(at):
    tab(at, TRAIN)
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    labels = {m.label for m in at.metric}
    assert labels == {"Kim CNN: test accuracy", "Bag of words: test accuracy"}
    table = frame(at, "kind").set_index("kind")
    kinds = ["plain", "intensifier", "negation", "contrast", "word order", "all"]
    assert list(table.index) == kinds
    assert table.loc["all", "Kim CNN"] >= 0.9  # the page's defaults: 2,000 sentences, 10 epochs
    assert table.loc["contrast", "Bag of words"] <= 0.6
    assert table.loc["word order", "Kim CNN − BoW (points)"] >= 10
    assert len(chart(at, "tc_curves")["data"]) >= 2  # both models' curves
    md = joined(at)
    assert "On the **word-order** sentences" in md and "points** for convolution" in md
    # the negation claim, stated with all four sentences (checked in tests/text/test_negation.py)
    assert "**no weights get all four right**" in md and "*b + n + d* > 0" in md
    assert "then *bad* alone is positive" in md and "can make both" not in md
    assert "10 epoch(s)" in md and "(stopped)" not in md
    # read a sentence: both models answer, the Kim CNN's filters are highlighted
    tab(at, READ)
    md = joined(at)
    assert "**Kim CNN** says" in md and "**Bag of words** says" in md
    assert md.count(":orange-background[") == 5
    assert r"\text{influence}_j = m_j\, w_{cj}" in latex(at)
    kim = kept_run(at, "kim").model
    assert check_highlights(at, kim, DEFAULT_READ) == 5
    at.text_input(key="tc_read").set_value("the film was not bad , zorblax").run()
    assert "Not in the vocabulary (read as `<unk>`): zorblax." in joined(at)
    at.slider(key="tc_top_filters").set_value(8).run()
    assert joined(at).count(":orange-background[") == 8
    # top n-grams over the test sentences
    tab(at, NGRAMS)
    ngrams = frame(at, "filter")
    assert len(ngrams) == 48 and set(ngrams["width"]) == {2, 3, 4}
    spread = list(ngrams["weight spread"])
    assert spread == sorted(spread, reverse=True)  # the most decisive filters first
    at.multiselect(key="tc_ngram_widths").set_value([2]).run()
    assert len(frame(at, "filter")) == 16
    # the 1D-image tab can now use the learned vectors and a learned filter
    tab(at, IMAGE)
    at.toggle(key="tc_use_trained").set_value(True).run()
    assert not at.exception and matrix(at).shape == (9, 32)
    assert r"\underbrace" in latex(at)  # 32 channels: one sum per word
    at.selectbox(key="tc_filter").set_value(20).run()  # a width-3 filter
    assert "9 - 3 + 1 = 7" in latex(at)
    # a run interrupted by Stop (the click that stopped it may open another tab) leaves its
    # model in session state: the next run keeps it, and the Train tab says so
    held = kept_run(at, "kim")
    at.session_state["tc_pending"] = {
        "arch": "kim", "model": held.model, "epochs": held.history.epochs[:2],
        "settings": held.settings, "data_key": held.data_key, "start": time.perf_counter(),
    }  # fmt: skip
    at.run()
    assert "tc_pending" not in at.session_state
    tab(at, TRAIN)
    assert any("stopped after 2 epoch(s); its model is kept" in i for i in texts(at, "info"))
    assert "2 epoch(s)" in joined(at) and "(stopped)" in joined(at)
    tab(at, TRAIN)
    assert not any("stopped after" in i for i in texts(at, "info"))  # said once


def test_the_same_seed_trains_the_same_models_again_and_another_seed_others(at):
    at.slider(key="tc_n").set_value(500)
    tab(at, TRAIN)
    at.number_input(key="tc_epochs").set_value(3).run()
    assert any("Training seed **0**" in c for c in texts(at, "caption"))

    def train() -> tuple[list[str], list]:
        at.button(key="tc_train").click().run()
        assert not at.exception and not at.error
        return [m.value for m in at.metric], [t["y"] for t in chart(at, "tc_curves")["data"]]

    first = train()
    assert train() == first  # the same settings and seed: every score and curve point again
    at.number_input(key="tc_train_seed").set_value(4).run()
    assert any("Training seed **4**" in c for c in texts(at, "caption"))
    assert train()[1] != first[1]  # other weights, batches and dropout masks


def test_the_keras_stack_trains_too(at):
    at.slider(key="tc_n").set_value(500)
    tab(at, TRAIN)
    at.radio(key="tc_arch").set_value("keras").run()
    assert at.button(key="tc_train").label == "Train the Keras stack and the bag of words"
    at.number_input(key="tc_epochs").set_value(3).run()
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    assert {m.label for m in at.metric} == {
        "Keras stack: test accuracy",
        "Bag of words: test accuracy",
    }
    assert "3 epoch(s)" in joined(at)
    tab(at, READ)
    assert "The n-gram view needs the Kim CNN" in joined(at)
    assert "**Keras stack** says" in joined(at)
    tab(at, NGRAMS)
    assert any("Train the Kim CNN first" in i for i in texts(at, "info"))
    # other data: the models trained on the 500 sentences are kept but not shown
    at.slider(key="tc_n").set_value(1000).run()
    assert any("Train the Kim CNN first" in i for i in texts(at, "info"))
    assert len(at.session_state["tc_runs"]) == 2
    tab(at, TRAIN)
    assert "Nothing trained yet" in joined(at)
    at.slider(key="tc_n").set_value(500).run()
    assert {m.label for m in at.metric} == {
        "Keras stack: test accuracy",
        "Bag of words: test accuracy",
    }


def keep_many() -> None:
    """A script that keeps eight models on eight data sets (the page's common.keep)."""
    from types import SimpleNamespace

    import numpy as np
    import streamlit as st

    from cnnplay.text.models import build_model
    from cnnplay.train import History
    from views.text_cnn import common

    model = build_model("bow", 20, 2)
    for i in range(8):
        data = SimpleNamespace(key=f"data {i}", ids=np.zeros((4, 12), np.int64), test_idx=[0, 1])
        common.keep("bow", model, History([], False, 0.0), {}, data)
    common.keep("bow", model, History([], False, 0.0), {}, data)  # the same again: replaced
    st.write(", ".join(key for key, _ in common.runs()))


def test_a_session_keeps_at_most_max_runs_models():
    from views.text_cnn.common import MAX_RUNS

    at = AppTest.from_function(keep_many, default_timeout=TIMEOUT).run()
    assert not at.exception
    kept = at.markdown[0].value.split(", ")
    assert len(kept) == MAX_RUNS and kept == [f"data {i}" for i in range(8 - MAX_RUNS, 8)]


GOOD_CSV = "review,stars\n" + "".join(f"a fine film {i},good\nnot fine {i},bad\n" for i in range(6))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        ("text,label\ncaf\xe9,x\n".encode("latin-1"), "not UTF-8"),
        (b"only one column\nrow\n", "at least two columns"),
        (b"text,label\n" + b"good,pos\n" * 6, "one value only"),
        (b"text,label\n" + b"good,pos\nbad,neg\n" * 2, "at least 5 rows"),
        # hostile files: a million rows, binary junk, a 10 MB single line
        (b"text,label\n" + b"a,b\n" * 1_000_000, "more than 20,000 rows"),
        (b"\x00\x01junk" * 1000, "not a text CSV"),
        (b"x" * (10 * 2**20), "The file is 10.0 MB"),
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
    assert at.selectbox(key="tc_label_col").value == "stars"
    at.selectbox(key="tc_label_col").set_value("review").run()
    assert any("must be different" in e for e in texts(at, "error"))
    assert "from *generated corpus (seed 0)*" in joined(at)
    # another file with other columns: they are guessed afresh
    other = "label,sentence\n" + "".join(f"pos,so good {i}\nneg,so bad {i}\n" for i in range(6))
    at.file_uploader(key="tc_csv").set_value(("b.csv", other.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="tc_text_col").value == "sentence"
    assert at.selectbox(key="tc_label_col").value == "label"
    assert "**12 sentences** from *your file b.csv*, classes *neg* (6), *pos* (6)" in joined(at)


def test_a_three_class_csv_trains_and_reads_sentences(at):
    rows = "".join(
        f"great fun {i},pos\nsad and dull {i},neg\nnot so bad {i},meh\n" for i in range(6)
    )
    at.radio(key="tc_source").set_value("Your CSV").run()
    at.file_uploader(key="tc_csv").set_value(("m.csv", b"text,label\n" + rows.encode(), "text/csv"))
    at.run()
    assert "classes *meh* (6), *neg* (6), *pos* (6)" in joined(at)
    tab(at, TRAIN)
    at.number_input(key="tc_epochs").set_value(3).run()
    at.button(key="tc_train").click().run()
    assert not at.exception and not at.error
    table = frame(at, "kind").set_index("kind")
    assert table.loc["all", "test sentences"] >= 3
    tab(at, READ)
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
    assert not at.get("progress")  # the download's bar is gone
    assert "9 - 2 + 1 = 8" in latex(at)


def test_settings_survive_leaving_the_page(fresh):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/text_cnn.py").run()
    at.slider(key="tc_height").set_value(3).run()
    at.text_input(key="tc_sentence").set_value("not good at all , really").run()
    at.slider(key="tc_test").set_value(0.3).run()
    tab(at, TRAIN)
    at.number_input(key="tc_epochs").set_value(4).run()
    at.multiselect(key="tc_widths").set_value([3]).run()
    leave_and_return(at, "views/text_cnn.py")
    assert at.number_input(key="tc_epochs").value == 4  # back in the tab the student left
    assert at.multiselect(key="tc_widths").value == [3]
    assert at.slider(key="tc_test").value == 0.3
    assert ": 1,400 for training, 600 for testing" in joined(at)
    tab(at, IMAGE)
    assert at.slider(key="tc_height").value == 3
    assert "6 - 3 + 1 = 4" in latex(at)


def test_reset_this_page_restores_the_defaults(at):
    at.slider(key="tc_height").set_value(4).run()
    at.slider(key="tc_n").set_value(1000).run()
    tab(at, TRAIN)
    at.number_input(key="tc_epochs").set_value(2).run()
    at.sidebar.button(key="tc_reset").click().run()
    assert not at.exception
    assert at.slider(key="tc_height").value == 2  # the first tab again
    assert "9 - 2 + 1 = 8" in latex(at) and "**2,000 sentences**" in joined(at)
    assert at.session_state["tc_runs"] == {}
    tab(at, TRAIN)
    assert at.number_input(key="tc_epochs").value == 10


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.text_cnn import image, ngrams, read, train

    forbid(
        monkeypatch,
        [
            (read, "current"),
            (ngrams, "current"),
            (train, "current"),
        ],
    )
    at.slider(key="tc_dim").set_value(5).run()  # the first tab is open
    at.slider(key="tc_n").set_value(1000).run()  # a setting above the tabs: the page reruns
    assert not at.exception and matrix(at).shape == (9, 5)
    keys = {w.key for w in at.button} | {w.key for w in at.text_input}
    assert not {"tc_train", "tc_stop", "tc_read"} & keys
    assert not at.metric and not at.dataframe
    monkeypatch.undo()
    forbid(monkeypatch, [(image, "slide_filter")])
    tab(at, TRAIN)
    assert not at.exception and "Nothing trained yet" in joined(at)
    assert not has_chart(at, "tc_matrix") and not has_chart(at, "tc_feature_map")
    assert at.slider(key="tc_filters").value == 16  # the tab's own settings are there
    tab(at, IMAGE)
    assert at.exception  # the spy is reached once the tab is open
