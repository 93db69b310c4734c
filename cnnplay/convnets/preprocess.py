"""Your own drawing or photo, made to look like the training images, step by step — then
classified by every trained model.

MNIST's recipe (LeCun et al.): the writer's digit, white on black, is cropped to its bounding
box, resized to fit a 20×20 box keeping its aspect ratio (the resampling's anti-aliasing gives
grey edges), and placed in a 28×28 field so that its centre of mass lies at the field's centre.
Fashion-MNIST's (Xiao et al. 2017) is simpler: trim, resize the longest side to 28, centre the
box, white garment on black. Both begin here with greyscale and, when the background is light
(a pen drawing, a product photo), inverting it — the models only ever saw light objects on black.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image
from torch import nn

from cnnplay.convnets.models import SIDE, normalise
from cnnplay.plots.charts import topk_figure
from cnnplay.receptive import GREY_WEIGHTS

MIN_CONTRAST = 24.0  # grey levels between background and brightest ink below which it is blank
INK_LEVEL = 0.2  # after stretching (background 0, brightest ink 1): what counts as content


class PreprocessError(ValueError):
    """The image cannot be made into a training-like image (e.g. it is blank); the message is
    for the user."""


@dataclass(frozen=True)
class Recipe:
    """How one data set's images were made from the originals."""

    label: str  # shown to the user
    fit: int  # the content's longest side after resizing, pixels
    by_mass: bool  # centre the centre of mass (MNIST) or the bounding box (Fashion-MNIST)


RECIPES: dict[str, Recipe] = {
    "mnist": Recipe("MNIST digits: fit 20×20, centre of mass at the centre", 20, True),
    "fashion": Recipe("Fashion-MNIST: fit 28×28, box centred", SIDE, False),
}


@dataclass(frozen=True)
class Step:
    """One step of the preprocessing, for display."""

    name: str  # short name, e.g. "cropped to the content"
    pixels: np.ndarray  # (H, W) or (H, W, 3) uint8
    detail: str  # one sentence: what was done and with which numbers


@dataclass(frozen=True)
class Prepared:
    """The preprocessed image and how it was made."""

    pixels: np.ndarray  # (28, 28) uint8, white content on black, as the training images
    steps: tuple[Step, ...]  # from the input to ``pixels``, in order


def to_grey(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3) uint8 -> (H, W) float64 0..255: ITU-R BT.601 luma of R, G, B."""
    img = np.asarray(image)
    if img.ndim == 2:
        return img.astype(np.float64)
    if img.ndim != 3 or img.shape[2] != 3:
        raise PreprocessError("Expected a greyscale or RGB image.")
    return img.astype(np.float64) @ np.asarray(GREY_WEIGHTS)  # (H, W)


def background_level(grey: np.ndarray) -> float:
    """The median of the border pixels (the outermost rows and columns): the background's grey
    level, 0..255, when the object does not fill the frame."""
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    return float(np.median(border))


def content_box(ink: np.ndarray, level: float = INK_LEVEL) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom/right exclusive, of the pixels above ``level`` in an
    (H, W) 0..1 map. Raises PreprocessError when there are none."""
    rows = np.flatnonzero((ink > level).any(axis=1))
    cols = np.flatnonzero((ink > level).any(axis=0))
    if rows.size == 0:
        raise PreprocessError("Nothing is drawn: the image is blank.")
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_into(ink: np.ndarray, side: int) -> np.ndarray:
    """Resize an (h, w) 0..1 map so its longest side is ``side``, keeping the aspect ratio:
    area averaging when shrinking (the anti-aliasing that gives MNIST its grey edges), bilinear
    when enlarging. Returns (h', w') float64 in 0..1, max(h', w') = side."""
    h, w = ink.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL: (width, height)
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    out = Image.fromarray(ink.astype(np.float32)).resize(size, resample)
    return np.clip(np.asarray(out, dtype=np.float64), 0, 1)


def centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of an (h, w) map of non-negative weights (not all zero)."""
    total = ink.sum()
    rows, cols = np.indices(ink.shape)
    return float((rows * ink).sum() / total), float((cols * ink).sum() / total)


def place(ink: np.ndarray, by_mass: bool, side: int = SIDE) -> tuple[np.ndarray, tuple[int, int]]:
    """Paste an (h, w) 0..1 map (h, w ≤ side) into a side×side black field: its centre of mass
    (``by_mass``) or its box centre at the field's centre, moved by whole pixels and kept inside
    the field. Returns ((side, side) float64, (top, left) offset)."""
    h, w = ink.shape
    centre = (side - 1) / 2  # 13.5: the middle of a 28-pixel field
    if by_mass:
        cy, cx = centre_of_mass(ink)
    else:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    top = int(np.clip(np.floor(centre - cy + 0.5), 0, side - h))
    left = int(np.clip(np.floor(centre - cx + 0.5), 0, side - w))
    field = np.zeros((side, side))
    field[top : top + h, left : left + w] = ink
    return field, (top, left)


def _u8(values: np.ndarray, scale: float = 255.0) -> np.ndarray:
    return np.clip(np.rint(np.asarray(values) * scale), 0, 255).astype(np.uint8)


def preprocess(image: np.ndarray, recipe: Recipe) -> Prepared:
    """Make ``image`` look like a training image, keeping every step.

    image: (H, W) or (H, W, 3) uint8 (a drawing or a decoded upload), H, W ≥ 2. Returns the
    (28, 28) uint8 image (white content on black) and the steps. Raises PreprocessError (message
    for the user) when the image is blank or has no contrast."""
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or min(img.shape[:2]) < 2:
        raise PreprocessError("Expected an 8-bit greyscale or RGB image of at least 2×2 pixels.")
    h, w = img.shape[:2]
    steps = [Step("your image", img, f"{w}×{h} pixels, as given.")]
    grey = to_grey(img)  # (H, W) 0..255
    steps.append(
        Step(
            "greyscale",
            _u8(grey, 1),
            "Already greyscale."
            if img.ndim == 2
            else "Luma of each pixel: 0.299 R + 0.587 G + 0.114 B.",
        )
    )
    back = background_level(grey)
    if back > 127.5:
        grey = 255.0 - grey
        steps.append(
            Step(
                "inverted",
                _u8(grey, 1),
                f"The background is light (border median {back:.0f} of 255): inverted, "
                "so the content is light on black like the training images.",
            )
        )
        back = 255.0 - back
    else:
        steps.append(
            Step(
                "not inverted",
                _u8(grey, 1),
                f"The background is already dark (border median {back:.0f} of 255).",
            )
        )
    top = float(grey.max())
    if top - back < MIN_CONTRAST:
        raise PreprocessError(
            "The image is blank or has almost no contrast: draw or photograph something "
            "darker or lighter than its background."
        )
    ink = np.clip((grey - back) / (top - back), 0, 1)  # (H, W): background 0, brightest ink 1
    steps.append(
        Step(
            "levels stretched",
            _u8(ink),
            f"Background ({back:.0f}) → 0, brightest ink ({top:.0f}) → 255.",
        )
    )
    r0, r1, c0, c1 = content_box(ink)
    crop = ink[r0:r1, c0:c1]  # (h, w)
    steps.append(
        Step(
            "cropped to the content",
            _u8(crop),
            f"Rows {r0}–{r1 - 1}, columns {c0}–{c1 - 1}: the box around every pixel brighter "
            f"than {INK_LEVEL:.0%} of the ink ({c1 - c0}×{r1 - r0}).",
        )
    )
    fitted = fit_into(crop, recipe.fit)
    fh, fw = fitted.shape
    steps.append(
        Step(
            f"fit {recipe.fit}×{recipe.fit}",
            _u8(fitted),
            f"{c1 - c0}×{r1 - r0} → {fw}×{fh}: the longest side becomes {recipe.fit}, "
            "the aspect ratio is kept.",
        )
    )
    field, (oy, ox) = place(fitted, recipe.by_mass)
    how = "its centre of mass" if recipe.by_mass else "its box"
    final = _u8(field)
    steps.append(
        Step(
            f"centred in {SIDE}×{SIDE}",
            final,
            f"Placed at row {oy}, column {ox} so that {how} is at the centre of the "
            f"{SIDE}×{SIDE} field.",
        )
    )
    return Prepared(final, tuple(steps))


def grid_image(cells: np.ndarray) -> np.ndarray:
    """A drawing grid of 0/1 cells (H, W) -> (H, W) uint8 image, ink 255 on black."""
    return _u8(np.clip(np.asarray(cells, dtype=np.float64), 0, 1))


def coarse_grid(pixels: np.ndarray, side: int, level: float = 0.35) -> np.ndarray:
    """A (28, 28) uint8 image as a side×side drawing grid of 0/1 cells: area-averaged down to
    side×side, ink where the average is above ``level`` of the full scale. (side, side)
    float64."""
    small = Image.fromarray(np.asarray(pixels, np.float32) / 255.0).resize(
        (side, side), Image.Resampling.BOX
    )
    return (np.asarray(small, dtype=np.float64) > level).astype(np.float64)


def classify(models: dict[str, nn.Module], pixels: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's class probabilities for one (28, 28) uint8 image: name -> (K,) float64,
    summing to 1 (softmax of the model's output; the FCN's log of averaged probabilities gives
    those probabilities back). Under inference mode; the models are not changed."""
    x = normalise(torch.from_numpy(np.ascontiguousarray(pixels)).reshape(1, 1, SIDE, SIDE))
    out = {}
    with torch.inference_mode():
        for name, model in models.items():
            p = next(model.parameters())
            logits = model(x.to(p.device, p.dtype))  # (1, K)
            out[name] = torch.softmax(logits[0].double(), dim=0).cpu().numpy()
    return out


def top_k(probs: np.ndarray, k: int = 3) -> list[int]:
    """Indices of the k largest probabilities, largest first (ties: the lower index first)."""
    order = np.lexsort((np.arange(len(probs)), -np.asarray(probs)))
    return [int(i) for i in order[:k]]


def top_k_figure(probs: np.ndarray, classes: tuple[str, ...], title: str, k: int = 3) -> go.Figure:
    """Horizontal bars of the ``k`` most probable classes, best on top, with axis titles."""
    best = top_k(probs, k)
    fig = topk_figure([classes[i] for i in best], [float(probs[i]) for i in best], title)
    fig.update_layout(
        xaxis_title_text="probability",
        yaxis_title_text="class",
        margin_b=50,
        height=fig.layout.height + 30,
    )
    return fig
