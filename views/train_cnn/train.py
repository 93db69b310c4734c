"""The Train tab: choose the data and the training settings, train the MLP, seed 001's CNN and
its fully convolutional twin side by side (live curves, progress, Stop), and read seed 001's
Keras listings beside the PyTorch modules built from them."""

from __future__ import annotations

import time

import streamlit as st

from cnnplay.convnets import data as cv_data  # module calls, so tests can stand in for them
from cnnplay.convnets.data import DIGITS_BOX, SOURCES, DataUnavailable, available_sizes
from cnnplay.convnets.models import KERAS_LISTING, MODELS, build
from cnnplay.convnets.training import SideBySideSettings, new_run, train_side_by_side
from cnnplay.plots.charts import training_curves_figure
from cnnplay.plots.style import SERIES_COLOURS
from cnnplay.seeding import same_seed_note
from cnnplay.snippets import Snippet
from cnnplay.snippets import training as train_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.inputs import seed_input
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.progress import duration, progress_bar
from ui.run_limit import train_stop_row, training_slot
from views.train_cnn.common import (
    BATCH_SIZE,
    PENDING_KEY,
    STOP_KEY,
    STOPPED_KEY,
    Pending,
    StoppedNote,
    TrainedRun,
    keep,
    load,
    set_defaults,
    stopped_note,
    trained,
)

TRAIN_SIZES = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000)  # training images offered
TEST_SIZES = (500, 1_000, 2_000, 5_000, 10_000)  # test images offered
HIDDEN_WIDTHS = (16, 32, 64, 128, 256, 512)  # the MLP's hidden units offered
LEARNING_RATES = (3e-4, 1e-3, 2e-3, 3e-3, 1e-2)  # Adam learning rates offered
MAX_EPOCHS = 30
COLOURS = dict(zip(MODELS, SERIES_COLOURS, strict=False))  # one colour per model, every figure
REDRAW_S = 0.25  # the progress bar is redrawn at most this often (and at every epoch's end)
# What the defaults reach: benchmarks/bench_train_cnn.py, seeds 0 and 1, 2 CPU threads
# (2026-12-07, other work sharing the cores now and then: times a little inflated).
MEASURED = (
    "**What to expect.** With the defaults (all 60,000 Fashion-MNIST training images, 3 epochs, "
    "batches of 64, Adam from 0.002 down a cosine), our runs with seeds 0 and 1 reached "
    "**89.3 %** test accuracy for the CNN — past 88 % after its second epoch, about 32 s of its "
    "own training on 2 CPU cores, and about 48 s for all three epochs — against **85.6–85.7 %** "
    "for the MLP (the CNN **3.6 points** ahead with a third of the MLP's parameters) and "
    "**86.3–87.1 %** for the all-convolutional net, on all 10,000 test images. On the 8×8 digits "
    "(all 1,438 training digits, 359 test digits) 3 epochs gave the CNN 95.0–96.1 %, the MLP "
    "90.0–91.1 % and the all-convolutional net only 78.8–79.1 % (its softmax-then-average head "
    "learns slowly); 20 epochs gave 98.6–99.2 %, 96.7–97.5 % and 98.1–98.3 %."
)


def progress_text(metrics: dict, epochs: int, elapsed: float, step: int, total: int) -> str:
    """The bar's text: which model is at which epoch, its loss and last test accuracy, and the
    estimated time left (at the mean time per step so far)."""
    text = (
        f"{MODELS[metrics['model']]}: epoch {metrics['epoch']:.1f} of {epochs}, "
        f"loss {metrics['loss']:.3f}"
    )
    if "test_accuracy" in metrics:
        text += f", test accuracy {100 * metrics['test_accuracy']:.1f}%"
    if 0 < step < total:
        text += f" — about {duration(elapsed / step * (total - step))} left"
    return text


def curves(histories: dict[str, list[dict]], height: int = 300):
    """Training loss and test accuracy per epoch, one colour per model."""
    return training_curves_figure(
        histories,
        MODELS,
        height,
        metric="test_accuracy",
        metric_title="test accuracy",
        loss_title="training loss (cross-entropy)",
        colours=COLOURS,
    )


