"""The user's own classes: images uploaded per class, or one zip with a folder per class.

Every file goes through :func:`cnnplay.images.load_image`; a file that fails is listed with its
reason and skipped, and the rest is kept. Limits (:class:`UploadLimits`) bound what one session
can hold. Zips are read defensively: entries are counted, declared sizes and compression ratios
checked (the entry count from the end record, before the directory is parsed), and each entry
is read with a hard byte cap, one at a time while it is decoded (so a lying header cannot
inflate memory); paths are only used as names (nothing is written to disk); absolute names,
``..`` and zips inside the zip are skipped with a reason.
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

from cnnplay.data.labelled import LabelledImages, square
from cnnplay.images import MAX_FILE_BYTES, ImageError, load_image


@dataclass(frozen=True)
class UploadLimits:
    min_classes: int = 2  # fewer classes: nothing to tell apart
    max_classes: int = 10  # more: the page's tables and confusion matrix get unreadable
    min_per_class: int = 2  # one image for training and one for validation at least
    max_images: int = 400  # all classes together; later files are skipped with a note
    max_file_bytes: int = MAX_FILE_BYTES  # one image file
    max_zip_entries: int = 2000  # files and folders listed in a zip
    max_unpacked_bytes: int = 200 * 2**20  # sum of a zip's uncompressed sizes
    max_ratio: float = 200.0  # uncompressed / compressed size of one entry (zip bombs)
    side: int = 128  # every image is centre-cropped and resized to side × side


class DatasetError(Exception):
    """The classes as a whole cannot be used (too few, too many, ...); ``str(err)`` is for
    the user."""


@dataclass(frozen=True)
class Rejected:
    file: str  # the file's name (inside the zip: its path)
    reason: str  # why it was skipped, for the user


def _clean_name(name: str) -> str:
    return " ".join(name.strip().split())[:40]


def build_set(
    files: dict[str, Iterable[tuple[str, bytes]]],
    limits: UploadLimits = UploadLimits(),
    source: str = "your uploads",
) -> tuple[LabelledImages, list[Rejected]]:
    """Decode ``{class name: [(file name, bytes), ...]}`` into a LabelledImages.

    Classes keep their given order (empty names are dropped); bad files are skipped and
    returned as Rejected. The ``max_images`` cap is shared fairly: classes take turns, one
    good image each per round, so every class gets up to an equal share and what a small class
    does not use goes to the others (cap 400: classes of 450 and 450 images give 200 and 200;
    of 450 and 100, 300 and 100). Files past a class's share are listed as over the limit,
    and a note says how the cap was shared. Raises DatasetError when fewer than
    ``min_classes`` classes keep at least ``min_per_class`` images, or there are more than
    ``max_classes``.
    """
    named = {_clean_name(k): v for k, v in files.items() if _clean_name(k)}
    if len(named) > limits.max_classes:
        raise DatasetError(
            f"{len(named)} classes: at most {limits.max_classes} are allowed. Merge or drop some."
        )
    rejected: list[Rejected] = []
    kept: dict[str, list[np.ndarray]] = {name: [] for name in named}
    pending: dict[str, Iterator[tuple[str, bytes]]] = {
        name: iter(entries) for name, entries in named.items()
    }
    total = 0
    while pending and total < limits.max_images:  # one round: one good image per class
        for name in list(pending):
            image = _next_good(pending[name], limits, rejected)
            if image is None:
                del pending[name]  # this class has no more files
                continue
            kept[name].append(image)
            total += 1
            if total >= limits.max_images:
                break
    notes: list[str] = []
    left_over = 0
    for name, rest in pending.items():  # the cap is reached: the files left are not decoded
        for file_name in _names_left(rest):
            left_over += 1
            reason = f"over the limit of {limits.max_images} images (“{name}” used its share)"
            rejected.append(Rejected(file_name, reason))
    if left_over:
        counts = ", ".join(f"{name} {len(pictures)}" for name, pictures in kept.items())
        notes.append(
            f"At most {limits.max_images} images are used, shared fairly: the classes take "
            f"turns, one image each, until the limit ({counts}); {left_over} more file(s) "
            "left unread."
        )
    images: list[np.ndarray] = []
    labels: list[int] = []
    classes: list[str] = []
    for name, pictures in kept.items():
        if len(pictures) < limits.min_per_class:
            notes.append(
                f"Class “{name}” has {len(pictures)} usable image(s), fewer than "
                f"{limits.min_per_class}: left out."
            )
            continue
        images += pictures
        labels += [len(classes)] * len(pictures)
        classes.append(name)
    if len(classes) < limits.min_classes:
        raise DatasetError(
            f"{len(classes)} usable class(es): at least {limits.min_classes} classes with "
            f"{limits.min_per_class} or more good images each are needed."
        )
    stacked = np.stack(images)  # (N, side, side, 3)
    return (
        LabelledImages(stacked, np.array(labels, np.int64), tuple(classes), source, tuple(notes)),
        rejected,
    )


def _next_good(
    entries: Iterator[tuple[str, bytes]], limits: UploadLimits, rejected: list[Rejected]
) -> np.ndarray | None:
    """The next file of ``entries`` that decodes, as a (side, side, 3) uint8 image; the files
    skipped on the way join ``rejected``. None when there are no more files."""
    for file_name, data in entries:
        if len(data) > limits.max_file_bytes:
            rejected.append(Rejected(file_name, f"larger than {limits.max_file_bytes // 2**20} MB"))
            continue
        try:
            pixels = load_image(data, max_side=4 * limits.side)
        except ImageError as err:
            rejected.append(Rejected(file_name, str(err)))
            continue
        return square(pixels, limits.side)
    return None


def _hidden(path: str) -> bool:
    """macOS resource forks, dot files and dot folders: skipped without a word."""
    parts = path.replace("\\", "/").split("/")
    return any(p == "__MACOSX" or (p.startswith(".") and p not in (".", "..")) for p in parts)


def _parts(path: str) -> list[str]:
    """The folders and file of a zip entry's name (``\\`` counts as ``/``), empty parts dropped."""
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


