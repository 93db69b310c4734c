"""The user's own classes: images uploaded per class, or one zip with a folder per class.

Every file goes through :func:`cnnplay.images.load_image`; a file that fails is listed with its
reason and skipped, and the rest is kept. Limits (:class:`UploadLimits`) bound what one session
can hold. Zips are read defensively: entries are counted, declared sizes and compression ratios
checked, and each entry is read with a hard byte cap (so a lying header cannot inflate memory);
paths are only used as names (nothing is written to disk).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

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
    returned as Rejected. Raises DatasetError when fewer than ``min_classes`` classes keep at
    least ``min_per_class`` images, or there are more than ``max_classes``.
    """
    named = {_clean_name(k): v for k, v in files.items() if _clean_name(k)}
    if len(named) > limits.max_classes:
        raise DatasetError(
            f"{len(named)} classes: at most {limits.max_classes} are allowed. Merge or drop some."
        )
    rejected: list[Rejected] = []
    images: list[np.ndarray] = []
    labels: list[int] = []
    classes: list[str] = []
    notes: list[str] = []
    for name, entries in named.items():
        kept = 0
        for file_name, data in entries:
            if len(images) >= limits.max_images:
                rejected.append(
                    Rejected(file_name, f"over the limit of {limits.max_images} images")
                )
                continue
            if len(data) > limits.max_file_bytes:
                rejected.append(
                    Rejected(file_name, f"larger than {limits.max_file_bytes // 2**20} MB")
                )
                continue
            try:
                pixels = load_image(data, max_side=4 * limits.side)
            except ImageError as err:
                rejected.append(Rejected(file_name, str(err)))
                continue
            images.append(square(pixels, limits.side))
            labels.append(len(classes))
            kept += 1
        if kept < limits.min_per_class:
            notes.append(
                f"Class “{name}” has {kept} usable image(s), fewer than {limits.min_per_class}: "
                "left out."
            )
            images, labels = images[: len(images) - kept], labels[: len(labels) - kept]
            continue
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


def _hidden(path: str) -> bool:
    """macOS resource forks, dot files and dot folders: skipped without a word."""
    parts = path.replace("\\", "/").split("/")
    return any(p == "__MACOSX" or (p.startswith(".") and p not in (".", "..")) for p in parts)


def _class_and_file(path: str, strip_top: bool) -> tuple[str, str] | None:
    """(class folder, file) of a zip entry, or None for entries that are not class images."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("", ".", "/")]
    if strip_top:
        parts = parts[1:]
    if _hidden(path) or ".." in parts:
        return None
    if len(parts) < 2:
        return None
    return parts[0], parts[-1]


def read_zip(
    data: bytes, limits: UploadLimits = UploadLimits()
) -> tuple[LabelledImages, list[Rejected]]:
    """A zip with one folder per class (``cats/1.jpg``, ``dogs/2.png``; one enclosing folder
    is allowed) -> the set and the skipped files. Raises DatasetError for a file that is not a
    zip, too many entries, or an archive that unpacks to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as err:
        raise DatasetError("This file is not a zip archive (or it is damaged).") from err
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise DatasetError(
                f"The zip lists {len(infos)} entries; at most {limits.max_zip_entries} are allowed."
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked_bytes:
            raise DatasetError(
                f"The zip would unpack to {declared / 2**20:.0f} MB; at most "
                f"{limits.max_unpacked_bytes // 2**20} MB are allowed."
            )
        files = [i for i in infos if not i.is_dir()]
        visible = [PurePosixPath(i.filename).parts for i in files if not _hidden(i.filename)]
        tops = {parts[0] for parts in visible if parts}
        strip_top = len(tops) == 1 and all(len(parts) >= 3 for parts in visible)
        per_class: dict[str, list[tuple[str, bytes]]] = {}
        rejected: list[Rejected] = []
        unpacked = 0
        for info in files:
            where = _class_and_file(info.filename, strip_top)
            if where is None:
                if not _hidden(info.filename):
                    rejected.append(Rejected(info.filename, "not inside a class folder"))
                continue
            reason = _entry_problem(info, limits)
            if reason is None:
                try:
                    with archive.open(info) as handle:
                        content = handle.read(limits.max_file_bytes + 1)
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as err:
                    reason = f"could not be unpacked ({err})"
                else:
                    unpacked += len(content)
                    if len(content) > limits.max_file_bytes:
                        reason = f"unpacks to more than {limits.max_file_bytes // 2**20} MB"
                    elif unpacked > limits.max_unpacked_bytes:
                        raise DatasetError("The zip unpacks to more than it declares: refused.")
            if reason is not None:
                rejected.append(Rejected(info.filename, reason))
                continue
            per_class.setdefault(where[0], []).append((info.filename, content))
    dataset, bad = build_set(dict(sorted(per_class.items())), limits, source="your zip")
    return dataset, rejected + bad


def _entry_problem(info: zipfile.ZipInfo, limits: UploadLimits) -> str | None:
    """Why a zip entry is refused before reading it, or None."""
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > limits.max_file_bytes:
        return f"larger than {limits.max_file_bytes // 2**20} MB"
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        return "compressed suspiciously well (possible zip bomb)"
    return None
