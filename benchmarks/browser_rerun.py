"""Rerun time of every page as a browser sees it: from a widget change to the page settled.

Against a real ``streamlit run app.py`` (a free localhost port) and Debian's Chromium driven by
Playwright, for each page: open it, open the tab the change belongs to, then change one widget
``--changes`` times (a number input's + then −, a slider's → then ←, in turn) and time each
change from the moment the browser sends it (the websocket ``BackMsg`` asking for a rerun, so
Playwright's own click handling is not counted) to

- **finished**: the server's ``script_finished`` message arrives on the websocket (read with
  Streamlit's own protobufs), i.e. the script or fragment run and its messages are done;
- **settled**: after that, the page shows no running indicator and no stale element, i.e. the
  browser has drawn the new result.

AppTest's figures (``benchmarks/bench_*.py``) are not these: AppTest runs the script in-process,
skips the websocket and the browser, and runs the whole script where a fragment would run alone.

    python -m benchmarks.browser_rerun                  # every page, 20 changes each
    python -m benchmarks.browser_rerun --pages kernels detection --changes 10
    python -m benchmarks.browser_rerun --repo ../old-checkout   # the same against another tree
    python -m benchmarks.browser_rerun --reference ../old-checkout  # both, page by page, + ratio
    python -m benchmarks.browser_rerun --server-arg=--runner.postScriptGC=false

Two trivial pages (``benchmarks/floor_app.py``: text only; one changed plotly chart) are measured
first, as the floor the page figures stand on (``--no-floor`` skips them).

Every loop is bounded (changes per page, a timeout per change); traffic stays on localhost.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.server import REPO_ROOT, running_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
CHANGE_TIMEOUT_S = 60.0  # one change that takes longer than this counts as failed
TARGET_MS = 100.0


@dataclass(frozen=True)
class Change:
    kind: str  # "number": click the input's + then its −; "slider": → then ← on its thumb
    label: str  # the widget's label on the page
    tab: str | None = None  # open this tab first (None: the page's first tab)


PAGES: dict[str, Change] = {  # URL path -> the widget a student would change there
    "kernels": Change("number", "Bias b"),
    "padding": Change("number", "stride s"),
    "pooling": Change("number", "Window size k"),
    "receptive_field": Change("number", "Input side n₀ (pixels)"),
    "bottleneck_cost": Change("number", "Image side N"),
    "train_cnn": Change("number", "Epochs"),
    "pretrained": Change("slider", "Maps shown", tab="Feature maps"),
    "learned": Change("slider", "Neighbours shown"),
    "transfer_learning": Change("slider", "Validation share"),
    "detection": Change("slider", "NMS IoU threshold"),
    "segmentation": Change("slider", "Depth (poolings)"),
    "text_cnn": Change("slider", "Filter height h (words)"),
}


class Wire:
    """The page's websocket traffic: when the browser sent each rerun request (a ``BackMsg``
    with ``rerun_script``) and when each ``script_finished`` came back."""

    def __init__(self, page: Page) -> None:
        self.sent: list[float] = []
        self.finished: list[float] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        def on_sent(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                msg = BackMsg()
                msg.ParseFromString(bytes(payload))
                if msg.WhichOneof("type") == "rerun_script":
                    self.sent.append(time.perf_counter())

        def on_received(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                msg = ForwardMsg()
                msg.ParseFromString(bytes(payload))
                if msg.WhichOneof("type") == "script_finished":
                    self.finished.append(time.perf_counter())

        ws.on("framesent", on_sent)
        ws.on("framereceived", on_received)


IDLE_JS = """() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')"""


def wait_idle(page: Page) -> None:
    """Until the page shows no running indicator and no stale element, checked in the page at
    every animation frame (Playwright's own ``expect`` polls at 100 ms and more, which would
    round every figure up); the check runs only when the page's main thread is free, so it also
    waits for the charts to be drawn."""
    page.wait_for_function(IDLE_JS, polling="raf", timeout=CHANGE_TIMEOUT_S * 1000)


def settle(page: Page, wire: Wire, sent_before: int, done_before: int) -> tuple[float, float]:
    """Wait for the rerun request the change sends, the next script_finished, then for the
    page to show it; (finished, settled) in ms since the request left the browser."""
    deadline = time.perf_counter() + CHANGE_TIMEOUT_S
    while len(wire.sent) <= sent_before or len(wire.finished) <= done_before:
        if time.perf_counter() > deadline:
            raise TimeoutError("no rerun request or no script_finished within the timeout")
        page.wait_for_timeout(2)  # lets Playwright deliver the websocket events
    sent, done = wire.sent[sent_before], wire.finished[done_before]
    wait_idle(page)
    return 1000 * (done - sent), 1000 * (time.perf_counter() - sent)


def widget(page: Page, change: Change):
    test_id = {"number": "stNumberInput", "slider": "stSlider"}[change.kind]
    return page.get_by_test_id(test_id).filter(has_text=change.label).first


def act(page: Page, change: Change, n: int) -> None:
    """The n-th change: up on even n, down on odd n (so the values stay in range)."""
    box = widget(page, change)
    if change.kind == "number":
        box.get_by_test_id("stNumberInputStepUp" if n % 2 == 0 else "stNumberInputStepDown").click()
    else:
        box.get_by_role("slider").first.press("ArrowRight" if n % 2 == 0 else "ArrowLeft")


