"""Fixtures the page tests share."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """What the page's download buttons offer, by file name (filled in as the page runs)."""
    offered: dict[str, bytes] = {}
    add = MediaFileManager.add

    def recording(self, data, mimetype, coordinates, file_name=None, *rest, **kw):
        if file_name is not None:
            offered[file_name] = data.encode() if isinstance(data, str) else bytes(data)
        return add(self, data, mimetype, coordinates, file_name, *rest, **kw)

    monkeypatch.setattr(MediaFileManager, "add", recording)
    return offered
