"""What sessions cost the server in memory: RSS of a real ``streamlit run app.py`` while browser
sessions open pages and then close.

For each tree (``--repo``, and ``--reference`` when given, each on its own server): the server's
RSS after start-up, after a warm-up session opened every listed page (the shared models loaded),
after each of ``--sessions`` further sessions opened the same pages and sat idle, and then after
every session closed (sampled until ``--settle`` seconds have passed). The RSS is read from
``/proc/<pid>/status`` of the server process (this is Linux-only, like the machines it serves).

    python -m benchmarks.session_memory                         # 10 sessions, three heavy pages
    python -m benchmarks.session_memory --sessions 5 --pages pretrained receptive_field
    python -m benchmarks.session_memory --reference ../old-checkout

Every loop is bounded (sessions, pages, a timeout per page, the settle time); traffic stays on
localhost.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, expect, sync_playwright

from benchmarks.browser_rerun import CHROMIUM, CHROMIUM_ARGS, wait_idle
from benchmarks.server import REPO_ROOT, running_app

PAGE_TIMEOUT_S = 240.0  # the first visit loads models
DEFAULT_PAGES = ["pretrained", "transfer_learning", "segmentation"]


def server_pid(url: str) -> int:
    """The pid of the ``streamlit run`` listening on ``url``'s port (found by its command line)."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    raise RuntimeError(f"no streamlit process found for {url}")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def visit(browser: Browser, url: str, pages: list[str]):
    """A new session that opens each page in turn and waits for it to settle; left open."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_S * 1000)
    page = context.new_page()
    for path in pages:
        page.goto(f"{url}/{path}")
        expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible(
            timeout=PAGE_TIMEOUT_S * 1000
        )
        wait_idle(page)
    return context


def measure(browser: Browser, url: str, sessions: int, pages: list[str], settle: float) -> dict:
    pid = server_pid(url)
    figures = {"start": rss_mb(pid)}
    warm = visit(browser, url, pages)
    warm.close()
    time.sleep(2)
    figures["warm"] = rss_mb(pid)
    contexts, per_session = [], []
    for _ in range(sessions):
        before = rss_mb(pid)
        contexts.append(visit(browser, url, pages))
        per_session.append(rss_mb(pid) - before)
    figures["open"] = rss_mb(pid)
    figures["per_session"] = per_session
    for context in contexts:
        context.close()
    deadline = time.monotonic() + settle
    samples = []
    while time.monotonic() < deadline:
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
        samples.append((settle - (deadline - time.monotonic()), rss_mb(pid)))
    figures["closed"] = samples
    return figures


def report(name: str, f: dict) -> None:
    per = f["per_session"]
    mean = sum(per) / len(per) if per else 0.0
    print(f"\n== {name}")
    print(f"start {f['start']:7.0f} MB   warm (every page once) {f['warm']:7.0f} MB")
    print(
        f"{len(per)} idle sessions open {f['open']:7.0f} MB   "
        f"per session: mean {mean:5.1f} MB, max {max(per, default=0):5.1f} MB"
    )
    if f["closed"]:
        last = f["closed"][-1][1]
        line = "  ".join(f"{t:4.0f}s {mb:6.0f}" for t, mb in f["closed"])
        print(f"after all closed (MB): {line}")
        print(f"held after close vs warm: {last - f['warm']:+.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--pages", nargs="*", default=DEFAULT_PAGES)
    parser.add_argument("--settle", type=float, default=60.0, help="seconds watched after close")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT)
    parser.add_argument("--reference", type=Path, help="a second checkout, measured first")
    parser.add_argument("--server-arg", action="append", default=[], help="extra streamlit flag")
    args = parser.parse_args()
    trees = ([("reference", args.reference)] if args.reference else []) + [("this", args.repo)]
    print(f"== Server memory: {args.sessions} sessions opening {', '.join(args.pages)}")
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, repo in trees:
            with running_app(logs / name, repo, args.server_arg) as url:
                figures = measure(browser, url, args.sessions, args.pages, args.settle)
            report(f"{name}: {repo}", figures)
        browser.close()


if __name__ == "__main__":
    main()
