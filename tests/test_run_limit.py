"""ui.run_limit: the server's training-run limit: at most `capacity` runs at once, the others
first come first served, leaving the queue on give-up, on an exception and on release."""

from __future__ import annotations

import threading
import time

import pytest

from ui.run_limit import (
    ENV_VAR,
    RunQueue,
    Ticket,
    Wait,
    capacity_setting,
    default_capacity,
    wait_text,
)


def test_capacity_setting_and_its_default():
    assert default_capacity(2) == 1 and default_capacity(1) == 1 and default_capacity(16) == 8
    assert capacity_setting({ENV_VAR: "3"}) == 3
    assert capacity_setting({}) == default_capacity()
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match=ENV_VAR):
            capacity_setting({ENV_VAR: bad})


def test_a_free_slot_is_taken_at_once_and_freed_by_release():
    q = RunQueue(1)
    a = Ticket("a", "s1")
    assert q.acquire(a, poll_s=0.01) is a
    assert [t.label for t in q.status()[0]] == ["a"] and q.status()[1] == []
    q.release(a)
    q.release(a)  # idempotent
    assert q.status() == ([], [])


def test_runs_wait_first_come_first_served_and_never_exceed_capacity():
    q = RunQueue(2)
    order, peak, lock = [], [0], threading.Lock()
    going = [0]

    def student(name: str, delay: float) -> None:
        time.sleep(delay)  # arrive in the order of the delays
        t = q.acquire(Ticket(name, name), poll_s=0.005)
        with lock:
            order.append(name)
            going[0] += 1
            peak[0] = max(peak[0], going[0])
        time.sleep(0.05)
        with lock:
            going[0] -= 1
        q.release(t)

    threads = [threading.Thread(target=student, args=(f"s{i}", 0.03 * i)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert peak[0] == 2  # two ran at once, never three
    assert order == [f"s{i}" for i in range(6)]  # in the order they came
    assert q.status() == ([], [])


def test_a_waiting_run_sees_its_place_and_can_give_up():
    q = RunQueue(1)
    first = q.acquire(Ticket("first", "s1"), poll_s=0.01)
    seen: list[Wait] = []
    got = q.acquire(
        Ticket("second", "s2"), on_wait=seen.append, give_up=lambda: len(seen) >= 3, poll_s=0.01
    )
    assert got is None
    assert seen and all(w.place == 1 and w.running == 1 for w in seen)
    assert seen[0].estimate_s > 0
    assert q.status()[1] == []  # it left the queue
    q.release(first)


def test_an_exception_while_waiting_leaves_the_queue():
    """Streamlit interrupts a waiting script (Stop, another click, a page change) by raising
    inside on_wait: the ticket must not keep its place."""
    q = RunQueue(1)
    first = q.acquire(Ticket("first", "s1"))

    def interrupted(_w: Wait) -> None:
        raise KeyboardInterrupt  # stands for Streamlit's StopException / RerunException

    with pytest.raises(KeyboardInterrupt):
        q.acquire(Ticket("second", "s2"), on_wait=interrupted, poll_s=0.01)
    assert q.status()[1] == []
    q.release(first)
    third = Ticket("third", "s3")
    assert q.acquire(third, poll_s=0.01) is third  # the slot is free for the next one


def test_the_estimate_uses_the_length_of_finished_runs():
    q = RunQueue(1)
    t = q.acquire(Ticket("a", "s"))
    time.sleep(0.05)
    q.release(t)
    blocker = q.acquire(Ticket("b", "s"))
    seen: list[Wait] = []
    q.acquire(Ticket("c", "s"), on_wait=seen.append, give_up=lambda: True)
    assert 0.04 < seen[0].estimate_s < 1.0  # one run ahead, about one run's length
    q.release(blocker)


def test_wait_text_gives_the_place_and_the_estimate():
    text = wait_text(Wait(place=2, running=1, estimate_s=41.6), waited_s=3.2)
    assert "**2nd** in line" in text and "1 training run going" in text
    assert "about 42 s" in text and "Waited 3 s" in text
    assert "**11th**" in wait_text(Wait(11, 2, 5), 0) and "**3rd**" in wait_text(Wait(3, 2, 5), 0)


def test_the_end_of_a_run_or_of_long_work_hands_memory_back(monkeypatch):
    """A training slot and a progress bar trim the heap when their block ends, also when it
    fails: what the run freed goes back to the system before the next heavy step stacks on it."""
    from streamlit.testing.v1 import AppTest

    import ui.progress
    import ui.run_limit

    trims: list[str] = []
    monkeypatch.setattr(ui.run_limit, "trim_memory", lambda: trims.append("slot") or True)
    monkeypatch.setattr(ui.progress, "trim_memory", lambda: trims.append("bar") or True)

    def script() -> None:
        import streamlit as st

        from ui.progress import progress_bar
        from ui.run_limit import training_slot

        with training_slot("test run"):
            st.write("trained")
        with progress_bar("working") as on_progress:
            on_progress(1, 1, {})
        try:
            with training_slot("failing run"):
                raise RuntimeError("a run that fails")
        except RuntimeError:
            st.write("failed")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["trained", "failed"]
    assert trims == ["slot", "bar", "slot"]
