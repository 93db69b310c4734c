"""Tests for cnnplay.images: every accepted format and mode, every kind of bad input.

All inputs are built here in code (Pillow, numpy, bytes surgery); there are no fixture files
and no network. Message kinds are recognised by a distinctive phrase in ``str(err)``.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tifffile
from PIL import ExifTags, Image, ImageFile, JpegImagePlugin

from cnnplay import images
from cnnplay.images import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    UPLOAD_TYPES,
    DecodedImage,
    ImageError,
    decode_image,
    load_image,
    load_sample,
    sample_names,
)

# Headers over Pillow's own limit make Image.open warn before our (stricter) check refuses them.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

# Message kinds: a phrase that only that kind of message contains.
EMPTY, TOO_BIG_FILE, UNSUPPORTED = "empty", "MB limit", "not a supported image"
MEGAPIXELS, DAMAGED = "megapixel limit", "damaged or incomplete"
UNDECODABLE = "could not be decoded"
ALL_KINDS = (EMPTY, TOO_BIG_FILE, UNSUPPORTED, MEGAPIXELS, DAMAGED, UNDECODABLE)

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --- building inputs ------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    """Save a Pillow image to bytes in format ``fmt``."""
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def test_pattern(width: int = 48, height: int = 32) -> np.ndarray:
    """A smooth colour pattern, (height, width, 3) uint8, easy on lossy codecs."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // (width - 1), y * 255 // (height - 1), np.full_like(x, 96)], axis=-1
    ).astype(np.uint8)


test_pattern.__test__ = False  # a helper, not a test


def four_blocks() -> np.ndarray:
    """(32, 48, 3) uint8 with four flat colour quadrants: exact in palette formats too."""
    a = np.zeros((32, 48, 3), np.uint8)
    a[:16, :24], a[:16, 24:], a[16:, :24], a[16:, 24:] = RED, GREEN, BLUE, (200, 200, 40)
    return a