def measure_page(page: Page, url: str, path: str, change: Change, changes: int) -> dict:
    wire = Wire(page)
    page.goto(f"{url}/{path}")
    expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible()
    wait_idle(page)
    if change.tab:
        page.get_by_role("tab", name=change.tab, exact=True).click()
        wait_idle(page)
    expect(widget(page, change)).to_be_visible()
    rows = []
    for n in range(changes + 1):  # the first change warms caches and is not counted
        sent_before, done_before = len(wire.sent), len(wire.finished)
        act(page, change, n)
        done, settled = settle(page, wire, sent_before, done_before)
        if n:
            rows.append((done, settled))
    assert page.get_by_test_id("stException").count() == 0, f"{path}: the page shows an exception"
    return {
        "finished": [r[0] for r in rows],
        "settled": [r[1] for r in rows],
    }


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


FLOOR: dict[str, Change] = {  # benchmarks/floor_app.py: what Streamlit and the browser cost alone
    "text": Change("number", "Value"),
    "chart": Change("number", "Value"),
}


def measure(browser, url: str, path: str, change: Change, changes: int) -> dict | str:
    """One page in a fresh browser context: the timings, or why it failed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(CHANGE_TIMEOUT_S * 1000)
    expect.set_options(timeout=CHANGE_TIMEOUT_S * 1000)
    try:
        return measure_page(context.new_page(), url, path, change, changes)
    except Exception as err:  # noqa: BLE001 - report the page and go on with the others
        return f"failed: {str(err).splitlines()[0]}"
    finally:
        context.close()


def apptest_times(path: str, change: Change, changes: int) -> list[float] | str:
    """The same change made the same way in an AppTest of ``views/<path>.py`` (in this process,
    no server, no websocket, no browser, and the whole script reruns where the browser would
    run a fragment): ms per ``run()``."""
    from streamlit.testing.v1 import AppTest

    # "missing ScriptRunContext" warnings of module-level st calls in bare mode: not news here
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    at = AppTest.from_file(str(REPO_ROOT / "views" / f"{path}.py"), default_timeout=120).run()
    if change.tab:
        saved = [k for k in at.session_state if str(k).endswith("_tab_open")]
        if not saved:
            return "no lazy tabs"
        at.session_state[saved[0].removesuffix("_open")] = change.tab
        at.run()
    times = []
    for n in range(changes + 1):
        found = [w for w in getattr(at, f"{change.kind}_input" if change.kind == "number" else
                 "slider") if w.label == change.label]  # fmt: skip
        if not found:
            return "widget not found"
        w = found[0]
        step = w.step if change.kind == "slider" else (w.step or 1)
        w.set_value(w.value + step if n % 2 == 0 else w.value - step)
        start = time.perf_counter()
        at.run()
        if n:
            times.append(1000 * (time.perf_counter() - start))
        if at.exception:
            return "exception"
    return times


def summary(r: dict | str) -> str:
    if isinstance(r, str):
        return f"{r[:40]:>34}"
    f, s = r["finished"], r["settled"]
    return f"{statistics.median(f):8.0f} /{p90(f):6.0f}{statistics.median(s):9.0f} /{p90(s):6.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="*", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--changes", type=int, default=20, help="counted changes per page")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="the checkout to serve")
    parser.add_argument(
        "--reference",
        type=Path,
        help="a second checkout (e.g. the code before a change), served at the same time and "
        "measured page by page just before --repo, so both see the same machine load",
    )
    parser.add_argument("--server-arg", action="append", default=[], help="extra streamlit flag")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the two trivial pages measured first"
    )
    parser.add_argument(
        "--apptest",
        action="store_true",
        help="also time the same change in an AppTest of this tree's page (median ms)",
    )
    args = parser.parse_args()

    print(f"== Page rerun as a browser sees it ({args.changes} changes a page, median / p90 ms)")
    print(f"server: {args.repo} {' '.join(args.server_arg)}")
    if args.reference:
        print(f"reference: {args.reference} (same flags)")
    columns = f"{'finished':>16}{'settled':>16}"
    head = f"{'page':<20}{'widget':<28}"
    if args.reference:
        print(f"{head}{'reference':>16}{'':>16}{'this tree':>16}{'':>16}  settled ratio")
        print(f"{'':<48}{columns}{columns}  this/ref")
    else:
        print(f"{head}{columns}  target {TARGET_MS:.0f}")
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(running_app(logs / "this", args.repo, args.server_arg))
        ref_url = None
        if args.reference:
            ref_url = stack.enter_context(
                running_app(logs / "reference", args.reference, args.server_arg)
            )
        floor_url = None
        if not args.no_floor:
            floor_url = stack.enter_context(
                running_app(logs / "floor", REPO_ROOT, args.server_arg, "benchmarks/floor_app.py")
            )
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if floor_url:
            for path, change in FLOOR.items():
                r = measure(browser, floor_url, path, change, args.changes)
                print(f"{'(floor) ' + path:<20}{change.label:<28}{summary(r)}", flush=True)
        for path in args.pages:
            change = PAGES[path]
            label = change.label[:26]
            ref = measure(browser, ref_url, path, change, args.changes) if ref_url else None
            r = measure(browser, url, path, change, args.changes)
            line = f"{path:<20}{label:<28}"
            if ref is not None:
                line += summary(ref)
            line += summary(r)
            if args.apptest:
                a = apptest_times(path, change, args.changes)
                line += (
                    f"  AppTest {statistics.median(a):5.0f}" if isinstance(a, list) else f"  {a}"
                )
            if isinstance(r, dict):
                settled = statistics.median(r["settled"])
                if isinstance(ref, dict):
                    line += f"  {settled / statistics.median(ref['settled']):6.2f}"
                line += f"  {'ok' if settled <= TARGET_MS else 'over'}"
            print(line, flush=True)
        browser.close()


if __name__ == "__main__":
    main()
