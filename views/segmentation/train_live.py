"""The Train live tab: train the configuration chosen above the tabs from random weights, watch
the validation masks and curves, stop at any time; this session's runs in a table."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.plots.charts import training_curves_figure
from cnnplay.plots.style import SERIES_COLOURS
from cnnplay.seeding import same_seed_note, seeded
from cnnplay.segmentation.plots import mask_colours
from cnnplay.segmentation.training import SegTrainSettings, train_unet
from cnnplay.segmentation.unet import UNet, UNetConfig, predict
from ui.figures import show_figure, show_table
from ui.hosting import profile
from ui.inputs import seed_input
from ui.links import LINK
from ui.page import KEEP, tab_body
from ui.progress import time_left
from ui.run_limit import train_stop_row, training_slot
from views.segmentation.common import (
    LIVE_VAL_N,
    LIVE_VAL_SEED,
    MAX_RUNS,
    PENDING_KEY,
    STOPPED_KEY,
    architecture,
    keep_run,
    mask_legend,
    recover_stopped,
    runs,
    scene_set,
    show_masks,
    stopped_note,
    training_set,
)

STOP_KEY = "seg_stop_flag"  # session state: Stop was pressed during the current run
RUN_COLOURS = list(SERIES_COLOURS[:4])  # newest run first


def progress_text(metrics: dict, epochs: int, elapsed: float, done: int, total: int) -> str:
    """The progress bar's text: epoch, loss, the last val mean IoU, and the time left."""
    text = f"epoch {metrics['epoch']:.1f} of {epochs}, loss {metrics['loss']:.3f}"
    if "val_miou" in metrics:
        text += f", val mean IoU {metrics['val_miou']:.3f}"
    return text + time_left(elapsed, done, total)


def stopped_message(note: dict) -> str:
    """The message for a stopped run (common.stopped_note)."""
    of = f" of {note['total']}" if note.get("total") else ""
    if not note["kept"]:
        return (
            f"Training of **{note['label']}** was stopped before its first epoch ended: "
            "there is no scored model to keep."
        )
    return (
        f"Training was stopped after {note['done']}{of} epoch(s); the model is kept as "
        f"**{note['label']}** (marked *stopped* in the table below)."
    )


def train(config: UNetConfig, settings: SegTrainSettings, val_scenes: list, status) -> None:
    """One training run with live curves and masks; its model joins this session's runs. A
    click during the run interrupts it: the model waits in session state (recover_stopped).
    ``status``: the st.empty slot of the progress bar, which ends holding the stopped message
    (or nothing), so no stale bar is left behind."""
    st.session_state[STOP_KEY] = False
    model = seeded(lambda: UNet(config), settings.model_seed)
    epochs_done: list[dict] = []
    st.session_state[PENDING_KEY] = {
        "model": model,
        "epochs": epochs_done,
        "start": time.perf_counter(),
        "seed": settings.model_seed,
        "total": settings.epochs,
        "label": config.label(),
    }
    bar = status.progress(0.0, text="Generating the training scenes…")
    curves = st.empty()
    live = st.empty()  # the masks redrawn while training; cleared at the end
    val_images = np.stack([s.image for s in val_scenes])
    clock: dict[str, float] = {}  # first timed step and its time (scene generation excluded)

    def redraw(step: int) -> None:
        was_training = model.training
        model.eval()
        pred, _ = predict(model, val_images)
        model.train(was_training)
        with live.container():
            show_masks(
                [(mask_colours(s.semantic), "truth") for s in val_scenes[:2]]
                + [(mask_colours(p), f"step {step}") for p in pred[:2]]
            )

    def on_progress(step: int, total: int, metrics: dict) -> None:
        # one bar with the epoch, loss, score and time left (richer than ui.progress's text),
        # plus the live curves and masks
        now = time.perf_counter()
        clock.setdefault("step", step)
        clock.setdefault("t", now)
        text = progress_text(
            metrics, settings.epochs, now - clock["t"], step - clock["step"], total - clock["step"]
        )
        if "val_miou" in metrics:
            epochs_done.append(dict(metrics))
            show_figure(
                training_curves_figure(
                    {"live": epochs_done},
                    {"live": config.label()},
                    240,
                    metric="val_miou",
                    metric_title="val mean IoU",
                    loss_title="loss (CE + Dice)",
                ),
                f"seg_live_curve_{len(epochs_done)}",
                curves,
                width="stretch",
            )
        bar.progress(min(1.0, step / total), text=text)
        if step % 10 == 0 or "val_miou" in metrics:
            redraw(step)

    model, history = train_unet(
        config,
        settings,
        val_scenes,
        on_progress,
        lambda: bool(st.session_state.get(STOP_KEY)),
        model=model,
        train_scenes=training_set(settings.train_scenes, settings.train_seed),
    )
    st.session_state.pop(PENDING_KEY, None)
    curves.empty()
    live.empty()
    status.empty()
    if history.stopped and not history.epochs:
        note = stopped_note(config.label(), 0, settings.epochs, False)
        status.info(stopped_message(note), icon=":material/stop_circle:")
    else:
        keep_run(model, history.epochs, history.seconds, history.stopped, settings.model_seed)
        if history.stopped:
            note = stopped_note(runs()[0]["label"], len(history.epochs), settings.epochs, True)
            status.info(stopped_message(note), icon=":material/stop_circle:")
    st.session_state[STOP_KEY] = False


def same_network(a: UNetConfig, b: UNetConfig) -> bool:
    """Do two configurations build the same network?"""
    return a == b


