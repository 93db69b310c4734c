"""The server's training-run limit in real browsers (ui/run_limit.py), on a server of the test's
own with CNNPLAY_TRAINING_RUNS=1: a second student's run waits in line with its place shown, a
student whose browser has gone frees the slot within seconds, the waiting run then starts, and
leaving the page mid-run keeps the partial model with a "stopped" note.

Labels come from views/transfer_learning/train.py (the Train and Stop buttons, the progress
text) and ui/run_limit.py (the "Waiting for a training slot" note, the queue caption)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    leave_and_return,
    open_page,
    open_tab,
    wait_for_app_idle,
)
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, running_app
from tests.e2e.server_log import ServerLog
from ui.run_limit import ENV_VAR

TRAIN = "Train small CNN from scratch"
RUNNING = re.compile(r"Small CNN from scratch: epoch [0-9.]+ of 100, loss")  # the progress bar


@pytest.fixture
def one_slot_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_logs: list[ServerLog]
) -> Iterator[str]:
    monkeypatch.setenv(ENV_VAR, "1")  # the server reads it at its first training run
    with running_app(tmp_path, server_logs) as url:  # its log is checked after the test
        yield url


def student(browser: Browser, url: str) -> tuple[Page, Locator]:
    """A new session on Transfer learning's training tab, set to a 100-epoch scratch run."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    open_page(page, url, "Transfer learning", "transfer_learning")
    train = open_tab(page, "Train & compare")
    train.get_by_text("Training settings").click()
    box = train.get_by_label("Epochs (scratch)")
    box.fill("100")
    box.press("Enter")
    wait_for_app_idle(page)
    return page, train


def test_a_second_run_waits_its_turn_and_starts_when_the_first_browser_goes(
    browser: Browser, one_slot_url: str
) -> None:
    first, first_train = student(browser, one_slot_url)
    expect(first_train.get_by_text("0 of 1 slot in use", exact=False)).to_be_visible()
    first_train.get_by_role("button", name=TRAIN).click()
    expect(first_train.get_by_text(RUNNING)).to_be_visible(timeout=120_000)

    second, second_train = student(browser, one_slot_url)
    expect(second_train.get_by_text("1 of 1 slot in use", exact=False)).to_be_visible()
    second_train.get_by_role("button", name=TRAIN).click()
    waiting = second_train.get_by_text("Waiting for a training slot", exact=False)
    expect(waiting).to_be_visible()
    expect(second_train.get_by_text("1st in line", exact=False)).to_be_visible()
    expect(second_train.get_by_text(RUNNING)).to_have_count(0)
    expect(first_train.get_by_text(RUNNING)).to_be_visible()  # the first run goes on

    first.context.close()  # the first student's browser goes away mid-run
    # Streamlit stops the gone session's script at its next progress step: the slot frees and
    # the waiting run starts within seconds, not after the first run's 100 epochs
    expect(second_train.get_by_text(RUNNING)).to_be_visible(timeout=20_000)
    expect(waiting).to_have_count(0)
    # leaving the page mid-run stops the run; back on the page, its partial model is kept
    # with a "stopped" note and a row in the results table (it does not vanish)
    expect(second_train.get_by_text(re.compile(r"epoch [1-9][0-9.]* of 100"))).to_be_visible(
        timeout=60_000
    )
    second_train = leave_and_return(second, "Transfer learning", "Train & compare")
    stopped = re.compile(r"Small CNN from scratch was stopped after [0-9]{1,2} epoch\(s\)")
    expect(second_train.get_by_text(stopped)).to_be_visible(timeout=60_000)
    expect(second_train.get_by_text("(stopped)", exact=False).first).to_be_visible()
    wait_for_app_idle(second)
    expect(second_train.get_by_text("0 of 1 slot in use", exact=False)).to_be_visible()
    assert_no_exception(second)
    second.context.close()
