"""Images from arrays: display ranges, heat overlays, normalised maps and tiled feature maps."""

from __future__ import annotations

import numpy as np

from cnnplay.plots.style import HEAT_STOPS


def to_uint8(values: np.ndarray, mode: str = "clip") -> np.ndarray:
    """Filter responses (float, any range) -> uint8 for display.

    mode: "clip" (values outside 0..255 saturate, as a saved photo would), "rescale" (min..max
    stretched to 0..255) or "absolute" (|v| with its maximum stretched to 255: edge strength of
    either sign).
    """
    v = np.asarray(values, dtype=np.float32)
    if mode == "absolute":
        v = np.abs(v)
        top = float(v.max())
        v = v * (255.0 / top) if top > 0 else v
    elif mode == "rescale":
        lo, hi = float(v.min()), float(v.max())
        v = (v - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v)
    elif mode != "clip":
        raise ValueError(f"unknown display mode {mode!r}")
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


DISPLAY_MODES: dict[str, str] = {
    "auto": "auto (|y| for edge kernels, else clip)",
    "clip": "clip to 0–255 (as saved)",
    "rescale": "stretch min–max to 0–255",
    "absolute": "|y|, stretched to 0–255",
}


def resolve_display_mode(mode: str, kernel: np.ndarray) -> str:
    """ "auto" -> "absolute" for kernels whose weights sum to ~0 (edge detectors: their output
    is signed and centred on 0), else "clip"; any other mode is returned as is."""
    if mode != "auto":
        return mode
    return "absolute" if abs(float(np.sum(kernel))) < 1e-3 else "clip"


def heat_colours(heat: np.ndarray) -> np.ndarray:
    """(H, W) values in 0..1 -> (H, W, 3) uint8 colours of the viridis scale (HEAT_STOPS: dark
    purple at 0, through blue and green, to yellow at 1; lightness rises with the value)."""
    v = np.clip(np.asarray(heat, dtype=np.float32), 0, 1)
    channels = [np.interp(v, HEAT_STOPS[:, 0], HEAT_STOPS[:, k]) for k in (1, 2, 3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def heat_overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a (H, W) 0..1 heat map over a (H, W, 3) uint8 picture; weak heat stays see-through.
    Returns (H, W, 3) uint8."""
    v = np.clip(np.asarray(heat, dtype=np.float32), 0, 1)[..., None]  # (H, W, 1)
    weight = alpha * np.sqrt(v)
    mixed = (1 - weight) * image.astype(np.float32) + weight * heat_colours(v[..., 0])
    return np.rint(mixed).astype(np.uint8)


def normalise_map(
    values: np.ndarray, signed: bool = False, percentile: float = 100.0
) -> np.ndarray:
    """Any float map -> 0..1 for display: v / top (signed=False, values >= 0) or
    0.5 + v / (2 top) clipped (signed=True: grey is 0), where top is the given percentile of
    |v| (100: the maximum; 99 lets sparse gradient maps show more than a few bright dots).
    All-zero input gives zeros (or 0.5)."""
    v = np.asarray(values, dtype=np.float32)
    top = float(np.percentile(np.abs(v), percentile))
    if top <= 0:
        top = float(np.abs(v).max())
    if signed:
        return np.clip(0.5 + v / (2 * top), 0, 1) if top > 0 else np.full_like(v, 0.5)
    return np.clip(v / top, 0, 1) if top > 0 else np.zeros_like(v)


def tile_maps(maps: np.ndarray, cols: int, gap: int = 2, upscale: int = 1) -> np.ndarray:
    """(N, h, w) float maps -> one (rows*(h*upscale+gap), cols*(w*upscale+gap)) uint8 mosaic,
    each map stretched min..max on its own; white gaps between tiles. (N, h, w, 3) float 0..1
    colour tiles give an (.., .., 3) mosaic."""
    maps = np.asarray(maps, dtype=np.float32)
    colour = maps.ndim == 4
    n, h, w = maps.shape[:3]
    rows = max(1, -(-n // cols))
    th, tw = h * upscale + gap, w * upscale + gap
    shape = (rows * th, cols * tw) + ((3,) if colour else ())
    mosaic = np.full(shape, 255, np.uint8)
    for k in range(n):
        m = maps[k]
        if colour:
            tile = np.clip(m, 0, 1) * 255
        else:
            lo, hi = float(m.min()), float(m.max())
            tile = (m - lo) * (255 / (hi - lo)) if hi > lo else np.zeros_like(m)
        tile = np.repeat(np.repeat(tile, upscale, axis=0), upscale, axis=1)
        r, c = divmod(k, cols)
        mosaic[r * th : r * th + h * upscale, c * tw : c * tw + w * upscale] = np.rint(tile)
    return mosaic


def image_source(image: np.ndarray) -> str:
    """(H, W, 3) or (H, W) uint8 -> a PNG data URI, for a plotly layout image."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
