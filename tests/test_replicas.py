"""deploy/nginx/cnnplay.conf in front of several replicas (benchmarks/replicas.py), on loopback.

- The configuration itself, in front of two tiny echo servers (about a second): nginx sets its
  cookie on a first request only, follows it on every later one, spreads new browsers over
  both replicas, passes the websocket upgrade headers and the Host with its port, and lets an
  upload the size of Streamlit's limit through.
- A class through it (about 40 s): two replicas of the real app (``streamlit run app.py``),
  twelve simulated browsers for 15 s. (a) Sessions spread over both replicas, by the replicas'
  own count; (b) no error and no exception; (c) every browser stayed on one replica: every
  request with its route key (the first one, then its cookie) went to one upstream.

Twelve browsers, not six: where each lands is random (that is the design), and all of them on
one replica has odds of 2 * 2**-12 = 1 in 2,000 (six: 1 in 32). The echo-server test checks the
spread deterministically enough (40 new browsers: 1 in 2**38).

nginx is a Debian package (``make test`` installs it when missing); without it these tests are
skipped with a message.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from benchmarks.class_load import ClassConfig
from benchmarks.replicas import (
    SITE_CONF,
    NginxError,
    format_replicas,
    nginx_binary,
    render_site,
    run_replicas,
    running_nginx,
)
from benchmarks.server import REPO_ROOT

COOKIE = re.compile(r"^cnnplay_replica=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax$")


@pytest.fixture
def nginx() -> str:
    try:
        return nginx_binary()
    except NginxError as err:
        pytest.skip(str(err))


class Echo(BaseHTTPRequestHandler):
    """Answers every GET / POST with its server's name and the request headers it received."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        left = int(self.headers.get("Content-Length", "0"))
        while left > 0 and (chunk := self.rfile.read(min(left, 1 << 20))):
            left -= len(chunk)
        self._answer()

    def _answer(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        name = self.server.name  # type: ignore[attr-defined]
        body = json.dumps({"name": name, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_servers() -> Iterator[list[str]]:
    """Two echo servers on loopback; yields their "127.0.0.1:PORT"."""
    servers = []
    for name in ("one", "two"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


def _request(url: str, headers: dict[str, str] | None = None, data: bytes | None = None):
    """(the echo's name, the headers it received, the Set-Cookie headers nginx answered)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, data, headers or {}), timeout=30) as response:
        echo = json.loads(response.read())
        return echo["name"], echo["headers"], response.headers.get_all("Set-Cookie") or []


def test_render_site_puts_in_the_replicas_and_keeps_the_rest(tmp_path):
    conf = SITE_CONF.read_text()
    log = tmp_path / "access.log"
    out = render_site(conf, ["127.0.0.1:1001", "127.0.0.1:1002"], "127.0.0.1:8080", log)
    assert "server 127.0.0.1:1001;" in out and "server 127.0.0.1:1002;" in out
    assert "server app1:8501;" in conf and "server app1:8501;" not in out
    assert "listen 127.0.0.1:8080;" in out and f"access_log {log} cnnplay_affinity;" in out
    assert "hash $cnnplay_route consistent;" in out and not re.search(r"^\s*ip_hash", out, re.M)
    limit = re.search(r"^\s*client_max_body_size (\d+)m;", out, re.MULTILINE)
    assert limit and int(limit.group(1)) >= 12  # .streamlit/config.toml: maxUploadSize = 12
    with pytest.raises(ValueError, match="replicas: begin"):
        render_site(conf.replace("# replicas: begin", ""), ["127.0.0.1:1"], "127.0.0.1:2", log)


def test_nginx_sets_its_cookie_once_and_follows_it(nginx, echo_servers, tmp_path):
    with running_nginx(echo_servers, tmp_path) as (url, access_log):
        port = urlparse(url).port
        # new browsers: a cookie each, spread over both replicas
        firsts = [_request(f"{url}/") for _ in range(40)]
        assert {name for name, _, _ in firsts} == {"one", "two"}
        for _, _, cookies in firsts:
            assert len(cookies) == 1 and COOKIE.match(cookies[0]), cookies
        # a browser with its cookie: the same replica every time, and no new cookie
        for first_name, _, cookies in firsts[:6]:
            cookie = cookies[0].split(";")[0]
            for path in ("/", "/media/abc.png", "/_stcore/host-config"):
                name, headers, set_cookie = _request(f"{url}{path}", {"Cookie": cookie})
                assert (name, set_cookie) == (first_name, [])
                assert headers["host"] == f"127.0.0.1:{port}"  # the port kept (Origin check)
                assert "connection" not in headers  # plain requests: keepalive to the replica
        # a websocket upgrade: HTTP/1.1 and the upgrade headers passed on
        _, headers, _ = _request(f"{url}/_stcore/stream", {"Upgrade": "websocket"})
        assert headers["upgrade"] == "websocket" and headers["connection"] == "upgrade"
        # an upload as big as Streamlit allows (12 MB) is not refused by nginx
        size = 12 * 2**20 + 4096  # the file and its multipart framing
        _, headers, _ = _request(f"{url}/_stcore/upload_file/s/f", data=bytes(size))
        assert int(headers["content-length"]) == size
    log = access_log.read_text()
    assert log.count("\troute=") == 40 + 6 * 3 + 2, log[-2000:]


@pytest.mark.timeout(120)
def test_a_class_spreads_over_two_replicas_and_each_browser_stays(nginx, tmp_path: Path):
    config = ClassConfig(
        students=12,
        minutes=0.25,
        trainers=0,
        weights={"kernels": 1.0, "padding": 1.0, "pooling": 1.0, "bottleneck_cost": 1.0},
        think_s=(2.0, 4.0),
        timeout_s=30.0,
        margin_s=20.0,
        ramp_s=2.0,
        seed=5,
    )
    result = run_replicas(config, 2, tmp_path)
    text = format_replicas(result)
    a = result.affinity
    replicas = result.replicas
    # (a) both replicas opened sessions, by their own count, and nginx counted the same
    assert all(r.connects > 0 for r in replicas), text
    assert sum(r.connects for r in replicas) == config.students, text
    for r in replicas:
        assert a.sessions[urlparse(r.url).netloc] == r.connects, text
    # (b) every interaction came back, with no error and no exception
    items = result.report.interactions
    assert items and all(i.latency_s is not None for i in items if not i.cut), text
    assert not [i for i in items if i.error or i.exceptions], text
    # (c) one route key per browser, each answered by one replica only; the websockets and
    # everything after the first page load carried the cookie
    assert len(a.routes) == config.students, text
    assert a.sticky == config.students and all(len(u) == 1 for u in a.routes.values()), text
    assert a.websockets_without_cookie == 0, text
    assert set(a.statuses) <= {"200", "101"}, text
    assert "answered by one replica only 12 of 12" in text


def test_the_kubernetes_manifest_pins_browsers_at_the_ingress():
    """deploy/k8s/cnnplay.yaml parses and says what the replicas need (no cluster here: its
    schema was checked with kubernetes-validate --strict when written, see deploy/README.md)."""
    docs = [d for d in yaml.safe_load_all((REPO_ROOT / "deploy/k8s/cnnplay.yaml").read_text()) if d]
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Deployment", "Service", "Ingress"}
    deployment, service, ingress = kinds["Deployment"], kinds["Service"], kinds["Ingress"]
    assert deployment["spec"]["replicas"] == 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "cnnplay:latest"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": 8501}
    assert container["resources"]["requests"]["memory"] == "2Gi"
    assert "sessionAffinity" not in service["spec"]  # useless behind the ingress (see its note)
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"] and int(notes[prefix + "session-cookie-max-age"])
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600
    assert int(notes[prefix + "proxy-body-size"].removesuffix("m")) >= 12
