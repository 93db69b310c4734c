"""Re-create the bundled sample photos in assets/samples/ from scikit-image's own data files.

Each file in ``cnnplay.images.SAMPLES`` is named after the ``skimage.data`` function it comes
from (``chelsea.jpg`` <- ``skimage.data.chelsea()``); only CC0 / public-domain images are used
(see assets/samples/ATTRIBUTION.md). Each image is shrunk so its longer side is at most
``MAX_SIDE`` pixels (LANCZOS) and saved as baseline JPEG, quality ``QUALITY``, with no metadata,
so re-running gives the same bytes with the same Pillow / libjpeg build.

Usage (from the repository root):
    python -m scripts.make_sample_images           # write the files
    python -m scripts.make_sample_images --check   # verify the shipped files; exit 1 on a problem
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

from cnnplay.images import SAMPLES, SAMPLES_DIR, ImageError, load_sample

MAX_SIDE = 512  # longer side of each shipped sample, pixels
QUALITY = 90  # JPEG quality
MAX_TOTAL_BYTES = 600 * 1024  # budget for all samples together
MAX_MEAN_ABS_DIFF = 2.0  # --check: shipped vs freshly made pixels, 0..255 scale


def source_pixels(filename: str) -> np.ndarray:
    """The original pixels from skimage.data.<stem>(): (H, W) or (H, W, 3) uint8."""
    pixels = getattr(skimage.data, Path(filename).stem)()
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"{filename}: unexpected source array {pixels.dtype} {pixels.shape}")
    return pixels


def encode_sample(pixels: np.ndarray) -> bytes:
    """Shrink (H, W[, 3]) uint8 to longer side <= MAX_SIDE and encode as JPEG bytes."""
    img = Image.fromarray(pixels)  # mode "L" for 2-D input, "RGB" for (H, W, 3)
    scale = MAX_SIDE / max(img.size)
    if scale < 1:
        size = (round(img.width * scale), round(img.height * scale))
        img = img.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY, optimize=False, progressive=False, subsampling="4:2:0")
    return out.getvalue()


def make_all() -> None:
    """Write every sample file into SAMPLES_DIR."""
    SAMPLES_DIR.mkdir(parents=True, exist_ok=True)
    for name, filename in SAMPLES.items():
        data = encode_sample(source_pixels(filename))
        (SAMPLES_DIR / filename).write_bytes(data)
        print(f"{filename:14s} {len(data) / 1024:6.1f} KB  ({name})")


def check_all() -> list[str]:
    """Problems with the shipped samples (empty when all is well)."""
    problems: list[str] = []
    shipped = {p.name for p in SAMPLES_DIR.glob("*.jpg")}
    expected = set(SAMPLES.values())
    problems += [f"missing file {f}" for f in sorted(expected - shipped)]
    problems += [f"file {f} is not in cnnplay.images.SAMPLES" for f in sorted(shipped - expected)]
    attribution = (SAMPLES_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    total = 0
    for name, filename in SAMPLES.items():
        if filename not in shipped:
            continue
        total += (SAMPLES_DIR / filename).stat().st_size
        if filename not in attribution:
            problems.append(f"{filename} is not credited in ATTRIBUTION.md")
        problems += _check_one(name, filename)
    if total > MAX_TOTAL_BYTES:
        problems.append(f"samples take {total / 1024:.0f} KB, over {MAX_TOTAL_BYTES // 1024} KB")
    return problems


def _check_one(name: str, filename: str) -> list[str]:
    """Decode one shipped sample through cnnplay and compare it with a fresh encoding."""
    try:
        pixels = load_sample(name, max_side=MAX_SIDE)  # (H, W, 3) uint8
    except ImageError as err:
        return [f"{filename}: {err}"]
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        return [f"{filename}: decoded to {pixels.dtype} {pixels.shape}, not (H, W, 3) uint8"]
    fresh = np.asarray(
        Image.open(io.BytesIO(encode_sample(source_pixels(filename)))).convert("RGB")
    )  # (H, W, 3) uint8
    if fresh.shape != pixels.shape:
        return [f"{filename}: shape {pixels.shape}, a fresh build gives {fresh.shape}"]
    diff = float(np.abs(fresh.astype(np.int16) - pixels.astype(np.int16)).mean())
    if diff > MAX_MEAN_ABS_DIFF:
        return [f"{filename}: differs from a fresh build by {diff:.2f} on average; re-run"]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="verify the shipped files instead of writing them"
    )
    args = parser.parse_args()
    if not args.check:
        make_all()
        return 0
    problems = check_all()
    for problem in problems:
        print("PROBLEM:", problem)
    if not problems:
        print(f"ok: {len(SAMPLES)} samples decode and match cnnplay.images.SAMPLES")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
