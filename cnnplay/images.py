"""Image intake: turn uploaded bytes into a safe (H, W, 3) uint8 RGB array, and the bundled samples.

Every page that takes a picture goes through :func:`decode_image` (or its short form
:func:`load_image`), so the checks live in one place:

- size limits come first (file bytes, then pixels read from the header, before any decoding);
- only PNG, JPEG (including phone MPO files), WebP, BMP, GIF and TIFF are even tried;
- the EXIF orientation is applied, every pixel mode becomes 8-bit RGB, and big images are
  shrunk to ``max_side``;
- any failure on bad bytes is an :class:`ImageError` whose text can be shown to the user as is.

Pure functions: no global state is read or changed (Pillow's ``MAX_IMAGE_PIXELS`` and
``LOAD_TRUNCATED_IMAGES`` are left alone), nothing is cached, and streamlit is not imported.

Decompression bombs: ``MAX_PIXELS`` is checked as soon as the header is read and before any
pixel is decoded; it is stricter than Pillow's own limit, which only warns up to twice
``Image.MAX_IMAGE_PIXELS``, so that warning can never let a decode through. Pillow's
``DecompressionBombError``, and its warning when a caller's filter turns it into an error,
become the same :class:`ImageError`. ``warnings.catch_warnings`` is deliberately not used:
it swaps process-wide state and is not thread-safe, and Streamlit runs every session in a
thread of one process.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES: int = 10 * 1024 * 1024  # 10 MB, checked on len(data) before anything else
MAX_PIXELS: int = 40_000_000  # 40 megapixels, checked from the header before decoding
UPLOAD_TYPES: tuple[str, ...] = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")

# Pillow format id -> name shown to users. The keys are the only decoders Pillow may try.
# MPO (multi-picture JPEG from phones) is opened by the "JPEG" decoder: Pillow has no
# separate "MPO" opener, and naming one in Image.open(formats=...) raises KeyError.
_FORMAT_LABELS: dict[str, str] = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "WEBP": "WebP",
    "BMP": "BMP",
    "GIF": "GIF",
    "TIFF": "TIFF",
}
_LABELS = list(_FORMAT_LABELS.values())
_ACCEPTED_LIST = ", ".join(_LABELS[:-1]) + " or " + _LABELS[-1]  # "PNG, JPEG, ... or TIFF"
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_WHITE = (255, 255, 255, 255)
# What Pillow raises on damaged bytes while parsing headers, counting frames or decoding pixels.
_DAMAGE_ERRORS = (OSError, EOFError, SyntaxError, ValueError, IndexError, struct.error, zlib.error)
_DAMAGED = (
    "The image file is damaged or incomplete (perhaps cut off during download). "
    "Please download or export it again and upload the new file."
)
_REDUCING_GAP = 2.0  # JPEG draft decodes at >= 2x the target size, then LANCZOS finishes

# Display name -> file in assets/samples/ (written by scripts/make_sample_images.py; the file
# stem is the skimage.data function it came from). Order is display order.
SAMPLES: dict[str, str] = {
    "astronaut": "astronaut.jpg",
    "chelsea (cat)": "chelsea.jpg",
    "coffee": "coffee.jpg",
    "rocket": "rocket.jpg",
    "cameraman (grayscale)": "camera.jpg",
    "brick wall (grayscale)": "brick.jpg",
}
SAMPLES_DIR: Path = Path(__file__).resolve().parents[1] / "assets" / "samples"


class ImageError(Exception):
    """Bad image input. ``str(err)`` is a plain-words message for the user, saying what to do."""


@dataclass(frozen=True)
class DecodedImage:
    """An upload decoded to RGB, with what was done to it on the way."""

    pixels: np.ndarray  # (H, W, 3) uint8 RGB, longer side <= max_side
    notes: tuple[str, ...]  # user-facing remarks on changes made (rotation, downscale, ...)
    original_size: tuple[int, int]  # (width, height) as stored in the file
    format: str  # Pillow format name: "PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF", "TIFF"


def decode_image(data: bytes, max_side: int = 1024) -> DecodedImage:
    """Decode an uploaded file into RGB pixels, checking it on the way.

    Args:
        data: the file's raw bytes, at most ``MAX_FILE_BYTES``.
        max_side: the longest side allowed in the result, in pixels (positive int);
            larger images are downscaled with LANCZOS, keeping the aspect ratio.

    Returns:
        DecodedImage with ``pixels`` of shape (H, W, 3), dtype uint8, values 0..255.

    Raises:
        ValueError: ``max_side`` is not a positive int (a programming error).
        ImageError: anything wrong with ``data``; the message is meant for the user.
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    _check_payload(data)
    try:
        return _decode(data, max_side)
    except ImageError:
        raise
    except Exception as err:  # the decode boundary: nothing else may escape for bad bytes
        raise ImageError(
            "The image could not be decoded. Please open it in an image editor, save it "
            "again as PNG or JPEG, and upload that file."
        ) from err


