"""Real-browser fixtures: `streamlit run app.py` on a free port, driven by Playwright + Chromium.

- ``app_url`` (session): starts the app once for the whole run and stops it afterwards;
  ``fresh_app_url`` (function): a server of the test's own, for first-request behaviour.
- ``browser`` (session): Debian's Chromium at /usr/bin/chromium (Playwright's own browser
  downloads are never used). A missing Chromium FAILS the run instead of skipping it, so a broken
  setup cannot pass unnoticed.
- ``page`` (function): a fresh browser context per test, so every test is a new Streamlit session
  (no widget state or cell edits leak between tests). A failing test leaves a screenshot in
  ``test-artifacts/``.
- ``server_log_is_clean`` (function, every test): fails the test when the server's log gained a
  traceback, a warning or an error while it ran (tests/e2e/server_log.py), with the offending
  lines in the message; what no test's check saw (the last lines, the shutdown) fails the run
  at its end.
- ``save_screenshot`` (function): whole-page PNGs into ``test-artifacts/`` and, when
  ``CNNPLAY_SCREENSHOT_DIR`` is set, a copy there too (``CNNPLAY_SCREENSHOT_DIR=docs pytest
  tests/e2e`` refreshes the README's ``docs/kernels.png``; a relative path counts from the
  repository root).

Every test collected under tests/e2e gets the ``e2e`` marker (``pytest -m "not e2e"`` skips them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from benchmarks import server
from tests.e2e.server_log import SERVER_ARGS, ServerLog

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 30_000  # actions, navigation and expect(): generous for a loaded CI machine

# Playwright's expect() waits 5 s by default; a Streamlit rerun on a busy machine can take longer.
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so ``page`` can screenshot failed tests."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@contextlib.contextmanager
def running_app(log_dir: Path, logs: list[ServerLog]) -> Iterator[str]:
    """`streamlit run app.py` on a free localhost port (benchmarks.server); a server that cannot
    start fails the test with its output. Its log (every line with its level: SERVER_ARGS) is
    added to ``logs``, checked after each test."""
    try:
        with server.running_app(log_dir, extra_args=SERVER_ARGS) as url:
            # server-<attempt>.log: the last attempt (1 to 3) is the server that runs
            logs.append(ServerLog(max(log_dir.glob("server-*.log"))))
            yield url
    except server.ServerError as err:
        pytest.fail(str(err), pytrace=False)


def fail_on_new_problems(logs: list[ServerLog]) -> None:
    """Fail with the lines the servers logged since the last check that show a traceback, a
    warning or an error (tests/e2e/server_log.py)."""
    found = [(log, problems) for log in logs if (problems := log.new_problems())]
    if found:
        pytest.fail("\n".join(log.report(problems) for log, problems in found), pytrace=False)


@pytest.fixture(scope="session")
def server_logs() -> Iterator[list[ServerLog]]:
    """The log of every server this run started. At the end of the run (the servers stopped),
    whatever the last test's check could not see yet fails the run."""
    logs: list[ServerLog] = []
    yield logs
    fail_on_new_problems(logs)


@pytest.fixture(autouse=True)
def server_log_is_clean(server_logs: list[ServerLog]) -> Iterator[None]:
    """After each test (its browser context closed, its own server stopped): what the servers
    logged meanwhile holds no traceback, warning or error; else the test fails with it."""
    yield
    fail_on_new_problems(server_logs)


@pytest.fixture(scope="session")
def app_url(
    tmp_path_factory: pytest.TempPathFactory, server_logs: list[ServerLog]
) -> Iterator[str]:
    """One app server for the whole run."""
    with running_app(tmp_path_factory.mktemp("streamlit"), server_logs) as url:
        yield url


@pytest.fixture
def fresh_app_url(tmp_path: Path, server_logs: list[ServerLog]) -> Iterator[str]:
    """A server of this test's own, whose first request the test makes."""
    with running_app(tmp_path, server_logs) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run the README's "
            "`make test`, which installs it (apt-get install chromium); Playwright's own browser "
            "downloads are not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS_DIR.mkdir(exist_ok=True)
            try:
                page.screenshot(path=ARTIFACTS_DIR / f"FAILED-{request.node.name}.png")
            except Exception as err:  # noqa: BLE001 - the test's own failure matters more
                print(f"could not screenshot the failed test: {err}", file=sys.stderr)
        context.close()


def full_page_screenshot(page: Page, path: Path, max_height: int = 8000) -> None:
    """A PNG of the whole page. Streamlit scrolls inside ``stMain`` (the document itself is one
    viewport tall), so Playwright's ``full_page`` alone only captures the viewport: grow the
    viewport to the content's height first, then restore it."""
    original = page.viewport_size or VIEWPORT
    height_js = """() => Math.max(document.scrollingElement.scrollHeight, ...[
        ...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'),
    ].map(e => e.scrollHeight))"""
    height = 0
    for _ in range(5):  # a taller viewport can reflow the page; stop when the height settles
        new_height = min(int(page.evaluate(height_js)), max_height)
        if new_height <= height:
            break
        height = new_height
        page.set_viewport_size({"width": original["width"], "height": height})
        page.wait_for_timeout(300)
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(original)


@pytest.fixture
def save_screenshot() -> Callable[[Page, str], list[Path]]:
    """``save_screenshot(page, "kernels.png")`` -> the paths written: test-artifacts/NAME, plus
    $CNNPLAY_SCREENSHOT_DIR/NAME when that variable is set."""

    def save(page: Page, name: str) -> list[Path]:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        path = ARTIFACTS_DIR / name
        full_page_screenshot(page, path)
        paths = [path]
        if extra := os.environ.get("CNNPLAY_SCREENSHOT_DIR"):
            target_dir = REPO_ROOT / extra  # an absolute path stays as it is
            target_dir.mkdir(parents=True, exist_ok=True)
            paths.append(Path(shutil.copyfile(path, target_dir / name)))
        return paths

    return save
