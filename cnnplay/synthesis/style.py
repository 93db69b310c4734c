"""Neural style transfer (Gatys, Ecker & Bethge 2016): an image x with the *content* of a photo
p and the *style* of an image a, found by gradient descent on x through a fixed network.

The losses, with the constants this module uses (the notes write the plain sums; the
constants only rescale each term, so that one choice of α and β works for every image size,
stage and network):

- content, at one stage l with C channels of H × W::

      L_content = 1/(C·H·W) · Σ_c ‖f_c(x) − f_c(p)‖²_F          (a mean squared difference)

- Gram matrix of a feature map F ∈ R^{C×HW} (the map reshaped, one row per channel)::

      G[m, n] = Σ_{i,j} f[m, i, j] · f[n, i, j]                    G = F Fᵀ

  divided by the H·W positions (``normalise=True``): a mean over positions, so a Gram matrix
  does not grow with the image;

- style, over the chosen stages (Gatys' E_l and equal weights w_l = 1/L)::

      E_l = 1/(4 C_l²) · ‖Ĝ_x − Ĝ_a‖²_F = 1/(4 C_l² M_l²) · ‖G_x − G_a‖²_F,   M_l = H_l·W_l
      L_style = Σ_l (1/L) · E_l

- total::    L = α · L_content + β · L_style + λ_TV · TV(x)

The network is used read-only: one forward pass through
:func:`cnnplay.models.stages.truncated` up to the deepest stage needed, iterating the
Sequential and keeping the stages' outputs (no hooks); the targets are computed once under
``torch.inference_mode``; the gradient is taken with respect to x alone
(``torch.autograd.grad``); x lives in the network's normalised input space and is clamped to
the pixel range (:func:`cnnplay.models.pretrained.pixel_bounds`) after every step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnplay.models.pretrained import (
    PretrainedSpec,
    body_stages,
    denormalise,
    normalise_pixels,
    pixel_bounds,
)
from cnnplay.models.stages import model_device, truncated
from cnnplay.progress import ProgressFn, StopFn

STARTS = ("content", "noise")  # where x starts
OPTIMISERS = ("adam", "lbfgs")
GRAM_CHANNELS_ALL = 64  # a stage with at most this many channels keeps its whole Gram matrix
GRAM_CHANNELS_KEPT = 32  # ... a wider one keeps the first this many channels (the top-left block)
MIN_SIDE = 32  # the smallest image side the optimisation accepts
LBFGS_EVALS = 10  # L-BFGS: loss evaluations one step may spend (its line search: up to 9)


# --- the Gram matrix, the losses -----------------------------------------------------------


def gram_matrix_loops(f: np.ndarray) -> np.ndarray:
    """The notes' Gram matrix, one entry at a time: G[m, n] = Σ_{i,j} f[m, i, j] · f[n, i, j],
    how strongly channels m and n are active *together*, summed over every position.

    f: (C, H, W) float feature map. Returns (C, C) float64 (not divided by H·W). The readable
    version, shown on the page; :func:`gram_matrix` is the matrix product used for real."""
    f = np.asarray(f, dtype=np.float64)
    c, h, w = f.shape
    gram = np.zeros((c, c), dtype=np.float64)
    for m in range(c):
        for n in range(c):
            total = 0.0
            for i in range(h):
                for j in range(w):
                    total += f[m, i, j] * f[n, i, j]
            gram[m, n] = total
    return gram


def gram_matrix(f: torch.Tensor, normalise: bool = True) -> torch.Tensor:
    """G = F Fᵀ for a batch of feature maps. f: (N, C, H, W) float; returns (N, C, C), the
    same dtype, symmetric with a non-negative diagonal. ``normalise``: divide by the H·W
    positions (a mean over positions instead of a sum)."""
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)  # (N, C, M): F, one row per channel
    gram = flat @ flat.transpose(1, 2)  # (N, C, C)
    return gram / (h * w) if normalise else gram


def content_loss(fx: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """1/(C·H·W) Σ_c ‖f_c(x) − f_c(p)‖²_F: the mean squared difference of two feature maps.
    fx, fp: (N, C, H, W), the same shape; returns a scalar (averaged over N too)."""
    return ((fx - fp) ** 2).mean()


def style_layer_loss(gx: torch.Tensor, ga: torch.Tensor) -> torch.Tensor:
    """Gatys' E_l = 1/(4 C²) ‖Ĝ_x − Ĝ_a‖²_F of two normalised Gram matrices (divided by H·W,
    so = 1/(4 C² M²) ‖G_x − G_a‖²_F). gx, ga: (N, C, C); returns a scalar (mean over N)."""
    c = gx.shape[-1]
    return ((gx - ga) ** 2).sum(dim=(-2, -1)).mean() / (4 * c * c)


def style_loss(
    grams_x: Sequence[torch.Tensor], grams_a: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """L_style = Σ_l (1/L) E_l over L stages (equal weights, as Gatys et al.). grams_x,
    grams_a: one normalised (N, C_l, C_l) Gram matrix per stage, in the same order. Returns
    (the total, the per-stage E_l)."""
    if len(grams_x) != len(grams_a) or not grams_x:
        raise ValueError("give one Gram matrix of x and one of the style image per stage")
    per_stage = [style_layer_loss(gx, ga) for gx, ga in zip(grams_x, grams_a, strict=True)]
    return torch.stack(per_stage).mean(), per_stage


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Total variation (squared, anisotropic): the mean squared difference of vertically
    neighbouring pixels plus that of horizontal neighbours. x: (N, 3, H, W); a scalar. A small
    weight smooths the speckle that optimising pixels directly leaves."""
    dy = x[:, :, 1:, :] - x[:, :, :-1, :]  # (N, 3, H-1, W)
    dx = x[:, :, :, 1:] - x[:, :, :, :-1]  # (N, 3, H, W-1)
    return (dy**2).mean() + (dx**2).mean()