def load_image(data: bytes, max_side: int = 1024) -> np.ndarray:
    """Decode an upload; return only its pixels, (H, W, 3) uint8 RGB. See :func:`decode_image`."""
    return decode_image(data, max_side).pixels


def sample_names() -> list[str]:
    """Names of the bundled sample images, in display order."""
    return list(SAMPLES)


def load_sample(name: str, max_side: int = 1024) -> np.ndarray:
    """Load a bundled sample by display name, through the same path as uploads.

    Returns (H, W, 3) uint8 RGB. Raises KeyError for a name not in :func:`sample_names`.
    """
    if name not in SAMPLES:
        raise KeyError(f"unknown sample {name!r}; choose one of {sample_names()}")
    return load_image((SAMPLES_DIR / SAMPLES[name]).read_bytes(), max_side)


# --- steps of decode_image ----------------------------------------------------------------


def _check_payload(data: bytes) -> None:
    """Reject empty and oversized files from their byte count alone."""
    if len(data) == 0:
        raise ImageError(
            "The file is empty (0 bytes). Please choose an image file, such as a PNG or JPEG photo."
        )
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"The file is {len(data) / 2**20:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MB "
            "limit. Please upload a smaller image, for example saved as JPEG or shrunk first."
        )


def _decode(data: bytes, max_side: int) -> DecodedImage:
    """Open, check, load the first frame, orient, convert to RGB and downscale."""
    img = _open(data)
    original_size, fmt = img.size, str(img.format)
    try:
        notes = _frame_notes(img)
        if fmt in ("JPEG", "MPO"):  # let libjpeg decode at 1/2, 1/4 or 1/8 scale when it can
            w, h = _fit(img.size, max_side)
            img.draft(img.mode, (int(w * _REDUCING_GAP), int(h * _REDUCING_GAP)))
        img.load()
    except _DAMAGE_ERRORS as err:
        raise ImageError(_DAMAGED) from err
    stored_size = img.size  # (width, height), after any draft reduction
    img, oriented = _orient(img)
    upright = original_size[::-1] if img.size == stored_size[::-1] else original_size
    rgb, mode_notes = _to_rgb(img)
    rgb, size_notes = _downscale(rgb, upright, max_side)
    pixels = np.array(rgb, dtype=np.uint8)  # (H, W, 3) uint8, own copy
    return DecodedImage(
        pixels, tuple(notes + oriented + mode_notes + size_notes), original_size, fmt
    )


def _open(data: bytes) -> Image.Image:
    """Identify the format and read the header only; check the pixel count before decoding."""
    try:
        img = Image.open(io.BytesIO(data), formats=list(_FORMAT_LABELS))
    except UnidentifiedImageError as err:  # no accepted decoder recognised the header
        raise ImageError(
            f"This file is not a supported image. Please upload a {_ACCEPTED_LIST} file "
            "(the file's contents count, not its name)."
        ) from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:  # no size given
        raise ImageError(_too_many_pixels_message(None)) from err
    except _DAMAGE_ERRORS as err:  # recognised, but the header is cut off or broken
        raise ImageError(_DAMAGED) from err
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError(
            f"The image is {width}×{height} pixels: it has no pixels to show. "
            "Please choose another image."
        )
    if width * height > MAX_PIXELS:
        raise ImageError(_too_many_pixels_message((width, height)))
    return img


def _too_many_pixels_message(size: tuple[int, int] | None) -> str:
    """User message for an image over ``MAX_PIXELS``; ``size`` is (width, height) when known."""
    limit = f"the {MAX_PIXELS // 1_000_000} megapixel limit"
    what = (
        f"{size[0]}×{size[1]} pixels ({size[0] * size[1] / 1e6:.0f} megapixels)"
        if size
        else "far too large"
    )
    return f"The image is {what}, over {limit}. Please shrink it and upload it again."


def _frame_notes(img: Image.Image) -> list[str]:
    """Note that only the first frame / page is used (Pillow opens on, and stays on, frame 0)."""
    n = int(getattr(img, "n_frames", 1))
    if n <= 1:
        return []
    if img.format == "TIFF":
        return [f"Multi-page TIFF: the first of {n} pages is used."]
    if img.format == "MPO":
        return [f"Multi-picture JPEG: the first of {n} pictures is used."]
    return [
        f"Animated {_FORMAT_LABELS.get(str(img.format), img.format)}: "
        f"the first of {n} frames is used."
    ]


