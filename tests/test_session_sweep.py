"""A real server closes the session of a browser that has gone (ui/sessions.py), and only then:
a tab that reconnects soon gets its own session back, one that comes back after the delay gets a
fresh session. Spoken through Streamlit's protocol (benchmarks/student.py), with the delay and
the sweep shortened by their environment settings."""

from __future__ import annotations

import asyncio
import time

from benchmarks.class_load import run_in_own_loop, ws_url
from benchmarks.server import running_app
from benchmarks.student import Behaviour, Student

CLOSE_AFTER_S = 3.0


async def visit(student: Student, resume: str = "") -> str:
    """Connect (asking to resume ``resume``), open the Kernels page, leave; the session id."""
    await student.connect(resume)
    inter = await student.open("kernels", time.monotonic() + 60)
    assert inter.error is None and not inter.exceptions, inter
    session_id = student.screen.session_id
    await student.close()
    assert session_id
    return session_id


async def scenario(endpoint: str) -> tuple[str, str, str]:
    student = Student(0, endpoint, Behaviour(weights={"kernels": 1.0}), seed=0)
    first = await visit(student)
    await asyncio.sleep(0.5)  # a short drop: the tab reconnects
    back = await visit(student, resume=first)
    await asyncio.sleep(CLOSE_AFTER_S + 3)  # gone longer than the delay (+ sweeps)
    later = await visit(student, resume=first)
    return first, back, later


def test_a_gone_browser_loses_its_session_after_the_delay_and_not_before(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNPLAY_CLOSE_AFTER_S", str(CLOSE_AFTER_S))
    monkeypatch.setenv("CNNPLAY_SWEEP_EVERY_S", "0.5")
    with running_app(tmp_path) as url:
        first, back, later = run_in_own_loop(scenario(ws_url(url)))
    assert back == first  # reconnected within the delay: the same session, resumed
    assert later != first  # after it: that session was closed, this is a new one