def chosen_settings() -> SideBySideSettings:
    """The training settings in session state."""
    state = st.session_state
    return SideBySideSettings(
        epochs=int(state.cv_epochs),
        batch_size=BATCH_SIZE,
        lr=float(state.cv_lr),
        hidden=int(state.cv_hidden),
        seed=int(state.cv_train_seed),
        augment=bool(state.cv_augment),
    )  # anneal: the dataclass's (a cosine over the epochs)


def mnist_panel() -> None:
    """MNIST is downloaded on request: the button, its progress, and the offline message."""
    if cv_data.mnist_available():
        st.caption("MNIST is downloaded (cached on this server); it trains like Fashion-MNIST.")
        return
    st.info(
        "MNIST is not on this server yet. Download it (4 files, about 11.6 MB, checked against "
        "their published checksums) — this needs an internet connection. Fashion-MNIST and the "
        "8×8 digits work offline.",
        icon=":material/download:",
    )
    if st.button("Download MNIST (11.6 MB)", key="cv_download", icon=":material/download:"):
        try:
            with progress_bar(
                "Downloading MNIST…", lambda s, t, m: f"file {min(int(s) + 1, t)} of {t}"
            ) as on_progress:
                cv_data.download_mnist(on_progress)
        except DataUnavailable as err:
            st.error(str(err), icon=":material/cloud_off:")
            return
        st.success("MNIST is downloaded.", icon=":material/check:")


def source_note(source: str) -> None:
    """What the chosen data set is and where it comes from."""
    if source == "fashion":
        st.caption(
            "Fashion-MNIST (Xiao et al. 2017): 28×28 grey photos of 10 kinds of clothing, "
            "60,000 for training and 10,000 for testing, from Debian's dataset-fashion-mnist."
        )
    elif source == "mnist":
        mnist_panel()
    else:
        n_train, n_test = available_sizes("digits")
        if cv_data.digits_file() is None:
            st.warning(
                "The 8×8 digits come with scikit-learn, which is not installed on this server: "
                "choose Fashion-MNIST.",
                icon=":material/warning:",
            )
        st.caption(
            f"scikit-learn's 1,797 handwritten digits (8×8 pixels, values 0–16): {n_train:,} "
            f"for training and a fixed {n_test:,} (20 % of each class) for testing, whatever "
            "sizes you choose. To fit the same networks, each digit is brought to MNIST's "
            f"layout: values times 255/16, the 8×8 grid enlarged to {DIGITS_BOX}×{DIGITS_BOX} "
            "by bilinear interpolation, centred on a black 28×28 canvas (4-pixel border)."
        )


def program() -> Snippet:
    """The run of the settings in session state as a PyTorch program (the data a stand-in)."""
    state = st.session_state
    return train_code.side_by_side(
        chosen_settings(), state.cv_source, int(state.cv_n_train), int(state.cv_n_test)
    )


