"""Style images that work offline: a few painterly textures drawn with numpy, and the sample
photos.

Neural style transfer needs a *style image*; the app ships only six photos, so this module
draws a few textures with the kind of structure a painting has — colours that go together,
strokes with an orientation, tiles with edges — at any size, deterministically (the same name
and side give the same pixels on every machine; no randomness outside a fixed seed per name).
Each feature is sized relative to the side, so a texture looks the same at 128 or 512 pixels.

>>> from cnnplay.synthesis.style_images import style_image, style_names
>>> style_image("mosaic", 128).shape
(128, 128, 3)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from cnnplay.images import load_sample, sample_names

# Palettes: (k, 3) uint8 colours each texture mixes.
NIGHT = np.array(  # deep blues to a warm yellow (a starry night)
    [
        [16, 30, 78],
        [34, 72, 145],
        [76, 130, 196],
        [160, 196, 222],
        [236, 214, 110],
        [246, 238, 190],
    ],  # fmt: skip
    np.uint8,
)
TILES = np.array(  # glazed tiles: terracotta, ochre, teal, cobalt, cream, olive
    [[184, 84, 52], [214, 160, 60], [40, 128, 124], [38, 70, 150], [232, 220, 190], [120, 130, 60]],
    np.uint8,
)
MEADOW = np.array(  # an impressionist field: greens, yellow, orange, sky blue, violet
    [
        [52, 104, 60],
        [110, 150, 70],
        [226, 196, 80],
        [222, 130, 60],
        [110, 160, 210],
        [130, 100, 170],
    ],  # fmt: skip
    np.uint8,
)
BANNERS = np.array(  # bold stripes: red, orange, yellow, green, blue, purple
    [[200, 40, 50], [240, 140, 40], [245, 210, 60], [60, 160, 90], [40, 100, 190], [120, 60, 150]],
    np.uint8,
)
GROUT = np.array([40, 38, 36], np.float64)  # the dark lines between tiles and stripes


def _grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    """(side, side) float64 coordinates y and x in 0..1 (pixel centres)."""
    c = (np.arange(side, dtype=np.float64) + 0.5) / side
    return np.meshgrid(c, c, indexing="ij")


def _palette(t: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Values t in 0..1 (any shape) -> colours interpolated along the palette, (..., 3) float64."""
    stops = np.linspace(0.0, 1.0, len(colours))
    t = np.clip(t, 0.0, 1.0)
    return np.stack([np.interp(t, stops, colours[:, k].astype(np.float64)) for k in range(3)], -1)


