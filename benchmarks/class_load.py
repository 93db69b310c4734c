"""A class on one server: N simulated students against a running Streamlit server.

Before class, a teacher checks that one server holds the class::

    python -m benchmarks.class_load                      # 30 students, 10 minutes, 3 trainers
    python -m benchmarks.class_load --students 5 --minutes 1
    python -m benchmarks.class_load --url http://127.0.0.1:8501   # a server already running
    python -m benchmarks.class_load --url http://127.0.0.1:8501 --students 0 --settle 0
                                        # only open every page once: warms a server before class
    python -m benchmarks.class_load --server-arg=--runner.postScriptGC=false
    make load ARGS="--students 10 --minutes 2"

Each student is a websocket client speaking Streamlit's own protocol (``benchmarks/student.py``),
light enough that thirty of them and the server share a 2-core machine: it opens a page
(weighted like a lesson), reads it for 3–8 s, changes a random slider / number input / selectbox /
radio (or opens another tab) to a valid new value, and sometimes goes to another page. A few
trainers (among the students) sit on the training pages and press Train again and again.

It prints the latency (request sent -> ``script_finished``) p50 / p95 / max per page and overall,
the exceptions the pages showed, the errors (timeouts, lost connections), the server's memory
(RSS of its process tree: at the start, peak, when the students left, after ``--settle`` s) and
the CPU time of the server and of this client, so a reader sees the client did not take the
server's cores. Every loop is bounded (a deadline, a number of interactions per student); the
traffic stays on localhost.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from benchmarks.server import REPO_ROOT, running_app
from benchmarks.student import Behaviour, Interaction, Student

PAGE_WEIGHTS: dict[str, float] = {  # URL path -> share of the class on it (a lesson's weights)
    "kernels": 3.0,
    "padding": 3.0,
    "pooling": 3.0,
    "receptive_field": 2.5,
    "bottleneck_cost": 1.5,
    "train_cnn": 1.5,
    "pretrained": 1.0,
    "learned": 1.0,
    "transfer_learning": 1.0,
    "detection": 1.0,
    "segmentation": 1.0,
    "text_cnn": 1.0,
}
TRAIN_PAGES = ("text_cnn", "transfer_learning", "segmentation")  # trainer i sits on [i % 3]
T = TypeVar("T")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
RAMP_S = 10.0  # the class arrives over this many seconds
SAMPLE_S = 1.0  # the server's memory and CPU are read this often


@dataclass
class ClassConfig:
    """One class: how many students for how long, and how they behave."""

    students: int = 30  # students in all, trainers included
    minutes: float = 10.0  # how long students keep starting interactions
    trainers: int = 3  # students that press Train on the training pages instead
    weights: dict[str, float] = field(default_factory=lambda: dict(PAGE_WEIGHTS))
    think_s: tuple[float, float] = (3.0, 8.0)  # pause between interactions (uniform)
    switch: float = 0.15  # chance that an interaction is a change of page
    timeout_s: float = 60.0  # an interaction slower than this counts as failed
    train_timeout_s: float = 600.0  # the same for a training run (queue wait included)
    margin_s: float = 60.0  # hard deadline: minutes + this, then everything stops
    ramp_s: float = RAMP_S  # arrivals spread over this many seconds
    settle_s: float = 180.0  # after the students left, watch the server's memory this long
    # (Streamlit keeps a closed tab's session for server.disconnectedSessionTTL = 120 s)
    warmup: bool = True  # first, one visitor opens every page once: first visits, warm RSS
    seed: int = 0  # every random choice derives from it

    @property
    def duration_s(self) -> float:
        return self.minutes * 60.0

    def behaviour(self) -> Behaviour:
        lo = max(self.think_s[0], 0.1)
        return Behaviour(
            weights=self.weights,
            think_s=self.think_s,
            switch=self.switch,
            timeout_s=self.timeout_s,
            train_timeout_s=self.train_timeout_s,
            max_interactions=int(self.duration_s / lo) + 10,
        )


# -- the server's memory and CPU, from /proc ---------------------------------------------------


def _listening_pid(port: int) -> int | None:
    """The process (of this user) that listens on a local TCP port, found through /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{cols[9]}]")
    for pid in _pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def _pids() -> Iterable[int]:
    return (int(d) for d in os.listdir("/proc") if d.isdigit())


