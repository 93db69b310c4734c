"""The user's own classes: per-class uploads and zips, bad files listed and skipped, limits."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from cnnplay.data.image_folders import DatasetError, UploadLimits, build_set, read_zip
from tests.views.apptest_utils import png_bytes

GOOD = png_bytes()


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_per_class_uploads_skip_bad_files_and_keep_the_rest():
    data, rejected = build_set(
        {
            "cats": [("a.png", GOOD), ("b.png", GOOD), ("bad.png", b"nope")],
            "dogs": [("c.png", GOOD)] * 3,
        },
        UploadLimits(side=32),
    )
    assert data.classes == ("cats", "dogs") and data.images.shape == (5, 32, 32, 3)
    assert data.labels.tolist() == [0, 0, 1, 1, 1]
    assert [r.file for r in rejected] == ["bad.png"] and "not a supported image" in rejected[
        0
    ].reason


def test_too_few_classes_or_images_is_a_clear_error():
    with pytest.raises(DatasetError, match="at least 2 classes"):
        build_set({"cats": [("a.png", GOOD)] * 3, "dogs": [("x.png", b"bad")] * 3})
    with pytest.raises(DatasetError, match="at most 3"):
        build_set({str(k): [("a.png", GOOD)] * 2 for k in range(4)}, UploadLimits(max_classes=3))
    data, rejected = build_set(
        {"a": [("a.png", GOOD)] * 3, "b": [("b.png", GOOD)] * 3}, UploadLimits(max_images=5)
    )
    assert len(data) == 5 and len(rejected) == 1 and "limit of 5" in rejected[0].reason


def test_zip_with_folders_per_class_and_an_enclosing_folder():
    entries = {f"pets/{c}/{i}.png": GOOD for c in ("dog", "cat") for i in range(3)}
    entries["pets/cat/notes.txt"] = b"hello"
    entries["__MACOSX/pets/cat/._0.png"] = b"junk"
    entries["pets/.DS_Store"] = b"junk"
    data, rejected = read_zip(_zip(entries), UploadLimits(side=24))
    assert data.classes == ("cat", "dog") and np.bincount(data.labels).tolist() == [3, 3]
    assert [r.file for r in rejected] == ["pets/cat/notes.txt"]


def test_zip_bombs_and_non_zips_are_refused():
    with pytest.raises(DatasetError, match="not a zip"):
        read_zip(b"plain text")
    bomb = {
        "a/big.png": b"\0" * (3 * 2**20),
        **{f"a/{i}.png": GOOD for i in range(2)},
        **{f"b/{i}.png": GOOD for i in range(2)},
    }
    data, rejected = read_zip(_zip(bomb))
    assert len(data) == 4 and "zip bomb" in rejected[0].reason
    with pytest.raises(DatasetError, match="unpack to"):
        read_zip(_zip(bomb), UploadLimits(max_unpacked_bytes=2**20))
    with pytest.raises(DatasetError, match="entries"):
        read_zip(_zip({f"a/{i}.png": GOOD for i in range(5)}), UploadLimits(max_zip_entries=3))