def _finish(rgb: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def swirls(side: int) -> np.ndarray:
    """A colourful flow pattern: wavy bands twisted around a few vortices (blues and
    yellows), with a fine streak texture along them. (side, side, 3) uint8."""
    rng = np.random.default_rng(11)
    y, x = _grid(side)
    for _ in range(7):  # twirl the plane around each vortex in turn
        cy, cx = rng.uniform(0.05, 0.95, 2)
        radius = rng.uniform(0.12, 0.25)
        twist = rng.choice([-1.0, 1.0]) * rng.uniform(2.5, 5.0)  # radians at the centre
        dy, dx = y - cy, x - cx
        turn = twist * np.exp(-((dy**2 + dx**2) / radius**2))  # (side, side)
        cos, sin = np.cos(turn), np.sin(turn)
        y, x = cy + cos * dy - sin * dx, cx + sin * dy + cos * dx
    phase = 5.0 * (x + 0.5 * y) + 0.3 * np.sin(2 * np.pi * (1.5 * x + 2 * y))  # (side, side)
    bands = 0.5 + 0.5 * np.sin(2 * np.pi * phase)  # 0..1
    streaks = 0.07 * np.sin(2 * np.pi * 7.0 * phase)  # thin lines along the bands
    return _finish(_palette(0.9 * bands + 0.05 + streaks, NIGHT))


def mosaic(side: int) -> np.ndarray:
    """Voronoi tiles in glazed colours, each slightly shaded towards its edge, with dark
    grout between them. (side, side, 3) uint8."""
    rng = np.random.default_rng(23)
    per_row = 11  # tile centres: a jittered 11 × 11 grid (no slivers where two centres meet)
    n_tiles = per_row * per_row
    gy, gx = np.divmod(np.arange(n_tiles), per_row)
    seeds = (np.stack([gy, gx], 1) + 0.5 + rng.uniform(-0.4, 0.4, (n_tiles, 2))) / per_row
    colours = TILES[rng.integers(0, len(TILES), n_tiles)].astype(np.float64)  # (T, 3)
    colours *= rng.uniform(0.85, 1.1, (n_tiles, 1))  # no two tiles quite alike
    y, x = _grid(side)
    points = np.stack([y.ravel(), x.ravel()], axis=1)  # (side², 2)
    dist, nearest = cKDTree(seeds).query(points, k=2)  # (side², 2) each
    gap = (dist[:, 1] - dist[:, 0]).reshape(side, side)  # 0 on a border between two tiles
    rgb = colours[nearest[:, 0]].reshape(side, side, 3)
    shade = 0.8 + 0.2 * np.clip(gap / 0.05, 0, 1)  # (side, side): a little darker at the edge
    rgb = rgb * shade[..., None]
    grout = np.clip((gap - 0.006) / 0.006, 0.0, 1.0)[..., None]  # 0 in the grout, 1 in a tile
    return _finish(grout * rgb + (1 - grout) * GROUT)


def brush_strokes(side: int) -> np.ndarray:
    """Short, thick strokes of an impressionist palette laid over each other, each following
    a smooth field of directions, with bristle marks across it. (side, side, 3) uint8."""
    rng = np.random.default_rng(37)
    canvas = np.empty((side, side, 3), np.float64)
    canvas[:] = MEADOW[0]
    n_strokes = 500
    length, width = 0.16 * side, 0.045 * side  # in pixels: features scale with the side
    for k in range(n_strokes):
        cy, cx = rng.uniform(0, side, 2)
        # direction field: mostly horizontal at the bottom, turning upwards near the top
        angle = 0.6 * np.sin(2 * np.pi * cx / side * 1.3) + 1.2 * (1 - cy / side) ** 2
        angle += rng.normal(0, 0.15)
        half = length * rng.uniform(0.5, 1.0) / 2
        w = width * rng.uniform(0.7, 1.3)
        r = int(np.ceil(half + w)) + 1
        y0, y1 = max(0, int(cy) - r), min(side, int(cy) + r + 1)
        x0, x1 = max(0, int(cx) - r), min(side, int(cx) + r + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)  # (h, w) pixel coordinates
        along = (xx - cx) * np.cos(angle) - (yy - cy) * np.sin(angle)
        across = (xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        reach = np.maximum(np.abs(along) / half, np.abs(across) / (w / 2))  # 1 on the edge
        inside = np.clip(4.0 * (1.0 - reach), 0, 1)  # (h, w): 1 inside, a soft 1/4 rim
        # later strokes come from further up the palette in the upper part (the sky)
        t = np.clip(rng.normal(0.3 + 0.5 * (1 - cy / side), 0.2), 0, 1)
        colour = _palette(np.array(t), MEADOW) * rng.uniform(0.8, 1.15)
        bristles = 1 + 0.1 * np.sin(across * (5.0 / w) * np.pi + k)  # (h, w)
        patch = colour * bristles[..., None]  # (h, w, 3)
        alpha = (0.9 * inside)[..., None]
        canvas[y0:y1, x0:x1] = (1 - alpha) * canvas[y0:y1, x0:x1] + alpha * patch
    return _finish(canvas)


def stripes(side: int) -> np.ndarray:
    """Bold wavy diagonal stripes in six colours with thin dark lines between them, and a
    faint canvas grain. (side, side, 3) uint8."""
    rng = np.random.default_rng(5)
    y, x = _grid(side)
    u = (x + y) * 4.0 + 0.25 * np.sin(2 * np.pi * (1.5 * x - 2.0 * y))  # (side, side)
    k = np.floor(u)
    colours = BANNERS[(k.astype(int) * 5) % len(BANNERS)].astype(np.float64)  # (side, side, 3)
    frac = u - k
    edge = np.clip(np.minimum(frac, 1 - frac) / 0.03, 0, 1)[..., None]  # 0 on a line
    grain = 1 + 0.05 * rng.standard_normal((side, side, 1))
    return _finish((edge * colours + (1 - edge) * GROUT) * grain)


TEXTURES: dict[str, Callable[[int], np.ndarray]] = {  # name -> drawing function, display order
    "swirls": swirls,
    "mosaic": mosaic,
    "brush strokes": brush_strokes,
    "stripes": stripes,
}
MIN_SIDE, MAX_SIDE = 16, 1024  # sides a texture can be drawn at


def texture_names() -> list[str]:
    """The generated textures, in display order."""
    return list(TEXTURES)


def texture(name: str, side: int = 256) -> np.ndarray:
    """The texture ``name`` drawn at ``side`` × ``side`` pixels: (side, side, 3) uint8 RGB,
    the same pixels for the same arguments. Raises KeyError for an unknown name, ValueError for
    a side outside MIN_SIDE..MAX_SIDE."""
    if name not in TEXTURES:
        raise KeyError(f"unknown texture {name!r}; choose one of {texture_names()}")
    if not MIN_SIDE <= int(side) <= MAX_SIDE:
        raise ValueError(f"side must be in {MIN_SIDE}..{MAX_SIDE}, got {side}")
    return TEXTURES[name](int(side))


def style_names() -> list[str]:
    """Every offline style source: the generated textures, then the sample photos."""
    return texture_names() + sample_names()


def style_image(name: str, side: int = 256) -> np.ndarray:
    """A style source by name: a generated texture at ``side`` × ``side`` or a sample photo
    with its longer side at most ``side`` (its own aspect). (H, W, 3) uint8 RGB. Raises
    KeyError for a name not in :func:`style_names`."""
    if name in TEXTURES:
        return texture(name, side)
    return load_sample(name, side)
