"""benchmarks/class_load.py: simulated students against the real app (``streamlit run app.py``).

Two students for about 15 s on three light pages: they open pages, change widgets (in fragments
and not) through Streamlit's own protocol, and what the server shows changes with them."""

from __future__ import annotations

import math
import random

import pytest
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider

from benchmarks.class_load import ClassConfig, format_report, run_class_blocking, ws_url
from benchmarks.server import running_app
from benchmarks.student import Screen, Widget, new_value


def test_two_students_change_what_the_server_shows(tmp_path):
    config = ClassConfig(
        students=2,
        minutes=0.25,
        trainers=0,
        weights={"kernels": 1.0, "padding": 1.0, "pooling": 1.0},
        think_s=(0.5, 1.5),
        switch=0.2,
        timeout_s=30.0,
        margin_s=20.0,
        ramp_s=1.0,
        settle_s=0.0,
        seed=3,
    )
    with running_app(tmp_path) as url:
        report = run_class_blocking(config, url)
        # no students: the warm-up visit alone, as a teacher warms a server before class
        warm_only = run_class_blocking(
            ClassConfig(students=0, trainers=0, weights={"detection": 1.0}, settle_s=0.0), url
        )
    assert not warm_only.interactions and list(warm_only.first_visits) == ["detection"]
    assert warm_only.first_visits["detection"] is not None
    assert "first visit of each page (one visitor, before the class): detection" in format_report(
        warm_only
    )
    text = format_report(report)
    done = [i for i in report.interactions if i.latency_s is not None]
    assert done and {i.page for i in done} <= set(config.weights), text
    assert all(0 < i.latency_s < config.timeout_s and math.isfinite(i.latency_s) for i in done)
    changes = [i for i in done if i.action in ("change", "tab")]
    assert changes, text
    assert any(i.changed for i in changes), text  # the server showed something else
    assert not [i for i in report.interactions if i.exceptions or i.error], text
    assert report.rss_peak and report.rss_peak > 0
    # the warm-up visitor opened each page once before the class, and the server grew by it
    assert set(report.first_visits) == set(config.weights), text
    assert all(s is not None and 0 < s < config.timeout_s for s in report.first_visits.values())
    assert report.rss_start and report.rss_warm and report.rss_warm > report.rss_start
    assert "first visit of each page" in text and "warm" in text
    assert "p95 ms" in text and "server RSS" in text


def test_localhost_only():
    assert ws_url("http://127.0.0.1:8501") == "ws://127.0.0.1:8501/_stcore/stream"
    with pytest.raises(ValueError):
        ws_url("http://example.com:8501")


def test_new_values_stay_in_range():
    rng, screen = random.Random(0), Screen()
    slider = Slider(id="s", label="k", min=1, max=7, step=2, data_type=Slider.INT, default=[3])
    number = NumberInput(id="n", label="b", has_min=True, has_max=True, min=-1, max=1, step=0.1)
    number.data_type, number.default = NumberInput.FLOAT, 0.0
    cases = [(slider, "slider", "double_array_value"), (number, "number_input", "double_value")]
    for proto, kind, field in cases:
        w = Widget(proto.id, kind, proto.label, (0, 0), "", "", proto)
        screen._learn_value(w)
        for _ in range(200):
            name, value = new_value(rng, w, screen)
            assert name == field and value != screen.values[w.id][1]  # a new value ...
            v = value[0] if kind == "slider" else value
            assert proto.min <= v <= proto.max  # ... in range
            if kind == "slider":
                assert v in (1.0, 3.0, 5.0, 7.0)  # ... on the slider's steps
            screen.values[w.id] = (name, value)


def test_runs_beside_an_event_loop_that_is_already_running(monkeypatch):
    """CI failed once: after the browser tests, pytest's main thread holds Playwright's running
    loop and ``asyncio.run`` there raised. The class now runs on a loop in a thread of its own."""
    import asyncio
    import concurrent.futures

    from benchmarks import class_load

    async def fake_class(config, url, server_pid=None):
        await asyncio.sleep(0)
        return ("report", url)

    monkeypatch.setattr(class_load, "run_class", fake_class)

    async def inside_a_running_loop():
        return class_load.run_class_blocking(ClassConfig(), "http://127.0.0.1:1")

    # a thread of the test's own, so the check does not depend on what earlier tests left
    # running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, inside_a_running_loop()).result()
    assert result == ("report", "http://127.0.0.1:1")
