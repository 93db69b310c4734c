"""Closing the sessions of browsers that have gone, so their memory comes back.

When a browser tab closes, Streamlit keeps its session (session state: trained models, feature
caches, uploads) for ``server.disconnectedSessionTTL`` seconds (120 by default) in case the tab
reconnects. It only lets go of an expired session lazily, when another session disconnects
later: after a class, the last thirty sessions stayed in memory until the next visitor left
(measured: 1.86 GB held three minutes after the class left, against 0.96 GB warm).

:class:`SessionSweeper` closes them itself. Every script run notes its session id
(:func:`note_session`, from ``app.py``); the server's housekeeping thread (``ui/server.py``)
calls :meth:`SessionSweeper.sweep` every few seconds, which asks the Streamlit runtime which noted
sessions still have a browser and closes those that have had none for :data:`CLOSE_AFTER_S`
seconds. Closing goes through ``Runtime.clear_user_info_for_session``, the runtime's thread-safe
call that marks a session as not resumable and, when no browser holds it, shuts it down on the
event loop; it must happen while Streamlit still stores the session, hence a delay shorter than
the TTL. A browser that comes back later gets a fresh session (its page settings back at their
defaults), exactly as after Streamlit's own expiry.

When the last session is gone the server is idle: the shared caches that a class filled with
data (every ``st.cache_data`` entry, and the ``st.cache_resource`` functions marked with
:func:`release_when_idle`: data sets, network inputs, random networks) are cleared once, so an
idle server goes back to what it held after start-up. The shared models stay loaded.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

F = TypeVar("F")

# a session without a browser this long is closed; keep it under Streamlit's
# server.disconnectedSessionTTL (120 s), after which the runtime no longer finds the session
CLOSE_AFTER_S = float(os.environ.get("CNNPLAY_CLOSE_AFTER_S", "90"))


class Runtime(Protocol):
    """What the sweeper needs of ``streamlit.runtime.Runtime`` (both calls are thread-safe)."""

    def is_active_session(self, session_id: str) -> bool: ...

    def clear_user_info_for_session(self, session_id: str) -> None: ...


class SessionSweeper:
    """Remembers when each session last had a browser; closes the ones gone too long."""

    def __init__(self, close_after_s: float = CLOSE_AFTER_S) -> None:
        self.close_after_s = close_after_s
        self._seen: dict[str, float] = {}  # session id -> last time it had a browser
        self._idle_reported = True  # take_idle() has said so since the last session left
        self._lock = threading.Lock()

    def note(self, session_id: str, now: float | None = None) -> None:
        """A script run of ``session_id`` (so its browser is there now)."""
        with self._lock:
            self._seen[session_id] = time.monotonic() if now is None else now
            self._idle_reported = False

    def take_idle(self) -> bool:
        """True once each time the server has become idle: every noted session closed."""
        with self._lock:
            if self._seen or self._idle_reported:
                return False
            self._idle_reported = True
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def sweep(self, runtime: Runtime, now: float | None = None) -> list[str]:
        """Close every noted session whose browser has been gone ``close_after_s`` seconds and
        forget it; returns their ids."""
        now = time.monotonic() if now is None else now
        with self._lock:
            noted = list(self._seen.items())
        gone = []
        for session_id, last in noted:
            if runtime.is_active_session(session_id):
                last = now
            elif now - last >= self.close_after_s:
                gone.append(session_id)
                continue
            with self._lock:
                if session_id in self._seen:
                    self._seen[session_id] = max(self._seen[session_id], last)
        for session_id in gone:
            runtime.clear_user_info_for_session(session_id)
            with self._lock:
                if self._seen.get(session_id, now) <= now - self.close_after_s:
                    del self._seen[session_id]
        return gone


SWEEPER = SessionSweeper()  # the server's one sweeper


def note_session() -> None:
    """Note the session of the script run in progress (call once per run, from ``app.py``)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        SWEEPER.note(ctx.session_id)


def streamlit_runtime() -> Runtime | None:
    """The running server's runtime; None in a process without one (an AppTest, a script)."""
    from streamlit.runtime import Runtime as StreamlitRuntime

    return StreamlitRuntime.instance() if StreamlitRuntime.exists() else None


_IDLE_RELEASES: dict[str, Callable[[], None]] = {}  # name -> clear() of a data-holding cache


def release_when_idle(cached: F) -> F:
    """Decorate an ``st.cache_resource`` function (above its cache decorator) whose entries
    are data a class fills (data sets, inputs, random networks), not a model every visitor
    needs: its entries are dropped when the server becomes idle."""
    name = f"{getattr(cached, '__module__', '')}.{getattr(cached, '__qualname__', id(cached))}"
    _IDLE_RELEASES[name] = cached.clear  # type: ignore[attr-defined]  # once, if re-imported
    return cached


def release_caches() -> None:
    """Clear every ``st.cache_data`` entry and every cache marked :func:`release_when_idle`
    (each is rebuilt on its next use)."""
    import streamlit as st

    st.cache_data.clear()
    for clear in list(_IDLE_RELEASES.values()):
        clear()


def release_if_idle() -> bool:
    """Release the caches once the server has become idle; whether it did."""
    if not SWEEPER.take_idle():
        return False
    release_caches()
    return True


def sweep_gone_sessions(runtime: Callable[[], Runtime | None] = streamlit_runtime) -> int:
    """One sweep of the server's sessions; how many were closed."""
    current = runtime()
    return len(SWEEPER.sweep(current)) if current is not None else 0
