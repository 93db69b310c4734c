"""Start `streamlit run app.py` on a free localhost port for a measurement or a browser test.

Shared by the browser tests (tests/e2e/conftest.py) and the browser benchmarks, so both see the
server a user would: the README's command with the repository's .streamlit/config.toml.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 90.0
PORT_ATTEMPTS = 3  # a free port can be taken between our probe and streamlit's bind


class ServerError(RuntimeError):
    """The server could not be started; the message holds its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def running_app(
    log_dir: Path,
    repo: Path = REPO_ROOT,
    extra_args: Sequence[str] = (),
    script: str = "app.py",
) -> Iterator[str]:
    """Run ``streamlit run <script>`` in ``repo`` on 127.0.0.1 and a free port; yield its base
    URL (no trailing slash); stop it afterwards. The log goes to ``log_dir/server-N.log``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    failures: list[str] = []
    server: subprocess.Popen | None = None
    url = ""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = log_dir / f"server-{attempt}.log"
        command = [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            # others may edit the sources while it runs: no watcher, no reruns on save
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            *extra_args,
        ]  # fmt: skip
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            if healthy(url):
                server = process
                break
            time.sleep(0.25)
        if server is not None:
            break
        died = process.poll() is not None
        stop(process)
        output = log_path.read_text(errors="replace")
        reason = (
            f"exited with code {process.returncode}"
            if died
            else f"was not healthy after {STARTUP_TIMEOUT_S:.0f} s"
        )
        failures.append(
            f"attempt {attempt}, port {port}: `{' '.join(command[1:])}` {reason}. "
            f"Its output:\n{output}"
        )
        if "is not available" not in output:  # only a lost race for the port is worth a retry
            break
    if server is None:
        raise ServerError("streamlit could not start.\n" + "\n".join(failures))
    try:
        yield url
    finally:
        stop(server)