def _unsafe(path: str) -> bool:
    """An absolute name (``/x``, ``C:\\x``, ``\\\\server\\x``) or one that climbs out (``..``).
    Names are only ever used as labels (nothing is written to disk), but such an entry is not
    a class image of a normal zip, so it is skipped with a reason."""
    name = path.replace("\\", "/")
    drive = len(name) >= 2 and name[1] == ":" and name[0].isalpha()
    return name.startswith("/") or drive or ".." in _parts(path)


def _nested_zip(name: str, head: bytes = b"") -> bool:
    return name.lower().endswith(".zip") or head.startswith(b"PK\x03\x04")


def _class_and_file(path: str, strip_top: bool) -> tuple[str, str] | None:
    """(class folder, file) of a zip entry, or None for entries that are not class images."""
    parts = _parts(path)
    if strip_top:
        parts = parts[1:]
    if _hidden(path) or _unsafe(path) or len(parts) < 2:
        return None
    return parts[0], parts[-1]


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # its Zip64 version, just before the Zip64 locator
_LOCATOR64 = 20  # bytes of the Zip64 end of central directory locator


def _directory_size(data: bytes) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory as the end record declares them, read before
    :class:`zipfile.ZipFile` parses it (which takes seconds and much memory for 100,000s of
    entries); None when there is no end record (not a zip). ZipFile reads exactly that many
    bytes of directory, so bounding them bounds its work whatever the entry count claims."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD.size - 65535))
    if at < 0 or len(data) - at < _EOCD.size:
        return None
    _, _, _, _, entries, size, _, _ = _EOCD.unpack_from(data, at)
    start64 = at - _LOCATOR64 - _EOCD64.size
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and start64 >= 0:
        record = _EOCD64.unpack_from(data, start64)
        if record[0] == b"PK\x06\x06":
            entries, size = record[7], record[8]
    return entries, size


