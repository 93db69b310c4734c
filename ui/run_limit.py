"""The server's limit on training runs that go at once, shared by every session and page.

Training runs in the server process that the whole class shares. Two runs on a 2-core machine
already take both cores, and every other student's click then waits for a core. So every training
run (Transfer learning, Text CNN, Segmentation, and the pages to come) asks :func:`training_slot`
for one of ``capacity`` slots first; the rest wait in a first-come queue, each student seeing
their place and an estimate, and can leave the queue with Stop (any click does) at any time.

- **The setting:** ``CNNPLAY_TRAINING_RUNS`` (environment variable, a whole number ≥ 1); default
  one run per two cores, at least one (:func:`default_capacity`): 1 on this 2-core machine.
- **A browser that has gone** stops its run or its wait within about a second: Streamlit asks the
  script of a disconnected session to stop at its next element update (a progress bar step), and
  :meth:`RunQueue.acquire` also checks that the session is still connected at every poll.
- **The estimate** is the place in the queue times the median length of the last runs on this
  server (all pages together; 30 s until a run has finished).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count

import streamlit as st

from ui.hosting import profile
from ui.server import trim_memory

ENV_VAR = "CNNPLAY_TRAINING_RUNS"
POLL_S = 0.5  # how often a waiting run looks at its place (and lets a click interrupt it)
FIRST_GUESS_S = 30.0  # the estimated length of a run before any run has finished
_ids = count(1)


def default_capacity(cores: int | None = None) -> int:
    """One training run per two cores, at least one."""
    return max(1, (cores or os.cpu_count() or 1) // 2)


def capacity_setting(environ: dict[str, str] | None = None) -> int:
    """The limit from ``CNNPLAY_TRAINING_RUNS``, else :func:`default_capacity`. Raises ValueError
    for a value that is not a whole number ≥ 1 (a typo must not switch the limit off)."""
    raw = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not raw:
        return default_capacity()
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{ENV_VAR} must be a whole number of at least 1 (got {raw!r})")
    return int(raw)


@dataclass
class Ticket:
    """One training run: waiting, then running, then released."""

    label: str  # what runs, e.g. "Text CNN: Kim CNN" (shown to the teacher)
    session: str  # the Streamlit session it belongs to
    id: int = field(default_factory=lambda: next(_ids))
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None


@dataclass(frozen=True)
class Wait:
    """What a waiting run is told: its place (1 = next), the runs going, the estimate."""

    place: int
    running: int
    estimate_s: float


class RunQueue:
    """At most ``capacity`` runs at once; the others wait first come, first served.

    Thread-safe: every session's script thread calls it. ``acquire`` blocks (polling, so the
    caller can show progress and be interrupted) and returns the ticket, or None when
    ``give_up()`` said so; ``release`` frees the slot (also for a ticket still waiting)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._lock = threading.Condition()
        self._waiting: list[Ticket] = []  # first come first
        self._running: dict[int, Ticket] = {}
        self._lengths: deque[float] = deque(maxlen=20)  # seconds of the last finished runs

    def acquire(
        self,
        ticket: Ticket,
        on_wait: Callable[[Wait], None] = lambda _w: None,
        give_up: Callable[[], bool] = lambda: False,
        poll_s: float = POLL_S,
        timeout_s: float = 3600.0,
    ) -> Ticket | None:
        """Queue ``ticket`` and wait for a slot. ``on_wait`` is called before every poll while
        waiting (and may raise, e.g. Streamlit interrupting the script: the ticket then leaves
        the queue); ``give_up()`` true, or ``timeout_s`` passed, leaves the queue -> None."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self._waiting.append(ticket)
        try:
            while True:
                with self._lock:
                    place = self._waiting.index(ticket) + 1
                    if place <= self.capacity - len(self._running):
                        self._waiting.remove(ticket)
                        ticket.started_at = time.monotonic()
                        self._running[ticket.id] = ticket
                        return ticket
                    wait = Wait(place, len(self._running), self._estimate(place))
                on_wait(wait)
                if give_up() or time.monotonic() > deadline:
                    self.release(ticket)
                    return None
                with self._lock:
                    self._lock.wait(poll_s)
        except BaseException:
            self.release(ticket)
            raise

    def release(self, ticket: Ticket) -> None:
        """Free the ticket's slot, or take it out of the queue. Idempotent."""
        with self._lock:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if self._running.pop(ticket.id, None) is not None and ticket.started_at is not None:
                self._lengths.append(time.monotonic() - ticket.started_at)
            self._lock.notify_all()

    def _estimate(self, place: int) -> float:
        """Seconds until a run at ``place`` starts: each slot ahead frees after about one run."""
        length = statistics.median(self._lengths) if self._lengths else FIRST_GUESS_S
        return length * (1 + (place - 1) // self.capacity)

    def status(self) -> tuple[list[Ticket], list[Ticket]]:
        """(running, waiting) tickets now, copies of the lists."""
        with self._lock:
            return list(self._running.values()), list(self._waiting)


def queue_capacity() -> int:
    """Runs at once for this server: the hosted profile's (one), else :func:`capacity_setting`."""
    hosted = profile().training_runs
    return hosted if hosted is not None else capacity_setting()


@st.cache_resource(show_spinner=False)
def server_queue() -> RunQueue:
    """The one queue of this server (all sessions, all pages)."""
    return RunQueue(queue_capacity())


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "bare"


def _browser_gone(session: str) -> bool:
    """True when the session's browser has disconnected (never in an AppTest or bare run)."""
    from streamlit import runtime

    if session == "bare" or not runtime.exists():
        return False
    return not runtime.get_instance().is_active_session(session)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wait_text(wait: Wait, waited_s: float) -> str:
    """The line a waiting student reads."""
    going = f"{wait.running} training run{'s' if wait.running != 1 else ''} going on this server"
    return (
        f"Waiting for a training slot: you are **{_ordinal(wait.place)}** in line "
        f"({going}); about {max(1, round(wait.estimate_s))} s. Waited {waited_s:.0f} s. "
        "Stop leaves the queue."
    )


@contextmanager
def training_slot(label: str, where=st) -> Iterator[None]:
    """``with training_slot("Text CNN: Kim CNN", where): train(...)``.

    Waits for a slot of the server's queue, showing the place in line in ``where`` (cleared when
    the run starts), then runs the block. The slot is freed when the block ends, also on Stop, an
    error or a page change, and the heap's free pages are handed back to the system then: what
    the run freed would otherwise stay in the process until the housekeeping thread's next trim,
    and the next heavy step would stack on it. When the browser goes away while waiting, the script stops
    (``st.stop()``): nobody is there to see the run."""
    queue = server_queue()
    session = _session_id()
    ticket = Ticket(label, session)
    note = where.empty()
    start = time.monotonic()

    def show(wait: Wait) -> None:
        note.info(wait_text(wait, time.monotonic() - start), icon=":material/hourglass_top:")

    got = queue.acquire(ticket, on_wait=show, give_up=lambda: _browser_gone(session))
    note.empty()
    if got is None:
        st.stop()
    try:
        yield
    finally:
        queue.release(ticket)
        trim_memory()  # the run's batches, activations and gradients go back to the system


def queue_caption(where=st) -> None:
    """One line for a training tab: how busy the server's training slots are."""
    running, waiting = server_queue().status()
    cap = server_queue().capacity
    setting = (
        f"the `{ENV_VAR}` setting"
        if profile().training_runs is None
        else "one at a time on this small host (the hosted profile)"
    )
    where.caption(
        f"Training on this server: {len(running)} of {cap} slot{'s' if cap != 1 else ''} in use"
        + (f", {len(waiting)} waiting" if waiting else "")
        + f" (the limit is {setting}; a run waits its turn)."
    )


def train_stop_row(
    label: str,
    key: str,
    stop_key: str,
    stop_flag: str,
    stop_label: str = "Stop training",
    widths: tuple[float, float] = (2, 1),
) -> bool:
    """A training tab's Train button (``label``, ``key``) beside its Stop button (``stop_label``,
    ``stop_key``), then :func:`queue_caption`; returns whether Train was pressed. Stop sets
    ``st.session_state[stop_flag] = True``, which the running loop's ``should_stop`` reads (the
    click also interrupts the script that trains). Both buttons must sit outside a fragment:
    a click inside one would only act once the training had finished."""
    train_col, stop_col = st.columns(list(widths))
    pressed = train_col.button(label, key=key, type="primary", icon=":material/play_arrow:")
    stop_col.button(
        stop_label,
        key=stop_key,
        icon=":material/stop:",
        on_click=lambda: st.session_state.update({stop_flag: True}),
    )
    queue_caption()
    return pressed