@tab_body
def settings_row() -> None:
    """The data and training settings: a fragment, so changing one reruns only this row (the
    Train button reads them from session state). The PyTorch code of a run with them is at its
    end (in the fragment, so it follows each change; nothing needs to be trained first)."""
    c1, c2, c3 = st.columns(3)
    source = c1.radio("Images", list(SOURCES), format_func=SOURCES.get, key="cv_source",
                      persist_state=KEEP, bind=LINK)  # fmt: skip
    c2.select_slider("Training images", TRAIN_SIZES, key="cv_n_train", persist_state=KEEP,
                     bind=LINK, format_func=lambda n: f"{n:,}")  # fmt: skip
    c2.select_slider("Test images", TEST_SIZES, key="cv_n_test", persist_state=KEEP, bind=LINK,
                     format_func=lambda n: f"{n:,}",
                     help="A fixed subset of the data set's own test split: the same for "
                     "every seed.")  # fmt: skip
    c3.number_input("Epochs", 1, MAX_EPOCHS, key="cv_epochs", persist_state=KEEP, bind=LINK)
    d1, d2, d3, d4 = st.columns(4)
    d1.select_slider(
        "MLP hidden units", HIDDEN_WIDTHS, key="cv_hidden", persist_state=KEEP, bind=LINK
    )
    d2.select_slider(
        "Learning rate (Adam)",
        LEARNING_RATES,
        key="cv_lr",
        persist_state=KEEP,
        bind=LINK,
        help="The first epoch's. Later epochs take smaller steps: the rate follows a cosine "
        "from this value down towards 0 over the epochs (¾ and ¼ of it in epochs 2 and 3 of 3).",
    )
    d3.toggle(
        "Augmentation",
        key="cv_augment",
        persist_state=KEEP,
        bind=LINK,
        help="Every training batch is moved by random whole-pixel shifts (±2 px), turned by "
        "up to ±10° and scaled by 0.9–1.1, drawn from the training seed. The Shifts & "
        "rotations tab compares the curves.",
    )
    seed = seed_input(
        "cv_train_seed", "the batch order, the dropout masks and the augmentation", d4
    )
    st.caption(same_seed_note(seed) + f" Batches of {BATCH_SIZE} images; the three models see "
               "the same batches in the same order.")  # fmt: skip
    source_note(source)
    code_panel(program, "cv_code_train")


def listing(name: str) -> None:
    """Seed 001's Keras listing beside the PyTorch module this page built from it."""
    model = build(name, 10, seed=0)
    k, p = st.columns(2)
    k.markdown(f"{notes_name('001', capital=True)} (Keras)")
    k.code(KERAS_LISTING[name], language="python", wrap_lines=True)
    p.markdown("This page (PyTorch, `print(model)`)")
    p.code(str(model), language="text", wrap_lines=True)


def explain() -> None:
    """The three models, the loss, and the listings."""
    st.markdown(
        "Three classifiers learn the same images: an **MLP** (the image flattened to 784 "
        "numbers, one hidden ReLU layer, dropout, a dense layer to the 10 classes), the "
        f"**CNN** of {notes_name('001')} (two 3×3 convolutions with max pooling, then dropout "
        "and one dense layer) and "
        "its **all-convolutional** twin (a third 3×3 convolution, then a 1×1 convolution to the "
        "classes and global average pooling: no dense layer at all). Each minimises the "
        "cross-entropy of its predicted class probabilities *p* with Adam:"
    )
    from_the_notes(
        ("001", "Convolutional layers in Keras"), ("001", "Fully Convolutional Networks")
    )
    st.latex(r"\mathcal{L} = -\frac{1}{B}\sum_{i=1}^{B} \log p_{i,\,y_i}")
    with st.expander("The notes' Keras listings beside the PyTorch modules built here"):
        st.markdown("**CNN** — Conv32 → pool → Conv64 → pool → flatten → dropout → dense")
        listing("cnn")
        st.markdown(
            "**All-convolutional** — the dense head replaced by Conv128, a 1×1 convolution "
            "to the classes with a softmax at every position, and global average pooling "
            "(“winner takes all”)"
        )
        listing("fcn")
        st.caption(
            "Keras' Dense(softmax) is a Linear layer here: the softmax is inside the "
            "cross-entropy loss. The all-convolutional net returns the log of its averaged "
            "class probabilities, which the same loss takes."
        )


def reachable() -> None:
    """The accuracies our own runs reached, and the notes' MNIST figures."""
    st.markdown(MEASURED)
    st.caption(
        f"{notes_name('001', capital=True)} report, for the full MNIST digits with Keras: "
        "test accuracy "
        "**0.9900** for the CNN and **0.9910** for the all-convolutional version. Fashion-MNIST "
        "is harder (shirts, pullovers and coats look alike): expect a few points less."
    )


