"""The server-log check of the browser tests (tests/e2e/server_log.py) fails on a traceback, a
warning or Streamlit's widget-default message, passes a clean start, reads each line once, and
catches the warning a real `streamlit run` prints."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from benchmarks import server
from tests.e2e.browser import wait_for_app_idle
from tests.e2e.server_log import SERVER_ARGS, ServerLog, problems

CLEAN = """2026-12-07 15:52:10.214 INFO streamlit.web.server.starlette.starlette_server: \
Uvicorn server started on 127.0.0.1:58233

  You can now view your Streamlit app in your browser.

  URL: http://127.0.0.1:58233

  Stopping...
"""  # what a clean start and shutdown print, with SERVER_ARGS
WIDGET = (
    '2026-12-07 15:40:01.002 WARNING streamlit.elements.lib.policies: The widget with key "tc_pos" '
    "was created with a default value but also had its value set via the Session State API.\n"
    "Stack (most recent call last):\n"
    '  File "/usr/lib/python3.11/threading.py", line 1002, in _bootstrap\n'
)
TRACEBACK = """2026-12-07 15:40:02.003 ERROR streamlit.error_util: Uncaught app execution
Traceback (most recent call last):
  File "/work/main/views/receptive_field/network.py", line 30, in render
    rows = network_table(name, side)
RuntimeError: a and b must have same reduction dim, but got [1, 44944] X [400, 120].
  You can now view your Streamlit app in your browser.
"""
PYTHON_WARNING = """/work/main/cnnplay/x.py:12: DeprecationWarning: this is old
  warnings.warn("this is old", DeprecationWarning)
"""


def test_a_clean_start_passes():
    assert problems(CLEAN) == []
    assert problems("") == []


def test_the_widget_warning_fails():
    found = problems(CLEAN + WIDGET)
    assert len(found) == 1 and 'key "tc_pos"' in found[0]


def test_a_traceback_fails_with_its_frames():
    found = problems(TRACEBACK)
    assert len(found) == 2  # the ERROR line, and the traceback up to its exception's line
    assert "Uncaught app execution" in found[0]
    assert found[1].startswith("Traceback") and found[1].endswith("[400, 120].")
    assert "view your Streamlit app" not in found[1]


def test_a_python_warning_fails():
    found = problems(CLEAN + PYTHON_WARNING)
    assert found == ["/work/main/cnnplay/x.py:12: DeprecationWarning: this is old"]


def test_each_line_is_checked_once_and_only_whole_lines(tmp_path: Path):
    path = tmp_path / "server-1.log"
    path.write_text(CLEAN)
    log = ServerLog(path)
    assert log.new_problems() == []
    with open(path, "a") as out:
        out.write(WIDGET + "2026-12-07 15:40:03.000 WARN")  # the last line is being written
    found = log.new_problems()
    assert len(found) == 1 and "tc_pos" in found[0]
    assert "tc_pos" in log.report(found) and str(path) in log.report(found)
    assert log.new_problems() == []  # read once
    with open(path, "a") as out:
        out.write("ING streamlit.x: something\n")
    assert log.new_problems() == ["2026-12-07 15:40:03.000 WARNING streamlit.x: something"]


WIDGET_APP = """import streamlit as st

st.session_state.x = 3
st.slider("x", 0, 5, 1, key="x")  # a default and a session-state value: Streamlit warns
st.text_input("")  # an empty label: a warning of another kind
"""


def test_a_real_servers_warnings_are_caught(page: Page, tmp_path: Path):
    """The same check on what `streamlit run` itself prints, with SERVER_ARGS (not one of the
    test servers, whose logs are checked after every test)."""
    script = tmp_path / "widget_app.py"
    script.write_text(WIDGET_APP)
    logs = tmp_path / "logs"
    with server.running_app(logs, extra_args=SERVER_ARGS, script=str(script)) as url:
        log = ServerLog(max(logs.glob("server-*.log")))
        assert log.new_problems() == []  # the start
        page.goto(url)
        expect(page.get_by_test_id("stSlider")).to_be_visible()
        wait_for_app_idle(page)
    found = log.new_problems()
    assert len(found) == 2, found
    assert "WARNING" in found[0] and 'key "x" was created with a default value' in found[0]
    assert "WARNING" in found[1] and "`label` got an empty value" in found[1]
