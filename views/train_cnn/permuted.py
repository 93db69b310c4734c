"""The "Shuffled pixels" tab (spatial structure): one fixed pixel permutation for every training
and test image; the MLP and the CNN trained again on the shuffled images, their test accuracy
beside the original pixels'; the proof with torch that an MLP with its first-layer columns
reordered is the same model on shuffled images.

The data and settings are those of this session's trained run (Train tab) when there is one;
otherwise a smaller split of its own (of the data set chosen on the Train tab), and the
original-pixel models are trained here too. Per session: one result (the newest, for the run it
was made with) and, while training, its pending stage."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st
import torch
from torch import nn

from cnnplay.convnets.data import DataUnavailable, Split, load_split
from cnnplay.convnets.models import MODELS, build
from cnnplay.convnets.permutation import (
    accuracy_bars_figure,
    equivalence,
    permute_split,
    pixel_permutation,
    show_pairs,
    shuffled_run,
)
from cnnplay.convnets.training import (
    LiveRun,
    SideBySideSettings,
    finish,
    new_run,
    predict,
    train_side_by_side,
)
from cnnplay.seeding import same_seed_note
from ui.figures import show_figure
from ui.inputs import seed_input
from ui.links import LINK
from ui.page import KEEP, tab_body
from ui.run_limit import train_stop_row, training_slot
from views.train_cnn.common import TrainedRun, trained

NAMES = ("mlp", "cnn")  # the two models the experiment compares
SIDE = 28
SHOW = 6  # test images shown with their shuffled versions
CHECK_IMAGES = 500  # test images of the equivalence check
CHECK_KEY = "cv_perm_check"  # session state: (weakref to the MLP, seed, Equivalence), one entry
TRAIN_CHOICES = [500, 1000, 2000, 5000, 10000]  # training images without a trained run
DEFAULT_TEST = 1000  # test images of the split of this tab's own (no trained run)
RESULT_KEY = "cv_perm_result"  # session state: the newest Result (one)
PENDING_KEY = "cv_perm_pending"  # session state: the Pending stage of a run in progress
STOP_KEY = "cv_perm_stop_flag"  # session state: Stop was pressed during the current run
DEFAULTS = {  # widgets' values before the student sets them
    "cv_perm_seed": 0,
    "cv_perm_same_start": True,
    "cv_perm_n_train": 2000,
    "cv_perm_epochs": 2,
    "cv_perm_train_seed": 0,
}


@dataclass
class Result:
    """One experiment: test accuracy on original and on shuffled pixels (0..1 per model)."""

    run_ref: weakref.ref | None  # the TrainedRun it used (None: this tab's own split)
    perm_seed: int
    same_start: bool
    settings: SideBySideSettings
    original_from: str  # "the Train tab" or "this tab"
    original: dict[str, float] = field(default_factory=dict)
    shuffled: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    stopped: bool = False
    original_mlp: nn.Module | None = None  # trained here (no run): for the equivalence check


@dataclass
class Pending:
    """A stage in progress (its models live in ``live``): a Stop keeps what it learned."""

    result: Result
    stage: str  # "original" or "shuffled"
    live: LiveRun
    split: Split  # the split this stage trains on (shuffled or not)
    start: float


def set_defaults() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


@st.cache_resource(max_entries=2, show_spinner="Reading the images…")
def own_split(source: str, n_train: int, seed: int) -> Split:
    """This tab's split when no run is trained: the data set chosen on the Train tab, else
    Fashion-MNIST, else the 8×8 digits (the first that can be read). Shared by every session
    and never changed (the shuffled copies are new tensors). Raises DataUnavailable when none
    can be read."""
    problem = None
    for name in dict.fromkeys((source, "fashion", "digits")):
        try:
            return load_split(name, n_train, DEFAULT_TEST, seed)
        except DataUnavailable as err:
            problem = problem or err
    raise problem


@st.cache_resource(max_entries=4, show_spinner=False)
def untrained_mlp(classes: int, seed: int, hidden: int) -> nn.Module:
    """A freshly initialised MLP for the check before anything is trained (shared, read only:
    the check works on copies)."""
    return build("mlp", classes, seed=seed, hidden=hidden).eval()


def run_settings(run: TrainedRun) -> SideBySideSettings:
    """The settings the Train tab's run was trained with (its epochs: those it ran, when it was
    stopped), without augmentation: the shuffled-pixel models train exactly as it did."""
    base = run.settings or SideBySideSettings(hidden=run.hidden, seed=run.seed)
    done = [len(h.epochs) for h in run.histories.values() if h.epochs]
    return replace(base, epochs=max(1, min(done)) if done else base.epochs, augment=False)


def current_setup(run: TrainedRun | None) -> tuple[Split, SideBySideSettings]:
    """(split, settings) the Train button would use now."""
    state = st.session_state
    if run is not None:
        return run.split, run_settings(run)
    n_train, seed = int(state.cv_perm_n_train), int(state.cv_perm_train_seed)
    source = str(state.get("cv_source", "fashion"))  # the Train tab's data set
    settings = SideBySideSettings(epochs=int(state.cv_perm_epochs), seed=seed)
    return own_split(source, n_train, seed), settings


def kept_result(run: TrainedRun | None) -> Result | None:
    """The newest result if it belongs to the current data (this run, or the tab's own split
    when there is no run); a result of an earlier run is dropped."""
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        return None
    if (result.run_ref is None) != (run is None) or (
        run is not None and result.run_ref() is not run
    ):
        del st.session_state[RESULT_KEY]
        return None
    return result


def recover_stopped() -> None:
    """A run interrupted by a click (Stop or any other) left its stage in session state: score
    its models as they are, and keep the result marked stopped."""
    pending: Pending | None = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    store_stage(pending, stopped=True)


def store_stage(pending: Pending, stopped: bool) -> None:
    """Score the stage's models on its split's test images and write them into its result."""
    result = pending.result
    scores = finish(pending.split, pending.live)
    target = result.original if pending.stage == "original" else result.shuffled
    for name, score in scores.items():
        target[name] = score.test_accuracy
    if pending.stage == "original" and "mlp" in scores:
        result.original_mlp = scores["mlp"].model
    result.seconds += time.perf_counter() - pending.start
    result.stopped = result.stopped or stopped
    st.session_state[RESULT_KEY] = result


def train_stage(
    result: Result, stage: str, live: LiveRun, split: Split, bar, offset: int, total: int
) -> bool:
    """Train one stage with the progress bar; True when it ran to the end (no Stop)."""
    pending = Pending(result, stage, live, split, time.perf_counter())
    st.session_state[PENDING_KEY] = pending
    pixels = "original" if stage == "original" else "shuffled"
    epochs = live.settings.epochs

    def on_progress(step: int, _total: int, m: dict) -> None:
        text = (
            f"{MODELS[m['model']]} on {pixels} pixels: epoch {m['epoch']:.1f} of {epochs}, "
            f"loss {m['loss']:.3f}"
        )
        if "test_accuracy" in m:
            text += f", test accuracy {100 * m['test_accuracy']:.1f}%"
        bar.progress(min(1.0, (offset + step) / total), text=text)

    train_side_by_side(split, live, on_progress, lambda: bool(st.session_state.get(STOP_KEY)))
    st.session_state.pop(PENDING_KEY, None)
    store_stage(pending, stopped=not live.finished)
    return live.finished


def scored_accuracy(model: nn.Module, split: Split) -> float:
    """Share of the split's test images ``model`` gets right, 0..1."""
    _, pred = predict(model, split.x_test)
    return float((pred == split.y_test.cpu()).double().mean())


