"""The "Shifts & rotations" tab (weight sharing and its limits, seed 004): test accuracy of the
three trained models on test images shifted 0–4 pixels, rotated −45…45° and scaled 0.6…1.4, one
line chart per transformation; a button trains copies of the three models with augmentation
(random shifts, rotations and scalings; without it when the Train tab's run used it), whose
curves are drawn dashed over the others.

Bounded per session: the curves of one run at one number of test images (at most 1,000), and one
set of augmented copies with their curves, all tied to the run by a weak reference (a new run
drops them)."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st
from torch import nn

from cnnplay.convnets.data import Split
from cnnplay.convnets.models import MODELS
from cnnplay.convnets.robustness import (
    SWEEPS,
    Curves,
    curves_figure,
    example_strip,
    robustness_curves,
)
from cnnplay.convnets.training import (
    LiveRun,
    SideBySideSettings,
    finish,
    new_run,
    train_side_by_side,
)
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.progress import progress_bar
from ui.run_limit import train_stop_row, training_slot
from views.train_cnn.common import TrainedRun, need_training, trained

IMAGE_CHOICES = [200, 500, 1000]  # test images scored at every point of the curves
CURVES_KEY = "cv_rob_curves"  # session state: Scored of the run's own models (one)
COPIES_KEY = "cv_rob_copies"  # session state: Copies, the other-kind models (one set)
PENDING_KEY = "cv_rob_pending"  # session state: Copies being trained (a Stop keeps them)
STOP_KEY = "cv_rob_stop_flag"  # session state: Stop was pressed during the current run
DEFAULTS = {  # widgets' values before the student sets them
    "cv_rob_images": 500,
    "cv_rob_aug_shift": 2,
    "cv_rob_aug_degrees": 30,
    "cv_rob_aug_scale": 0.25,
}


@dataclass
class Scored:
    """Curves of one set of models on the first ``images`` test images of a run."""

    run_ref: weakref.ref  # the TrainedRun
    images: int
    curves: dict[str, Curves]


@dataclass
class Copies:
    """Copies of the three models trained the other way (with augmentation, or without)."""

    run_ref: weakref.ref  # the TrainedRun whose split, seed and epochs they share
    augmented: bool  # True: trained with augmentation
    settings: SideBySideSettings
    models: dict[str, nn.Module] = field(default_factory=dict)
    accuracy: dict[str, float] = field(default_factory=dict)  # plain test accuracy, 0..1
    stopped: bool = False
    seconds: float = 0.0
    scored: Scored | None = None  # their curves, computed once


@dataclass
class Pending:
    copies: Copies
    live: LiveRun
    split: Split
    start: float


def set_defaults() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def kind(augmented: bool) -> str:
    return "with augmentation" if augmented else "without augmentation"


def for_run(entry, run: TrainedRun, key: str):
    """A kept entry if it belongs to ``run``; an entry of an earlier run is dropped."""
    if entry is not None and entry.run_ref() is run:
        return entry
    st.session_state.pop(key, None)
    return None


def scored(models: dict[str, nn.Module], run: TrainedRun, images: int, where) -> Scored:
    """The curves of ``models`` on the run's first ``images`` test images, with a progress bar
    in ``where``. A click meanwhile interrupts the script (at the bar's next step): nothing is
    kept, and the next run starts again."""
    x, y = run.split.x_test[:images], run.split.y_test[:images]
    with progress_bar("Scoring shifted, rotated and scaled test images…", where=where) as bar:
        curves = robustness_curves(models, x, y, SWEEPS, bar)
    assert curves is not None  # no should_stop given
    return Scored(weakref.ref(run), len(y), curves)


def run_curves(run: TrainedRun, images: int, where) -> Scored:
    """The run's own curves: kept in session state (one entry), computed when missing."""
    kept = for_run(st.session_state.get(CURVES_KEY), run, CURVES_KEY)
    if kept is not None and kept.images == min(images, len(run.split.y_test)):
        return kept
    result = scored(dict(run.models), run, images, where)
    st.session_state[CURVES_KEY] = result
    return result


def copies_curves(copies: Copies, run: TrainedRun, images: int, where) -> Scored:
    """The copies' curves, computed once per number of test images."""
    if copies.scored is not None and copies.scored.images == min(images, len(run.split.y_test)):
        return copies.scored
    copies.scored = scored(copies.models, run, images, where)
    return copies.scored


def copy_settings(run: TrainedRun) -> SideBySideSettings:
    """The settings the run was trained with (its epochs: those it ran, when it was stopped),
    augmentation the other way round, with the ranges chosen here."""
    state = st.session_state
    base = run.settings or SideBySideSettings(hidden=run.hidden, seed=run.seed)
    done = [len(h.epochs) for h in run.histories.values() if h.epochs]
    return replace(
        base,
        epochs=max(1, min(done)) if done else base.epochs,
        augment=not run.augmented,
        max_shift=int(state.cv_rob_aug_shift),
        max_degrees=float(state.cv_rob_aug_degrees),
        max_scale=float(state.cv_rob_aug_scale),
    )


def keep_copies(pending: Pending, stopped: bool) -> None:
    scores = finish(pending.split, pending.live)
    copies = pending.copies
    copies.models = {n: s.model for n, s in scores.items()}
    copies.accuracy = {n: s.test_accuracy for n, s in scores.items()}
    copies.stopped = stopped
    copies.seconds = time.perf_counter() - pending.start
    st.session_state[COPIES_KEY] = copies


def recover_stopped() -> None:
    """Copies interrupted by a click (Stop or any other) are kept as they were, marked stopped."""
    pending: Pending | None = st.session_state.pop(PENDING_KEY, None)
    if pending is not None:
        keep_copies(pending, stopped=True)


def train_copies(run: TrainedRun, status) -> None:
    """Train the three copies (the Train button), in the server's training queue."""
    st.session_state[STOP_KEY] = False
    settings = copy_settings(run)
    copies = Copies(weakref.ref(run), settings.augment, settings)
    live = new_run(len(run.split.classes), settings, tuple(run.models))
    pending = Pending(copies, live, run.split, time.perf_counter())
    st.session_state[PENDING_KEY] = pending
    bar = status.progress(0.0, text="Starting…")
    what = kind(settings.augment)

    def on_progress(step: int, total: int, m: dict) -> None:
        text = (
            f"{MODELS[m['model']]} ({what}): epoch {m['epoch']:.1f} of {settings.epochs}, "
            f"loss {m['loss']:.3f}"
        )
        if "test_accuracy" in m:
            text += f", test accuracy {100 * m['test_accuracy']:.1f}%"
        bar.progress(min(1.0, step / total), text=text)

    train_side_by_side(run.split, live, on_progress, lambda: bool(st.session_state.get(STOP_KEY)))
    st.session_state.pop(PENDING_KEY, None)
    keep_copies(pending, stopped=not live.finished)
    status.empty()
    st.session_state[STOP_KEY] = False


# --- what the tab shows ---------------------------------------------------------------------


def intro() -> None:
    st.markdown(
        f"{notes_name('004', capital=True)}, *CNN: Limits*: *“In principle, CNN-based "
        "systems are not invariant to basic transformation of the input (rotations, scaling, "
        "...). They are a bit more robust to "
        "small translations due to the pooling layers. **Data augmentation**: artificially "
        "generate rotated/scaled/cropped instances of the training images to make the network "
        "more robust.”* A convolution is *equivariant* to a shift (the feature map shifts "
        "with the image), and max pooling absorbs a shift of a pixel or so; nothing in the "
        "architecture knows about rotation or scale. Here the three trained models meet test "
        "images moved in these ways."
    )
    from_the_notes(("004", "CNN: Limits"))


def examples(run: TrainedRun) -> None:
    """One test image at every value of every sweep."""
    image = run.split.x_test[0]  # (1, 28, 28) uint8
    st.markdown(f"**One test image ({run.split.classes[int(run.split.y_test[0])]}), transformed**")
    for sweep in SWEEPS:
        pictures = example_strip(image, sweep, upscale=3)
        unit = {"shift": " px →", "rotation": "°", "scale": "×"}[sweep.key]
        st.image(pictures, caption=[f"{v:g}{unit}" for v in sweep.values], width=84)
    st.caption(
        "Shifts move whole pixels (exact copies, black where the image moved away); rotations "
        "(counter-clockwise for positive angles) and scalings about the centre resample the "
        "pixels bilinearly."
    )


def summary_table(own: Scored, run: TrainedRun, copies: Copies | None) -> pd.DataFrame:
    """Test accuracy (%) at the identity and at the ends of each sweep, per model (and copy)."""
    sets = [(own, kind(run.augmented))]
    if copies is not None and copies.scored is not None:
        sets.append((copies.scored, kind(copies.augmented)))
    rows = []
    for s, training in sets:
        for key in run.models:
            row = {"model": MODELS[key], "training": training}
            shift = s.curves["shift"]
            row["unchanged"] = 100 * shift.accuracy[key][0]
            for sweep in SWEEPS:
                curve = s.curves[sweep.key]
                values, acc = curve.sweep.values, curve.accuracy[key]
                ends = (0, len(values) - 1) if sweep.key != "shift" else (len(values) - 1,)
                for i in ends:
                    unit = {"shift": " px", "rotation": "°", "scale": "×"}[sweep.key]
                    row[f"{sweep.title.lower()} {values[i]:g}{unit}"] = 100 * acc[i]
            rows.append(row)
    return pd.DataFrame(rows)


def show(own: Scored, run: TrainedRun, copies: Copies | None) -> None:
    """The three charts, the table and the example images."""
    labels = {k: MODELS[k] for k in run.models}
    chance = 1 / len(run.split.classes)
    dashed = copies.scored if copies is not None else None
    st.markdown(
        f"**Test accuracy on {own.images:,} test images** (every point scores all of them; a "
        "shift averages the four directions)."
        + (
            f" Solid: your trained models ({kind(run.augmented)}{ranges(run.settings)}); "
            f"dashed: the copies trained {kind(copies.augmented)}."
            if dashed is not None
            else ""
        )
    )
    for sweep in SWEEPS:
        show_figure(
            curves_figure(
                own.curves[sweep.key],
                labels,
                chance,
                dashed.curves[sweep.key] if dashed is not None else None,
                kind(run.augmented) if dashed is not None else "",
                kind(copies.augmented) if dashed is not None else "",
            ),
            f"cv_rob_{sweep.key}",
            width="stretch",
        )
    frame = summary_table(own, run, copies)
    pct = {c: st.column_config.NumberColumn(format="%.1f%%") for c in frame.columns[2:]}
    st.dataframe(frame, hide_index=True, key="cv_rob_table", column_config=pct)
    examples(run)


@tab_body
def augment_settings() -> None:
    """The augmentation ranges: a fragment (the Train button reads them from session state)."""
    c1, c2, c3 = st.columns(3)
    c1.slider("Shift up to ± (pixels)", 0, 4, key="cv_rob_aug_shift", persist_state=KEEP, bind=LINK)
    c2.slider("Rotation up to ± (degrees)", 0, 45, step=5, key="cv_rob_aug_degrees",
              persist_state=KEEP, bind=LINK)  # fmt: skip
    c3.slider(
        "Scale in 1 ±", 0.0, 0.4, step=0.05, key="cv_rob_aug_scale", persist_state=KEEP, bind=LINK
    )


def training_section(run: TrainedRun) -> tuple[bool, object]:
    """The copies' settings, Train and Stop; returns (Train pressed, the status slot)."""
    other = kind(not run.augmented)
    st.subheader(f"The same models trained {other}")
    if run.augmented:
        st.markdown(
            "Your run on the Train tab used augmentation. For the comparison, train copies of "
            "the three models without it (the same data, seed and epochs)."
        )
    else:
        st.markdown(
            "Train copies of the three models on the same data, seed and epochs, each "
            "training batch shifted, rotated and scaled at random (a new draw every batch). "
            "Their curves are drawn dashed over the others."
        )
        augment_settings()
    pressed = train_stop_row(
        f"Train the three models {other}",
        "cv_rob_train",
        "cv_rob_stop",
        STOP_KEY,
        stop_label="Stop",
    )
    return pressed, st.empty()


def ranges(settings: SideBySideSettings | None) -> str:
    """ ": shifts up to ±2 px, ..." for settings with augmentation, else ""."""
    if settings is None or not settings.augment:
        return ""
    return (
        f": shifts up to ±{settings.max_shift} px, rotations up to ±{settings.max_degrees:g}°, "
        f"scales 1 ± {settings.max_scale:g}"
    )


def copies_caption(copies: Copies) -> None:
    s = copies.settings
    st.caption(
        f"Copies trained {kind(copies.augmented)}{ranges(s)}; {s.epochs} epoch(s), seed "
        f"{s.seed}, {copies.seconds:.1f} s"
        + (", stopped early (scored as they were)" if copies.stopped else "")
        + ". Test accuracy: "
        + ", ".join(f"{MODELS[k]} {100 * v:.1f}%" for k, v in copies.accuracy.items())
        + "."
    )


def render() -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app (a click
    inside a fragment never interrupts a running script in Streamlit 1.67), and so must the
    scoring, which a click may interrupt too."""
    set_defaults()
    intro()
    run = trained()
    if run is None:
        need_training()
        return
    images = int(
        st.columns([1, 2])[0].select_slider(
            "Test images scored",
            IMAGE_CHOICES,
            key="cv_rob_images",
            persist_state=KEEP,
            bind=LINK,
            help="Every point of every curve scores this many test images (at most the run's "
            "test set); the curves are computed once and kept for this run.",
        )
    )
    charts = st.container()
    recover_stopped()
    pressed, status = training_section(run)
    if pressed:
        with training_slot(f"Train a CNN: copies {kind(not run.augmented)}"):
            train_copies(run, status)
    copies = for_run(st.session_state.get(COPIES_KEY), run, COPIES_KEY)
    if copies is not None:
        copies_caption(copies)
    own = run_curves(run, images, charts)
    if copies is not None:
        copies_curves(copies, run, images, charts)
    with charts:
        show(own, run, copies)
