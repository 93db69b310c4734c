"""Several replicas of the app behind nginx with cookie affinity, on loopback: the proof that
``deploy/nginx/cnnplay.conf`` spreads a class over the replicas and keeps each browser on one.

    python -m benchmarks.replicas                       # 2 replicas, 8 students, 1 minute
    python -m benchmarks.replicas --students 6 --minutes 2
    python -m benchmarks.replicas --replicas 3 --keep /tmp/replicas   # keep the logs there

1. Starts the replicas (``streamlit run app.py`` on free loopback ports, through
   ``benchmarks.server.running_app``) and warms each one directly: one visitor opens every page
   of the class once, as a teacher warms every replica before class.
2. Renders ``deploy/nginx/cnnplay.conf`` for loopback (:func:`render_site`: the replicas' ports,
   a loopback ``listen``, an access log in the temp dir) and runs nginx in the foreground
   (``daemon off``) with its prefix, pid, logs and temp files in a temp dir of its own.
3. Runs a class (``benchmarks/class_load.py``) through nginx. Each student is a browser for
   affinity (``benchmarks/student.py``): it loads ``/``, keeps the cookie nginx sets, and sends it
   on its websocket upgrade and on its image downloads (``/media/...``, ``fetch_media``).
4. Takes the evidence from both sides: each replica's own count of the sessions it opened
   (Streamlit's ``/_stcore/metrics``, ``session_events_total{type="connect"}``, before and after
   the class) and nginx's access log (per request: route key, cookie sent, replica that
   answered). It prints sessions and requests per replica, errors, latency p50 / p95, and
   whether every browser (route key) was answered by one replica only.

Needs nginx (Debian: ``apt-get install nginx``). Everything listens on 127.0.0.1; every wait
is bounded.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.class_load import (
    ClassConfig,
    ClassReport,
    _cpu_s,
    _listening_pid,
    _rss_mb,
    _tree,
    format_report,
    percentile,
    run_class_blocking,
)
from benchmarks.server import REPO_ROOT, free_port, running_app, stop
from benchmarks.student import Behaviour

SITE_CONF = REPO_ROOT / "deploy" / "nginx" / "cnnplay.conf"
REPLICAS_BEGIN, REPLICAS_END = "# replicas: begin", "# replicas: end"
LISTEN = "listen 80;"
ACCESS_LOG = "/var/log/nginx/cnnplay.access.log"
NGINX_START_S = 15.0  # nginx answers on its port within this, or the run stops
NGINX_ATTEMPTS = 3  # a free port can be taken between our probe and nginx's bind
LOG_WAIT_S = 15.0  # nginx writes a websocket's line when it closes: wait this long for them
LIGHT_PAGES = {"kernels": 3.0, "padding": 3.0, "pooling": 3.0, "bottleneck_cost": 1.5}
CONNECTS = re.compile(r'^session_events_total\{type="connect"\} (\d+)', re.MULTILINE)


class NginxError(RuntimeError):
    """nginx is missing or could not start; the message holds its output."""


# -- the nginx configuration -------------------------------------------------------------------


def render_site(conf: str, upstreams: Sequence[str], listen: str, access_log: Path) -> str:
    """``deploy/nginx/cnnplay.conf`` with the replicas ``upstreams`` ("127.0.0.1:PORT"), the
    ``listen`` address ("127.0.0.1:PORT") and the access log path put in. Raises ValueError when
    a part to replace is not found exactly once (the file changed: keep its markers)."""
    for part in (REPLICAS_BEGIN, REPLICAS_END, LISTEN, ACCESS_LOG):
        if conf.count(part) != 1:
            raise ValueError(f"{SITE_CONF.name}: expected {part!r} exactly once")
    head, rest = conf.split(REPLICAS_BEGIN)
    _, tail = rest.split(REPLICAS_END)
    indent = head[head.rfind("\n") + 1 :]  # what precedes the begin marker on its line
    servers = "".join(f"{indent}server {u};\n" for u in upstreams)
    conf = f"{head}{REPLICAS_BEGIN}\n{servers}{indent}{REPLICAS_END}{tail}"
    return conf.replace(LISTEN, f"listen {listen};").replace(ACCESS_LOG, str(access_log))


def main_conf(prefix: Path, site: Path) -> str:
    """A whole nginx.conf for a foreground nginx whose files all live under ``prefix``."""
    # as root, the workers would switch to "nobody", who cannot enter this private temp dir
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "# written by benchmarks/replicas.py for the loopback proof\n"
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} notice;\n"
        "events { worker_connections 512; }\n"
        f"http {{\n{temp}    include {site};\n}}\n"
    )


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(found):
        raise NginxError("nginx is not installed (Debian: apt-get install nginx)")
    return found


def _answers(port: int) -> bool:
    """Something accepts TCP connections on 127.0.0.1:port (no HTTP request: no log line)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def running_nginx(upstreams: Sequence[str], work: Path) -> Iterator[tuple[str, Path]]:
    """nginx in the foreground on a free loopback port with ``deploy/nginx/cnnplay.conf`` in
    front of ``upstreams``; yields its URL and its access log; stops it afterwards."""
    binary = nginx_binary()
    work.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for attempt in range(1, NGINX_ATTEMPTS + 1):
        port = free_port()
        prefix = work / f"nginx-{attempt}"
        prefix.mkdir()
        access_log = prefix / "access.log"
        site = prefix / "cnnplay.conf"
        listen = f"127.0.0.1:{port}"
        site.write_text(render_site(SITE_CONF.read_text(), upstreams, listen, access_log))
        conf = prefix / "nginx.conf"
        conf.write_text(main_conf(prefix, site))
        output = prefix / "nginx.out"
        command = [binary, "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "error.log"),
                   "-g", "daemon off;"]  # fmt: skip
        with open(output, "wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + NGINX_START_S
        while process.poll() is None and time.monotonic() < deadline and not _answers(port):
            time.sleep(0.1)
        if process.poll() is None and _answers(port):
            try:
                yield f"http://127.0.0.1:{port}", access_log
            finally:
                stop(process)
            return
        stop(process)
        said = output.read_text(errors="replace")
        with contextlib.suppress(OSError):
            said += (prefix / "error.log").read_text(errors="replace")
        failures.append(f"attempt {attempt}, port {port}: `{' '.join(command)}`:\n{said}")
        if "Address already in use" not in said:
            break
    raise NginxError("nginx could not start.\n" + "\n".join(failures))


# -- the evidence ------------------------------------------------------------------------------


def session_connects(url: str) -> int:
    """How many sessions the replica at ``url`` has opened since it started (its own count)."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as response:
        text = response.read().decode()
    found = CONNECTS.search(text)
    if found is None:
        raise RuntimeError(f"{url}/_stcore/metrics has no session_events_total connect count")
    return int(found.group(1))


def read_access_log(path: Path) -> list[dict[str, str]]:
    """The lines of the ``cnnplay_affinity`` log format: tab-separated ``key=value`` fields."""
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        fields = dict(f.split("=", 1) for f in line.split("\t") if "=" in f)
        if "route" in fields:
            lines.append(fields)
    return lines


def _upstreams(field: str) -> list[str]:
    """``$upstream_addr``: "a", or "a, b" when nginx tried a second replica, "-" for none."""
    return [u for u in re.split(r"\s*[,:]\s+", field) if u and u != "-"]


@dataclass
class Affinity:
    """What nginx's access log says: who answered each browser."""

    routes: dict[str, set[str]]  # route key (one per browser) -> the replicas that answered it
    requests: Counter[str]  # replica -> requests it answered (websockets included)
    sessions: Counter[str]  # replica -> websocket sessions (status 101)
    media: Counter[str]  # replica -> /media/ downloads
    websockets_without_cookie: int  # websocket upgrades that came without the cookie
    statuses: Counter[str]  # HTTP status -> requests

    @property
    def sticky(self) -> int:
        """Browsers answered by one replica only."""
        return sum(1 for replicas in self.routes.values() if len(replicas) == 1)


def affinity(lines: Sequence[dict[str, str]]) -> Affinity:
    routes: dict[str, set[str]] = defaultdict(set)
    requests, sessions, media, statuses = Counter(), Counter(), Counter(), Counter()
    without_cookie = 0
    for line in lines:
        replicas = _upstreams(line.get("upstream", "-"))
        routes[line["route"]].update(replicas)
        statuses[line.get("status", "?")] += 1
        for replica in replicas:
            requests[replica] += 1
        if line.get("status") == "101":
            sessions.update(replicas[-1:])
            without_cookie += line.get("cookie", "") != line["route"]
        elif line.get("uri", "").startswith("/media/"):
            media.update(replicas[-1:])
    return Affinity(dict(routes), requests, sessions, media, without_cookie, statuses)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class BrowserClass(ClassConfig):
    """A class whose students also download the images on screen, as browsers do."""

    def behaviour(self) -> Behaviour:
        return dataclasses.replace(super().behaviour(), fetch_media=True)


@dataclass
class Replica:
    """One replica: its URL and what it measured of itself."""

    url: str
    pid: int | None  # its streamlit process (None: not found)
    first_visits: dict[str, float | None] = field(default_factory=dict)  # warm-up: page -> s
    connects: int = 0  # sessions it opened during the class (its own count)
    cpu_s: float | None = None  # its CPU time during the class
    rss_mb: float | None = None  # its RSS (process tree) when the class ended


@dataclass
class ReplicasReport:
    """The class through nginx and the evidence of where every browser went."""

    nginx_url: str
    replicas: list[Replica]
    report: ClassReport
    affinity: Affinity


def run_replicas(config: ClassConfig, replicas: int, work: Path) -> ReplicasReport:
    """Start ``replicas`` app servers and nginx under ``work``, warm each replica, run the class
    ``config`` through nginx (warm-up off: the replicas were warmed directly)."""
    config = BrowserClass(**{**dataclasses.asdict(config), "warmup": False, "settle_s": 0.0})
    with contextlib.ExitStack() as stack:
        urls = [
            stack.enter_context(running_app(work / f"replica-{i}")) for i in range(1, replicas + 1)
        ]
        found = [_listening_pid(urlparse(u).port or 80) for u in urls]
        servers = [Replica(u, pid) for u, pid in zip(urls, found, strict=True)]
        # one visitor each, straight to the replica (not through nginx), all at once
        warm_up = ClassConfig(students=0, trainers=0, weights=config.weights, settle_s=0.0)
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            visits = pool.map(lambda s: run_class_blocking(warm_up, s.url, 0), servers)
            for server, visited in zip(servers, visits, strict=True):
                server.first_visits = visited.first_visits
        nginx_url, access_log = stack.enter_context(
            running_nginx([urlparse(u).netloc for u in urls], work / "nginx")
        )
        before = [session_connects(s.url) for s in servers]
        cpu0 = [_cpu_s(_tree(s.pid)) if s.pid else None for s in servers]
        report = run_class_blocking(config, nginx_url, 0)  # 0: nginx's own RSS is not of interest
        for server, b, c in zip(servers, before, cpu0, strict=True):
            server.connects = session_connects(server.url) - b
            pids = _tree(server.pid) if server.pid else []
            server.cpu_s = None if c is None else _cpu_s(pids) - c
            server.rss_mb = _rss_mb(pids) if pids else None
        sessions = sum(s.connects for s in servers)
        deadline = time.monotonic() + LOG_WAIT_S
        lines = read_access_log(access_log)
        while sum(line.get("status") == "101" for line in lines) < sessions:
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)
            lines = read_access_log(access_log)
    return ReplicasReport(nginx_url, servers, report, affinity(lines))


