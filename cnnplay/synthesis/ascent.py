"""Gradient ascent (seed 002, "Gradient Ascent", "Multi-Faceted Gradient Ascent"): make an image
x that a network scores high, from noise, grey or a photo.

    argmax_x J(x) = f(x) − Ω(x),      x(t) ← x(t−1) + λ · g / mean|g|,   g = ∂J/∂x(t−1)

``f`` is a class's logit (:class:`ClassTarget`) or the mean of one channel of a stage's
feature map (:class:`UnitTarget`); Ω and the periodic operations (blur, clipping, jitter,
clamp) are cnnplay.synthesis.regularisers. The notes' rule x ← x + λ ∂J/∂x is used with the
gradient divided by its mean absolute value (per image), so that λ is the mean change of a
pixel per step, in grey levels, whatever the network's gradient scale.

The network is used read-only: its parameters are frozen (``requires_grad=False``), the only
gradient is ``torch.autograd.grad`` of the objective with respect to ``x``, and no hook is
registered, so a model shared by every session may be passed in. A batch of N starting points
(the facets of :func:`facets`) is optimised at once: each image's objective depends on that
image alone (eval-mode batch norm), so the N runs do not interact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.models.pretrained import PretrainedSpec, body_stages, denormalise, pixel_bounds
from cnnplay.models.stages import model_device, truncated
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.synthesis.regularisers import (
    AscentSettings,
    clamp_pixels,
    clip_small_contribution,
    clip_small_norm,
    gaussian_blur,
    jitter_offsets,
    l2_penalty,
    l2_penalty_grad,
    roll,
)

# --- what to maximise -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassTarget:
    """f(x) = the class's logit (the score before the softmax, as Simonyan et al. 2013: the
    softmax could also rise by lowering the other classes)."""

    index: int  # ImageNet class, 0..999

    def score(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised -> (N,) logits of the class."""
        return model(x)[:, self.index]  # (N,)


