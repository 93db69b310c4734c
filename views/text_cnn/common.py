"""What the Text CNN page's tabs share: constants, the widgets' defaults, the cached corpora, and
this session's trained models (one per model kind and data set, the newest MAX_RUNS kept)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.text.corpus import (
    CsvLimits,
    PreparedCorpus,
    SentimentCorpus,
    load_sst2,
    make_corpus,
    prepare_corpus,
    read_table,
)
from cnnplay.text.models import ARCHITECTURES, TextCNN, predict_probs
from cnnplay.train import History, TrainConfig
from ui.hosting import profile

SOURCES = ["Generated corpus (built in)", "Your CSV", "SST-2 (download)"]
DEFAULT_SENTENCE = "the plot was good but the acting was boring"  # 9 words, as in seed 001
DEFAULT_READ = "the acting was boring , but the plot was good"
MAX_LEN = 60  # tokens kept per sentence
MIN_LEN = 12  # shortest batch length (the Keras stack's two width-3 convs need 12)
LIMITS = CsvLimits()
LABELS = {k: a.label.split(":")[0] for k, a in ARCHITECTURES.items()}  # short model names
BOW_CONFIG = TrainConfig(epochs=15, batch_size=256, lr=0.2)  # a linear model: big steps suffice
MODEL_ORDER = ("kim", "keras", "bow")  # how the trained models are listed
MAX_RUNS = 6  # trained models a session keeps (the newest): the three kinds on two data sets
RUNS_KEY = "tc_runs"  # session state: {(data key, model kind): Run}, oldest first
PENDING_KEY = "tc_pending"  # session state: the model of a training run in progress
STOP_KEY = "tc_stop_flag"  # session state: Stop was pressed during the current run
STOPPED_KEY = "tc_stopped_after"  # session state: (model kind, epochs) of a stopped run to report
DEFAULTS = {  # session-state defaults of the page's widgets (set when absent)
    "tc_source": SOURCES[0],
    "tc_n": 2000,
    "tc_seed": 0,
    "tc_sst_rows": 4000,
    "tc_test": 0.25,
    "tc_sentence": DEFAULT_SENTENCE,
    "tc_use_trained": False,
    "tc_filter": 0,
    "tc_height": 2,
    "tc_dim": 4,
    "tc_pos": 0,
    "tc_arch": "kim",
    "tc_widths": [2, 3, 4],
    "tc_filters": 16,
    "tc_embed": 32,
    "tc_dropout": 0.3,
    "tc_epochs": 10,
    "tc_lr": 3e-3,
    "tc_train_seed": 0,
    "tc_read": DEFAULT_READ,
    "tc_top_filters": 5,
}


def set_defaults() -> None:
    """Give every widget of the page its default unless the student has set it (a widget reads
    its value from session state, so none of them passes a default of its own)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, list(value) if isinstance(value, list) else value)


# --- data (cached, bounded) -----------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def generated(n: int, seed: int) -> SentimentCorpus:
    return make_corpus(n, seed)


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Reading your file…")
def uploaded_table(data: bytes) -> pd.DataFrame:
    return read_table(data, LIMITS)


@st.cache_data(max_entries=2, show_spinner="Reading SST-2…")
def sst2(rows: int, marker: bool) -> SentimentCorpus:
    """``marker`` (whether the file is there) re-keys the cache after a download."""
    return load_sst2(rows)


@st.cache_data(max_entries=8, show_spinner=False)
def prepare(digest: str, test_share: float, _corpus: SentimentCorpus) -> PreparedCorpus:
    return prepare_corpus(_corpus, test_share, f"{digest}|{test_share}", MAX_LEN, MIN_LEN)


def digest_of(corpus: SentimentCorpus) -> str:
    h = hashlib.sha1("\n".join(corpus.texts).encode())
    h.update(corpus.labels.tobytes() + "|".join(corpus.classes).encode())
    return h.hexdigest()[:16]


def builtin() -> SentimentCorpus:
    """The generated corpus of the current settings."""
    return generated(int(st.session_state.tc_n), int(st.session_state.tc_seed))


# --- this session's trained models ----------------------------------------------------------


@dataclass
class Run:
    """One trained model (per session), with what the later tabs need."""

    arch: str
    model: object  # nn.Module
    history: History
    pred: np.ndarray  # (n_test,) predicted classes
    data_key: str
    settings: dict
    stopped: bool = False
    ngrams: dict | None = field(default=None)  # top n-grams per filter, computed on demand


def runs() -> dict[tuple[str, str], Run]:
    """Every model this session trained, by (data key, model kind), oldest first."""
    return st.session_state.setdefault(RUNS_KEY, {})


def current(data: PreparedCorpus) -> dict[str, Run]:
    """The models trained on this data, by kind: the CNNs, then the bag of words."""
    kept = runs()
    return {a: kept[(data.key, a)] for a in MODEL_ORDER if (data.key, a) in kept}


def trained_kim(data: PreparedCorpus) -> TextCNN | None:
    run = current(data).get("kim")
    return run.model if run is not None and isinstance(run.model, TextCNN) else None


def keep(arch: str, model, history: History, model_settings: dict, data: PreparedCorpus) -> Run:
    """Add a trained (or stopped) model to this session's runs, replacing the one of the same
    kind on the same data, and drop the oldest beyond MAX_RUNS."""
    st.session_state.pop(PENDING_KEY, None)
    st.session_state[STOP_KEY] = False
    pred = predict_probs(model, data.ids[data.test_idx]).argmax(axis=1)
    run = Run(arch, model, history, pred, data.key, model_settings, history.stopped)
    kept = runs()
    kept.pop((data.key, arch), None)
    kept[(data.key, arch)] = run
    for old in list(kept)[: max(0, len(kept) - MAX_RUNS)]:
        del kept[old]
    return run


def recover_stopped(data: PreparedCorpus) -> None:
    """A run interrupted by Stop (or by any other click) left its model in session state: keep
    it (the Train & compare tab tells the student). Cheap; the page runs it on every full run."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None or pending["data_key"] != data.key or not pending["epochs"]:
        return
    history = History(list(pending["epochs"]), True, time.perf_counter() - pending["start"])
    keep(pending["arch"], pending["model"], history, pending["settings"], data)
    st.session_state[STOPPED_KEY] = (pending["arch"], len(history.epochs))