def _tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid in _pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _rss_mb(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _cpu_s(pids: Sequence[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class ServerWatch:
    """Samples the RSS (MB) and CPU time (s) of the server's process tree."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self._pids = _tree(pid) if pid else []
        self.samples: list[tuple[float, float]] = []  # (monotonic time, RSS MB)
        self._refreshed = time.monotonic()

    def sample(self) -> float | None:
        if not self.pid:
            return None
        now = time.monotonic()
        if now - self._refreshed > 10:  # children come and go rarely
            self._pids, self._refreshed = _tree(self.pid), now
        rss = _rss_mb(self._pids)
        self.samples.append((now, rss))
        return rss

    def cpu(self) -> float | None:
        return _cpu_s(self._pids) if self.pid else None

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), SAMPLE_S)
            except TimeoutError:
                pass


# -- the class ---------------------------------------------------------------------------------


@dataclass
class ClassReport:
    """Everything the run measured."""

    config: ClassConfig
    interactions: list[Interaction]  # every student's, in order per student
    wall_s: float  # from the first arrival to the last student gone
    client_cpu_s: float  # this process's CPU time over the run
    server_cpu_s: float | None  # the server's CPU time over the run (None: not found)
    rss_start: float | None = None  # MB, server RSS before the first student
    rss_warm: float | None = None  # MB, after the warm-up visitor saw every page and left
    first_visits: dict[str, float | None] = field(default_factory=dict)  # page -> s (None: failed)
    rss_peak: float | None = None  # MB, highest sample while students were on
    rss_end: float | None = None  # MB, when every student had closed its connection
    rss_settled: float | None = None  # MB, at the end of the settle time
    rss_settle_min: float | None = None  # MB, lowest sample during the settle time
    settle_s: float = 0.0  # how long the settle phase lasted


def ws_url(url: str) -> str:
    """``http://127.0.0.1:PORT`` -> ``ws://127.0.0.1:PORT/_stcore/stream``; localhost only."""
    parsed = urlparse(url)
    if parsed.hostname not in LOCAL_HOSTS:
        raise ValueError(f"refusing {url!r}: this benchmark only talks to localhost")
    scheme = "wss" if parsed.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{parsed.netloc}{parsed.path.rstrip('/')}/_stcore/stream"


async def _one(student: Student, role: str, stop_at: float, deadline: float) -> None:
    """One student's lesson; any failure of the client itself is logged as an error."""
    try:
        if role == "student":
            await student.attend(stop_at, deadline)
        else:
            await student.train(role, stop_at, deadline)
    except Exception as err:  # noqa: BLE001 - recorded, the class goes on
        page = student.page or (role if role != "student" else "")
        student.log.append(
            Interaction(student.number, page, "open", "", None, error=f"client: {err!r}")
        )
    finally:
        await student.close()


async def warm_up(
    endpoint: str, pages: Iterable[str], behaviour: Behaviour
) -> dict[str, float | None]:
    """One visitor opens each page once, in turn, and leaves: the time of each page's first
    visit (on a fresh server: shared models and data loading; None when it failed)."""
    visitor = Student(-1, endpoint, behaviour, 0)
    visits: dict[str, float | None] = {}
    try:
        await visitor.connect()
        for page in pages:
            inter = await visitor.open(page, time.monotonic() + behaviour.timeout_s)
            failed = inter.error or inter.exceptions
            visits[page] = None if failed else inter.latency_s
    finally:
        await visitor.close()
    return visits


async def run_class(config: ClassConfig, url: str, server_pid: int | None = None) -> ClassReport:
    """Run the class against ``url`` and measure it."""
    endpoint = ws_url(url)
    if server_pid is None:
        server_pid = _listening_pid(urlparse(url).port or 80)
    watch = ServerWatch(server_pid)
    rss_start = watch.sample()
    first_visits: dict[str, float | None] = {}
    rss_warm = None
    if config.warmup:
        first_visits = await warm_up(endpoint, config.weights, config.behaviour())
        await asyncio.sleep(2.0)
        rss_warm = watch.sample()
    cpu0, server_cpu0 = time.process_time(), watch.cpu()
    rng = random.Random(config.seed)
    behaviour = config.behaviour()
    students = [
        Student(i, endpoint, behaviour, rng.randrange(2**32)) for i in range(config.students)
    ]
    roles = [
        TRAIN_PAGES[i % len(TRAIN_PAGES)] if i < config.trainers else "student"
        for i in range(config.students)
    ]
    start = time.monotonic()
    stop_at = start + config.ramp_s + config.duration_s
    deadline = stop_at + config.margin_s
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch.watch(stop))

    async def arrive(student: Student, role: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await _one(student, role, stop_at, deadline)

    delays = [rng.uniform(0, config.ramp_s) for _ in students]
    tasks = [
        asyncio.create_task(arrive(s, role, d))
        for s, role, d in zip(students, roles, delays, strict=True)
    ]
    pending: set = set()
    if tasks:  # none with --students 0: the warm-up visit alone (it warms a server for a class)
        _, pending = await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 0) + 15)
    for task in pending:  # past the hard deadline: stop whatever is left
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in students:
        await s.close()
    wall = time.monotonic() - start
    stop.set()
    await watcher
    server_cpu1 = watch.cpu()
    client_cpu = time.process_time() - cpu0
    during = [rss for _, rss in watch.samples]
    report = ClassReport(
        config=config,
        interactions=[i for s in students for i in s.log],
        wall_s=wall,
        client_cpu_s=client_cpu,
        server_cpu_s=None if server_cpu0 is None else server_cpu1 - server_cpu0,
        rss_start=rss_start,
        rss_warm=rss_warm,
        first_visits=first_visits,
        rss_peak=max(during) if during else None,
        rss_end=watch.sample(),
    )
    if config.settle_s > 0 and server_pid:
        settle_start = time.monotonic()
        samples = []
        while time.monotonic() - settle_start < config.settle_s:
            await asyncio.sleep(min(2.0, config.settle_s))
            if (rss := watch.sample()) is not None:
                samples.append(rss)
        report.settle_s = time.monotonic() - settle_start
        report.rss_settled = samples[-1] if samples else None
        report.rss_settle_min = min(samples) if samples else None
    return report


# -- the tables --------------------------------------------------------------------------------


def run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on an event loop of its own, in a thread of its own.

    The caller's thread may already run an event loop (Playwright's sync API keeps one running in
    pytest's main thread once a browser test has started), and ``asyncio.run`` refuses to start a
    second loop in a thread that has one; a fresh thread has none.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="class-load") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_class_blocking(
    config: ClassConfig, url: str, server_pid: int | None = None
) -> ClassReport:
    """`run_class` from synchronous code (any thread: see :func:`run_in_own_loop`)."""
    return run_in_own_loop(run_class(config, url, server_pid))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def _row(name: str, items: Sequence[Interaction]) -> str:
    ok = [i.latency_s * 1000 for i in items if i.latency_s is not None]
    exc = sum(1 for i in items if i.exceptions)
    err = sum(1 for i in items if i.error)
    frag = sum(1 for i in items if i.run == "fragment")
    if ok:
        figures = f"{percentile(ok, 50):8.0f} {percentile(ok, 95):8.0f} {max(ok):8.0f}"
    else:
        figures = f"{'-':>8} {'-':>8} {'-':>8}"
    return f"{name:<22} {len(items):6d} {frag:6d} {figures} {exc:5d} {err:5d}"


