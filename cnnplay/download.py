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


def download_checked(
    mirror: str,
    md5: dict[str, str],
    folder: Path,
    error: type[Exception],
    offline: str,
    on_progress: ProgressFn | None = None,
) -> Path:
    """Download every file named in ``md5`` (file name -> its published MD5) from ``mirror``
    (a URL ending in "/") into ``folder``, skipping files already there, and check each against
    its MD5 (a damaged file is deleted). ``on_progress(files_done, n, {"file": name, "MB": ...})``
    with a fractional ``files_done`` during a file. Returns ``folder``. Raises ``error`` with a
    message for the user: ``offline`` with ``{err}`` replaced by the reason when a download
    fails, or a damaged-file message."""
    import hashlib
    import urllib.error

    names = list(md5)
    for number, name in enumerate(names, start=1):
        path = folder / name
        if not path.is_file():

            def file_progress(done: int, total: int, m: dict, name=name, number=number) -> None:
                if on_progress is not None:
                    on_progress(number - 1 + done / max(total, 1), len(names), {"file": name, **m})

            try:
                download_file(mirror + name, path, file_progress)
            except (urllib.error.URLError, OSError, TimeoutError) as err:
                raise error(offline.format(err=err)) from err
        if hashlib.md5(path.read_bytes()).hexdigest() != md5[name]:
            path.unlink()
            raise error(f"The downloaded {name} is damaged (checksum); try again.")
        if on_progress is not None:
            on_progress(number, len(names), {"file": name})
    return folder
