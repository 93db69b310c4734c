"""The Train & compare tab: the global-average-pooling arithmetic, then the three strategies on
the same split — a small CNN from scratch, a frozen base with a new head, fine-tuning the last
blocks — with live curves, Stop at any time, and a results table to compare."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from cnnplay.plots.charts import training_curves_figure
from cnnplay.quiz import head_params_question
from cnnplay.seeding import same_seed_note
from cnnplay.snippets import Snippet
from cnnplay.snippets.transfer import train_compare
from cnnplay.train import TrainConfig
from cnnplay.transfer.strategies import (
    STRATEGIES,
    Augmentation,
    build_scratch,
    build_transfer,
    train_scratch,
    train_transfer,
)
from ui.code_panel import code_panel
from ui.figures import show_figure, show_table
from ui.inputs import seed_input
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from ui.run_limit import train_stop_row, training_slot
from views.transfer_learning.common import (
    NO_AUGMENTATION,
    PENDING_KEY,
    STOP_KEY,
    STOPPED_KEY,
    Setup,
    augmentation,
    keep,
    last_maps_shape,
    recover_stopped,
    results,
    store,
    trained,
)

BLURB = {
    "scratch": "Random weights; learns every filter from your few images.",
    "head": "ImageNet filters frozen; only a new linear layer on their pooled features.",
    "finetune": "Also trains the last blocks of the base, at a lower learning rate.",
}
EPOCHS = {"scratch": "tl_ep_scratch", "head": "tl_ep_head", "finetune": "tl_ep_ft"}
RATES = {"scratch": "tl_lr_scratch", "head": "tl_lr_head", "finetune": "tl_lr_ft"}
MAX_BLOCKS = 4  # most stages the fine-tuning strategy unfreezes


def gap_explainer(s: Setup) -> None:
    last = last_maps_shape(s.name, s.side)
    shape = "×".join(str(v) for v in last)
    dim, k = s.dim, s.k
    network = s.name.split(" (")[0]  # "EfficientNet-Lite0 (offline)" -> "EfficientNet-Lite0"
    if not predict_then_reveal("tl_head", head_params_question(last, dim, k, network)):
        return  # quiz mode: the count waits for the answer
    st.markdown(
        f"{notes_name('001', capital=True)}, on *ResNet*: a **global average pooling** layer "
        "turns the last feature maps "
        f"(here {shape} for a {s.side}×{s.side} input) into one number per map — a vector of "
        f"**{dim}** — and *one densely connected layer with a softmax* gives the classes. "
        f"Transfer learning keeps everything up to that vector and replaces the last layer: "
        f"{dim} × {k} weights + {k} biases = **{dim * k + k:,}** new parameters for your "
        f"{k} classes, instead of {dim * 1000 + 1000:,} for ImageNet's 1000."
    )
    from_the_notes(("001", "ResNet (2016)"))


@tab_body
def settings_row(s: Setup, max_blocks: int) -> None:
    """The training settings and the code panel that trains with them: a fragment, so changing
    one reruns only this row and the panel (the Train buttons read them from session state)."""
    st.session_state.tl_blocks = min(st.session_state.tl_blocks, max_blocks)
    with st.expander("Training settings", expanded=False):
        c1, c2, c3 = st.columns(3)
        c1.number_input(
            "Epochs (scratch)", 1, 100, key="tl_ep_scratch", persist_state=KEEP, bind=LINK
        )
        c1.select_slider(
            "Learning rate (scratch)",
            [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
            key="tl_lr_scratch",
            persist_state=KEEP,
            bind=LINK,
        )
        c2.number_input("Epochs (head)", 1, 200, key="tl_ep_head", persist_state=KEEP, bind=LINK)
        c2.select_slider(
            "Learning rate (head)",
            [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
            key="tl_lr_head",
            persist_state=KEEP,
            bind=LINK,
        )
        c3.number_input("Epochs (fine-tune)", 1, 50, key="tl_ep_ft", persist_state=KEEP, bind=LINK)
        c3.select_slider(
            "Learning rate (fine-tune)",
            [1e-5, 3e-5, 1e-4, 3e-4, 1e-3],
            key="tl_lr_ft",
            persist_state=KEEP,
            bind=LINK,
        )
        c3.slider(
            "Blocks to unfreeze", 1, max_blocks, key="tl_blocks", persist_state=KEEP, bind=LINK
        )
        c2.slider(
            "Augmented copies per image (head)", 1, 5, key="tl_views", persist_state=KEEP, bind=LINK
        )
        c1.select_slider(
            "Batch size", [8, 16, 32, 64], key="tl_batch", persist_state=KEEP, bind=LINK
        )
        seed_input("tl_train_seed", "the batch order and the augmentation", c1)
    st.caption(same_seed_note(int(st.session_state.tl_train_seed)))
    st.toggle(
        "Augment the training images (set up in the Augmentation tab)",
        key="tl_aug_on",
        persist_state=KEEP,
        bind=LINK,
    )
    code_panel(lambda: code(s), "tl_code_train")


def code(s: Setup) -> Snippet:
    """The three strategies with the settings in session state, as a program on stand-in
    images of the page's side, classes and number of training images."""
    aug = augmentation() if st.session_state.tl_aug_on else NO_AUGMENTATION
    return train_compare(
        s.name,
        s.k,
        s.side,
        {k: config(k) for k in STRATEGIES},
        int(st.session_state.tl_blocks),
        aug,
        int(st.session_state.tl_views),
        len(s.train_idx),
    )


