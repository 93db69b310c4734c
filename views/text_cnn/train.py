"""The Train & compare tab: train the Kim CNN (or seed 001's Keras stack) live beside a
bag-of-words baseline on the same split, stop at any time; test accuracy per kind of sentence
and what convolution over word order gains."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import fields

import pandas as pd
import streamlit as st

from cnnplay.seeding import same_seed_note
from cnnplay.snippets import Snippet
from cnnplay.snippets import text as text_code
from cnnplay.text.corpus import KINDS, WORD_ORDER_KINDS, PreparedCorpus, SentimentCorpus
from cnnplay.text.models import (
    ARCHITECTURES,
    KerasStackConfig,
    TextCNNConfig,
    accuracy_by_kind,
    build_model,
    train_text_model,
)
from cnnplay.text.plots import kind_accuracy_figure, model_curves_figure
from cnnplay.train import TrainConfig
from ui.code_panel import code_panel
from ui.figures import show_figure, show_table
from ui.inputs import seed_input
from ui.links import LINK
from ui.notes import option_label
from ui.page import KEEP, tab_body
from ui.run_limit import train_stop_row, training_slot
from views.text_cnn.common import (
    BOW_CONFIG,
    LABELS,
    PENDING_KEY,
    STOP_KEY,
    STOPPED_KEY,
    Run,
    current,
    keep,
    recover_stopped,
)

GROUPS = {"word order": WORD_ORDER_KINDS}  # the table's summary row of negation + contrast
TABLE_ORDER = ("bow", "kim", "keras")  # the table's columns: the baseline first


@tab_body
def settings_row(code: Callable[[], Snippet] | None = None) -> None:
    """The model and training settings: a fragment, so changing one reruns only this row (the
    Train button reads them from session state); ``code`` builds the chosen model's PyTorch
    code from them (its panel is in the fragment, so it follows each change)."""
    with st.expander("Model and training settings", expanded=False):
        c1, c2, c3 = st.columns(3)
        c1.multiselect(
            "Filter widths (Kim)", [1, 2, 3, 4, 5], key="tc_widths", persist_state=KEEP, bind=LINK
        )
        c1.slider(
            "Filters per width / per conv layer",
            4,
            64,
            step=4,
            key="tc_filters",
            persist_state=KEEP,
            bind=LINK,
        )
        c2.select_slider(
            "Embedding size d", [8, 16, 32, 64], key="tc_embed", persist_state=KEEP, bind=LINK
        )
        c2.slider("Dropout", 0.0, 0.6, step=0.05, key="tc_dropout", persist_state=KEEP, bind=LINK)
        c3.number_input("Epochs", 1, 60, key="tc_epochs", persist_state=KEEP, bind=LINK)
        c3.select_slider(
            "Learning rate", [3e-4, 1e-3, 3e-3, 1e-2], key="tc_lr", persist_state=KEEP, bind=LINK
        )
        seed_input("tc_train_seed", "the batch order and the dropout masks", c3)
    st.caption(same_seed_note(int(st.session_state.tc_train_seed)))
    if not st.session_state.tc_widths:
        st.warning("No filter width chosen: using width 2.", icon=":material/warning:")
    if code is not None:
        code_panel(code, "tc_code_model")


def model_code(arch: str, corpus: SentimentCorpus, data: PreparedCorpus) -> Snippet:
    """The chosen CNN ("kim" or "keras") with the settings in session state, as a program."""
    settings, _ = chosen(data)
    config_type = TextCNNConfig if arch == "kim" else KerasStackConfig
    names = {f.name for f in fields(config_type)}
    config = config_type(
        len(data.vocab), len(corpus.classes), **{k: v for k, v in settings.items() if k in names}
    )
    return text_code.text_cnn(config) if arch == "kim" else text_code.keras_stack(config)


def chosen(data: PreparedCorpus) -> tuple[dict, TrainConfig]:
    """The model settings and training configuration in session state."""
    state = st.session_state
    seed = int(state.tc_train_seed)
    model_settings = {
        "widths": tuple(sorted(state.tc_widths)) or (2,),
        "filters": int(state.tc_filters),
        "embed_dim": int(state.tc_embed),
        "dropout": float(state.tc_dropout),
        "seed": seed,
        "max_len": int(data.ids.shape[1]),
        "hidden": 64,
        "width": 3,
    }
    config = TrainConfig(
        epochs=int(state.tc_epochs), batch_size=32, lr=float(state.tc_lr), seed=seed
    )
    return model_settings, config


def train_one(
    arch: str,
    model_settings: dict,
    config: TrainConfig,
    corpus: SentimentCorpus,
    data: PreparedCorpus,
    where,
) -> Run:
    """Train ``arch`` with a progress bar and live curves in ``where``; while it runs the model
    is in session state, so a Stop (which interrupts this script) keeps what it learned."""
    model = build_model(arch, len(data.vocab), len(corpus.classes), **model_settings)
    epochs: list[dict] = []
    st.session_state[PENDING_KEY] = {
        "arch": arch, "model": model, "epochs": epochs, "settings": model_settings,
        "data_key": data.key, "start": time.perf_counter(),
    }  # fmt: skip
    bar = where.progress(0.0, text=f"{LABELS[arch]}: starting…")
    chart = where.empty()

    def on_progress(step: int, total: int, metrics: dict) -> None:
        if "train_loss" in metrics:  # the end of an epoch
            epochs.append(dict(metrics))
            show_figure(
                model_curves_figure({arch: epochs}, LABELS, 220),
                f"tc_live_{arch}_{len(epochs)}",
                chart,
                width="stretch",
            )
        text = (
            f"{LABELS[arch]}: epoch {metrics.get('epoch', 0):.1f} of {config.epochs}, "
            f"loss {metrics['loss']:.3f}"
        )
        if epochs:
            text += f", test accuracy {100 * epochs[-1]['val_accuracy']:.1f}%"
        bar.progress(min(1.0, step / total), text=text)

    def stop() -> bool:  # Stop pressed (when its click did not interrupt this script)
        return bool(st.session_state.get(STOP_KEY))

    history = train_text_model(
        model, data.ids, corpus.labels, data.train_idx, data.test_idx, config, on_progress, stop
    )
    bar.empty()
    chart.empty()
    return keep(arch, model, history, model_settings, data)


def comparison_table(corpus: SentimentCorpus, data: PreparedCorpus) -> pd.DataFrame:
    """Test accuracy per kind of every model trained on this data, and the CNN − BoW gap."""
    labels = corpus.labels[data.test_idx]
    kinds = [corpus.kinds[i] for i in data.test_idx]
    trained = current(data)
    rows: dict[str, dict] = {}
    for arch in (a for a in TABLE_ORDER if a in trained):
        per = accuracy_by_kind(trained[arch].pred, labels, kinds, KINDS, GROUPS)
        for kind, (n, acc) in per.items():
            rows.setdefault(kind, {"kind": kind, "test sentences": n})[LABELS[arch]] = acc
    frame = pd.DataFrame(list(rows.values()))
    for arch in ("kim", "keras"):
        if "bow" in trained and arch in trained:
            frame[f"{LABELS[arch]} − BoW (points)"] = (
                100 * (frame[LABELS[arch]] - frame[LABELS["bow"]])
            ).round(1)
    return frame


NEGATION_NOTE = (
    "And negation: a bag of words calls a sentence positive when its score *b* + the sum of its "
    "words' weights is above 0. Wanting **good** positive, **bad** negative, **not good** "
    "negative and **not bad** positive asks for *b + g* > 0, *b + d* < 0, *b + n + g* < 0 and "
    "*b + n + d* > 0 (*g*, *d*, *n*: the weights of *good*, *bad*, *not*). The two “> 0” "
    "lines add up to *2b + g + n + d* > 0 and the two “< 0” lines to *2b + g + n + d* < 0: "
    "**no weights get all four right**. Any three can be met — *b* = 0, good = 1, not = −2, "
    "bad = 3 gets *good*, *not good* and *not bad* right, but then *bad* alone is positive."
)


def verdict(frame: pd.DataFrame, trained: dict[str, Run]) -> None:
    cnn = next((k for k in ("kim", "keras") if k in trained), None)
    if cnn is None or "bow" not in trained or "word order" not in set(frame["kind"]):
        return
    row = frame.set_index("kind").loc["word order"]
    c, b = 100 * row[LABELS[cnn]], 100 * row[LABELS["bow"]]
    st.markdown(
        f"On the **word-order** sentences (negation and contrast, {int(row['test sentences'])} "
        f"in the test set) the {LABELS[cnn]} gets **{c:.1f}%** and the bag of words "
        f"**{b:.1f}%**: **{c - b:+.1f} points** for convolution over word order. "
        "*“good, but boring”* and *“boring, but good”* have the same word counts, so the bag of "
        "words gives them the same answer and gets at most one right; a width-2 or 3 filter sees "
        "*“good , but”*."
    )
    st.markdown(NEGATION_NOTE)


def results(corpus: SentimentCorpus, data: PreparedCorpus) -> None:
    """Every model trained on this data: test accuracy, curves, the table per kind, the gap."""
    trained = current(data)
    cols = st.columns(len(trained))
    for col, (key, run) in zip(cols, trained.items(), strict=True):
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
        model_curves_figure({k: r.history.epochs for k, r in trained.items()}, LABELS),
        "tc_curves",
        width="stretch",
    )
    frame = comparison_table(corpus, data)
    st.markdown("**Test accuracy per kind of sentence** (same split for every model)")
    pct = {c: st.column_config.NumberColumn(format="percent") for c in LABELS.values()}
    show_table(frame, hide_index=True, key="tc_table", column_config=pct)
    show_figure(
        kind_accuracy_figure(
            list(frame["kind"]),
            {k: frame[LABELS[k]].tolist() for k in TABLE_ORDER if k in trained},
            LABELS,
        ),
        "tc_kind_bars",
        width="stretch",
    )
    verdict(frame, trained)


def stopped_info(arch: str, epochs: int) -> None:
    st.info(
        f"{LABELS[arch]} was stopped after {epochs} epoch(s); its model is kept.",
        icon=":material/stop_circle:",
    )


def render(corpus: SentimentCorpus, data: PreparedCorpus) -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app, because in
    this Streamlit a click inside a fragment never interrupts a running script (it waits), so
    Stop inside a fragment would only act after the training had finished."""
    arch = st.radio(
        "CNN",
        ["kim", "keras"],
        format_func=lambda k: option_label(ARCHITECTURES[k].label),
        key="tc_arch",
        horizontal=True,
        persist_state=KEEP,
        bind=LINK,
    )
    settings_row(lambda: model_code(arch, corpus, data))
    model_settings, config = chosen(data)
    recover_stopped(data)  # also done by the page; cheap
    if (stopped := st.session_state.pop(STOPPED_KEY, None)) is not None:
        stopped_info(*stopped)
    pressed = train_stop_row(
        f"Train the {LABELS[arch]} and the bag of words", "tc_train", "tc_stop", STOP_KEY
    )
    if pressed:
        st.session_state[STOP_KEY] = False
        where = st.container()
        with training_slot(f"Text CNN: {LABELS[arch]} and the bag of words", where):
            run = train_one(arch, model_settings, config, corpus, data, where)
            if not run.stopped:  # the baseline next, on the same split
                run = train_one("bow", {"seed": config.seed}, BOW_CONFIG, corpus, data, where)
        if run.stopped:  # Stop usually interrupts the script; here the loop saw the flag
            stopped_info(run.arch, len(run.history.epochs))
    if not current(data):
        st.caption(
            "Nothing trained yet. The bag-of-words baseline is a linear layer on word counts, "
            "trained with the same loop on the same split: it cannot see word order."
        )
        return
    results(corpus, data)