def _orient(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """Apply the EXIF orientation tag, if any. A broken EXIF block is ignored, not fatal."""
    try:
        orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # unreadable EXIF: keep the pixels as stored
        return img, []
    if orientation not in range(2, 9):
        return img, []
    return ImageOps.exif_transpose(img), ["Rotated upright from its EXIF orientation."]


def _to_rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """Convert any Pillow mode to 8-bit "RGB"; transparency is composited onto white."""
    if img.mode in _SIXTEEN_BIT_MODES or img.mode in ("I", "F"):
        gray, note = _scale_to_8_bits(np.asarray(img), img.mode)
        return Image.fromarray(gray).convert("RGB"), [note] if note else []
    if img.mode in _ALPHA_MODES or img.has_transparency_data:
        if img.mode == "La":  # premultiplied; Pillow converts it only to LA
            img = img.convert("LA")
        rgba = img.convert("RGBA")
        if rgba.getextrema()[3][0] == 255:  # alpha present but everything opaque
            return rgba.convert("RGB"), []
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba)
        return flat.convert("RGB"), ["Transparent areas were put on white."]
    return img.convert("RGB"), []  # L, 1, P, RGB, CMYK, YCbCr, LAB, HSV, RGBX


def _scale_to_8_bits(values: np.ndarray, mode: str) -> tuple[np.ndarray, str]:
    """Map a 16-bit, 32-bit integer or float image, (H, W), to (H, W) uint8 without clipping.

    16-bit: v * 255 / 65535 rounded. Integer ("I") data already in 0..255 is kept, in
    0..65535 is treated as 16-bit, else stretched min..max. Float in [0, 1] is * 255,
    else stretched min..max; NaN and infinities become 0.
    """
    v = values.astype(np.float64)  # (H, W) float64, any byte order in
    if mode == "F":
        v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
        if v.min() >= 0.0 and v.max() <= 1.0:
            return np.rint(v * 255).astype(np.uint8), "Floating-point image scaled to 8 bits."
        return _stretch(v), "Floating-point image stretched to 8 bits."
    if mode in _SIXTEEN_BIT_MODES or (v.min() >= 0 and v.max() > 255 and v.max() <= 65535):
        return np.rint(v * (255 / 65535)).astype(np.uint8), "16-bit image reduced to 8 bits."
    if v.min() >= 0 and v.max() <= 255:
        return v.astype(np.uint8), ""
    return _stretch(v), "32-bit image stretched to 8 bits."


def _stretch(v: np.ndarray) -> np.ndarray:
    """Linearly map v's min..max to 0..255; (H, W) float64 -> (H, W) uint8."""
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return np.zeros(v.shape, dtype=np.uint8)
    return np.rint((v - lo) * (255 / (hi - lo))).astype(np.uint8)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most max_side, aspect kept, each >= 1."""
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _downscale(
    img: Image.Image, original: tuple[int, int], max_side: int
) -> tuple[Image.Image, list[str]]:
    """Shrink an RGB image so its longer side is max_side (LANCZOS); no-op if small enough.

    ``original`` is the upright (width, height) in the file; ``img`` may be smaller already
    (a JPEG draft). The target size comes from ``original``, so a draft never changes it.
    """
    target = _fit(original, max_side)
    if target == original:
        return img, []
    if img.size != target:
        img = img.resize(target, Image.Resampling.LANCZOS)
    return img, [f"Downscaled from {original[0]}×{original[1]} to {target[0]}×{target[1]}."]


def shrink(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """An (H, W, 3) uint8 image with its longer side brought down to ``max_side`` (LANCZOS,
    aspect kept), the same way an upload is downscaled; returned as is when small enough."""
    height, width = pixels.shape[:2]
    target = _fit((width, height), max_side)
    if target == (width, height):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(target, Image.Resampling.LANCZOS))


def fit_to_multiple(image: np.ndarray, multiple: int, max_side: int) -> tuple[np.ndarray, str]:
    """An (H, W, 3) uint8 image shrunk (area averaging) so its longer side is at most
    ``max_side``, then centre-cropped so both sides are multiples of ``multiple`` (what a
    network that pools log2(multiple) times needs). Returns the (H', W', 3) image and a
    user-facing note on what changed ("" when nothing did)."""
    if multiple < 1 or max_side < multiple:
        raise ValueError("need 1 <= multiple <= max_side")
    h, w = image.shape[:2]
    notes = []
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))  # (width, height)
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))
        notes.append(f"shrunk from {w}×{h} to {size[0]}×{size[1]}")
    h2, w2 = image.shape[:2]
    th, tw = max(multiple, h2 - h2 % multiple), max(multiple, w2 - w2 % multiple)
    if (th, tw) != (h2, w2):
        if th > h2 or tw > w2:  # smaller than one multiple: pad by repeating the edge
            image = np.pad(
                image, ((0, max(0, th - h2)), (0, max(0, tw - w2)), (0, 0)), mode="edge"
            )
            h2, w2 = image.shape[:2]
        top, left = (h2 - th) // 2, (w2 - tw) // 2
        image = image[top : top + th, left : left + tw]
        notes.append(f"cropped to {tw}×{th} (sides must be multiples of {multiple})")
    text = ("The image was " + " and ".join(notes) + ".") if notes else ""
    return np.ascontiguousarray(image), text