def latency_table(items: Sequence[Interaction], key: str, title: str) -> list[str]:
    header = f"{title:<22} {'n':>6} {'frag':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'exc':>5} {'err':>5}"
    groups: dict[str, list[Interaction]] = defaultdict(list)
    for i in items:
        groups[getattr(i, key)].append(i)
    lines = [header, "-" * len(header)]
    lines += [_row(name, groups[name]) for name in sorted(groups)]
    lines += ["-" * len(header), _row("all", items)]
    return lines


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def format_report(report: ClassReport) -> str:
    """The plain-text tables."""
    cfg = report.config
    items = [i for i in report.interactions if not i.cut]
    browsing = [i for i in items if i.action != "train"]
    training = [i for i in items if i.action == "train"]
    out = [
        (
            f"class: {cfg.students} students ({cfg.trainers} trainers), {cfg.minutes:g} min "
            f"+ {cfg.ramp_s:g} s arrival, think {cfg.think_s[0]:g}-{cfg.think_s[1]:g} s, "
            f"page switch {cfg.switch:.0%}, timeout {cfg.timeout_s:g} s, seed {cfg.seed}"
        ),
        "",
        (
            "latency from rerun_script sent to its script_finished (students' interactions; "
            "frag = runs of a fragment only)"
        ),
        *latency_table(browsing, "page", "page"),
        "",
        *latency_table(browsing, "action", "action"),
        "",
        "training runs (Train pressed -> run finished, queue wait included)",
        *latency_table(training, "page", "page"),
    ]
    if report.first_visits:
        visits = ", ".join(
            f"{page} {'failed' if s is None else f'{s:.1f} s'}"
            for page, s in report.first_visits.items()
        )
        out += ["", f"first visit of each page (one visitor, before the class): {visits}"]
    cut = len(report.interactions) - len(items)
    if cut:
        out.append(f"({cut} interaction(s) still running at the hard deadline: not counted)")
    changed = sum(1 for i in browsing if i.action != "open" and i.changed)
    changes = sum(1 for i in browsing if i.action != "open" and i.latency_s is not None)
    out += ["", f"widget changes that changed what the page showed: {changed} of {changes}"]
    exc = [i for i in items if i.exceptions]
    out += ["", f"exceptions shown: {sum(len(i.exceptions) for i in exc)} in {len(exc)} run(s)"]
    seen = Counter((i.page, i.widget, e.splitlines()[0][:160]) for i in exc for e in i.exceptions)
    for (page, widget, text), n in seen.most_common(5):
        out.append(f"  {n:4d} x {page} / {widget or '(open)'}: {text}")
    errors = [i for i in items if i.error]
    out += ["", f"errors: {len(errors)}"]
    for (page, error), n in Counter((i.page, i.error) for i in errors).most_common(5):
        out.append(f"  {n:4d} x {page}: {error}")
    settle = (
        f"{_mb(report.rss_settled)} after {report.settle_s:.0f} s settle "
        f"(lowest {_mb(report.rss_settle_min)})"
        if report.settle_s
        else "no settle"
    )
    back = ""
    if report.rss_warm and report.rss_settled:
        back = f" = {report.rss_settled / report.rss_warm - 1:+.0%} of warm"
    out += [
        "",
        (
            f"server RSS: start {_mb(report.rss_start)}, warm {_mb(report.rss_warm)}, "
            f"peak {_mb(report.rss_peak)}, end {_mb(report.rss_end)}, {settle}{back}"
        ),
    ]
    server_cpu = (
        "-"
        if report.server_cpu_s is None
        else f"{report.server_cpu_s:.1f} s ({report.server_cpu_s / report.wall_s:.2f} cores)"
    )
    if report.interactions:  # none: a warm-up visit alone
        out.append(
            f"CPU over {report.wall_s:.0f} s: server {server_cpu}, this client "
            f"{report.client_cpu_s:.1f} s ({report.client_cpu_s / report.wall_s:.2f} cores, "
            f"{report.client_cpu_s / len(report.interactions) * 1000:.1f} ms per interaction)"
        )
    return "\n".join(out)


