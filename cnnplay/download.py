"""Downloads with progress: the online options' one way to fetch a file (weights, datasets).

Nothing calls this by default: every page works offline, and a download starts only from a
button that says what it fetches.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from cnnplay.progress import ProgressFn

CHUNK_BYTES = 1 << 20  # download chunk
TIMEOUT_S = 20  # network timeout for one read


def download_file(url: str, path: Path, on_progress: ProgressFn | None = None) -> None:
    """Fetch ``url`` to ``path`` with progress (``on_progress(bytes, total, {"MB": ...})``),
    through a temporary file, so an interrupted download leaves nothing half-written.

    Raises ``urllib.error.URLError`` / ``OSError`` / ``TimeoutError`` when the network fails;
    callers turn those into a message for the user."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_suffix(path.suffix + ".part")
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        with open(partial_path, "wb") as out:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, max(total, done), {"MB": done / 2**20})
    partial_path.replace(path)