def train(split, settings: SideBySideSettings, where) -> TrainedRun | None:
    """One side-by-side run with a progress bar and live curves in ``where``. While it runs,
    the models are in session state (Pending), so a Stop that interrupts this script keeps them
    (common.recover_stopped)."""
    st.session_state[STOP_KEY] = False
    live = new_run(len(split.classes), settings)
    pending = Pending(split, live, time.perf_counter())
    st.session_state[PENDING_KEY] = pending
    bar = where.progress(0.0, text="Starting…")
    chart = where.empty()
    clock = {"start": time.perf_counter(), "drawn": 0.0}
    figures = [0]

    def on_progress(step: int, total: int, metrics: dict) -> None:
        now = time.perf_counter()
        epoch_end = "train_loss" in metrics
        if epoch_end:
            figures[0] += 1
            show_figure(
                curves({n: h.epochs + ([dict(metrics)] if n == metrics["model"] else [])
                        for n, h in live.histories.items()}, 280),
                f"cv_live_{figures[0]}",
                chart,
                width="stretch",
            )  # fmt: skip
        if epoch_end or now - clock["drawn"] >= REDRAW_S:
            clock["drawn"] = now
            text = progress_text(metrics, settings.epochs, now - clock["start"], step, total)
            bar.progress(min(1.0, step / total), text=text)

    train_side_by_side(split, live, on_progress, lambda: bool(st.session_state.get(STOP_KEY)))
    bar.empty()
    chart.empty()
    if not live.finished:
        st.session_state[STOPPED_KEY] = stopped_note(live)
    run = keep(pending)
    st.session_state[STOP_KEY] = False
    return run


def stopped_info(note: StoppedNote) -> None:
    """Say once what a stopped run kept."""
    if not note.kept:
        st.info(
            "Training was stopped before any model finished its first epoch: there is nothing "
            "to keep (your previous run, if any, is still here).",
            icon=":material/stop_circle:",
        )
        return
    kept = ", ".join(
        f"{MODELS[n]} ({e} epoch{'s' if e != 1 else ''})" for n, e in note.kept.items()
    )
    text = (
        f"Training was stopped after {min(note.kept.values())} of {note.asked} epoch(s). "
        f"Kept as they were — {kept}. The Results and other tabs use them."
    )
    if note.dropped:
        text += (
            " Not kept (stopped inside its first epoch): "
            + ", ".join(MODELS[n] for n in note.dropped)
            + "."
        )
    st.info(text, icon=":material/stop_circle:")


def show_run(run: TrainedRun) -> None:
    """The run's test accuracies, seconds and curves."""
    cols = st.columns(len(run.results))
    for col, (name, r) in zip(cols, run.results.items(), strict=True):
        col.metric(
            MODELS[name],
            f"{100 * r.test_accuracy:.1f}%",
            help="Test accuracy: the share of the test images this model classifies right.",
        )
        col.caption(
            f"test accuracy on {len(run.split.y_test):,} images; {len(r.history.epochs)} "
            f"epoch(s), {r.seconds:,.1f} s of training" + (" (stopped)" if run.stopped else "")
        )
    show_figure(curves({n: h.epochs for n, h in run.histories.items()}), "cv_curves",
                width="stretch")  # fmt: skip
    st.caption(
        f"{run.split.source}. The table, the parameter counts and the confusion matrix are on "
        "the **Results** tab."
    )


def render() -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app, because a
    click inside a fragment never interrupts a running script (it waits), so Stop inside a
    fragment would only act after the training had finished."""
    set_defaults()
    explain()
    settings_row()
    run = trained()  # also keeps a run that a Stop interrupted
    if (note := st.session_state.pop(STOPPED_KEY, None)) is not None:
        stopped_info(note)
    pressed = train_stop_row("Train the three models", "cv_train", "cv_stop", STOP_KEY)
    if pressed:
        state = st.session_state
        split = load(state.cv_source, state.cv_n_train, state.cv_n_test, state.cv_train_seed)
        if split is not None:
            where = st.container()
            with training_slot("Train a CNN: MLP, CNN and all-convolutional", where):
                run = train(split, chosen_settings(), where) or run
            if (note := st.session_state.pop(STOPPED_KEY, None)) is not None:
                stopped_info(note)  # the loop saw the Stop flag (no interruption)
    if run is None:
        st.caption("Nothing trained yet in this session: press **Train the three models**.")
    else:
        show_run(run)
    reachable()
