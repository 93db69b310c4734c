"""Weight sharing and its limits, made measurable: the test accuracy of trained models on test
images shifted, rotated and scaled (seed 004, "CNN: Limits": *not invariant to basic
transformation of the input (rotations, scaling, ...); a bit more robust to small translations
due to the pooling layers*; *data augmentation: artificially generate rotated/scaled/cropped
instances of the training images to make the network more robust*).

The transformations are :mod:`cnnplay.convnets.augment`'s (the ones augmentation draws at
random), here at fixed amounts for every image: :func:`~cnnplay.convnets.augment.shift` (whole
pixels, zero fill: exact copies) and :func:`~cnnplay.convnets.augment.affine` (rotation,
counter-clockwise on screen for a positive angle, and scaling about the centre; bilinear, zero
fill). :func:`transformed` gives a sweep's images; :func:`robustness_curves` scores every model
at every value of every sweep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from torch import Tensor, nn

from cnnplay.convnets.augment import affine, amounts_like, shift
from cnnplay.convnets.models import normalise
from cnnplay.plots.style import FONT_SIZE, OKABE_GREY, SERIES_COLOURS
from cnnplay.progress import ProgressFn, StopFn

EVAL_BATCH = 500  # test images per forward pass


# --- the sweeps ---------------------------------------------------------------------------

DIRECTIONS: dict[str, tuple[int, int]] = {  # a shift's direction -> (dx, dy) of one pixel
    "right": (1, 0),
    "left": (-1, 0),
    "down": (0, 1),
    "up": (0, -1),
}


@dataclass(frozen=True)
class Sweep:
    """One transformation and the values it is tried at."""

    key: str  # "shift", "rotation", "scale"
    title: str  # the chart's title
    x_title: str  # the x axis title
    values: tuple[float, ...]  # the x values; the untransformed value is among them
    identity: float  # the value that leaves the image as it is (0 px, 0°, ×1)


SWEEPS: tuple[Sweep, ...] = (
    Sweep("shift", "Shift", "shift (pixels; mean of right, left, down, up)", (0, 1, 2, 3, 4), 0),
    Sweep(
        "rotation",
        "Rotation",
        "rotation angle (degrees, counter-clockwise)",
        (-45, -30, -15, 0, 15, 30, 45),
        0,
    ),
    Sweep(
        "scale", "Scale", "scale factor (about the centre)", (0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4), 1
    ),
)


def transformed(sweep: Sweep, value: float, images: Tensor) -> list[Tensor]:
    """``images`` ((N, 1, H, W) uint8) transformed by ``sweep`` at ``value``, as float32 pixels
    in 0..1, zero (black) fill: one (N, 1, H, W) batch per direction of :data:`DIRECTIONS` for a
    non-zero shift, one batch otherwise (the images as they are at the identity)."""
    x = images.float() / 255.0  # (N, 1, H, W) in 0..1
    n = len(x)
    if float(value) == sweep.identity:
        return [x]
    if sweep.key == "shift":
        d = int(value)
        return [
            shift(x, torch.tensor([[dx * d, dy * d]], dtype=torch.float32).repeat(n, 1))
            for dx, dy in DIRECTIONS.values()
        ]
    if sweep.key == "rotation":
        return [affine(x, *amounts_like(n, degrees=float(value)))]
    if sweep.key == "scale":
        return [affine(x, *amounts_like(n, scale=float(value)))]
    raise ValueError(f"unknown transformation {sweep.key!r}")


@torch.inference_mode()
def correct(model: nn.Module, x: Tensor, labels: Tensor, batch: int = EVAL_BATCH) -> int:
    """How many images of ``x`` ((N, 1, H, W) float pixels in 0..1) ``model`` classifies as
    ``labels`` ((N,) int64); the model runs as it is (put it in eval mode first) on its device."""
    device = next(model.parameters()).device
    right = 0
    for start in range(0, len(x), batch):
        xb = normalise(x[start : start + batch]).to(device)  # (B, 1, H, W) in [-1, 1]
        right += int((model(xb).argmax(1).cpu() == labels[start : start + batch]).sum())
    return right


@dataclass(frozen=True)
class Curves:
    """Test accuracy of each model at each value of one sweep."""

    sweep: Sweep
    accuracy: dict[str, tuple[float, ...]]  # model key -> accuracy (0..1) per sweep value
    images: int  # test images scored at every value (and in every shift direction)
    by_direction: dict[str, tuple[tuple[float, ...], ...]]  # shifts: model -> per value, the
    # accuracy per direction of DIRECTIONS (one entry at 0 px); other sweeps: empty


def robustness_curves(
    models: Mapping[str, nn.Module],
    images: Tensor,
    labels: Tensor,
    sweeps: Sequence[Sweep] = SWEEPS,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> dict[str, Curves] | None:
    """Score every model on ``images`` ((N, 1, H, W) uint8) transformed at every value of every
    sweep (:func:`transformed`); ``labels``: (N,) int64. A shift's accuracy is the mean over
    the four directions. The untransformed images are scored once for all sweeps.

    Returns sweep key -> :class:`Curves`, or None when ``should_stop()`` said so. The models
    run in eval mode under ``inference_mode`` (each model's train/eval mode is restored after);
    ``on_progress(done, total, {"sweep": key})`` after every value of every sweep."""
    total = sum(len(s.values) for s in sweeps)
    done = 0
    modes = {k: m.training for k, m in models.items()}
    plain: dict[str, float] = {}  # model -> accuracy on the untransformed images
    out: dict[str, Curves] = {}
    try:
        for m in models.values():
            m.eval()
        for sweep in sweeps:
            per_value: dict[str, list[tuple[float, ...]]] = {k: [] for k in models}
            for value in sweep.values:
                if should_stop is not None and should_stop():
                    return None
                identity = float(value) == sweep.identity
                batches = [] if identity and plain else transformed(sweep, value, images)
                for key, model in models.items():
                    if identity and key in plain:
                        per_value[key].append((plain[key],))
                        continue
                    per = tuple(correct(model, xb, labels) / len(labels) for xb in batches)
                    per_value[key].append(per)
                    if identity:
                        plain[key] = per[0]
                done += 1
                if on_progress is not None:
                    on_progress(done, total, {"sweep": sweep.key})
            out[sweep.key] = Curves(
                sweep,
                {k: tuple(float(np.mean(p)) for p in v) for k, v in per_value.items()},
                len(labels),
                {k: tuple(v) for k, v in per_value.items()} if sweep.key == "shift" else {},
            )
    finally:
        for k, m in models.items():
            m.train(modes[k])
    return out


# --- figures ---------------------------------------------------------------------------------


def chance_trace(chance: float, x: list, xaxis: str = "x") -> dict:
    """A dotted grey line at ``chance`` (1 / classes) from x[0] to x[1], in the legend."""
    return {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "y": [chance, chance],
        "xaxis": xaxis,
        "name": f"chance ({100 * chance:.0f}%)",
        "line": {"color": OKABE_GREY, "dash": "dot", "width": 1},
        "hoverinfo": "skip",
    }


def curves_figure(
    curves: Curves,
    labels: Mapping[str, str],
    chance: float,
    dashed: Curves | None = None,
    solid_name: str = "",
    dashed_name: str = "",
    height: int = 320,
) -> go.Figure:
    """Accuracy (0..1) against the sweep's value, one colour per model (``labels``: key ->
    name, in legend order); ``dashed``: the same sweep for other copies of the models (e.g.
    trained with augmentation), drawn dashed in the same colours. ``solid_name`` /
    ``dashed_name`` end the legend entries ("plain", "augmented"). A dotted line at ``chance``,
    the last trace."""
    x = [float(v) for v in curves.sweep.values]
    data = []
    for k, key in enumerate(labels):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        for which, dash, suffix in ((curves, "solid", solid_name), (dashed, "dash", dashed_name)):
            if which is None or key not in which.accuracy:
                continue
            name = labels[key] + (f" ({suffix})" if suffix else "")
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": list(which.accuracy[key]),
                    "name": name,
                    "legendgroup": key,
                    "line": {"color": colour, "dash": dash, "width": 2},
                    "marker": {"color": colour, "size": 6},
                    "hovertemplate": f"{name}: %{{y:.1%}} at %{{x}}<extra></extra>",
                }
            )
    data.append(chance_trace(chance, [x[0], x[-1]]))
    layout = {
        "title": {"text": curves.sweep.title, "font": {"size": FONT_SIZE + 2}},
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": curves.sweep.x_title}, "tickvals": x},
        "yaxis": {"title": {"text": "test accuracy"}, "range": [0, 1.02], "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": -0.3, "font": {"size": 11}},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def example_strip(image: Tensor, sweep: Sweep, upscale: int = 3) -> list[np.ndarray]:
    """One image ((1, H, W) uint8) at each value of ``sweep`` (a shift: to the right), as
    (H·upscale, W·upscale) uint8 pictures, nearest-neighbour enlarged."""
    pictures = []
    for value in sweep.values:
        y = transformed(sweep, value, image[None])[0]  # (1, 1, H, W): the first direction
        pic = (y[0, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()  # (H, W)
        pictures.append(np.kron(pic, np.ones((upscale, upscale), np.uint8)))
    return pictures