def png_chunk(tag: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type + data."""
    crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking RGB PNG whose IHDR claims width x height, with a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def corrupt_idat(png: bytes) -> bytes:
    """Flip every 5th byte inside the first IDAT chunk (CRCs are left stale)."""
    data = bytearray(png)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    for k in range(start + 2, start + length, 5):
        data[k] ^= 0xFF
    return bytes(data)


def noisy_png() -> bytes:
    """An RGB PNG of random pixels, so its IDAT is long."""
    rng = np.random.default_rng(0)
    return encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "PNG")


def half(data: bytes) -> bytes:
    """The first half of data."""
    return data[: len(data) // 2]


def kind_of(err: ImageError) -> str:
    """The message kind of an ImageError (asserts it has exactly one)."""
    found = [kind for kind in ALL_KINDS if kind in str(err)]
    assert len(found) == 1, f"message has {found} kinds: {err}"
    return found[0]


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two uint8 arrays of the same shape."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# --- bad inputs -----------------------------------------------------------------------------

BAD_INPUTS: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", EMPTY),
    "random bytes": (lambda: np.random.default_rng(1).bytes(4096), UNSUPPORTED),
    "text file": (lambda: b"name,score\nada,3\n" * 50, UNSUPPORTED),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9"/></svg>',
        UNSUPPORTED,
    ),
    "html": (lambda: b"<!DOCTYPE html><html><body><img src=x></body></html>", UNSUPPORTED),
    "pdf": (lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", UNSUPPORTED),
    "eps": (lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\nshowpage\n", UNSUPPORTED),
    "ico (Pillow reads it, we do not)": (
        lambda: encode(Image.fromarray(test_pattern(16, 16)), "ICO"),
        UNSUPPORTED,
    ),
    "ppm": (lambda: encode(Image.fromarray(test_pattern()), "PPM"), UNSUPPORTED),
    "tga": (lambda: encode(Image.fromarray(test_pattern()), "TGA"), UNSUPPORTED),
    "jpeg 2000": (lambda: encode(Image.fromarray(test_pattern()), "JPEG2000"), UNSUPPORTED),
    "zero-width png (Pillow refuses to identify it)": (lambda: png_declaring(0, 5), UNSUPPORTED),
    "truncated png": (lambda: half(noisy_png()), DAMAGED),
    "truncated jpeg": (
        lambda: half(encode(Image.fromarray(test_pattern(64, 64)), "JPEG")),
        DAMAGED,
    ),
    "truncated gif": (lambda: half(encode(Image.fromarray(four_blocks()), "GIF")), DAMAGED),
    "truncated bmp": (lambda: half(encode(Image.fromarray(test_pattern()), "BMP")), DAMAGED),
    "png with corrupted IDAT": (lambda: corrupt_idat(noisy_png()), DAMAGED),
    "11 MB payload": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(11 * 2**20), TOO_BIG_FILE),
    "10 MB + 1 byte": (lambda: bytes(MAX_FILE_BYTES + 1), TOO_BIG_FILE),
    "7000x7000 header (under Pillow's own limit)": (lambda: png_declaring(7000, 7000), MEGAPIXELS),
    "10000x10000 header (Pillow warns)": (lambda: png_declaring(10_000, 10_000), MEGAPIXELS),
    "20000x20000 header (Pillow raises)": (lambda: png_declaring(20_000, 20_000), MEGAPIXELS),
}


@pytest.mark.parametrize("make, kind", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_image_error_of_the_right_kind(
    make: Callable[[], bytes], kind: str
) -> None:
    with pytest.raises(ImageError) as info:
        decode_image(make())
    assert kind_of(info.value) == kind
    assert not str(info.value).startswith(("cannot", "Image size")), "raw Pillow text leaked"


def test_messages_give_sizes_limits_and_formats() -> None:
    with pytest.raises(ImageError, match=r"11\.0 MB, over the 10 MB limit"):
        decode_image(bytes(11 * 2**20))
    with pytest.raises(ImageError, match=r"10000×10000 pixels \(100 megapixels\), over the 40 "):
        decode_image(png_declaring(10_000, 10_000))
    with pytest.raises(ImageError, match="PNG, JPEG, WebP, BMP, GIF or TIFF"):
        decode_image(b"hello")


def test_exactly_the_byte_limit_is_not_too_big() -> None:
    with pytest.raises(ImageError) as info:
        decode_image(bytes(MAX_FILE_BYTES))
    assert kind_of(info.value) == UNSUPPORTED


def test_just_over_the_pixel_limit_is_refused() -> None:
    assert 8000 * 5001 > MAX_PIXELS >= 8000 * 5000
    with pytest.raises(ImageError, match="8000×5001"):
        decode_image(png_declaring(8000, 5001))


def test_huge_header_fails_fast_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: loads.append(self) or real_load(self)
    )
    data = png_declaring(10_000, 10_000)
    tracemalloc.start()  # sees numpy / Python allocations (Pillow's own buffers use malloc)
    start = time.perf_counter()
    with pytest.raises(ImageError):
        decode_image(data)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert loads == [], "pixel data was decoded before the size check"
    assert peak < 5 * 2**20, f"peak {peak / 2**20:.1f} MB"
    assert elapsed < 1.0


def test_unexpected_failure_is_wrapped_with_its_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(img: Image.Image) -> None:
        raise RuntimeError("internal")

    monkeypatch.setattr(images, "_to_rgb", boom)
    with pytest.raises(ImageError) as info:
        decode_image(encode(Image.fromarray(test_pattern()), "PNG"))
    assert kind_of(info.value) == UNDECODABLE
    assert isinstance(info.value.__cause__, RuntimeError)


FUZZ_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on broken TIFF/EXIF tags
@pytest.mark.parametrize("fmt", FUZZ_FORMATS)
def test_mutated_and_truncated_files_only_ever_raise_image_error(fmt: str) -> None:
    original = encode(Image.fromarray(four_blocks()), fmt)
    rng = np.random.default_rng(FUZZ_FORMATS.index(fmt))
    variants = [original[:cut] for cut in np.linspace(1, len(original) - 1, 25).astype(int)]
    for _ in range(150):
        data = bytearray(original)
        for pos in rng.integers(0, len(data), rng.integers(1, 6)):
            data[pos] = int(rng.integers(0, 256))
        variants.append(bytes(data))
    refused = 0
    for data in variants:
        try:
            pixels = load_image(data, max_side=256)
        except ImageError as err:
            kind_of(err)
            refused += 1
        else:
            assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    assert refused >= 25  # at least the truncations: the test really feeds broken files


@pytest.mark.parametrize("action", ["default", "ignore", "error"])
def test_bomb_is_refused_whatever_the_callers_warning_filter(action: str) -> None:
    with warnings.catch_warnings(record=True) as caught:  # the caller's filter, not ours
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        with pytest.raises(ImageError) as info:
            decode_image(png_declaring(10_000, 10_000))
    assert kind_of(info.value) == MEGAPIXELS
    assert len(caught) == (action == "default")  # Pillow only warns; our check refuses


def test_pillow_globals_and_warning_state_are_left_alone() -> None:
    filters, show = list(warnings.filters), warnings.showwarning
    bomb_limit = Image.MAX_IMAGE_PIXELS
    for make, _ in BAD_INPUTS.values():
        with pytest.raises(ImageError):
            decode_image(make())
    decode_image(encode(Image.fromarray(test_pattern()), "PNG"))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert Image.MAX_IMAGE_PIXELS == bomb_limit
    assert warnings.filters == filters and warnings.showwarning is show


def test_concurrent_decodes_are_independent() -> None:
    """Streamlit serves sessions from threads of one process: no shared state may leak."""
    good = encode(Image.fromarray(four_blocks()), "PNG")
    inputs = [good, png_declaring(10_000, 10_000), half(noisy_png()), b"text"] * 40
    filters, show = list(warnings.filters), warnings.showwarning

    def outcome(data: bytes) -> str:
        try:
            return "ok" if (load_image(data) == four_blocks()).all() else "wrong pixels"
        except ImageError as err:
            return kind_of(err)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(outcome, inputs))
    assert results == ["ok", MEGAPIXELS, DAMAGED, UNSUPPORTED] * 40
    assert warnings.filters == filters and warnings.showwarning is show


@pytest.mark.parametrize("max_side", [0, -1, 1.5, "512", None, True])
def test_invalid_max_side_is_a_value_error(max_side: object) -> None:
    with pytest.raises(ValueError):
        decode_image(encode(Image.fromarray(test_pattern()), "PNG"), max_side)  # type: ignore


# --- good inputs: formats -------------------------------------------------------------------

# format name -> (save parameters, expected DecodedImage.format, tolerance of mean |diff|)
ROUND_TRIPS: dict[str, tuple[dict[str, object], str, float]] = {
    "PNG": ({}, "PNG", 0.0),
    "JPEG": ({"quality": 95}, "JPEG", 6.0),  # 4:2:0 chroma blurs the colour edges
    "WEBP": ({"lossless": True}, "WEBP", 0.0),
    "BMP": ({}, "BMP", 0.0),
    "GIF": ({}, "GIF", 0.0),
    "TIFF": ({"compression": "tiff_lzw"}, "TIFF", 0.0),
    "MPO with one picture": ({"quality": 95}, "JPEG", 6.0),  # Pillow writes a plain JPEG
}


@pytest.mark.parametrize("fmt", ROUND_TRIPS)
def test_each_accepted_format_round_trips(fmt: str) -> None:
    params, expected_format, tolerance = ROUND_TRIPS[fmt]
    pixels = four_blocks()
    decoded = decode_image(encode(Image.fromarray(pixels), fmt.split()[0], **params))
    assert decoded.pixels.shape == (32, 48, 3) and decoded.pixels.dtype == np.uint8
    assert decoded.format == expected_format
    assert decoded.original_size == (48, 32)
    assert mean_abs_diff(decoded.pixels, pixels) <= tolerance
    assert decoded.notes == ()


def test_lossy_webp_is_close() -> None:
    pixels = test_pattern()
    out = load_image(encode(Image.fromarray(pixels), "WEBP", quality=95))
    assert mean_abs_diff(out, pixels) < 4.0


def test_upload_types_cover_the_formats() -> None:
    assert set(UPLOAD_TYPES) == {"png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"}


# --- good inputs: pixel modes ---------------------------------------------------------------


def test_grayscale_becomes_equal_channels() -> None:
    gray = test_pattern()[:, :, 0]
    out = load_image(encode(Image.fromarray(gray), "PNG"))
    assert out.shape == (32, 48, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "GIF"])
def test_one_bit_becomes_black_and_white(fmt: str) -> None:
    bits = np.zeros((8, 16), bool)
    bits[:, 8:] = True
    out = load_image(encode(Image.fromarray(bits), fmt))
    assert set(np.unique(out)) == {0, 255}
    assert (out[:, :8] == 0).all() and (out[:, 8:] == 255).all()


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_goes_to_white(fmt: str) -> None:
    img = Image.new("P", (10, 4), 1)
    img.putpalette([0, 0, 0, *RED, *BLUE] + [0] * 759)
    img.paste(0, (0, 0, 5, 4))  # left half: index 0, the transparent one (its colour is black)
    img.paste(2, (5, 2, 10, 4))
    decoded = decode_image(encode(img, fmt, transparency=0))
    assert (decoded.pixels[:, :5] == WHITE).all()
    assert (decoded.pixels[:2, 5:] == RED).all() and (decoded.pixels[2:, 5:] == BLUE).all()
    assert "Transparent areas were put on white." in decoded.notes


def test_rgba_composites_onto_white() -> None:
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[:, :, :3] = (0, 100, 200)
    rgba[:, 0:2, 3] = 0  # fully transparent
    rgba[:, 2:4, 3] = 255  # opaque
    rgba[:, 4:6, 3] = 128  # half
    decoded = decode_image(encode(Image.fromarray(rgba), "PNG"))
    px = decoded.pixels.astype(int)
    assert (px[:, 0:2] == WHITE).all()
    assert (px[:, 2:4] == (0, 100, 200)).all()
    expected_half = np.array([0, 100, 200]) * 128 / 255 + 255 * (1 - 128 / 255)  # ~(127, 178, 227)
    assert np.abs(px[:, 4:6] - expected_half).max() <= 1
    assert "Transparent areas were put on white." in decoded.notes


def test_opaque_rgba_gets_no_transparency_note() -> None:
    rgba = np.dstack([four_blocks(), np.full((32, 48), 255, np.uint8)])
    decoded = decode_image(encode(Image.fromarray(rgba), "PNG"))
    np.testing.assert_array_equal(decoded.pixels, four_blocks())
    assert decoded.notes == ()


def test_gray_with_alpha_composites_onto_white() -> None:
    la = np.zeros((2, 4, 2), np.uint8)
    la[:, :, 0] = 40
    la[:, :2, 1] = 255
    out = load_image(encode(Image.fromarray(la), "PNG"))
    assert (out[:, :2] == 40).all() and (out[:, 2:] == 255).all()


def test_16_bit_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 32768, 65535, 1000, 257]], np.uint16)
    img = Image.fromarray(values)
    assert img.mode == "I;16"
    decoded = decode_image(encode(img, "PNG"))
    np.testing.assert_array_equal(decoded.pixels[0, :, 0], [0, 128, 255, 4, 1])
    assert "16-bit image reduced to 8 bits." in decoded.notes


def test_16_bit_big_endian_tiff_is_scaled() -> None:
    out = io.BytesIO()
    tifffile.imwrite(out, np.array([[0, 32768, 65535]], np.uint16), byteorder=">")
    assert Image.open(io.BytesIO(out.getvalue())).mode == "I;16B"
    np.testing.assert_array_equal(load_image(out.getvalue())[0, :, 1], [0, 128, 255])


def test_16_bit_rgb_tiff_keeps_colour() -> None:
    out = io.BytesIO()
    tifffile.imwrite(out, np.full((3, 4, 3), (65535, 32896, 0), np.uint16), photometric="rgb")
    np.testing.assert_array_equal(load_image(out.getvalue())[1, 1], (255, 128, 0))


@pytest.mark.parametrize(
    "values, expected, note",
    [
        ([[0.0, 0.5, 1.0]], [0, 128, 255], "Floating-point image scaled to 8 bits."),
        ([[-1.0, 1.0, 3.0]], [0, 128, 255], "Floating-point image stretched to 8 bits."),
        ([[np.nan, 0.25, 1.0]], [0, 64, 255], "Floating-point image scaled to 8 bits."),
    ],
)
def test_float_tiff_is_scaled(values: list[list[float]], expected: list[int], note: str) -> None:
    img = Image.fromarray(np.array(values, np.float32))
    assert img.mode == "F"
    decoded = decode_image(encode(img, "TIFF"))
    np.testing.assert_array_equal(decoded.pixels[0, :, 2], expected)
    assert note in decoded.notes


@pytest.mark.parametrize(
    "values, expected",
    [
        ([[0, 100, 255]], [0, 100, 255]),  # already 8-bit range: kept
        ([[0, 32768, 65535]], [0, 128, 255]),  # 16-bit range
        ([[-100, 0, 155]], [0, 100, 255]),  # anything else: stretched min..max
    ],
)
def test_32_bit_integer_tiff(values: list[list[int]], expected: list[int]) -> None:
    img = Image.fromarray(np.array(values, np.int32))
    assert img.mode == "I"
    np.testing.assert_array_equal(load_image(encode(img, "TIFF"))[0, :, 0], expected)


def test_cmyk_jpeg_becomes_rgb() -> None:
    img = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red
    img.paste((0, 0, 0, 0), (8, 0, 16, 16))  # white
    decoded = decode_image(encode(img, "JPEG", quality=95))
    assert decoded.format == "JPEG"
    assert np.abs(decoded.pixels[4, 2].astype(int) - RED).max() <= 6
    assert np.abs(decoded.pixels[4, 13].astype(int) - WHITE).max() <= 6


# LAB is 8 bits per channel, so saturated colours come back a few levels off.
COLOUR_SPACES = {"LAB": 8.0, "YCbCr": 3.0, "CMYK": 0.0}


@pytest.mark.parametrize("mode", COLOUR_SPACES)
def test_other_colour_spaces_in_tiff(mode: str) -> None:
    pixels = four_blocks()
    data = encode(Image.fromarray(pixels).convert(mode), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == mode
    assert mean_abs_diff(load_image(data), pixels) <= COLOUR_SPACES[mode]


def test_grayscale_tiff_with_premultiplied_alpha() -> None:
    out = io.BytesIO()  # extra sample 1 = associated alpha: Pillow opens it as mode "La"
    gray_alpha = np.dstack([np.full((2, 4), 50, np.uint8), np.full((2, 4), 255, np.uint8)])
    tifffile.imwrite(out, gray_alpha, photometric="minisblack", extrasamples=[1])
    assert Image.open(io.BytesIO(out.getvalue())).mode == "La"
    assert (load_image(out.getvalue()) == 50).all()


@pytest.mark.parametrize("mode", ["HSV", "YCbCr", "LAB", "CMYK", "RGBX", "RGBa", "PA", "La"])
def test_every_in_memory_mode_converts(mode: str) -> None:
    source = Image.fromarray(four_blocks())
    palette = source.convert("P", palette=Image.Palette.ADAPTIVE)  # exact for four colours
    base = {"PA": palette, "La": source.convert("LA")}.get(mode, source)
    rgb, notes = images._to_rgb(base.convert(mode))
    expected = np.asarray(source.convert("L").convert("RGB") if mode == "La" else source)
    assert rgb.mode == "RGB" and notes == []  # all opaque: no transparency note
    assert mean_abs_diff(np.asarray(rgb), expected) <= COLOUR_SPACES.get(mode, 1.0)


# --- good inputs: geometry, frames ----------------------------------------------------------

# EXIF orientation -> where the stored top-left corner ends up, as (row, col) of a 2x2 grid
ORIENTATIONS = {1: (0, 0), 3: (1, 1), 6: (0, 1), 8: (1, 0)}


@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    stored = np.full((32, 64, 3), 60, np.uint8)  # width 64, height 32
    stored[:16, :16] = RED  # marker in the stored top-left corner
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    decoded = decode_image(encode(Image.fromarray(stored), fmt, exif=exif.tobytes(), quality=95))
    h, w = (64, 32) if orientation in (6, 8) else (32, 64)
    assert decoded.pixels.shape == (h, w, 3)
    assert decoded.original_size == (64, 32)
    row, col = ORIENTATIONS[orientation]
    corner = decoded.pixels[row * (h - 8) : row * (h - 8) + 8, col * (w - 8) : col * (w - 8) + 8]
    assert np.abs(corner.astype(int) - RED).max() <= 12
    rotated = "Rotated upright from its EXIF orientation." in decoded.notes
    assert rotated == (orientation != 1)


@pytest.mark.parametrize(
    "fmt, params, note",
    [
        ("GIF", {"duration": 100, "loop": 0}, "Animated GIF: the first of 3 frames is used."),
        ("PNG", {"duration": 100}, "Animated PNG: the first of 3 frames is used."),
        (
            "WEBP",
            {"duration": 100, "lossless": True},
            "Animated WebP: the first of 3 frames is used.",
        ),
        ("TIFF", {}, "Multi-page TIFF: the first of 3 pages is used."),
        ("MPO", {"quality": 95}, "Multi-picture JPEG: the first of 3 pictures is used."),
    ],
)
def test_multi_frame_files_use_the_first_frame(
    fmt: str, params: dict[str, object], note: str
) -> None:
    frames = [Image.new("RGB", (12, 8), colour) for colour in (GREEN, RED, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], **params)
    decoded = decode_image(data)
    assert decoded.pixels.shape == (8, 12, 3)
    assert np.abs(decoded.pixels.astype(int) - GREEN).max() <= 8
    assert decoded.notes == (note,)


def test_large_image_is_downscaled_keeping_aspect() -> None:
    decoded = decode_image(encode(Image.fromarray(test_pattern(300, 200)), "PNG"), max_side=64)
    assert decoded.pixels.shape == (43, 64, 3)  # 200 * 64 / 300 = 42.7
    assert decoded.original_size == (300, 200)
    assert decoded.notes == ("Downscaled from 300×200 to 64×43.",)
    # a downscale, not a crop: the corners keep their colours
    assert (
        mean_abs_diff(
            decoded.pixels[[0, -1]][:, [0, -1]], test_pattern(300, 200)[[0, -1]][:, [0, -1]]
        )
        < 6
    )


def test_big_jpeg_uses_a_draft_and_still_looks_right(monkeypatch: pytest.MonkeyPatch) -> None:
    drafted: list[tuple[int, int]] = []  # image size right after each draft() call
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, *args: object) -> object:
        result = real_draft(self, *args)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    pixels = test_pattern(2400, 1600)
    decoded = decode_image(encode(Image.fromarray(pixels), "JPEG", quality=95), max_side=256)
    assert drafted == [(600, 400)]  # libjpeg decoded at 1/4 scale, >= 2x the 256x171 target
    assert decoded.pixels.shape == (171, 256, 3)
    assert decoded.original_size == (2400, 1600)
    assert decoded.notes == ("Downscaled from 2400×1600 to 256×171.",)
    reference = np.asarray(Image.fromarray(pixels).resize((256, 171), Image.Resampling.LANCZOS))
    assert mean_abs_diff(decoded.pixels, reference) < 3.0


def test_downscale_note_uses_the_upright_size() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    data = encode(Image.fromarray(test_pattern(200, 100)), "JPEG", exif=exif.tobytes())
    decoded = decode_image(data, max_side=50)
    assert decoded.pixels.shape == (50, 25, 3)
    assert decoded.notes == (
        "Rotated upright from its EXIF orientation.",
        "Downscaled from 100×200 to 25×50.",
    )


def test_small_image_is_left_alone_and_max_side_one_works() -> None:
    data = encode(Image.fromarray(four_blocks()), "PNG")
    assert decode_image(data, max_side=48).notes == ()
    assert load_image(data, max_side=1).shape == (1, 1, 3)


# --- API shape ------------------------------------------------------------------------------


def test_load_image_is_decode_image_pixels_and_result_is_frozen() -> None:
    data = encode(Image.fromarray(test_pattern()), "PNG")
    decoded = decode_image(data)
    np.testing.assert_array_equal(load_image(data), decoded.pixels)
    assert isinstance(decoded, DecodedImage)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.format = "JPEG"  # type: ignore[misc]


# --- samples --------------------------------------------------------------------------------


def test_sample_names_are_in_display_order() -> None:
    names = sample_names()
    assert names[:2] == ["astronaut", "chelsea (cat)"]
    assert len(names) == len(set(names)) >= 5


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_loads(name: str) -> None:
    pixels = load_sample(name)
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    assert 256 <= max(pixels.shape[:2]) <= 512
    assert pixels.std() > 20  # a real photo, not a blank
    if "grayscale" in name:
        np.testing.assert_array_equal(pixels[:, :, 0], pixels[:, :, 2])
    assert max(load_sample(name, max_side=100).shape[:2]) == 100


def test_unknown_sample_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        load_sample("no such sample")