def read_zip(
    data: bytes, limits: UploadLimits = UploadLimits()
) -> tuple[LabelledImages, list[Rejected]]:
    """A zip with one folder per class (``cats/1.jpg``, ``dogs/2.png``; one enclosing folder
    is allowed) -> the set and the skipped files. Raises DatasetError for a file that is not a
    zip, too many entries, an archive that unpacks to too much, or one without class images.

    Entries are read one at a time while they are decoded (at most one entry's bytes are held);
    zips inside the zip, absolute names and names with ``..`` are skipped with a reason."""
    directory = _directory_size(data)
    if directory is None:
        raise DatasetError(NOT_A_ZIP)
    entries, size = directory
    if entries > limits.max_zip_entries or size > limits.max_zip_entries * _MAX_ENTRY_BYTES:
        shown = f"{entries:,} entries" if entries > limits.max_zip_entries else "too many entries"
        raise DatasetError(
            f"The zip lists {shown}; at most {limits.max_zip_entries:,} are allowed (and at "
            f"most {limits.max_images} images are used). Zip a sample: a folder per class with "
            "a few dozen images each."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (*_UNPACK_ERRORS, ValueError, struct.error) as err:
        raise DatasetError(NOT_A_ZIP) from err
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise DatasetError(
                f"The zip lists {len(infos):,} entries; at most {limits.max_zip_entries:,} are "
                "allowed. Zip a sample: a folder per class with a few dozen images each."
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked_bytes:
            raise DatasetError(
                f"The zip would unpack to {declared / 2**20:,.0f} MB; at most "
                f"{limits.max_unpacked_bytes // 2**20} MB are allowed. Zip fewer or smaller "
                "images (a few hundred pixels a side is plenty)."
            )
        files = [i for i in infos if not i.is_dir() and not _hidden(i.filename)]
        visible = [_parts(i.filename) for i in files if not _unsafe(i.filename)]
        tops = {parts[0] for parts in visible if parts}
        strip_top = len(tops) == 1 and all(len(parts) >= 3 for parts in visible)
        per_class: dict[str, list[zipfile.ZipInfo]] = {}
        rejected: list[Rejected] = []
        for info in files:
            reason = _entry_problem(info, limits)
            where = _class_and_file(info.filename, strip_top)
            if reason is None and where is None:
                reason = "not inside a class folder"
            if reason is not None:
                rejected.append(Rejected(info.filename, reason))
            else:
                per_class.setdefault(where[0], []).append(info)
        if not per_class:
            raise DatasetError(_no_classes_message(rejected))
        budget = [limits.max_unpacked_bytes]  # what the entries still read may unpack to
        lazily = {
            name: _ZipEntries(archive, members, limits, rejected, budget)
            for name, members in sorted(per_class.items())
        }
        dataset, bad = build_set(lazily, limits, source="your zip")
    return dataset, rejected + bad


NOT_A_ZIP = (
    "This file is not a zip archive (or it is damaged). Zip your class folders again and "
    "upload the new file."
)
_MAX_ENTRY_BYTES = 46 + 2 * 255  # a central directory entry with a long name and extras
_UNPACK_ERRORS = (
    zipfile.BadZipFile,  # bad CRC (a header that lies about the size), bad local header
    zlib.error,  # a damaged deflate stream
    lzma.LZMAError,
    EOFError,  # a truncated compressed stream
    RuntimeError,  # encrypted
    NotImplementedError,  # an unsupported compression method or zip version
    OSError,  # bz2's damaged stream
)


class _ZipEntries(Iterator[tuple[str, bytes]]):
    """(name, bytes) of each member, read only when asked for; entries that fail are added to
    ``rejected``. Each read is capped at ``max_file_bytes + 1`` bytes, whatever the header says
    (CPython already stops at the declared size; the cap guards against any reader that would
    not), and all reads together at ``budget[0]``: more raises DatasetError. The members never
    asked for are only named (:meth:`names_left`), never unpacked."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        members: list[zipfile.ZipInfo],
        limits: UploadLimits,
        rejected: list[Rejected],
        budget: list[int],
    ) -> None:
        self.archive, self.limits, self.rejected, self.budget = archive, limits, rejected, budget
        self.left = list(reversed(members))  # popped from the end: the zip's order

    def __next__(self) -> tuple[str, bytes]:
        limits = self.limits
        while self.left:
            info = self.left.pop()
            try:
                with self.archive.open(info) as handle:
                    content = _read_capped(handle, limits.max_file_bytes + 1)
            except _UNPACK_ERRORS as err:
                self.rejected.append(Rejected(info.filename, f"could not be unpacked ({err})"))
                continue
            self.budget[0] -= len(content)
            if self.budget[0] < 0:
                raise DatasetError(
                    "The zip unpacks to more than its header says (damaged, or a zip bomb): "
                    "refused. Zip your class folders again and upload the new file."
                )
            if len(content) > limits.max_file_bytes:
                self.rejected.append(
                    Rejected(
                        info.filename, f"unpacks to more than {limits.max_file_bytes // 2**20} MB"
                    )
                )
            elif _nested_zip(info.filename, content[:4]):
                self.rejected.append(Rejected(info.filename, NESTED_ZIP))
            else:
                return info.filename, content
        raise StopIteration

    def names_left(self) -> list[str]:
        """The names of the members not read yet (and now never read)."""
        names = [info.filename for info in reversed(self.left)]
        self.left.clear()
        return names


def _names_left(entries: Iterator[tuple[str, bytes]]) -> list[str]:
    """The file names an iterator of (name, bytes) has left, unpacking nothing more of a zip."""
    if isinstance(entries, _ZipEntries):
        return entries.names_left()
    return [name for name, _ in entries]


def _read_capped(handle: IO[bytes], cap: int, chunk: int = 2**20) -> bytes:
    """At most ``cap`` bytes, read ``chunk`` bytes at a time: one large ``read(n)`` lets the
    decompressor produce up to ``n`` bytes at once before the declared size cuts them."""
    parts: list[bytes] = []
    left = cap
    while left > 0 and (part := handle.read(min(chunk, left))):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


NESTED_ZIP = "a zip inside the zip is not opened: unzip it and zip its class folders instead"


def _no_classes_message(rejected: list[Rejected]) -> str:
    nested = [r.file for r in rejected if r.reason == NESTED_ZIP]
    if nested:
        return (
            f"The zip holds another zip ({_clean_name(nested[0])}) instead of class folders; "
            "zips inside a zip are not opened. Unzip it and upload a zip of its folders."
        )
    return (
        "The zip has no images inside class folders. Put each class's images in a folder of "
        "its own (cats/…, dogs/…) and zip those folders."
    )


def _entry_problem(info: zipfile.ZipInfo, limits: UploadLimits) -> str | None:
    """Why a zip entry is refused before reading it, or None."""
    if _unsafe(info.filename):
        return "an absolute path or one with “..”: skipped (class folders must be relative)"
    if _nested_zip(info.filename):
        return NESTED_ZIP
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > limits.max_file_bytes:
        return f"larger than {limits.max_file_bytes // 2**20} MB"
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        return "compressed suspiciously well (possible zip bomb)"
    return None
