"""Spatial structure, made measurable: shuffle the pixels of every image with one fixed
permutation, for training and test alike, and train the MLP and the CNN again.

To the MLP the image is a list of 784 numbers: a fixed reordering of the list is the same
problem, because its first layer can reorder its weight columns the same way. In symbols, with
``x' = P x`` (``x'_i = x_{π(i)}``) and the permuted first layer ``W' = W Pᵀ`` (column ``i`` of
``W'`` is column ``π(i)`` of ``W``), ``W' x' = W Pᵀ P x = W x``: the same hidden units, the same
outputs (:func:`rewire_mlp`, :func:`equivalence`). A CNN's 3×3 kernels, on the other hand, look at
neighbouring pixels, and neighbours are what the shuffle destroys: its accuracy falls.

:func:`shuffled_run` sets up the models for training on shuffled pixels with
:mod:`cnnplay.convnets.training` (the Train tab's loop, the same seeds and batches). With
``same_start`` the MLP starts from the original MLP's initial weights, their columns reordered
the same way (a start exactly as random as any other draw): then, in exact arithmetic, its whole
training is the original's, reordered, and so is every prediction it makes (float32 rounding
aside: the same terms summed in another order).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go
import torch
from torch import Tensor

from cnnplay.convnets.data import Split
from cnnplay.convnets.models import MLP, normalise
from cnnplay.convnets.robustness import chance_trace
from cnnplay.convnets.training import LiveRun, SideBySideSettings, new_run
from cnnplay.plots.style import FONT_SIZE, SERIES_COLOURS
from cnnplay.seeding import generator


def pixel_permutation(side: int = 28, seed: int = 0) -> Tensor:
    """One fixed shuffle of the ``side × side`` pixel positions: (side², ) int64, a permutation
    of 0..side²-1 drawn from a generator of ``seed`` alone (the same seed, the same shuffle)."""
    if side < 1:
        raise ValueError("side must be at least 1")
    return torch.randperm(side * side, generator=generator(seed))


def inverse(perm: Tensor) -> Tensor:
    """The permutation that undoes ``perm``: (P,) int64 with ``inverse(perm)[perm] = arange``."""
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(len(perm), device=perm.device)
    return inv


def permute_pixels(images: Tensor, perm: Tensor) -> Tensor:
    """(N, C, H, W) any dtype -> (N, C, H, W), the same dtype: pixel ``i`` (row-major, ``i = r·W
    + c``) of every image and channel becomes old pixel ``perm[i]``. ``perm``: (H·W,) int64."""
    n, c, h, w = images.shape
    if perm.shape != (h * w,):
        raise ValueError(f"the permutation has {len(perm)} entries; the images have {h * w} pixels")
    flat = images.reshape(n, c, h * w)  # (N, C, H·W)
    return flat[:, :, perm.to(images.device)].reshape(n, c, h, w)


def permute_split(split: Split, perm: Tensor) -> Split:
    """``split`` with every training and test image shuffled by ``perm`` (labels unchanged)."""
    return replace(
        split,
        x_train=permute_pixels(split.x_train, perm),
        x_test=permute_pixels(split.x_test, perm),
        source=f"{split.source}, pixels shuffled",
    )


def rewire_(mlp: MLP, perm: Tensor) -> MLP:
    """Reorder ``mlp``'s first-layer weight columns by ``perm`` in place (``W ← W[:, perm]``) and
    return it: it then reads images shuffled by ``perm`` as it read the originals before."""
    weight = mlp.hidden.weight  # (hidden, H·W)
    if perm.shape != (weight.shape[1],):
        raise ValueError(
            f"the permutation has {len(perm)} entries; the MLP reads {weight.shape[1]}"
        )
    with torch.no_grad():
        weight.copy_(weight[:, perm.to(weight.device)])
    return mlp


def rewire_mlp(mlp: MLP, perm: Tensor) -> MLP:
    """A copy of ``mlp`` whose first layer reads shuffled images (:func:`rewire_`), so that
    ``rewire_mlp(mlp, perm)(permute_pixels(x, perm)) == mlp(x)`` in exact arithmetic."""
    return rewire_(copy.deepcopy(mlp), perm)


@dataclass(frozen=True)
class Equivalence:
    """The check that a rewired MLP on shuffled images is the original MLP."""

    images: int  # test images compared
    max_diff_float32: float  # max |original logit - rewired logit|, as the models run
    max_diff_float64: float  # the same with both models and images in float64
    same_predictions: int  # images whose predicted class is the same for both
    largest_logit: float  # max |logit|, for scale


def equivalence(mlp: MLP, images: Tensor, perm: Tensor) -> Equivalence:
    """Run ``mlp`` on ``images`` ((N, 1, H, W) uint8) and its rewired twin on the shuffled
    images; compare the logits in float32 and in float64 (copies of both on the CPU, which every
    platform runs in float64). Eval mode, no gradients."""
    twin = rewire_mlp(mlp, perm)
    shuffled = permute_pixels(images, perm)
    diffs, same, top = {}, 0, 0.0
    for dtype in (torch.float32, torch.float64):
        a_model = copy.deepcopy(mlp).to("cpu", dtype).eval()
        b_model = copy.deepcopy(twin).to("cpu", dtype).eval()
        with torch.inference_mode():
            a = a_model(normalise(images.cpu()).to(dtype))  # (N, K)
            b = b_model(normalise(shuffled.cpu()).to(dtype))  # (N, K)
        diffs[dtype] = float((a - b).abs().max()) if len(a) else 0.0
        if dtype == torch.float32:
            same = int((a.argmax(1) == b.argmax(1)).sum())
            top = float(a.abs().max()) if len(a) else 0.0
    return Equivalence(len(images), diffs[torch.float32], diffs[torch.float64], same, top)


def shuffled_run(
    num_classes: int,
    perm: Tensor,
    settings: SideBySideSettings,
    names: tuple[str, ...] = ("mlp", "cnn"),
    same_start: bool = True,
) -> LiveRun:
    """Fresh models of ``names`` with their optimisers (:func:`cnnplay.convnets.training.new_run`:
    the weights the original models start from, drawn from ``settings.seed``), ready for
    :func:`~cnnplay.convnets.training.train_side_by_side` on a split shuffled by ``perm``.
    ``same_start``: the MLP's first-layer columns are reordered by ``perm`` (:func:`rewire_`)."""
    run = new_run(num_classes, settings, names)
    if same_start and "mlp" in run.models:
        rewire_(run.models["mlp"], perm)
    return run


