"""ui.sessions: the sessions of gone browsers are closed after CLOSE_AFTER_S, never before, and
never while a browser holds them (a fake runtime with Streamlit's two calls)."""

from __future__ import annotations

from ui import server, sessions
from ui.sessions import SessionSweeper


class FakeRuntime:
    def __init__(self) -> None:
        self.active: set[str] = set()
        self.closed: list[str] = []

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active

    def clear_user_info_for_session(self, session_id: str) -> None:
        assert session_id not in self.active
        self.closed.append(session_id)


def test_a_gone_browser_is_closed_after_the_delay_and_only_once():
    runtime, sweeper = FakeRuntime(), SessionSweeper(close_after_s=90)
    runtime.active = {"a", "b"}
    sweeper.note("a", now=0)
    sweeper.note("b", now=0)
    assert sweeper.sweep(runtime, now=50) == []  # both still have a browser
    runtime.active = {"b"}  # a's tab closed (last seen active at 50)
    assert sweeper.sweep(runtime, now=100) == []  # gone 50 s: kept for a reconnect
    assert sweeper.sweep(runtime, now=139) == []
    assert sweeper.sweep(runtime, now=141) == ["a"]  # gone 91 s
    assert runtime.closed == ["a"] and len(sweeper) == 1
    assert sweeper.sweep(runtime, now=500) == []  # forgotten: never closed twice
    assert runtime.closed == ["a"]


def test_a_browser_that_comes_back_keeps_its_session():
    runtime, sweeper = FakeRuntime(), SessionSweeper(close_after_s=90)
    sweeper.note("a", now=0)  # noted by a run, then the browser dropped at once
    assert sweeper.sweep(runtime, now=60) == []
    runtime.active = {"a"}  # it reconnected
    assert sweeper.sweep(runtime, now=120) == []
    runtime.active = set()
    assert sweeper.sweep(runtime, now=200) == []  # gone since 120 only
    sweeper.note("a", now=205)  # a run of it again
    assert sweeper.sweep(runtime, now=290) == []
    assert sweeper.sweep(runtime, now=296) == ["a"]


def test_no_runtime_no_sweep(monkeypatch):
    """An AppTest or a script has no Streamlit runtime: nothing to close, nothing fails."""
    assert sessions.sweep_gone_sessions() == 0
    runtime = FakeRuntime()
    monkeypatch.setattr(sessions, "SWEEPER", SessionSweeper(close_after_s=0))
    sessions.SWEEPER.note("x", now=0)
    assert sessions.sweep_gone_sessions(lambda: runtime) == 1 and runtime.closed == ["x"]


def test_housekeeping_collects_after_closing(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "release_if_idle", lambda: calls.append("idle?") and False)
    monkeypatch.setattr(server, "sweep_gone_sessions", lambda: calls.append("sweep") or 2)
    monkeypatch.setattr(server, "trim_memory", lambda: calls.append("trim") or True)
    monkeypatch.setattr(server.gc, "collect", lambda: calls.append("collect"))
    assert server.housekeeping_step(collect=False, trim_due=False) is True
    assert calls == ["sweep", "idle?"]
    calls.clear()
    server.housekeeping_step(collect=True, trim_due=False)  # the round after: collect + trim
    assert calls == ["collect", "sweep", "idle?", "trim"]


def test_idle_is_reported_once_after_the_last_session_is_gone():
    runtime, sweeper = FakeRuntime(), SessionSweeper(close_after_s=10)
    assert not sweeper.take_idle()  # a fresh server: nothing to release
    runtime.active = {"a"}
    sweeper.note("a", now=0)
    assert not sweeper.take_idle()
    runtime.active = set()
    sweeper.sweep(runtime, now=5)
    assert not sweeper.take_idle()  # gone, not yet closed
    sweeper.sweep(runtime, now=20)
    assert sweeper.take_idle() and not sweeper.take_idle()  # once
    sweeper.note("b", now=30)
    runtime.active = set()
    sweeper.sweep(runtime, now=50)
    assert sweeper.take_idle()  # and again after the next class


def test_release_clears_data_caches_but_not_the_shared_models(monkeypatch):
    """In a Streamlit process: st.cache_data entries and marked resource caches go, unmarked
    resource caches (the shared models) stay."""
    import streamlit as st

    calls = {"data": 0, "marked": 0, "model": 0}

    @st.cache_data
    def data(n: int) -> list:
        calls["data"] += 1
        return [0] * n

    @sessions.release_when_idle
    @st.cache_resource
    def marked(n: int) -> list:
        calls["marked"] += 1
        return [0] * n

    @st.cache_resource
    def model() -> object:
        calls["model"] += 1
        return object()

    for _ in range(2):
        data(3), marked(3), model()
    assert calls == {"data": 1, "marked": 1, "model": 1}
    monkeypatch.setattr(sessions, "SWEEPER", SessionSweeper())
    sessions.SWEEPER.note("a", now=0)
    assert not sessions.release_if_idle()  # a session is there
    sessions.SWEEPER.sweep(FakeRuntime(), now=1000)
    assert sessions.release_if_idle() and not sessions.release_if_idle()
    data(3), marked(3), model()
    assert calls == {"data": 2, "marked": 2, "model": 1}
