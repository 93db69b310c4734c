"""What the browser tests' server may print: nothing but its start-up and shutdown lines.

A page can work in the browser and still go wrong on the server: a warning from a widget (such
as Streamlit's "created with a default value but also had its value set via the Session State
API"), a deprecation, an exception logged and swallowed. ``streamlit run``'s output goes to a log
file (benchmarks.server.running_app), in the format of :data:`SERVER_ARGS` (Streamlit's own
prints only the time and the message: a warning would not say it is one); :class:`ServerLog`
reads what each test added to it and :func:`problems` picks out the lines that fail the test.
"""

from __future__ import annotations

import re
from pathlib import Path

SERVER_ARGS = (  # `streamlit run` arguments: every line of Streamlit's loggers names its level
    "--logger.messageFormat",
    "%(asctime)s %(levelname)s %(name)s: %(message)s",
)
PROBLEMS = (  # a line matching any of these fails the test
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"\w*Warning:"),  # Python warnings: "file.py:12: DeprecationWarning: ..."
    re.compile(r"\b(WARNING|ERROR|CRITICAL)\b"),  # Streamlit's loggers: "<time> WARNING name: ..."
    re.compile(r"created with a default value but also had its value set via the Session State"),
)
ALLOWED: tuple[re.Pattern[str], ...] = ()  # harmless lines that would match PROBLEMS, each with
# the reason it is harmless; none so far: a clean start and shutdown print only an INFO line
# ("Uvicorn server started on ..."), "You can now view your Streamlit app", its URL, and
# "Stopping...".
TRACEBACK_LINES = 40  # lines of a traceback shown after its first line, at most


def problems(log: str) -> list[str]:
    """The lines of a server log that show a traceback, a warning or an error, not ALLOWED.

    log: the log's text. Returns one entry per problem: the line itself, or for a traceback its
    first line and what follows it (the frames up to and including the exception's line, at
    most TRACEBACK_LINES)."""
    lines = log.splitlines()
    found: list[str] = []
    n = 0
    while n < len(lines):
        line = lines[n]
        n += 1
        if not any(p.search(line) for p in PROBLEMS) or any(a.search(line) for a in ALLOWED):
            continue
        block = [line]
        if "Traceback (most recent call last)" in line:
            while n < len(lines) and len(block) <= TRACEBACK_LINES:
                block.append(lines[n])
                n += 1
                if block[-1] and not block[-1][0].isspace():  # the exception's own line
                    break
        found.append("\n".join(block))
    return found


class ServerLog:
    """A running server's log file, read piece by piece: each :meth:`new_problems` checks only
    what was written since the previous call (whole lines; a line still being written waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path  # the log file, e.g. <tmp>/server-1.log
        self.read_up_to = 0  # bytes already checked

    def new_problems(self) -> list[str]:
        """Problems (see :func:`problems`) in the lines written since the last call."""
        with open(self.path, "rb") as log:
            log.seek(self.read_up_to)
            data = log.read()
        end = data.rfind(b"\n") + 1
        self.read_up_to += end
        return problems(data[:end].decode(errors="replace"))

    def report(self, found: list[str]) -> str:
        """A failure message listing ``found``."""
        shown = "\n---\n".join(found)
        return f"the server's log ({self.path}) has {len(found)} warning(s) or error(s):\n{shown}"
