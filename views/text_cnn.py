"""Text CNN: a sentence as a 1D image, one filter sliding over its words, 1-max pooling, a
Kim-style CNN trained live beside a bag-of-words baseline, and the n-grams its filters pick
(seeds 000, 001, 002)."""


import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.plots.charts import topk_figure
from cnnplay.plots.style import fmt
from cnnplay.text.corpus import (
    KINDS,
    WORD_ORDER_KINDS,
    CsvLimits,
    PreparedCorpus,
    SentimentCorpus,
    TextDataError,
    corpus_from_frame,
    download_sst2,
    guess_columns,
    load_sst2,
    make_corpus,
    prepare_corpus,
    read_table,
    sst2_available,
)
from cnnplay.text.explain import (
    class_votes,
    demo_filter,
    demo_vectors,
    embedding_rows,
    explain,
    slide_filter,
    top_ngrams,
)
from cnnplay.text.models import (
    ARCHITECTURES,
    TextCNN,
    accuracy_by_kind,
    build_model,
    predict_probs,
    train_text_model,
)
from cnnplay.text.plots import (
    feature_map_figure,
    filter_figure,
    influence_figure,
    kind_accuracy_figure,
    model_curves_figure,
    sentence_matrix_figure,
)
from cnnplay.text.vocab import OOV_ID, tokenize
from cnnplay.train import History, TrainConfig
from ui.figures import show_figure

SOURCES = ["Generated corpus (built in)", "Your CSV", "SST-2 (download)"]
DEFAULT_SENTENCE = "the plot was good but the acting was boring"  # 9 words, as in seed 001
DEFAULT_READ = "the acting was boring , but the plot was good"
MAX_LEN = 60  # tokens kept per sentence
MIN_LEN = 12  # shortest batch length (the Keras stack's two width-3 convs need 12)
LIMITS = CsvLimits()
LABELS = {k: a.label.split(":")[0] for k, a in ARCHITECTURES.items()}  # short model names
GROUPS = {"word order": WORD_ORDER_KINDS}  # the table's summary row of negation + contrast
BOW_CONFIG = TrainConfig(epochs=15, batch_size=256, lr=0.2)  # a linear model: big steps suffice


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


# --- data ---------------------------------------------------------------------------------


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
    state = st.session_state
    return generated(int(state.get("tc_n", 2000)), int(state.get("tc_seed", 0)))


def choose_data() -> SentimentCorpus:
    """The chosen corpus; on any problem a message, and the generated corpus instead."""
    source = st.radio("Sentences", SOURCES, key="tc_source", horizontal=True)
    if source == SOURCES[0]:
        c1, c2 = st.columns(2)
        c1.slider("Sentences", 500, 5000, 2000, step=500, key="tc_n")
        c2.number_input("Corpus seed", 0, 10_000, 0, key="tc_seed")
        return builtin()
    if source == SOURCES[1]:
        return csv_data() or builtin()
    return sst2_data() or builtin()


def csv_data() -> SentimentCorpus | None:
    upload = st.file_uploader(
        f"A CSV with a text column and a label column (UTF-8, ≤ {LIMITS.max_bytes // 2**20} MB, "
        f"≤ {LIMITS.max_rows:,} rows)",
        type=["csv", "tsv", "txt"],
        key="tc_csv",
    )
    if upload is None:
        st.info("No file yet: the generated corpus is used meanwhile.", icon=":material/upload:")
        return None
    try:
        frame = uploaded_table(upload.getvalue())
        guess = guess_columns(frame)
        columns = list(frame.columns)
        c1, c2 = st.columns(2)
        text_col = c1.selectbox("Text column", columns, columns.index(guess[0]), key="tc_text_col")
        label_col = c2.selectbox(
            "Label column", columns, columns.index(guess[1]), key="tc_label_col"
        )
        corpus = corpus_from_frame(frame, text_col, label_col, LIMITS, f"your file {upload.name}")
    except TextDataError as err:
        st.error(f"{err} The generated corpus is used instead.", icon=":material/error:")
        return None
    for note in corpus.notes:
        st.info(note, icon=":material/info:")
    return corpus