def steps(split: Split, settings: SideBySideSettings) -> int:
    """Optimiser steps of one stage (both models)."""
    return settings.epochs * -(-len(split.x_train) // settings.batch_size) * len(NAMES)


def train(run: TrainedRun | None, status) -> None:
    """The Train button: the shuffled-pixel models (and the original-pixel ones when there is
    no usable trained run), in the server's training queue."""
    state = st.session_state
    state[STOP_KEY] = False
    split, settings = current_setup(run)
    perm_seed, same_start = int(state.cv_perm_seed), bool(state.cv_perm_same_start)
    reuse = run is not None and not run.augmented and all(n in run.models for n in NAMES)
    result = Result(
        weakref.ref(run) if run is not None else None,
        perm_seed,
        same_start,
        settings,
        "the Train tab" if reuse else "this tab",
    )
    perm = pixel_permutation(SIDE, perm_seed)
    shuffled = permute_split(split, perm)
    total = steps(split, settings) * (1 if reuse else 2)
    bar = status.progress(0.0, text="Starting…")
    if reuse:  # the Train tab's models, scored on the same test images
        result.original = {
            n: run.results[n].test_accuracy if n in run.results else scored_accuracy(m, split)
            for n, m in ((n, run.models[n]) for n in NAMES)
        }
        result.original_mlp = run.models["mlp"]
    else:
        live = new_run(len(split.classes), settings, NAMES)
        if not train_stage(result, "original", live, split, bar, 0, total):
            return
    live = shuffled_run(len(split.classes), perm, settings, NAMES, same_start)
    train_stage(result, "shuffled", live, shuffled, bar, total - steps(split, settings), total)
    bar.empty()
    state[STOP_KEY] = False


# --- what the tab shows ---------------------------------------------------------------------


def intro() -> None:
    st.markdown(
        "**Does a network use where the pixels are?** Shuffle the 784 pixels of every image "
        "with **one fixed permutation**, the same for every training and test image, and "
        "train again. To the **MLP** the image is a list of numbers: a fixed reordering of "
        "the list is the same problem. Its first layer can reorder its weight columns the "
        "same way, and then it computes exactly what it computed before. The **CNN**'s 3×3 "
        "kernels look at neighbouring pixels, and neighbours are what the shuffle destroys."
    )
    st.latex(
        r"x'_i = x_{\pi(i)},\quad x' = P\,x \qquad W' = W P^{\top}\ \ "
        r"(W'_{:,i} = W_{:,\pi(i)}) \qquad W' x' = W P^{\top} P\, x = W x"
    )


def image_pairs(split: Split, perm: torch.Tensor) -> None:
    """A few test images above their shuffled versions."""
    x = split.x_test[:SHOW]
    pairs = show_pairs(x, perm, upscale=4)
    names = [split.classes[int(c)] for c in split.y_test[:SHOW]]
    st.image([a for a, _ in pairs], caption=names, width=SIDE * 4)
    st.image([b for _, b in pairs], caption=[f"{n}, shuffled" for n in names], width=SIDE * 4)
    st.caption(
        "Each picture is 28×28 pixels, enlarged 4×. The same permutation moves pixel 0 of "
        "every image to the same place; the class is still in the numbers, but no longer in "
        "the neighbourhoods."
    )


def equivalence_check(
    mlp: nn.Module, source: str, split: Split, perm: torch.Tensor, seed: int
) -> None:
    kept = st.session_state.get(CHECK_KEY)
    if kept is not None and kept[0]() is mlp and kept[1] == seed:
        check = kept[2]
    else:  # once per MLP and permutation (the session keeps the newest)
        check = equivalence(mlp, split.x_test[:CHECK_IMAGES], perm)
        st.session_state[CHECK_KEY] = (weakref.ref(mlp), seed, check)
    st.markdown(
        f"**The same model, checked with torch.** {source} runs on {check.images:,} test "
        "images; a copy whose first-layer weight columns are reordered by the permutation "
        "runs on the shuffled images."
    )
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Largest logit difference (float32)",
        f"{check.max_diff_float32:.1e}",
        help=f"Logits reach ±{check.largest_logit:.1f}; float32 keeps about 7 digits, and "
        "the two models add the same 784 products in another order.",
    )
    c2.metric("… in float64", f"{check.max_diff_float64:.1e}")
    c3.metric("Same predicted class", f"{check.same_predictions:,} of {check.images:,}")