def config(strategy: str) -> TrainConfig:
    """The training configuration of one strategy, from session state."""
    s = st.session_state
    return TrainConfig(
        epochs=int(s[EPOCHS[strategy]]),
        batch_size=int(s.tl_batch),
        lr=float(s[RATES[strategy]]),
        seed=int(s.tl_train_seed),
    )


def run(strategy: str, s: Setup, aug: Augmentation, where) -> None:
    """Train one strategy with a progress bar and live curves in ``where``; the run is kept in
    session state while it goes, so a Stop (which interrupts this script) keeps what it has."""
    cfg = config(strategy)
    split = s.tunable[-int(st.session_state.tl_blocks)] if strategy == "finetune" else len(s.stages)
    model = (
        build_scratch(s.k, cfg.seed)
        if strategy == "scratch"
        else build_transfer(s.stages, split, s.k, s.dim, cfg.seed)
    )
    epochs: list[dict] = []
    st.session_state[PENDING_KEY] = {
        "strategy": strategy, "model": model, "epochs": epochs, "start": time.perf_counter(),
        "data_key": s.data_key, "aug": aug.active, "split": (s.train_idx, s.val_idx),
        "seed": cfg.seed,
    }  # fmt: skip
    label = STRATEGIES[strategy]
    bar = where.progress(0.0, text=f"{label}: starting…")
    chart = where.empty()

    def on_progress(step: int, total: int, metrics: dict) -> None:
        text = (
            f"{label}: epoch {metrics.get('epoch', 0):.1f} of {cfg.epochs}, "
            f"loss {metrics['loss']:.3f}"
        )
        if "train_loss" in metrics:  # the end of an epoch
            epochs.append(dict(metrics))
            show_figure(
                training_curves_figure({strategy: epochs}, STRATEGIES, 220),
                f"tl_live_{strategy}_{len(epochs)}",
                chart,
                width="stretch",
            )
        if epochs and "val_accuracy" in epochs[-1]:
            text += f", val accuracy {100 * epochs[-1]['val_accuracy']:.1f}%"
        bar.progress(min(1.0, step / total), text=text)

    def on_features(done: int, total: int, _metrics: dict) -> None:
        bar.progress(min(1.0, done / total), text=f"Computing features: {done}/{total} images")

    def stop() -> bool:  # Stop pressed (when its click did not interrupt this script)
        return bool(st.session_state.get(STOP_KEY))

    mean, std = s.spec.mean, s.spec.std
    with training_slot(f"Transfer learning: {label}", where):
        if strategy == "scratch":
            result = train_scratch(
                s.x, s.y, s.train_idx, s.val_idx, s.k, cfg, aug, mean, std, on_progress, stop,
                model=model,
            )  # fmt: skip
        else:
            views = int(st.session_state.tl_views)
            result = train_transfer(
                model, s.x, s.y, s.train_idx, s.val_idx, cfg, store(), s.data_key, aug, views,
                mean, std, on_progress, on_features, stop,
            )  # fmt: skip
    bar.empty()
    chart.empty()
    keep(result, aug.active, s, (s.train_idx, s.val_idx), cfg.seed)