def sst2_data() -> SentimentCorpus | None:
    rows = st.slider("SST-2 sentences to use", 1000, 10_000, 4000, step=1000, key="tc_sst_rows")
    if not sst2_available():
        st.warning(
            "SST-2 (Socher et al. 2013, movie-review phrases labelled positive/negative) is not "
            "on this server yet. It can be downloaded (about 7 MB) if the server has internet "
            "access; meanwhile the generated corpus is used.",
            icon=":material/cloud_off:",
        )
        if st.button("Download SST-2", key="tc_download"):
            bar = st.progress(0.0, text="Downloading SST-2…")
            try:
                download_sst2(
                    lambda s, t, m: bar.progress(min(1.0, s / max(t, 1)), text=f"{m['MB']:.1f} MB")
                )
            except TextDataError as err:
                bar.empty()
                st.error(str(err), icon=":material/cloud_off:")
                return None
            bar.empty()
            st.rerun()
        return None
    try:
        return sst2(int(rows), True)
    except TextDataError as err:
        st.error(str(err), icon=":material/error:")
        return None


# --- page top -----------------------------------------------------------------------------

st.title("Text CNN")
st.markdown(
    "Seed 000: CNNs can also be applied to texts, *viewed as 1D images. Each “pixel” is a word. "
    "The channels of the input 1D image are the dimensions of the word embeddings.* Seed 001 "
    "follows Yoon Kim (2014) on IMDB reviews — *each word is a vector*, and a filter of height 2 "
    "*moves 8 times* over a 9-word sentence — and seed 002 sums it up: *1D convolution of words, "
    "multiple filters of different sizes (K = 2, …, D) for 2-gram, …, D-gram, 1-max pooling.*"
)

with st.expander("Data: which sentences to learn from", expanded=False):
    corpus = choose_data()
    test_share = st.slider("Test share", 0.1, 0.5, 0.25, step=0.05, key="tc_test")
data = prepare(digest_of(corpus), float(test_share), corpus)
runs: dict[str, Run] = st.session_state.setdefault("tc_runs", {})
current = {k: r for k, r in runs.items() if r.data_key == data.key}


def data_summary() -> None:
    kinds = corpus.kind_counts()
    st.markdown(
        f"**{len(corpus):,} sentences** from *{corpus.source}*, classes "
        + ", ".join(f"*{c}* ({n:,})" for c, n in zip(corpus.classes, corpus.counts(), strict=True))
        + f": {len(data.train_idx):,} for training, {len(data.test_idx):,} for testing. "
        f"Vocabulary: **{len(data.vocab):,} tokens** from the training part (with `<pad>` = 0 "
        f"and `<unk>` = 1); sentences are cut at {MAX_LEN} tokens, batches padded to "
        f"{data.ids.shape[1]}. Kinds: " + ", ".join(f"{k} {n:,}" for k, n in kinds.items()) + "."
    )


data_summary()


# --- tab 1: the sentence as a 1D image ------------------------------------------------------


def kim_runs() -> dict[str, Run]:
    return {k: r for k, r in current.items() if isinstance(r.model, TextCNN)}