@tab_body
def shuffle_panel() -> None:
    """The permutation, the pictures and the equivalence check: a fragment (a new permutation
    seed reruns only this part)."""
    run = trained()
    try:
        split, settings = current_setup(run)
    except DataUnavailable as err:
        st.error(str(err), icon=":material/database:")
        return
    seed = int(
        st.columns([1, 3])[0].number_input(
            "Permutation seed",
            0,
            10_000,
            key="cv_perm_seed",
            persist_state=KEEP,
            bind=LINK,
            help="Which shuffle: the permutation is drawn from this seed alone.",
        )
    )
    perm = pixel_permutation(SIDE, seed)
    image_pairs(split, perm)
    result = kept_result(run)
    if run is not None and "mlp" in run.models:
        mlp, source = run.models["mlp"], "Your trained MLP (Train tab)"
    elif result is not None and result.original_mlp is not None:
        mlp, source = result.original_mlp, "The MLP trained here on the original pixels"
    else:
        mlp = untrained_mlp(len(split.classes), settings.seed, settings.hidden)
        source = "An untrained MLP (any weights will do)"
    equivalence_check(mlp, source, split, perm, seed)


@tab_body
def settings_row(run: TrainedRun | None) -> None:
    """Training settings: a fragment (the Train button reads them from session state)."""
    st.toggle(
        "Start the shuffled MLP from the original MLP's first weights, reordered the same way",
        key="cv_perm_same_start",
        persist_state=KEEP,
        bind=LINK,
        help="Its initial weights are then just as random as any other draw, and in exact "
        "arithmetic its whole training is the original's, reordered: the same accuracy to "
        "the image. Off: it starts from the same numbers as the original, unreordered, a "
        "different random start (expect a difference of a point or so, luck).",
    )
    if run is not None:
        split, settings = run.split, run_settings(run)
        st.caption(
            f"Data and settings of your trained run: {split.source}; {settings.epochs} "
            f"epoch(s), seed {settings.seed}, MLP width {settings.hidden}, batches of "
            f"{settings.batch_size}, Adam {settings.lr:g}."
            + (
                " That run used augmentation, so the original-pixel models are trained here "
                "again without it: the only difference is then the pixel order."
                if run.augmented
                else " Its MLP and CNN are the original-pixel models."
            )
        )
        return
    st.caption(
        "No trained run yet (Train tab): this tab trains both models on original and on "
        f"shuffled pixels, on a smaller split of its own (the data set chosen on the Train "
        f"tab, {DEFAULT_TEST:,} test images)."
    )
    c1, c2, c3 = st.columns(3)
    c1.select_slider(
        "Training images", TRAIN_CHOICES, key="cv_perm_n_train", persist_state=KEEP, bind=LINK
    )
    c2.slider("Epochs", 1, 10, key="cv_perm_epochs", persist_state=KEEP, bind=LINK)
    seed = seed_input("cv_perm_train_seed", "the batch order and the dropout masks", c3)
    st.caption(same_seed_note(seed))