def strategy_column(col, strategy: str, s: Setup, pressed_all: bool, aug: Augmentation) -> bool:
    """One strategy: its Train button, the run when pressed, its score. True when it ran and
    was stopped (the other strategies then do not start)."""
    label = STRATEGIES[strategy]
    col.markdown(f"**{label}**")
    col.caption(BLURB[strategy])
    pressed = col.button("Train " + label[0].lower() + label[1:], key=f"tl_train_{strategy}")
    stopped = False
    if pressed or pressed_all:
        st.session_state[STOP_KEY] = False
        run(strategy, s, aug, col)
        stopped = trained()[strategy].result.history.stopped
        if stopped:  # Stop usually interrupts the script; here the loop saw the flag
            stopped_info(strategy, len(trained()[strategy].result.history.epochs), col)
    held = trained().get(strategy)
    if held is not None and held.data_key == s.data_key:
        r = held.result
        col.metric(
            "Validation accuracy", f"{100 * r.val_accuracy:.1f}%", help="on the held-out images"
        )
        col.caption(
            f"{r.trainable:,} of {r.total:,} parameters trained, "
            f"{r.train_seconds:.1f} s training"
            + (f" + {r.feature_seconds:.1f} s features" if r.feature_seconds else "")
            + (" (stopped)" if r.history.stopped else "")
        )
    return stopped


def results_table(s: Setup) -> None:
    current = {k: t.result.history.epochs for k, t in trained().items() if t.data_key == s.data_key}
    if current:
        show_figure(training_curves_figure(current, STRATEGIES), "tl_curves", width="stretch")
    rows = results()
    if not rows:
        st.caption("Nothing trained yet: press a Train button.")
        return
    st.markdown("**Results** (newest first; train again with augmentation on or off to compare)")
    percent = st.column_config.NumberColumn(format="percent")
    show_table(
        pd.DataFrame(rows),
        hide_index=True,
        key="tl_results_table",
        column_config={"val accuracy": percent, "train accuracy": percent},
    )
    verdict(s)


def verdict(s: Setup) -> None:
    mine = {k: t.result for k, t in trained().items() if t.data_key == s.data_key}
    if "scratch" in mine and "head" in mine:
        sc, h = mine["scratch"], mine["head"]
        st.markdown(
            f"With the same {len(s.train_idx)} training images, the frozen base + new head "
            f"reaches **{100 * h.val_accuracy:.1f}%** training {h.trainable:,} parameters; the "
            f"CNN from scratch reaches **{100 * sc.val_accuracy:.1f}%** training "
            f"{sc.trainable:,}. The point of {notes_name('000')}: features learned on a "
            "million images carry over to new classes."
        )
        from_the_notes(("000", "Re-using pretrained layers"))


def stopped_info(strategy: str, epochs: int, where=st) -> None:
    where.info(
        f"{STRATEGIES[strategy]} was stopped after {epochs} epoch(s); its model is kept.",
        icon=":material/stop_circle:",
    )


def render(s: Setup) -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app, because in
    this Streamlit a click inside a fragment never interrupts a running script (it waits), so
    Stop inside a fragment would only act after the training had finished."""
    gap_explainer(s)
    settings_row(s, min(MAX_BLOCKS, len(s.tunable)))
    aug = augmentation() if st.session_state.tl_aug_on else NO_AUGMENTATION
    recover_stopped(s)  # also done by the page; cheap
    if (stopped := st.session_state.pop(STOPPED_KEY, None)) is not None:
        stopped_info(*stopped)
    pressed_all = train_stop_row(
        "Train all three", "tl_train_all", "tl_stop", STOP_KEY, widths=(1, 1)
    )
    stopped = False
    for col, strategy in zip(st.columns(3), STRATEGIES, strict=True):
        stopped = strategy_column(col, strategy, s, pressed_all and not stopped, aug) or stopped
    results_table(s)