# -- the command -------------------------------------------------------------------------------


def _weights(specs: Sequence[str] | None) -> dict[str, float]:
    """``["kernels=3", "padding"]`` -> ``{"kernels": 3.0, "padding": 1.0}``."""
    if not specs:
        return dict(PAGE_WEIGHTS)
    weights = {}
    for spec in specs:
        name, _, weight = spec.partition("=")
        weights[name] = float(weight) if weight else 1.0
    return weights


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=30, help="students in all (trainers included)")
    p.add_argument("--minutes", type=float, default=10.0, help="how long the lesson lasts")
    p.add_argument("--trainers", type=int, default=3, help="students who press Train")
    p.add_argument("--url", help="attach to a running server (localhost only)")
    p.add_argument("--repo", type=Path, default=REPO_ROOT, help="tree to serve (own server)")
    p.add_argument(
        "--server-arg", action="append", default=[], help="extra `streamlit run` argument"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--think", type=float, nargs=2, default=(3.0, 8.0), metavar=("MIN", "MAX"))
    p.add_argument("--switch", type=float, default=0.15, help="chance of a page change")
    p.add_argument("--timeout", type=float, default=60.0, help="s per interaction")
    p.add_argument("--train-timeout", type=float, default=600.0, help="s per training run")
    p.add_argument("--settle", type=float, default=180.0, help="s to watch RSS afterwards")
    p.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="no first visit of each page"
    )
    p.add_argument("--ramp", type=float, default=RAMP_S, help="arrivals spread over this (s)")
    p.add_argument("--margin", type=float, default=60.0, help="s past the lesson, then stop")
    p.add_argument("--pages", nargs="+", metavar="PAGE[=WEIGHT]", help="pages and weights")
    p.add_argument("--server-pid", type=int, help="whose RSS to read (default: found by port)")
    args = p.parse_args(argv)
    if args.url:
        try:
            ws_url(args.url)
        except ValueError as err:
            p.error(str(err))
    if args.students == 0:  # the warm-up visit alone
        args.trainers = 0
    if not 0 <= args.trainers <= args.students:
        p.error("--trainers must be between 0 and --students")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    config = ClassConfig(
        students=args.students,
        minutes=args.minutes,
        trainers=args.trainers,
        weights=_weights(args.pages),
        think_s=(min(args.think), max(args.think)),
        switch=args.switch,
        timeout_s=args.timeout,
        train_timeout_s=args.train_timeout,
        margin_s=args.margin,
        ramp_s=args.ramp,
        settle_s=args.settle,
        warmup=args.warmup,
        seed=args.seed,
    )
    if args.url:
        report = run_class_blocking(config, args.url.rstrip("/"), args.server_pid)
        print(format_report(report))
        return
    repo = args.repo.resolve()
    with (
        tempfile.TemporaryDirectory(prefix="class-load-") as logs,
        running_app(Path(logs), repo=repo, extra_args=args.server_arg) as url,
    ):
        print(f"server: {url} ({repo})", file=sys.stderr)
        report = run_class_blocking(config, url, args.server_pid)
    print(format_report(report))


if __name__ == "__main__":
    main()