# -- the table ---------------------------------------------------------------------------------


def _ms(values: Sequence[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f}" if values else "-"


def format_replicas(r: ReplicasReport) -> str:
    """The short table: per replica, then the class and the stickiness."""
    cfg = r.report.config
    items = [i for i in r.report.interactions if not i.cut]
    latencies = [i.latency_s for i in items if i.latency_s is not None]
    errors = sum(1 for i in items if i.error)
    exceptions = sum(len(i.exceptions) for i in items)
    a = r.affinity
    header = (
        f"{'replica':<24}{'sessions':>9}{'(nginx)':>9}{'requests':>10}{'media':>7}"
        f"{'CPU s':>8}{'RSS MB':>8}"
    )
    lines = [
        f"{cfg.students} students for {cfg.minutes:g} min through nginx at {r.nginx_url}, "
        f"{len(r.replicas)} replicas, cookie affinity (deploy/nginx/cnnplay.conf)",
        "sessions: the replica's own count (/_stcore/metrics); (nginx): websockets in its log",
        "",
        header,
        "-" * len(header),
    ]
    for s in r.replicas:
        key = urlparse(s.url).netloc
        cpu = "-" if s.cpu_s is None else f"{s.cpu_s:.1f}"
        rss = "-" if s.rss_mb is None else f"{s.rss_mb:.0f}"
        lines.append(
            f"{s.url:<24}{s.connects:>9}{a.sessions[key]:>9}{a.requests[key]:>10}"
            f"{a.media[key]:>7}{cpu:>8}{rss:>8}"
        )
    lines += [
        "-" * len(header),
        f"{'all':<24}{sum(s.connects for s in r.replicas):>9}{sum(a.sessions.values()):>9}"
        f"{sum(a.requests.values()):>10}{sum(a.media.values()):>7}",
        "",
        f"interactions {len(items)}, errors {errors}, exceptions {exceptions}, "
        f"latency p50 {_ms(latencies, 50)} ms, p95 {_ms(latencies, 95)} ms",
        f"browsers (route keys) {len(a.routes)}: answered by one replica only {a.sticky} of "
        f"{len(a.routes)}; websockets without the cookie {a.websockets_without_cookie}; "
        f"HTTP statuses {dict(sorted(a.statuses.items()))}",
    ]
    for s in r.replicas:
        visits = ", ".join(
            f"{p} {'failed' if v is None else f'{v:.1f} s'}" for p, v in s.first_visits.items()
        )
        lines.append(f"warm-up of {s.url}: {visits}")
    return "\n".join(lines)


# -- the command -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2, help="app servers behind nginx")
    p.add_argument("--students", type=int, default=8, help="simulated browsers")
    p.add_argument("--minutes", type=float, default=1.0, help="how long the lesson lasts")
    p.add_argument("--trainers", type=int, default=0, help="students who press Train")
    p.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    p.add_argument("--ramp", type=float, default=5.0, help="arrivals spread over this (s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pages", nargs="+", metavar="PAGE[=WEIGHT]", help="pages and weights")
    p.add_argument("--keep", type=Path, help="keep the servers' and nginx's files here")
    p.add_argument("--full", action="store_true", help="also print class_load's own report")
    args = p.parse_args(argv)
    if args.replicas < 1 or args.students < 1 or not 0 <= args.trainers <= args.students:
        p.error("need --replicas >= 1, --students >= 1, 0 <= --trainers <= --students")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    weights = LIGHT_PAGES
    if args.pages:
        weights = {n: float(w or 1) for n, _, w in (s.partition("=") for s in args.pages)}
    config = ClassConfig(
        students=args.students,
        minutes=args.minutes,
        trainers=args.trainers,
        weights=weights,
        think_s=(min(args.think), max(args.think)),
        ramp_s=args.ramp,
        margin_s=30.0,
        seed=args.seed,
    )
    with contextlib.ExitStack() as stack:
        if args.keep:  # a fresh folder per run: an old access log would mix in
            work = args.keep.resolve() / time.strftime("%Y%m%d-%H%M%S")
            work.mkdir(parents=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="replicas-")))
        try:
            result = run_replicas(config, args.replicas, work)
        except NginxError as err:
            sys.exit(str(err))
    if args.full:
        print(format_report(result.report), end="\n\n")
    print(format_replicas(result))


if __name__ == "__main__":
    main()