def results(result: Result, classes: int) -> None:
    labels = [MODELS[n] for n in NAMES]
    original = {MODELS[n]: v for n, v in result.original.items()}
    shuffled = {MODELS[n]: v for n, v in result.shuffled.items()}
    show_figure(
        accuracy_bars_figure(labels, original, shuffled, 1 / classes),
        "cv_perm_bars",
        width="stretch",
    )
    rows = []
    for n in NAMES:
        o, s = result.original.get(n), result.shuffled.get(n)
        rows.append(
            {
                "model": MODELS[n],
                "original pixels": None if o is None else 100 * o,
                "shuffled pixels": None if s is None else 100 * s,
                "change (points)": None if o is None or s is None else 100 * (s - o),
            }
        )
    pct = {
        "original pixels": st.column_config.NumberColumn(format="%.1f%%"),
        "shuffled pixels": st.column_config.NumberColumn(format="%.1f%%"),
        "change (points)": st.column_config.NumberColumn(format="%+.1f"),
    }
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="cv_perm_table", column_config=pct)
    st.caption(
        f"Permutation seed {result.perm_seed}; {result.settings.epochs} epoch(s), training seed "
        f"{result.settings.seed}; original-pixel models from {result.original_from}; "
        f"{result.seconds:.1f} s of training here."
        + (" Stopped early: the models are scored as they were." if result.stopped else "")
    )
    if all(n in result.original and n in result.shuffled for n in NAMES):
        mlp = 100 * (result.shuffled["mlp"] - result.original["mlp"])
        cnn = 100 * (result.shuffled["cnn"] - result.original["cnn"])
        same = (
            " It started from the original's first weights, reordered, and so trained the "
            "same way, step by step."
            if result.same_start
            else " It started from another random point, so some difference is luck."
        )
        st.markdown(
            f"On shuffled pixels the **MLP** changes by **{mlp:+.1f} points**.{same} The "
            f"**CNN** changes by **{cnn:+.1f} points**: its kernels now slide over pixels "
            "that were never neighbours, and the weight sharing that helped it is no use."
        )


def render() -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app (a click
    inside a fragment never interrupts a running script in Streamlit 1.67)."""
    set_defaults()
    intro()
    run = trained()
    shuffle_panel()
    try:
        split, _ = current_setup(run)
    except DataUnavailable:
        return  # the panel above says why
    st.subheader("Train on shuffled pixels")
    settings_row(run)
    recover_stopped()
    pressed = train_stop_row(
        "Train the MLP and the CNN on shuffled pixels",
        "cv_perm_train",
        "cv_perm_stop",
        STOP_KEY,
        stop_label="Stop",
    )
    status = st.empty()
    if pressed:
        with training_slot("Train a CNN: shuffled pixels"):
            train(run, status)
        st.rerun()  # the check above then uses the MLP trained here (when there is no run)
    result = kept_result(run)
    if result is None:
        st.caption("Nothing trained on shuffled pixels yet in this session.")
        return
    results(result, len(split.classes))