# --- settings and result -------------------------------------------------------------------


@dataclass(frozen=True)
class StyleSettings:
    """One run's settings. The defaults are those measured for EfficientNet-Lite0 at 256 px
    (blocks.3 for the content, bn1 and blocks.1-3 for the style, β/α = 10, Adam at 0.05:
    the photo's layout in the style's colours and strokes in about 10 s on 2 CPU cores)."""

    content_stage: int = 5  # body_stages index whose map the content loss compares
    style_stages: tuple[int, ...] = (1, 3, 4, 5)  # indices whose Gram matrices the style compares
    alpha: float = 1.0  # content weight α (0: texture only, the content image is not used)
    beta: float = 10.0  # style weight β (0: content only, a reconstruction of p from the stage)
    tv_weight: float = 0.0  # total-variation weight λ_TV (0: off)
    steps: int = 100  # optimiser steps
    lr: float = 0.05  # Adam step per pixel, as a fraction of the 0..255 range (L-BFGS: unused)
    side: int = 256  # the content image's longer side (px); the style image is cut to side²
    start: str = "content"  # x starts as the content image ("content") or noise ("noise")
    optimiser: str = "adam"  # "adam" or "lbfgs" (L-BFGS, one iteration per step)
    seed: int = 0  # the noise start's seed
    image_every: int = 5  # on_progress gets the image every this many steps (and the last)

    def __post_init__(self) -> None:
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.optimiser not in OPTIMISERS:
            raise ValueError(f"optimiser must be one of {OPTIMISERS}, got {self.optimiser!r}")
        if not self.style_stages and self.beta > 0:
            raise ValueError("choose at least one style stage (or set beta to 0)")
        if len(set(self.style_stages)) != len(self.style_stages):
            raise ValueError(f"a style stage is named twice: {self.style_stages}")
        if self.alpha < 0 or self.beta < 0 or self.tv_weight < 0:
            raise ValueError("the weights alpha, beta and tv_weight must be >= 0")
        if self.alpha == 0 and self.beta == 0:
            raise ValueError("alpha and beta are both 0: there is nothing to optimise")
        if self.steps < 1 or self.side < MIN_SIDE:
            raise ValueError(f"steps must be >= 1 and side >= {MIN_SIDE}")

    @property
    def stages_needed(self) -> tuple[int, ...]:
        """The stages whose outputs the losses read, shallowest first."""
        wanted = set(self.style_stages) if self.beta > 0 else set()
        if self.alpha > 0:
            wanted.add(self.content_stage)
        return tuple(sorted(wanted))