def run_heading(run: dict, config: UNetConfig) -> str:
    """Whose results follow: the newest run's label, epochs and whether it was stopped, and a
    warning when it is not the network ``config`` now chosen above the tabs."""
    stopped = ", stopped" if run["stopped"] else ""
    epochs = len(run["epochs"])
    text = f"**Results of your newest run: {run['label']}** ({epochs} epoch(s){stopped})"
    if not same_network(run["config"], config):
        text += (
            f". Not the network chosen above (**{config.label()} d{config.depth} "
            f"w{config.base_width}**): press Train to train that one."
        )
    return text


def show_runs(val_scenes: list, config: UNetConfig) -> None:
    """The newest run's scores, every run's curves, the newest's masks, a table of all runs."""
    kept = runs()
    latest = kept[0]
    st.markdown(run_heading(latest, config))
    r1, r2, r3 = st.columns(3)
    r1.metric("Val mean IoU", f"{latest['miou']:.3f}")
    r2.metric("Val boundary accuracy", f"{100 * latest['boundary']:.1f}%")
    r3.metric("Training time", f"{latest['seconds']:.1f} s")
    show_figure(
        training_curves_figure(
            {f"run{i}": r["epochs"] for i, r in enumerate(kept)},
            {f"run{i}": r["label"] for i, r in enumerate(kept)},
            280,
            metric="val_miou",
            metric_title="val mean IoU",
            loss_title="loss (CE + Dice)",
            colours={f"run{i}": c for i, c in enumerate(RUN_COLOURS)},
        ),
        "seg_curves",
        width="stretch",
    )
    pred, _ = predict(latest["model"], np.stack([s.image for s in val_scenes]))
    show_masks(
        [(s.image, "scene") for s in val_scenes[:2]]
        + [(mask_colours(p), f"{latest['label']}") for p in pred[:2]]
    )
    mask_legend("seg_legend_runs")
    show_table(
        pd.DataFrame(
            [
                {
                    "model": r["label"],
                    "epochs": len(r["epochs"]),
                    "seed": r["seed"],
                    "val mean IoU": r["miou"],
                    "val mean Dice": r["dice"],
                    "boundary accuracy": r["boundary"],
                    "seconds": round(r["seconds"], 1),
                    "parameters": r["params"],
                    "stopped": "yes" if r["stopped"] else "",
                }
                for r in kept
            ]
        ),
        hide_index=True,
        key="seg_runs_table",
    )
    st.caption(
        "Your models stay in this browser session only (the newest "
        f"{MAX_RUNS}); the Feature maps and Your image tabs can use them."
    )


@tab_body
def settings_row() -> None:
    """The training settings: a fragment, so moving one reruns only this row (the Train button
    reads them from session state)."""
    t1, t2, t3, t4, t5 = st.columns([3, 2, 3, 2, 2])
    t1.select_slider(
        "Training scenes",
        profile().train_scene_choices,  # the hosted profile offers fewer
        key="seg_train_scenes",
        persist_state=KEEP,
        bind=LINK,
    )
    t2.slider("Epochs", 1, 30, key="seg_epochs", persist_state=KEEP, bind=LINK)
    t3.select_slider(
        "Peak learning rate",
        [1e-3, 2e-3, 3e-3, 5e-3, 1e-2],
        key="seg_lr",
        persist_state=KEEP,
        bind=LINK,
    )
    t4.toggle("Flips / rotations", key="seg_augment", persist_state=KEEP, bind=LINK)
    seed = seed_input("seg_train_seed", "the batch order and the flips", t5)
    st.caption(same_seed_note(seed))


def render(config: UNetConfig) -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app, because in
    Streamlit 1.67 a click inside a fragment never interrupts a running script (it waits), so
    Stop inside a fragment would only act after the training had finished."""
    _, n_params, _ = architecture(config)
    val_scenes = scene_set(LIVE_VAL_N, LIVE_VAL_SEED)
    st.markdown(
        f"Trains the network chosen above (**{config.label()}**, {n_params:,} parameters) from "
        "random weights on freshly generated scenes: cross-entropy per pixel plus a soft Dice "
        f"term, AdamW with a one-cycle learning rate. After every epoch it is scored on "
        f"{LIVE_VAL_N} held-out scenes, whose predictions you watch improve."
    )
    st.latex(
        r"\mathcal{L} = -\frac{1}{HW}\sum_{i} \log p_{i, y_i} \;+\; "
        r"1 - \frac{1}{K}\sum_c \frac{2\sum_i p_{i,c}\,[y_i = c] + 1}"
        r"{\sum_i p_{i,c} + \sum_i [y_i = c] + 1}"
    )
    settings_row()
    state = st.session_state
    settings = SegTrainSettings(
        int(state.seg_train_scenes),
        int(state.seg_epochs),
        lr=float(state.seg_lr),
        augment=bool(state.seg_augment),
        model_seed=int(state.seg_train_seed),
    )
    recover_stopped()  # also done by the page; cheap
    go_train = train_stop_row(
        "Train", "seg_train", "seg_stop", STOP_KEY, stop_label="Stop", widths=(1, 1)
    )
    status = st.empty()  # the progress bar while training, then the stopped message or nothing
    if (note := st.session_state.pop(STOPPED_KEY, None)) is not None:
        status.info(stopped_message(note), icon=":material/stop_circle:")
    else:
        status.empty()  # replaces a bar an interrupted run may have left here
    if go_train:
        with training_slot(f"Segmentation: {config.label()}"):
            train(config, settings, val_scenes, status)
    if runs():
        show_runs(val_scenes, config)
    else:
        st.caption("Nothing trained yet in this session: press Train.")
