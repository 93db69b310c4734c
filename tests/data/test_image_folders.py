"""The user's own classes: per-class uploads and zips, bad files listed and skipped, limits;
hostile zips (bombs, lying headers, 10,000 entries, absolute or climbing names, nested and
damaged zips) refused or skipped with a clear message, within seconds and in bounded memory."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
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


# --- hostile zips: a clear message, within seconds, in bounded memory ---------------------

LIMITS = UploadLimits(side=24)
GUARD_S = 10.0  # a guard against hangs, not a speed test
GOOD_CLASSES = {f"{c}/{i}.png": GOOD for c in ("a", "b") for i in range(2)}


def measured(call):
    """(what ``call()`` returned or raised, seconds, tracemalloc peak in bytes)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = call()
    except DatasetError as err:
        outcome = err
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{seconds:.3f} s, peak {peak / 2**20:.2f} MB")  # shown with pytest -s
    return outcome, seconds, peak


def _patch_sizes(data: bytes, name: str, file_size: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten in both its local header and its
    central directory entry: a header that lies."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info, start_dir = z.getinfo(name), z.start_dir
    struct.pack_into("<L", out, info.header_offset + 22, file_size)  # local header
    at = start_dir
    while out[at : at + 4] == b"PK\x01\x02":  # central directory entries
        n, m, k = struct.unpack_from("<3H", out, at + 28)
        if bytes(out[at + 46 : at + 46 + n]).decode() == name:
            struct.pack_into("<L", out, at + 24, file_size)
        at += 46 + n + m + k
    return bytes(out)


def test_a_zip_bomb_declaring_300_mb_is_refused_before_unpacking():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("a/bomb.png")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as entry:
            chunk = bytes(2**20)
            for _ in range(300):  # 300 MB of zeros, about 300 KB compressed
                entry.write(chunk)
        for name, data in GOOD_CLASSES.items():
            z.writestr(name, data)
    bomb = buf.getvalue()
    assert len(bomb) < 2 * 2**20
    err, seconds, peak = measured(lambda: read_zip(bomb, LIMITS))
    assert isinstance(err, DatasetError)
    assert "would unpack to 300 MB; at most 200 MB are allowed" in str(err)
    assert "Zip fewer or smaller images" in str(err)
    assert seconds < GUARD_S and peak < 2 * len(bomb)  # nothing was unpacked


def test_a_header_lying_about_the_size_cannot_inflate_memory():
    true_size = 3 * LIMITS.max_file_bytes  # 30 MB of zeros, about 30 KB deflated
    honest = _zip({"a/bomb.png": bytes(true_size), **GOOD_CLASSES})
    lying = _patch_sizes(honest, "a/bomb.png", 10_000)  # ratio 0.3: passes the header checks
    with zipfile.ZipFile(io.BytesIO(lying)) as z:
        info = z.getinfo("a/bomb.png")
        assert info.file_size == 10_000 and info.compress_size < true_size / 500
    (data, rejected), seconds, peak = measured(lambda: read_zip(lying, LIMITS))
    assert data.classes == ("a", "b") and len(data) == 4  # the honest entries are kept
    assert [r.file for r in rejected] == ["a/bomb.png"]
    assert rejected[0].reason.startswith("could not be unpacked (Bad CRC-32")
    assert seconds < GUARD_S and peak < LIMITS.max_file_bytes  # far below the 30 MB inside


def test_ten_thousand_tiny_files_are_refused_with_the_count():
    many = _zip({f"a/{i}.png": b"" for i in range(10_000)}, zipfile.ZIP_STORED)
    err, seconds, peak = measured(lambda: read_zip(many, LIMITS))
    assert isinstance(err, DatasetError)
    assert str(err).startswith("The zip lists 10,000 entries; at most 2,000 are allowed")
    assert seconds < GUARD_S and peak < len(many)  # the directory was never parsed


def test_an_end_record_lying_about_the_entry_count_is_still_refused():
    names = {f"a/{i:08d}-{'x' * 40}.png": b"" for i in range(30_000)}
    patched = bytearray(_zip(names, zipfile.ZIP_STORED))
    end = patched.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", patched, end + 8, 5, 5)  # "5 entries"; the directory holds 30,000
    many = bytes(patched)
    err, seconds, peak = measured(lambda: read_zip(many, LIMITS))
    assert isinstance(err, DatasetError)
    assert str(err).startswith("The zip lists too many entries; at most 2,000 are allowed")
    assert seconds < GUARD_S and peak < len(many) / 4
    few_but_lying = bytearray(_zip(dict(list(names.items())[:3000]), zipfile.ZIP_STORED))
    end = few_but_lying.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", few_but_lying, end + 8, 5, 5)  # small directory: parsed, counted
    with pytest.raises(DatasetError, match="lists 3,000 entries; at most 2,000"):
        read_zip(bytes(few_but_lying), LIMITS)


@pytest.mark.parametrize(
    "name",
    ["../../x.png", "a/../../x.png", "/abs/x.png", "C:\\x.png", "C:/b/x.png", "\\\\srv\\b\\x"],
)
def test_absolute_and_climbing_names_are_skipped_and_nothing_is_written(
    name, tmp_path, monkeypatch
):
    def no_extract(*args, **kwargs):
        raise AssertionError("read_zip must never extract to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", no_extract)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", no_extract)
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    before = {p for p in tmp_path.rglob("*")}
    data, rejected = read_zip(_zip({**GOOD_CLASSES, name: GOOD}), LIMITS)
    assert data.classes == ("a", "b") and len(data) == 4  # no class "abs", "C:" or ".."
    assert [r.file for r in rejected] == [name]
    assert "an absolute path or one with “..”" in rejected[0].reason
    assert {p for p in tmp_path.rglob("*")} == before
    assert not (tmp_path / "x.png").exists() and not (work / "x.png").exists()


def test_zips_inside_the_zip_are_skipped_with_a_reason():
    inner = _zip(GOOD_CLASSES)
    data, rejected = read_zip(
        _zip({**GOOD_CLASSES, "a/more.zip": inner, "b/renamed.png": inner, "extra.ZIP": inner}),
        LIMITS,
    )
    assert len(data) == 4
    assert sorted(r.file for r in rejected) == ["a/more.zip", "b/renamed.png", "extra.ZIP"]
    assert all(r.reason.startswith("a zip inside the zip is not opened") for r in rejected)
    with pytest.raises(DatasetError, match=r"holds another zip \(photos.zip\).*Unzip it"):
        read_zip(_zip({"photos.zip": inner}), LIMITS)


def test_a_zip_without_class_folders_says_how_to_make_one():
    with pytest.raises(DatasetError, match="no images inside class folders.*a folder of its own"):
        read_zip(_zip({"1.png": GOOD, "2.png": GOOD}), LIMITS)


def test_truncated_and_damaged_zips_get_a_message_not_a_crash():
    whole = _zip({f"{c}/{i}.png": png_bytes(value=100 + i) for c in ("a", "b") for i in range(3)})
    for cut in (whole[: len(whole) // 2], whole[:-10], b"PK\x03\x04" + bytes(100)):
        err, seconds, _ = measured(lambda cut=cut: read_zip(cut, LIMITS))
        assert isinstance(err, DatasetError) and "not a zip archive (or it is damaged)" in str(err)
        assert seconds < GUARD_S
    damaged = bytearray(whole)
    with zipfile.ZipFile(io.BytesIO(whole)) as z:
        info = z.getinfo("a/0.png")
        start = info.header_offset + 30 + len(info.filename)  # its deflated bytes
    damaged[start : start + info.compress_size] = bytes(info.compress_size)  # zeros: bad stream
    data, rejected = read_zip(bytes(damaged), LIMITS)
    assert len(data) == 5 and [r.file for r in rejected] == ["a/0.png"]
    assert rejected[0].reason.startswith("could not be unpacked")


def _counts(data) -> list[int]:
    return np.bincount(data.labels, minlength=len(data.classes)).tolist()


def test_the_image_cap_is_shared_fairly_between_the_classes():
    small = UploadLimits(side=8)  # the real cap of 400, tiny images
    data, rejected = build_set({"a": [("a.png", GOOD)] * 450, "b": [("b.png", GOOD)] * 450}, small)
    assert data.classes == ("a", "b") and _counts(data) == [200, 200]  # was: 1 usable class
    assert len(rejected) == 500 and all("limit of 400" in r.reason for r in rejected)
    assert any("shared fairly" in n and "a 200, b 200" in n for n in data.notes)
    data, _ = build_set({"a": [("a.png", GOOD)] * 250, "b": [("b.png", GOOD)] * 250}, small)
    assert _counts(data) == [200, 200]  # was: 250 / 150
    data, rejected = build_set({"a": [("a.png", GOOD)] * 450, "b": [("b.png", GOOD)] * 100}, small)
    assert _counts(data) == [300, 100]  # a small class leaves its share to the others
    data, _ = build_set(
        {"a": [("a.png", GOOD)] * 3, "b": [("b.png", GOOD)] * 50, "c": [("c.png", GOOD)] * 50},
        UploadLimits(side=8, max_images=40),
    )
    assert _counts(data) == [3, 19, 18]  # turns: a, b, c, a, b, c, ... b, c, b
    data, rejected = build_set(
        {"a": [("a.png", GOOD)] * 5, "b": [("x.png", b"bad")] * 3 + [("b.png", GOOD)] * 5},
        UploadLimits(side=8, max_images=6),
    )
    assert _counts(data) == [3, 3]  # bad files do not count against a class's turns
    assert [r.file for r in rejected].count("x.png") == 3
    data, rejected = build_set(
        {"a": [("a.png", GOOD)] * 3, "b": [("b.png", GOOD)] * 3}, UploadLimits(side=8)
    )
    assert _counts(data) == [3, 3] and not rejected and not data.notes  # under the cap


def test_a_zips_files_past_the_cap_are_named_but_never_unpacked():
    entries = {f"{c}/{i}.png": GOOD for c in ("cat", "dog") for i in range(4)}
    damaged = bytearray(_zip(entries, zipfile.ZIP_STORED))
    at = damaged.rfind(GOOD[-20:])  # the last dog's bytes: its CRC no longer matches
    damaged[at] ^= 0xFF
    data, rejected = read_zip(bytes(damaged), UploadLimits(side=8, max_images=4))
    assert _counts(data) == [2, 2]
    assert {r.file: r.reason for r in rejected}["dog/3.png"].startswith("over the limit of 4")
    _, rejected = read_zip(bytes(damaged), UploadLimits(side=8))  # read: the damage shows
    assert "could not be unpacked" in {r.file: r.reason for r in rejected}["dog/3.png"]
