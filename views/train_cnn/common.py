"""What the Train a CNN page's tabs share: the page's key prefix, the Train tab's widget
defaults, the data (one cached, read-only Split per setting, shared by every session) and this
session's trained models (one :class:`TrainedRun`, the newest; training again replaces it).

Tabs that need trained models call :func:`trained` and, when it returns None, :func:`need_training`
(a one-line pointer to the Train tab) and return.

Per-session state (bounded): one TrainedRun — the three models (about 0.9 MB of weights
together), their histories and test predictions — plus, while a run goes, its :class:`Pending`
(the same models and their Adam states). The images are the cached Split's, shared by every
session that chose the same data settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import streamlit as st
from torch import nn

from cnnplay.convnets.data import DataUnavailable, Split, available_sizes, load_split
from cnnplay.convnets.training import LiveRun, ModelResult, SideBySideSettings, finish
from cnnplay.train import History
from ui.hosting import profile

PREFIX = "cv"  # every widget and state key of the page starts with "cv_"
RUN_KEY = "cv_run"  # session state: this session's TrainedRun
PENDING_KEY = "cv_pending"  # session state: the Pending run of a training in progress
STOP_KEY = "cv_stop_flag"  # session state: Stop was pressed during the current run
STOPPED_KEY = "cv_stopped_note"  # session state: StoppedNote of a stopped run, shown once
_PAGE = SideBySideSettings()  # the training defaults live in the settings dataclass
DEFAULTS = {  # session-state defaults of the Train tab's widgets (set when absent)
    "cv_source": "fashion",
    "cv_n_train": 60_000,  # the whole training split: one shared copy for every session
    "cv_n_test": 10_000,
    "cv_epochs": _PAGE.epochs,
    "cv_hidden": _PAGE.hidden,
    "cv_lr": _PAGE.lr,
    "cv_augment": _PAGE.augment,
    "cv_train_seed": _PAGE.seed,
}
BATCH_SIZE = _PAGE.batch_size  # images per optimiser step (not a widget)


@dataclass
class TrainedRun:
    split: Split  # the data the models were trained and tested on (cached, shared: read only)
    models: dict[str, nn.Module]  # "mlp" / "cnn" / "fcn" -> trained model, eval mode, on the device
    histories: dict[str, History] = field(default_factory=dict)  # per model, per epoch:
    # epoch, train_loss, test_loss, test_accuracy
    seed: int = 0  # the training seed
    hidden: int = 128  # the MLP's hidden width
    augmented: bool = False  # trained with random shifts/rotations/scalings
    results: dict[str, ModelResult] = field(default_factory=dict)  # per model: accuracy, cost,
    # seconds and test predictions (the Results tab's table and confusion matrix)
    settings: SideBySideSettings | None = None  # everything the run was trained with
    stopped: bool = False  # Stop ended the run before its last epoch


@dataclass(frozen=True)
class StoppedNote:
    """What the Train tab says once after a stopped run."""

    asked: int  # the epochs asked for
    kept: dict[str, int]  # model name -> scored epochs, for the models kept (may be empty)
    dropped: tuple[str, ...]  # models stopped before their first scored epoch


@dataclass
class Pending:
    """A training run in progress (in session state, so a Stop that interrupts the script
    keeps what the models learned)."""

    split: Split
    live: LiveRun
    start: float  # time.perf_counter() at the start


def set_defaults() -> None:
    """Give every Train tab widget its default unless the student has set it (a widget reads its
    value from session state, so none of them passes a default of its own)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_split(source: str, n_train: int, n_test: int, seed: int) -> Split:
    """:func:`cnnplay.convnets.data.load_split`, cached for every session (read only: nothing
    changes a Split's tensors). Raises DataUnavailable, which is not cached."""
    return load_split(source, n_train, n_test, seed)


def shared_split(source: str, n_train: int, n_test: int, seed: int) -> Split:
    """The split of these settings. A training set taken whole does not depend on the seed:
    every session gets the same tensors then (one copy of the 60,000 images for a class),
    only the Split's ``seed`` field is its own."""
    available = available_sizes(source)[0]
    if n_train >= available:
        return replace(cached_split(source, available, n_test, 0), seed=seed)
    return cached_split(source, n_train, n_test, seed)


def load(source: str, n_train: int, n_test: int, seed: int) -> Split | None:
    """The shared split, or None after showing why it cannot be read (st.error)."""
    try:
        with st.spinner("Reading the images…"):
            return shared_split(source, int(n_train), int(n_test), int(seed))
    except DataUnavailable as err:
        st.error(str(err), icon=":material/error:")
        return None


def keep(pending: Pending) -> TrainedRun | None:
    """Score a finished or stopped run and make it this session's TrainedRun (replacing the
    previous one); forgets the pending state and the optimisers. A model that was stopped
    before its first scored epoch is left out; None (and the previous run kept) when none had
    one."""
    st.session_state.pop(PENDING_KEY, None)
    live = pending.live
    scored = {n: m for n, m in live.models.items() if live.histories[n].epochs}
    if not scored:
        return None
    live.models = scored
    results = finish(pending.split, live)
    s = live.settings
    run = TrainedRun(
        split=pending.split,
        models={n: r.model for n, r in results.items()},
        histories={n: r.history for n, r in results.items()},
        seed=s.seed,
        hidden=s.hidden,
        augmented=s.augment,
        results=results,
        settings=s,
        stopped=not live.finished,
    )
    st.session_state[RUN_KEY] = run
    return run


def recover_stopped() -> None:
    """A run interrupted by Stop (or by any other click) left its models in session state:
    keep those with at least one scored epoch, and note it for the Train tab. Cheap when
    nothing is pending; :func:`trained` calls it, so every tab sees the stopped run."""
    pending: Pending | None = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    for h in pending.live.histories.values():
        h.stopped = True
    st.session_state[STOPPED_KEY] = stopped_note(pending.live)
    keep(pending)


def stopped_note(live: LiveRun) -> StoppedNote:
    """What a stopped run kept: the models with a scored epoch, and those without."""
    epochs = {n: len(h.epochs) for n, h in live.histories.items()}
    return StoppedNote(
        live.settings.epochs,
        {n: e for n, e in epochs.items() if e},
        tuple(n for n, e in epochs.items() if not e),
    )


def trained() -> TrainedRun | None:
    """This session's trained models, or None before the first training run."""
    recover_stopped()
    return st.session_state.get(RUN_KEY)


def need_training() -> None:
    """Say that this tab needs trained models, and where to get them."""
    st.info(
        "Train the three models on the **Train** tab first (about two minutes with its "
        "defaults; a minute with fewer images); this tab then uses them.",
        icon=":material/model_training:",
    )