@dataclass
class StyleResult:
    image: np.ndarray  # (h, w, 3) uint8, the result x
    content: np.ndarray  # (h, w, 3) uint8, the content image as used (resized)
    style: np.ndarray  # (S, S, 3) uint8, the style image as used (cut to side × side)
    history: list[dict] = field(default_factory=list)  # per step: step, content, style, tv,
    # total (content and style unweighted; total = α·content + β·style + λ_TV·tv) and
    # per_stage (stage index -> E_l)
    style_grams: dict[int, np.ndarray] = field(default_factory=dict)  # stage -> (k, k) float32
    # normalised Gram matrix of the style image, its first k channels (all if C <= 64, else 32)
    result_grams: dict[int, np.ndarray] = field(default_factory=dict)  # the same for the result
    content_grams: dict[int, np.ndarray] = field(default_factory=dict)  # ... for the photo
    channels: dict[int, int] = field(default_factory=dict)  # stage -> C, all of its channels
    seconds: float = 0.0  # wall-clock time of the optimisation
    steps: int = 0  # steps done
    total_steps: int = 0  # steps asked for
    stopped: bool = False  # should_stop ended the run early


# --- images in, features out ---------------------------------------------------------------


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 -> (size[1], size[0], 3) uint8, antialiased bilinear (no copy when the
    size is already right)."""
    if image.shape[1] == size[0] and image.shape[0] == size[1]:
        return image
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def fit_images(content: np.ndarray, style: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The images as the optimisation uses them: the content image with its longer side =
    ``side`` (its own aspect, the shorter side at least MIN_SIDE) and the style image
    resized to cover side × side and centre-cropped there (its strokes then have the same size
    for every style image). content, style: (H, W, 3) uint8 RGB. Returns ((h, w, 3), (side,
    side, 3)) uint8."""
    h, w = content.shape[:2]
    scale = side / max(h, w)
    content = _resize(content, (max(MIN_SIDE, round(w * scale)), max(MIN_SIDE, round(h * scale))))
    sh, sw = style.shape[:2]
    scale = side / min(sh, sw)
    covered = _resize(style, (max(side, round(sw * scale)), max(side, round(sh * scale))))
    top, left = (covered.shape[0] - side) // 2, (covered.shape[1] - side) // 2
    return content, np.ascontiguousarray(covered[top : top + side, left : left + side])