def dot_product_latex(trace, x: np.ndarray, w: np.ndarray, tokens: list[str], p: int) -> str:
    """y_p as the window · filter sum: every product for d ≤ 6 (one line per word of the
    window), else one sum per word, named by the word."""
    h, d = w.shape
    lines = [
        rf"y_{{{p}}} &= \sum_{{i=0}}^{{h-1}} \sum_{{k=0}}^{{d-1}} X_{{{p}+i,\,k}}\, W_{{i,k}} + b"
    ]
    if d <= 6:
        for i in range(h):
            terms = " + ".join(f"({fmt(x[p + i, k])})({fmt(w[i, k])})" for k in range(d))
            lead = "&= " if i == 0 else r"&\quad + "
            lines.append(lead + terms + rf"\quad \text{{{tokens[p + i]}}}")
    else:
        sums = trace.products[p].sum(axis=1)  # (h,) one word's share each
        parts = " + ".join(
            rf"\underbrace{{({sums[i]:.2f})}}_{{\text{{{tokens[p + i]}}}}}" for i in range(h)
        )
        lines.append(f"&= {parts}")
    lines.append(rf"&\quad + ({fmt(round(trace.bias, 3))}) = {trace.responses[p]:.3f}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def image_tab() -> None:
    sentence = st.text_input("Sentence", DEFAULT_SENTENCE, key="tc_sentence", max_chars=300)
    tokens = tokenize(sentence)[:MAX_LEN]
    trained = kim_runs().get("kim")
    c1, c2, c3 = st.columns(3)
    use_trained = c3.toggle(
        "Learned vectors and filter",
        False,
        key="tc_use_trained",
        disabled=trained is None,
        help="Use the trained Kim CNN's word vectors and one of its filters (train it in the "
        "tab Train & compare first).",
    )
    if use_trained and trained is not None:
        model: TextCNN = trained.model
        n_filters = model.fc.in_features
        j = c1.selectbox(
            "Filter",
            range(n_filters),
            format_func=lambda j: f"filter {j} (height {model.width_of(j)})",
            key="tc_filter",
        )
        w, b = model.filter_weights(int(j))
        height = w.shape[0]
        ids = data.vocab.ids(tokens)
        x = embedding_rows(model, np.array(ids, dtype=np.int64)) if tokens else np.zeros((0, 1))
        unknown = [t for t, i in zip(tokens, ids, strict=True) if i == OOV_ID]
        c2.caption(
            f"Learned {x.shape[1]}-channel word vectors."
            + (f" Unknown words (rows of `<unk>`): {', '.join(unknown)}." if unknown else "")
        )
    else:
        height = c1.slider("Filter height h (words)", 1, 5, 2, key="tc_height")
        dim = c2.slider("Channels d (embedding size)", 2, 8, 4, key="tc_dim")
        x = demo_vectors(tokens, int(dim))
        w, b = demo_filter(int(height), int(dim)), 0.0
        c3.caption(
            "Made-up word vectors (one decimal) and filter: the same word always gets the same "
            "vector. Train a model to see learned ones."
        )
    length = len(tokens)
    if length < height:
        st.warning(
            f"The sentence has {length} word(s); a height-{height} filter needs at least {height}.",
            icon=":material/short_text:",
        )
        return
    positions = length - height + 1
    st.latex(
        rf"\text{{output length}} = L - h + 1 = {length} - {height} + 1 = {positions}"
        + r"\ \text{positions}"
    )
    st.markdown(
        f"This sentence is made up of **{length} words**; each word is a vector of "
        f"{x.shape[1]} numbers (a row below). The filter covers **{height}** word(s) at once, "
        f"so it moves **{positions} times** to scan the sentence"
        + (" — seed 001's example: 9 words, height 2, 8 moves." if (length, height) == (9, 2)
           else ".")
    )
    trace = slide_filter(x, w, b)
    if st.session_state.get("tc_pos", 0) > positions - 1:
        st.session_state.tc_pos = positions - 1
    p = st.slider("Filter position p", 0, max(positions - 1, 1), 0, key="tc_pos",
                  disabled=positions == 1)
    p = min(int(p), positions - 1)
    left, right = st.columns([3, 2])
    show_figure(
        sentence_matrix_figure(tokens, x, p, height, f"sentence X ({length}×{x.shape[1]})"),
        "tc_matrix",
        left,
    )
    show_figure(filter_figure(w, b), "tc_filter_fig", right)
    st.latex(dot_product_latex(trace, x, w, tokens, p))
    st.caption(
        f"The response at position {p} is the dot product of the {height}×{x.shape[1]} window "
        f"(words {p}–{p + height - 1}: “{' '.join(tokens[p : p + height])}”) with the filter, "
        "plus the bias — the same sum as a 2D convolution, with the kernel as wide as the image."
    )
    show_figure(
        feature_map_figure(tokens, trace.responses, height, p, trace.best), "tc_feature_map",
        width="stretch",
    )
    best = trace.best
    st.latex(
        rf"m = \max_{{0 \le p \le L-h}} y_p = y_{{{best}}} = {trace.max:.3f}"
    )
    st.markdown(
        f"**1-max pooling** keeps one number per filter, **{trace.max:.3f}**, from the n-gram "
        f"“**{' '.join(tokens[best : best + height])}**” (position {best}, purple bar); the "
        f"other {positions - 1} responses are dropped. Whatever the sentence length, each filter "
        "gives one feature: *does my n-gram occur anywhere, and how strongly?*"
    )


# --- tab 2: training ----------------------------------------------------------------------


def settings() -> tuple[str, dict, TrainConfig]:
    arch = st.radio(
        "CNN",
        ["kim", "keras"],
        format_func=lambda k: ARCHITECTURES[k].label,
        key="tc_arch",
        horizontal=True,
    )
    with st.expander("Model and training settings", expanded=False):
        c1, c2, c3 = st.columns(3)
        widths = c1.multiselect("Filter widths (Kim)", [1, 2, 3, 4, 5], [2, 3, 4], key="tc_widths")
        filters = c1.slider(
            "Filters per width / per conv layer", 4, 64, 16, step=4, key="tc_filters"
        )
        embed = c2.select_slider("Embedding size d", [8, 16, 32, 64], 32, key="tc_embed")
        dropout = c2.slider("Dropout", 0.0, 0.6, 0.3, step=0.05, key="tc_dropout")
        epochs = c3.number_input("Epochs", 1, 60, 10, key="tc_epochs")
        lr = c3.select_slider("Learning rate", [3e-4, 1e-3, 3e-3, 1e-2], 3e-3, key="tc_lr")
        seed = c3.number_input("Training seed", 0, 10_000, 0, key="tc_train_seed")
    model_settings = {
        "widths": tuple(sorted(widths)) or (2,),
        "filters": int(filters),
        "embed_dim": int(embed),
        "dropout": float(dropout),
        "seed": int(seed),
        "max_len": int(data.ids.shape[1]),
        "hidden": 64,
        "width": 3,
    }
    if not widths:
        st.warning("No filter width chosen: using width 2.", icon=":material/warning:")
    return arch, model_settings, TrainConfig(epochs=int(epochs), batch_size=32, lr=float(lr),
                                             seed=int(seed))


def train_one(arch: str, model_settings: dict, config: TrainConfig, where) -> Run:
    """Train ``arch`` with a progress bar and live curves in ``where``; while it runs the model
    is in session state, so a Stop (which interrupts this script) keeps what it learned."""
    model = build_model(arch, len(data.vocab), len(corpus.classes), **model_settings)
    epochs: list[dict] = []
    st.session_state.tc_pending = {
        "arch": arch, "model": model, "epochs": epochs, "settings": model_settings,
        "data_key": data.key, "start": time.perf_counter(),
    }  # fmt: skip
    bar = where.progress(0.0, text=f"{LABELS[arch]}: starting…")
    chart = where.empty()

    def on_progress(step: int, total: int, metrics: dict) -> None:
        text = f"{LABELS[arch]}: epoch {metrics.get('epoch', 0):.1f}, loss {metrics['loss']:.3f}"
        bar.progress(min(1.0, step / total), text=text)
        if "train_loss" in metrics:
            epochs.append(dict(metrics))
            show_figure(
                model_curves_figure({arch: epochs}, LABELS, 220),
                f"tc_live_{arch}_{len(epochs)}",
                chart,
                width="stretch",
            )

    history = train_text_model(
        model, data.ids, corpus.labels, data.train_idx, data.test_idx, config, on_progress,
        lambda: bool(st.session_state.get("tc_stop_flag")),
    )
    bar.empty()
    chart.empty()
    return keep(arch, model, history, model_settings)


def keep(arch: str, model, history: History, model_settings: dict) -> Run:
    st.session_state.pop("tc_pending", None)
    st.session_state.tc_stop_flag = False
    pred = predict_probs(model, data.ids[data.test_idx]).argmax(axis=1)
    run = Run(arch, model, history, pred, data.key, model_settings, history.stopped)
    runs[arch] = run
    current[arch] = run
    return run


def recover_stopped() -> None:
    """A run interrupted by Stop (or any rerun) left its model in session state: keep it."""
    pending = st.session_state.pop("tc_pending", None)
    if pending is None or pending["data_key"] != data.key or not pending["epochs"]:
        return
    history = History(list(pending["epochs"]), True, time.perf_counter() - pending["start"])
    keep(pending["arch"], pending["model"], history, pending["settings"])
    st.info(
        f"{LABELS[pending['arch']]} was stopped after {len(history.epochs)} epoch(s); its model "
        "is kept.",
        icon=":material/stop_circle:",
    )


def comparison_table() -> pd.DataFrame:
    """Test accuracy per kind of every model trained on this data, and the CNN − BoW gap."""
    labels = corpus.labels[data.test_idx]
    kinds = [corpus.kinds[i] for i in data.test_idx]
    rows: dict[str, dict] = {}
    for arch in ("bow", "kim", "keras"):
        if arch not in current:
            continue
        per = accuracy_by_kind(current[arch].pred, labels, kinds, KINDS, GROUPS)
        for kind, (n, acc) in per.items():
            rows.setdefault(kind, {"kind": kind, "test sentences": n})[LABELS[arch]] = acc
    frame = pd.DataFrame(list(rows.values()))
    for arch in ("kim", "keras"):
        if "bow" in current and arch in current:
            frame[f"{LABELS[arch]} − BoW (points)"] = (
                100 * (frame[LABELS[arch]] - frame[LABELS["bow"]])
            ).round(1)
    return frame


def train_tab() -> None:
    arch, model_settings, config = settings()
    recover_stopped()
    c1, c2 = st.columns([2, 1])
    pressed = c1.button(
        f"Train the {LABELS[arch]} and the bag of words", key="tc_train", type="primary"
    )
    c2.button(
        "Stop training", key="tc_stop", on_click=lambda: st.session_state.update(tc_stop_flag=True)
    )
    if pressed:
        st.session_state.tc_stop_flag = False
        where = st.container()
        run = train_one(arch, model_settings, config, where)
        if not run.stopped:
            train_one("bow", {"seed": config.seed}, BOW_CONFIG, where)
    if not current:
        st.caption(
            "Nothing trained yet. The bag-of-words baseline is a linear layer on word counts, "
            "trained with the same loop on the same split: it cannot see word order."
        )
        return
    cols = st.columns(len(current))
    for col, (key, run) in zip(cols, current.items(), strict=True):
        acc = run.history.series("val_accuracy")
        col.metric(
            f"{LABELS[key]}: test accuracy",
            f"{100 * acc[-1]:.1f}%" if acc else "—",
            help=f"{len(data.test_idx)} test sentences",
        )
        col.caption(
            f"{len(run.history.epochs)} epoch(s), {run.history.seconds:.1f} s"
            + (" (stopped)" if run.stopped else "")
        )
    show_figure(
        model_curves_figure({k: r.history.epochs for k, r in current.items()}, LABELS),
        "tc_curves",
        width="stretch",
    )
    frame = comparison_table()
    st.markdown("**Test accuracy per kind of sentence** (same split for every model)")
    pct = {c: st.column_config.NumberColumn(format="percent") for c in LABELS.values()}
    st.dataframe(frame, hide_index=True, key="tc_table", column_config=pct)
    models = [k for k in ("bow", "kim", "keras") if k in current]
    show_figure(
        kind_accuracy_figure(
            list(frame["kind"]), {k: frame[LABELS[k]].tolist() for k in models}, LABELS
        ),
        "tc_kind_bars",
        width="stretch",
    )
    verdict(frame)


def verdict(frame: pd.DataFrame) -> None:
    cnn = next((k for k in ("kim", "keras") if k in current), None)
    if cnn is None or "bow" not in current or "word order" not in set(frame["kind"]):
        return
    row = frame.set_index("kind").loc["word order"]
    c, b = 100 * row[LABELS[cnn]], 100 * row[LABELS["bow"]]
    st.markdown(
        f"On the **word-order** sentences (negation and contrast, {int(row['test sentences'])} "
        f"in the test set) the {LABELS[cnn]} gets **{c:.1f}%** and the bag of words "
        f"**{b:.1f}%**: **{c - b:+.1f} points** for convolution over word order. "
        "*“good, but boring”* and *“boring, but good”* have the same word counts, so the bag of "
        "words gives them the same answer and gets at most one right; a width-2 or 3 filter sees "
        "*“good , but”*. And no weights on *not*, *good* and *bad* can make both *“good”* and "
        "*“not bad”* positive while *“not good”* is negative."
    )


# --- tab 3: read a sentence ---------------------------------------------------------------


def highlighted(tokens: tuple[str, ...], start: int, width: int) -> str:
    """The sentence with the n-gram at start..start+width-1 highlighted (Streamlit markdown)."""
    before, gram, after = tokens[:start], tokens[start : start + width], tokens[start + width :]
    return " ".join([*before, f":orange-background[**{' '.join(gram)}**]", *after])


def read_tab() -> None:
    if not current or all(k == "bow" for k in current):
        st.info("Train a CNN first (tab *Train & compare*).", icon=":material/model_training:")
        return
    sentence = st.text_input("Type a sentence", DEFAULT_READ, key="tc_read", max_chars=500)
    tokens = tokenize(sentence)
    if not tokens:
        st.warning("No words in that sentence.", icon=":material/short_text:")
        return
    if corpus.mirror is not None:
        st.caption(
            "The generated corpus has a few templates: plain, intensified and negated clauses, and "
            "“X, but Y” where Y decides. A model learns what its sentences show: try those, then "
            "a sentence it never saw the like of (a negation inside a contrast, say)."
        )
    unknown = sorted({t for t in tokens if data.vocab.index.get(t, OOV_ID) == OOV_ID})
    if unknown:
        st.caption(f"Not in the vocabulary (read as `<unk>`): {', '.join(unknown)}.")
    ids = data.vocab.encode_batch([sentence], MAX_LEN, MIN_LEN)
    cols = st.columns(len(current))
    for col, (key, run) in zip(cols, current.items(), strict=True):
        probs = predict_probs(run.model, ids)[0]
        order = np.argsort(probs)[::-1]
        best = corpus.classes[order[0]]
        col.markdown(f"**{LABELS[key]}** says **{best}** ({100 * probs[order[0]]:.1f}%)")
        show_figure(
            topk_figure([corpus.classes[i] for i in order], probs[order]), f"tc_probs_{key}", col,
            width="stretch",
        )
    kim = current.get("kim")
    if kim is None:
        st.caption("The n-gram view needs the Kim CNN (1-max pooling per filter): train it too.")
        return
    explanation = explain(kim.model, data.vocab, sentence, MAX_LEN)
    c = corpus.classes[explanation.predicted]
    st.latex(
        r"z_c = \sum_j m_j\, w_{cj} + b_c, \qquad \text{influence}_j = m_j\, w_{cj}, \qquad "
        r"m_j = \max_p\, \mathrm{ReLU}(y_{j,p})"
    )
    top = st.slider("Filters to show", 3, 12, 5, key="tc_top_filters")
    shown = explanation.filters[: int(top)]
    rest = explanation.logit - explanation.bias - sum(f.influence for f in shown)
    st.markdown(
        f"For *{c}*: z = {' + '.join(f'({f.influence:+.2f})' for f in shown)} + "
        f"(others {rest:+.2f}) + (b {explanation.bias:+.2f}) = **{explanation.logit:.2f}**. "
        f"The {int(top)} most influential of {len(explanation.filters)} filters, and the n-gram "
        "that won each one's max-pool:"
    )
    for f in shown:
        sign = "supports" if f.influence >= 0 else "opposes"
        st.markdown(
            f"- {highlighted(explanation.tokens, f.start, f.width)} — filter {f.index} "
            f"(width {f.width}): m = {f.activation:.2f}, w = {f.weight:+.2f}, "
            f"influence **{f.influence:+.2f}** ({sign} *{c}*)"
        )
    show_figure(
        influence_figure(
            [f"{f.index}: {' '.join(f.ngram)}" for f in shown], [f.influence for f in shown]
        ),
        "tc_influence",
        width="stretch",
    )


# --- tab 4: top n-grams -------------------------------------------------------------------


def ngram_tab() -> None:
    kim = current.get("kim")
    if kim is None:
        st.info(
            "Train the Kim CNN first (tab *Train & compare*).", icon=":material/model_training:"
        )
        return
    if kim.ngrams is None:
        with st.spinner("Reading every test sentence…"):
            kim.ngrams = top_ngrams(kim.model, data.ids[data.test_idx], data.vocab, k=3)
    model: TextCNN = kim.model
    weights = model.fc.weight.detach().cpu().numpy()  # (K, F·W)
    votes = class_votes(model)
    spread = weights.max(axis=0) - weights.min(axis=0)  # how much a filter moves the classes
    widths = sorted(set(model.config.widths))
    pick = st.multiselect("Widths", widths, widths, key="tc_ngram_widths")
    rows = [
        {
            "filter": j,
            "width": model.width_of(j),
            "votes for": corpus.classes[votes[j]],
            "weight spread": round(float(spread[j]), 2),
            "top n-grams (max activation, sentences)": " · ".join(
                f"{g.ngram} ({g.score:.1f}, {g.count})" for g in kim.ngrams[j]
            ),
        }
        for j in np.argsort(-spread)
        if model.width_of(j) in pick
    ]
    st.markdown(
        f"Across the {len(data.test_idx):,} test sentences: for each filter, the n-grams that won "
        "its max-pool with the highest activation. Filters are sorted by how much their weights "
        "differ between classes (the most decisive first)."
    )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="tc_ngrams",
        column_config={
            "filter": st.column_config.NumberColumn(width="small"),
            "width": st.column_config.NumberColumn(width="small"),
            "top n-grams (max activation, sentences)": st.column_config.TextColumn(width="large"),
        },
    )


tabs = st.tabs(["Sentence as a 1D image", "Train & compare", "Read a sentence", "Top n-grams"])
with tabs[1]:
    train_tab()
with tabs[0]:
    image_tab()
with tabs[2]:
    read_tab()
with tabs[3]:
    ngram_tab()
