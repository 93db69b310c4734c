"""cnnplay.download.download_file: progress per chunk, the file in place, no partial file left."""

import urllib.request

from cnnplay.download import download_file


def test_download_reports_progress_and_fills_the_cache(monkeypatch, tmp_path):
    payload = b"x" * (3 * 2**20 + 5)

    class Response:
        headers = {"Content-Length": str(len(payload))}

        def __init__(self):
            self.offset = 0

        def read(self, n):
            chunk = payload[self.offset : self.offset + n]
            self.offset += len(chunk)
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Response())
    steps = []
    path = tmp_path / "checkpoints" / "w.pth"
    download_file("http://example/w.pth", path, lambda s, t, m: steps.append((s, t)))
    assert path.read_bytes() == payload
    assert steps[-1] == (len(payload), len(payload)) and len(steps) == 4
    assert not path.with_suffix(".pth.part").exists()