@dataclass(frozen=True)
class UnitTarget:
    """f(x) = the mean over all positions of one channel of a stage's feature map: a "unit"
    whose filter is applied everywhere (the mean, not the centre unit, so the pattern may show
    up anywhere in the image)."""

    stage: int  # index into body_stages(model) (cnnplay.models.stages.truncated)
    channel: int  # channel of that stage's (N, C, h, w) output

    def score(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised -> (N,) mean activation of the channel."""
        maps = truncated(model, self.stage)(x)  # (N, C, h, w)
        return maps[:, self.channel].mean(dim=(1, 2))  # (N,)


Target = ClassTarget | UnitTarget


# --- where to start ---------------------------------------------------------------------------


def grey_start(n: int, size: int, spec: PretrainedSpec) -> torch.Tensor:
    """N mid-grey images (pixel 128 of 255), normalised: (N, 3, size, size) float32."""
    pixels = torch.full((n, 3, size, size), 0.5)
    mean, std = torch.tensor(spec.mean).view(3, 1, 1), torch.tensor(spec.std).view(3, 1, 1)
    return (pixels - mean) / std  # (N, 3, S, S)


def noise_start(
    n: int, size: int, spec: PretrainedSpec, seed: int = 0, spread: float = 0.1
) -> torch.Tensor:
    """N images of Gaussian noise around mid-grey (std ``spread`` of the 0..1 range, about
    25 grey levels for 0.1), drawn from ``seed``, clipped to 0..1, normalised:
    (N, 3, size, size) float32."""
    g = torch.Generator().manual_seed(seed)
    pixels = (0.5 + spread * torch.randn(n, 3, size, size, generator=g)).clamp(0, 1)
    mean, std = torch.tensor(spec.mean).view(3, 1, 1), torch.tensor(spec.std).view(3, 1, 1)
    return (pixels - mean) / std  # (N, 3, S, S)


def photo_start(images: np.ndarray, size: int, spec: PretrainedSpec) -> torch.Tensor:
    """Photos, each resized to a size×size square (the centre square of a non-square photo),
    normalised. images: (N, H, W, 3) or one (H, W, 3) uint8 -> (N, 3, size, size) float32."""
    batch = np.asarray(images)[None] if np.ndim(images) == 3 else np.asarray(images)
    h, w = batch.shape[1:3]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = batch[:, top : top + side, left : left + side]  # (N, s, s, 3)
    pixels = torch.from_numpy(np.array(square, dtype=np.float32)).permute(0, 3, 1, 2) / 255
    pixels = F.interpolate(
        pixels, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    ).clamp(0, 1)  # (N, 3, S, S) fmt: skip
    mean, std = torch.tensor(spec.mean).view(3, 1, 1), torch.tensor(spec.std).view(3, 1, 1)
    return (pixels - mean) / std


def to_pictures(x: torch.Tensor, spec: PretrainedSpec) -> np.ndarray:
    """(N, 3, H, W) normalised -> (N, H, W, 3) uint8 pictures."""
    return np.stack([denormalise(xi, spec) for xi in x])


def grey_levels(step: float, spec: PretrainedSpec) -> torch.Tensor:
    """A step of ``step`` grey levels (of 0..255) in normalised units, per channel: (3, 1, 1)."""
    return step / 255 / torch.tensor(spec.std).view(3, 1, 1)


def normalised_step(grad: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """λ · g / mean|g|, per image: (N, C, H, W) gradient, (3, 1, 1) step size λ -> the change of
    x, (N, C, H, W), whose mean absolute value is λ (per channel's units)."""
    scale = grad.abs().mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)  # (N, 1, 1, 1)
    return size.to(grad) * grad / scale


# --- the ascent -----------------------------------------------------------------------------


@dataclass
class AscentResult:
    """What a gradient-ascent run made (also one that should_stop ended early)."""

    images: np.ndarray  # (N, S, S, 3) uint8, the final images
    objective: np.ndarray  # (steps done, N) float64: J = f − Ω at each step (before the step)
    score: np.ndarray  # (steps done, N) float64: f, the logit or the unit's mean activation
    penalty: np.ndarray  # (steps done, N) float64: Ω = λ_Ω ‖x‖² (0 when l2 is off)
    probs: np.ndarray  # (N, classes) float32: softmax of the final images' logits
    first_probs: np.ndarray  # (N, classes) float32: the same for the starting images
    steps: int  # steps done
    total: int  # steps asked for
    first_score: np.ndarray  # (N,) float64: f of the starting images
    final_score: np.ndarray  # (N,) float64: f of the final images (no jitter)

    @property
    def stopped(self) -> bool:
        return self.steps < self.total


def evaluate(model: nn.Module, target: Target, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """f of each image and its class probabilities, without gradients:
    (N, 3, H, W) -> ((N,) float64, (N, classes) float32)."""
    with torch.inference_mode():
        scores = target.score(model, x).double().cpu().numpy()  # (N,)
        probs = torch.softmax(model(x), dim=1).float().cpu().numpy()  # (N, classes)
    return scores, probs


def ascend(
    model: nn.Module,
    spec: PretrainedSpec,
    target: Target,
    settings: AscentSettings,
    x0: torch.Tensor,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> AscentResult:
    """Gradient ascent on J(x) = f(x) − λ_Ω‖x‖² from the N images ``x0`` (N, 3, S, S),
    normalised as ``spec`` says (see :func:`noise_start`, :func:`grey_start`,
    :func:`photo_start`).

    Each step: roll x by a random jitter; J and g = ∂J/∂x (autograd w.r.t. x only);
    x ← x + λ g / mean|g| (per image); roll back; then, when switched on, clip small-norm and
    small-contribution pixels, blur every ``blur_every`` steps, clamp to the picture's range.
    ``on_progress(step, total, metrics)`` after each step: metrics "objective" (J), "score"
    (f) and "penalty" (Ω) of the first image, and every ``report_every`` steps (and the last)
    "image", the first image so far as (S, S, 3) uint8. ``should_stop()`` is read before each
    step; the images made so far are returned."""
    device = model_device(model)
    x = x0.detach().to(device=device, dtype=torch.float32).clone()  # (N, 3, S, S)
    low, high = (b.to(device) for b in pixel_bounds(spec))  # (3, 1, 1) each
    step = grey_levels(settings.step_size, spec).to(device)  # (3, 1, 1)
    generator = torch.Generator().manual_seed(settings.seed)
    first_score, first_probs = evaluate(model, target, x)
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (J, f, Ω) per step
    total = settings.steps
    for t in range(1, total + 1):
        if should_stop is not None and should_stop():
            break
        dy, dx = jitter_offsets(generator, settings.jitter)
        xj = roll(x, dy, dx).requires_grad_(True)  # (N, 3, S, S), a leaf
        with torch.enable_grad():
            f = target.score(model, xj)  # (N,)
            (grad_f,) = torch.autograd.grad(f.sum(), xj)  # (N, 3, S, S): ∂f/∂x only
        xj = xj.detach()
        omega = l2_penalty(xj, settings.l2)  # (N,)
        grad = grad_f - l2_penalty_grad(xj, settings.l2)  # ∂J/∂x = ∂f/∂x − ∂Ω/∂x
        f = f.detach()
        rows.append(tuple(v.double().cpu().numpy() for v in (f - omega, f, omega)))
        x = roll(xj + normalised_step(grad, step), -dy, -dx)  # (N, 3, S, S)
        if settings.clip_norm_pct > 0:
            x = clip_small_norm(x, settings.clip_norm_pct)
        if settings.clip_contrib_pct > 0:
            x = clip_small_contribution(x, roll(grad_f, -dy, -dx), settings.clip_contrib_pct)
        if settings.blur_sigma > 0 and settings.blur_every > 0 and t % settings.blur_every == 0:
            x = gaussian_blur(x, settings.blur_sigma)
        if settings.clamp:
            x = clamp_pixels(x, low, high)
        if on_progress is not None:
            j, fv, om = rows[-1]
            metrics: dict = {"objective": float(j[0]), "score": float(fv[0]),
                             "penalty": float(om[0])}  # fmt: skip
            if t % max(1, settings.report_every) == 0 or t == total:
                metrics["image"] = denormalise(x[0], spec)
            on_progress(t, total, metrics)
    final_score, probs = evaluate(model, target, x)
    n = x.shape[0]
    stacked = [np.stack([r[k] for r in rows]) if rows else np.zeros((0, n)) for k in range(3)]
    return AscentResult(
        images=to_pictures(x, spec),
        objective=stacked[0],
        score=stacked[1],
        penalty=stacked[2],
        probs=probs,
        first_probs=first_probs,
        steps=len(rows),
        total=total,
        first_score=first_score,
        final_score=final_score,
    )


# --- multi-faceted starts ------------------------------------------------------------------


@dataclass(frozen=True)
class Facets:
    """Starting images for a multi-faceted ascent (Nguyen, Yosinski & Clune 2016): the images
    that most activate the target, clustered by their features; one image per cluster."""

    images: np.ndarray  # (k, S, S, 3) uint8: per facet, the top image closest to its centre
    indices: np.ndarray  # (k,) int: where each facet image is in the images given
    top: np.ndarray  # (M,) int: the M top-activating images that were clustered, best first
    clusters: np.ndarray  # (M,) int: the facet (0..k-1) of each of them
    scores: np.ndarray  # (N,) float64: f of every image given


def last_linear(model: nn.Module) -> nn.Linear:
    """The layer that turns the penultimate features into logits (body_stages(model) is the
    network without it)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


def scores_and_features(
    model: nn.Module,
    spec: PretrainedSpec,
    target: Target,
    images: np.ndarray,
    side: int | None = None,
    batch: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    """f of each image and its penultimate features (the pooled vector the last linear layer
    reads), in one pass through body_stages(model) without gradients.
    images: (N, S, S, 3) uint8, seen at ``side`` px (default S) -> ((N,) float64, (N, D)
    float32). A class's logit is the last linear layer applied to the features; a unit's
    mean is read on the way, at its stage."""
    body, head = body_stages(model), last_linear(model)
    device = model_device(model)
    x = photo_start(images, side or images.shape[1], spec)  # (N, 3, s, s)
    scores, feats = [], []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            out = x[i : i + batch].to(device)
            for k, stage in enumerate(body):
                out = stage(out)
                if isinstance(target, UnitTarget) and k == target.stage:
                    scores.append(out[:, target.channel].mean(dim=(1, 2)).double().cpu())
            feats.append(out.float().cpu())  # (b, D)
            if isinstance(target, ClassTarget):
                scores.append(head(out)[:, target.index].double().cpu())  # (b,)
    return torch.cat(scores).numpy(), torch.cat(feats).numpy()


def facets(
    model: nn.Module,
    spec: PretrainedSpec,
    target: Target,
    images: np.ndarray,
    k: int,
    pool: int | None = None,
    seed: int = 0,
    side: int | None = None,
) -> Facets:
    """Pick k starting images for the facets of ``target``: score every image (f), keep the
    ``pool`` highest (default max(4k, 8), at most all), cluster their penultimate features
    (unit length: the angle between them counts) with k-means (sklearn, ``random_state=seed``),
    and take in each cluster the image closest to its centre. images: (N, S, S, 3) uint8 with
    N >= k, seen at ``side`` px (default their own). Returns k distinct images."""
    from sklearn.cluster import KMeans

    n = len(images)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= number of images ({n}), got k={k}")
    scores, feats = scores_and_features(model, spec, target, images, side)
    m = min(n, pool if pool is not None else max(4 * k, 8))
    top = np.argsort(-scores, kind="stable")[:m]  # (M,) best first
    points = feats[top].astype(np.float64)  # (M, D)
    points /= np.linalg.norm(points, axis=1, keepdims=True).clip(1e-12)  # on the unit sphere
    km = KMeans(n_clusters=k, random_state=seed, n_init=10).fit(points)
    labels = km.labels_.astype(int)  # (M,)
    chosen: list[int] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:  # k-means left a cluster empty (fewer distinct images than k)
            members = np.array([i for i in range(m) if int(top[i]) not in chosen][:1])
        dist = np.linalg.norm(points[members] - km.cluster_centers_[c], axis=1)
        chosen.append(int(top[members[int(np.argmin(dist))]]))
    indices = np.array(chosen)
    return Facets(np.asarray(images)[indices], indices, top, labels, scores)