def show_pairs(images: Tensor, perm: Tensor, upscale: int = 4) -> list[tuple[np.ndarray, ...]]:
    """For display: (original, shuffled) pairs of (H·upscale, W·upscale) uint8 grey pictures,
    nearest-neighbour enlarged so every pixel stays a sharp square. images: (N, 1, H, W) uint8."""
    shuffled = permute_pixels(images, perm)
    big = [
        (
            np.kron(a[0].numpy(), np.ones((upscale, upscale), np.uint8)),
            np.kron(b[0].numpy(), np.ones((upscale, upscale), np.uint8)),
        )
        for a, b in zip(images, shuffled, strict=True)
    ]
    return big


def accuracy_bars_figure(
    models: list[str],
    original: dict[str, float],
    shuffled: dict[str, float],
    chance: float,
    height: int = 320,
) -> go.Figure:
    """Test accuracy of each model (its display name in ``models``'s order) on original and on
    shuffled pixels, side by side (values in 0..1; a missing value leaves its bar out); a dotted
    line at ``chance`` (1 / classes), the last trace."""
    series = (
        ("original pixels", original, SERIES_COLOURS[0]),
        ("shuffled pixels", shuffled, SERIES_COLOURS[1]),
    )
    data = [
        {
            "type": "bar",
            "name": name,
            "x": [m for m in models if m in values],
            "y": [values[m] for m in models if m in values],
            "text": [f"{100 * values[m]:.1f}%" for m in models if m in values],
            "textposition": "outside",
            "marker": {"color": colour},
            "hovertemplate": f"%{{x}}, {name}: %{{y:.1%}}<extra></extra>",
        }
        for name, values, colour in series
    ]
    data.append(chance_trace(chance, [0, 1], xaxis="x2"))
    layout = {
        "barmode": "group",
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": "model"}, "type": "category"},
        "yaxis": {"title": {"text": "test accuracy"}, "range": [0, 1.1], "tickformat": ".0%"},
        "legend": {"orientation": "h", "y": -0.25},
        # the chance line: on a hidden 0..1 axis over the categories, so it spans the chart
        "xaxis2": {"overlaying": "x", "range": [0, 1], "visible": False},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