def to_input(image: np.ndarray, spec: PretrainedSpec, device: torch.device) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 normalised input on ``device`` (no resize)."""
    return normalise_pixels(image, spec).to(device)


def stage_outputs(
    body: nn.Sequential, x: torch.Tensor, wanted: Sequence[int]
) -> dict[int, torch.Tensor]:
    """One forward pass through ``body`` (a truncated backbone), keeping the outputs of the
    stages in ``wanted``: index -> (N, C, h, w). The Sequential is walked here, module by
    module: no hook is ever put on the (shared) modules."""
    keep = set(wanted)
    out, kept = x, {}
    for index, module in enumerate(body):
        out = module(out)  # (N, C_i, h_i, w_i)
        if index in keep:
            kept[index] = out
    missing = keep - set(kept)
    if missing:
        raise ValueError(f"stages {sorted(missing)} are beyond the truncated network")
    return kept


def _check_frozen(body: nn.Sequential) -> None:
    """A module in training mode would update its batch-norm statistics in the forward pass:
    that would change a shared model, so it is refused."""
    training = [type(m).__name__ for m in body.modules() if m is not body and m.training]
    if training:
        raise ValueError(
            f"the network must be in eval mode (found {training[0]} training); "
            "style transfer never changes the network"
        )


def _kept_channels(c: int) -> int:
    return c if c <= GRAM_CHANNELS_ALL else GRAM_CHANNELS_KEPT


def image_grams(
    model: nn.Module, spec: PretrainedSpec, image: np.ndarray, stages: Sequence[int]
) -> tuple[dict[int, np.ndarray], dict[int, int]]:
    """The normalised Gram matrices of one (H, W, 3) uint8 image at ``stages`` (one forward
    pass under inference mode), each cut to its first min(C, 32) channels when C > 64.
    Returns (stage -> (k, k) float32, stage -> C)."""
    if not stages:
        return {}, {}
    body = truncated(model, max(stages))
    _check_frozen(body)
    with torch.inference_mode():
        feats = stage_outputs(body, to_input(image, spec, model_device(model)), stages)
        grams, channels = {}, {}
        for i, f in feats.items():
            k = _kept_channels(f.shape[1])
            grams[i] = gram_matrix(f[:, :k])[0].float().cpu().numpy()  # (k, k)
            channels[i] = int(f.shape[1])
    return grams, channels


# --- the optimisation ----------------------------------------------------------------------


def _start(content_x: torch.Tensor, settings: StyleSettings, spec: PretrainedSpec) -> torch.Tensor:
    """x at step 0: the content image, or mid-grey noise (pixels 0.5 ± 0.25, uniform, drawn
    from ``settings.seed`` on the CPU so every device starts from the same image)."""
    if settings.start == "content":
        return content_x.clone()
    generator = torch.Generator().manual_seed(settings.seed)
    pixels = 0.5 + 0.5 * (torch.rand(content_x.shape, generator=generator) - 0.5)  # (1, 3, h, w)
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    return ((pixels - mean) / std).to(content_x.device)


def transfer(
    model: nn.Module,
    spec: PretrainedSpec,
    content: np.ndarray,
    style: np.ndarray,
    settings: StyleSettings,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> StyleResult:
    """Paint ``content`` in the style of ``style``: minimise α·L_content + β·L_style +
    λ_TV·TV over the pixels of x (see the module docstring), with Adam or L-BFGS.

    model: an eval-mode backbone known to :func:`body_stages` (read-only: no hooks, no weight
    change; the gradient is taken with respect to x only). content, style: (H, W, 3) uint8 RGB
    of any size (see :func:`fit_images`). on_progress(step, total, metrics) after every step,
    metrics = step, content, style, tv, total, per_stage, and "image" ((h, w, 3) uint8) every
    ``settings.image_every`` steps and at the last; should_stop() is asked before every step
    and ends the run early (the result is the image so far). Returns a :class:`StyleResult`.
    """
    start_time = time.perf_counter()
    device = model_device(model)
    content_px, style_px = fit_images(content, style, settings.side)
    needed = settings.stages_needed
    body = truncated(model, max(needed))
    _check_frozen(body)
    style_stages = list(settings.style_stages) if settings.beta > 0 else []
    content_x = to_input(content_px, spec, device)  # (1, 3, h, w)

    with torch.inference_mode():  # the targets, once
        targets = stage_outputs(body, to_input(style_px, spec, device), style_stages)
        style_targets = [gram_matrix(targets[i]) for i in style_stages]  # (1, C, C) each
        content_target = None
        if settings.alpha > 0:
            content_target = stage_outputs(body, content_x, [settings.content_stage])
            content_target = content_target[settings.content_stage]  # (1, C, h', w')
    # inference tensors cannot be saved for backward: plain copies for the loss
    style_targets = [g.clone() for g in style_targets]
    content_target = None if content_target is None else content_target.clone()

    lo, hi = (b.to(device)[None] for b in pixel_bounds(spec))  # (1, 3, 1, 1) each
    x = _start(content_x, settings, spec).clamp(lo, hi).requires_grad_(True)  # (1, 3, h, w)
    if settings.optimiser == "adam":
        # lr is in pixel units: one normalised unit is 1/std pixels of full scale
        lr = settings.lr / float(np.mean(spec.std))
        optimiser: torch.optim.Optimizer = torch.optim.Adam([x], lr=lr)
    else:
        # one iteration per step; max_eval must be given: its default (max_iter · 5/4 = 1)
        # leaves the line search no evaluation to spend, and a first trial step that raises
        # the loss then becomes a step of 0 — the same at every later step
        optimiser = torch.optim.LBFGS(
            [x], lr=1.0, max_iter=1, max_eval=LBFGS_EVALS, history_size=20,
            line_search_fn="strong_wolfe",
        )  # fmt: skip

    def losses() -> tuple[torch.Tensor, dict]:
        """The objective at the current x and its parts (floats); sets x.grad."""
        feats = stage_outputs(body, x, needed)
        lc = ls = tv = x.new_zeros(())
        per_stage: list[torch.Tensor] = []
        if content_target is not None:
            lc = content_loss(feats[settings.content_stage], content_target)
        if style_stages:
            grams = [gram_matrix(feats[i]) for i in style_stages]  # (1, C_l, C_l) each
            ls, per_stage = style_loss(grams, style_targets)
        if settings.tv_weight > 0:
            tv = tv_loss(x)
        total = settings.alpha * lc + settings.beta * ls + settings.tv_weight * tv
        (grad,) = torch.autograd.grad(total, x)  # with respect to x alone
        x.grad = grad
        parts = {
            "content": float(lc.detach()),
            "style": float(ls.detach()),
            "tv": float(tv.detach()),
            "total": float(total.detach()),
            "per_stage": {
                i: float(e.detach()) for i, e in zip(style_stages, per_stage, strict=True)
            },
        }
        return total.detach(), parts

    measured: dict = {}  # the step's first evaluation: the losses at x before the step

    def closure() -> torch.Tensor:
        value, parts = losses()
        if not measured:  # L-BFGS's line search evaluates again: keep the first
            measured.update(parts)
        return value

    history: list[dict] = []
    done = 0
    for step in range(1, settings.steps + 1):
        if should_stop is not None and should_stop():
            break
        measured.clear()
        optimiser.step(closure)
        with torch.no_grad():
            x.clamp_(lo, hi)
        done = step
        metrics = {"step": step, **measured}
        history.append(metrics)
        if on_progress is not None:
            report = dict(metrics)
            if step % settings.image_every == 0 or step == settings.steps:
                report["image"] = denormalise(x[0], spec)
            on_progress(step, settings.steps, report)

    x = x.detach()
    image = denormalise(x[0], spec)  # (h, w, 3) uint8
    channels = {i: int(g.shape[-1]) for i, g in zip(style_stages, style_targets, strict=True)}
    style_grams = {  # the targets, cut to the kept channels
        i: g[0, : _kept_channels(c), : _kept_channels(c)].float().cpu().numpy()
        for (i, c), g in zip(channels.items(), style_targets, strict=True)
    }
    result_grams, _ = image_grams(model, spec, image, style_stages)
    content_grams, _ = image_grams(model, spec, content_px, style_stages)
    return StyleResult(
        image=image,
        content=content_px,
        style=style_px,
        history=history,
        style_grams=style_grams,
        result_grams=result_grams,
        content_grams=content_grams,
        channels=channels,
        seconds=time.perf_counter() - start_time,
        steps=done,
        total_steps=settings.steps,
        stopped=done < settings.steps,
    )


# --- naming stages --------------------------------------------------------------------------


def vgg_layer_names(model: nn.Module) -> dict[str, int]:
    """For a VGG (torchvision layout), the names Gatys et al. use for the rectified conv
    outputs — "conv1_1", "conv1_2", "conv2_1", … ("conv{block}_{k}": the k-th convolution of
    block b, counted between max-poolings) — mapped to the body_stages index of the ReLU after
    that convolution (Gatys read the responses after the ReLU). Empty for a network without
    plain Conv2d → ReLU pairs."""
    names: dict[str, int] = {}
    block, k, after_conv = 1, 0, False
    for index, stage in enumerate(body_stages(model)):
        if isinstance(stage, nn.Conv2d):
            k, after_conv = k + 1, True
            continue
        if isinstance(stage, nn.ReLU) and after_conv:
            names[f"conv{block}_{k}"] = index
        elif isinstance(stage, nn.MaxPool2d):
            block, k = block + 1, 0
        after_conv = False
    return names


def stage_names(model: nn.Module) -> list[str]:
    """The module name of each stage of ``body_stages(model)``, in order, as ``named_modules``
    spells it ("conv_stem", "bn1", "blocks.0", …; "features.17" in a VGG); a stage that is
    not one of the model's own modules (the Flatten added after a ResNet) gets its class
    name."""
    names = {id(module): name for name, module in model.named_modules()}
    return [names.get(id(stage), type(stage).__name__) for stage in body_stages(model)]
