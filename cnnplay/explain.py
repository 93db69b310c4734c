"""What a trained CNN looks at: activations, saliency, guided backprop, Grad-CAM, occlusion and
adversarial examples (seed 002, "Visualization"; seed 004, "CNN: Limits").

Models are never changed here. Parameters are assumed frozen (``requires_grad=False``, as
``cnnplay.models.pretrained.load_pretrained`` leaves them); gradients are taken with
``torch.autograd.grad`` with respect to the *input* or to a captured activation, so nothing
accumulates in ``.grad``. Functions that need hooks (:func:`activations`, :func:`grad_cam`,
:func:`layer_table`) register them through :class:`LayerRecorder`, a context manager that
removes them on exit, errors included; since a hook on a model shared between sessions would
also fire in other sessions' forward passes, pass those functions a private copy
(:func:`cnnplay.models.copies.shared_weights_copy`: the module tree copied, the weights shared).
:func:`guided_backprop` swaps activations, so it always works on such a copy of its own.
Saliency, occlusion and FGSM need no hooks and may use a shared model.

Inputs ``x`` are (3, H, W) float32 tensors, normalised as the model expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.device import get_device
from cnnplay.learned.deconvnet import GuidedReLU as GuidedReLU  # its public name here too
from cnnplay.learned.deconvnet import rule_model
from cnnplay.progress import ProgressFn, StopFn


def _batch(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(3, H, W) -> (1, 3, H, W) float32 on the model's device, detached."""
    device = next(model.parameters(), torch.empty(0, device=get_device())).device
    return x.detach()[None].to(device=device, dtype=torch.float32)


# --- hooks ------------------------------------------------------------------------------


class LayerRecorder:
    """``with LayerRecorder(model, ["blocks.3"]) as rec: model(x)`` -> ``rec.outputs[name]``.

    grad=True makes each recorded output a fresh leaf that requires grad (the rest of the
    forward pass continues from it), so ``torch.autograd.grad(score, rec.outputs[name])``
    gives d score / d activation without back-propagating further down. The hooks are removed
    on exit, also when the forward pass raises.
    """

    def __init__(self, model: nn.Module, names: Iterable[str], grad: bool = False) -> None:
        self.model = model
        self.names = list(names)
        self.grad = grad
        self.outputs: dict[str, torch.Tensor] = {}
        self._handles: list = []

    def _hook(self, name: str) -> Callable:
        def hook(_module: nn.Module, _inputs: object, output: object) -> torch.Tensor | None:
            if not isinstance(output, torch.Tensor):
                return None
            if self.grad:
                leaf = output.detach().requires_grad_(True)
                self.outputs[name] = leaf
                return leaf * 1.0  # not a leaf: later in-place activations stay legal
            self.outputs[name] = output.detach()
            return None

        return hook

    def __enter__(self) -> LayerRecorder:
        try:
            for name in self.names:
                module = self.model.get_submodule(name)
                self._handles.append(module.register_forward_hook(self._hook(name)))
        except BaseException:
            self.remove()
            raise
        return self

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __exit__(self, *exc: object) -> None:
        self.remove()


# --- layers and activations ---------------------------------------------------------------


@dataclass(frozen=True)
class LayerInfo:
    name: str  # dotted module name, for get_submodule
    kind: str  # class name, e.g. "Conv2d", "InvertedResidual"
    shape: tuple[int, int, int]  # (C, h, w) of its output


def layer_table(model: nn.Module, side: int = 224) -> list[LayerInfo]:
    """Feature-map layers in forward order: children of the model and of its nn.Sequential
    containers (not the containers themselves) whose output is a (1, C, h, w) map, for a
    (1, 3, side, side) input. Registers hooks on model for the call."""
    candidates = [
        name
        for name, module in model.named_modules()
        for parent in [_parent(model, name)]
        if name
        and (parent is model or isinstance(parent, nn.Sequential))
        and not isinstance(module, nn.Sequential)  # its output is its last child's
    ]
    order: list[str] = []
    shapes: dict[str, tuple[int, int, int]] = {}
    handles = []

    def make(name: str) -> Callable:
        def hook(_m: nn.Module, _i: object, out: object) -> None:
            if isinstance(out, torch.Tensor) and out.dim() == 4 and name not in shapes:
                shapes[name] = tuple(out.shape[1:])
                order.append(name)

        return hook

    try:
        for name in candidates:
            handles.append(model.get_submodule(name).register_forward_hook(make(name)))
        with torch.inference_mode():
            model(torch.zeros(1, 3, side, side, device=_batch(model, torch.zeros(3, 1, 1)).device))
    finally:
        for handle in handles:
            handle.remove()
    kinds = dict(model.named_modules())
    return [LayerInfo(n, type(kinds[n]).__name__, shapes[n]) for n in order]


def _parent(model: nn.Module, name: str) -> nn.Module | None:
    if not name:
        return None
    head, _, _ = name.rpartition(".")
    return model.get_submodule(head) if head else model


def activations(model: nn.Module, layer: str, x: torch.Tensor) -> np.ndarray:
    """The output of ``layer`` for image x: (C, h, w) float32. Registers a hook on ``model``
    for the call (pass a private copy when the model is shared)."""
    with LayerRecorder(model, [layer]) as rec, torch.inference_mode():
        model(_batch(model, x))
    return rec.outputs[layer][0].float().cpu().numpy()


def strongest_channels(maps: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n channels with the largest mean activation, strongest first.
    maps: (C, h, w)."""
    return np.argsort(-maps.mean(axis=(1, 2)), kind="stable")[:n]


def first_conv_filters(model: nn.Module) -> np.ndarray:
    """The first convolution's kernels as colour pictures: (K, kh, kw, 3) float in 0..1.

    Each kernel is scaled on its own: 0.5 + w / (2 max|w|), so grey is 0, bright positive,
    dark negative. Raises ValueError when the model has no 3-channel convolution.
    """
    conv = next(
        (m for m in model.modules() if isinstance(m, nn.Conv2d) and m.in_channels == 3), None
    )
    if conv is None:
        raise ValueError("the model has no convolution on the 3 colour channels")
    w = conv.weight.detach().float().cpu()  # (K, 3, kh, kw)
    peak = w.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)
    return (0.5 + w / (2 * peak)).permute(0, 2, 3, 1).numpy()  # (K, kh, kw, 3)


# --- predictions and gradients -------------------------------------------------------------


def predict(model: nn.Module, x: torch.Tensor, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Top-k softmax probabilities (k,) float and class indices (k,) int, best first."""
    with torch.inference_mode():
        probs = model(_batch(model, x)).softmax(1)[0]  # (classes,)
    top = probs.topk(k)
    return top.values.float().cpu().numpy(), top.indices.cpu().numpy()


def saliency(model: nn.Module, x: torch.Tensor, target: int) -> np.ndarray:
    """|d logit_target / d pixels|, max over RGB: (H, W) float32 >= 0 (Simonyan et al. 2014)."""
    xb = _batch(model, x).requires_grad_(True)
    with torch.enable_grad():
        score = model(xb)[0, target]
        (grad,) = torch.autograd.grad(score, xb)  # (1, 3, H, W)
    return grad[0].abs().amax(0).float().cpu().numpy()


def guided_model(model: nn.Module) -> nn.Module:
    """A copy of model whose nn.ReLU / nn.ReLU6 are GuidedReLU (the weights are shared, not
    copied); model is not changed. The "guided" case of
    :func:`cnnplay.learned.deconvnet.rule_model`, where the three ways back through a ReLU
    (gradient, DeconvNet, guided backprop) are compared."""
    return rule_model(model, "guided")


def guided_backprop(
    model: nn.Module, x: torch.Tensor, target: int, guided: nn.Module | None = None
) -> np.ndarray:
    """Guided backpropagation (Springenberg et al. 2015): (3, H, W) float32 gradient.

    ``guided``: a ready ``guided_model(model)`` to reuse (copying the model costs more than the
    pass itself); without it a fresh copy is made for this call. Neither model is changed.
    """
    guided = guided if guided is not None else guided_model(model)
    xb = _batch(guided, x).requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(guided(xb)[0, target], xb)
    return grad[0].float().cpu().numpy()


def grad_cam(model: nn.Module, layer: str, x: torch.Tensor, target: int) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) on ``layer``: (H, W) float32 in 0..1.

    Channel weights are the spatial mean of d logit / d activation; the map is
    ReLU(sum_c weight_c * activation_c), upsampled bilinearly to the input size and divided by
    its maximum (all zeros when nothing speaks for the class). Hooks ``layer`` for the call.
    """
    xb = _batch(model, x)
    with LayerRecorder(model, [layer], grad=True) as rec, torch.enable_grad():
        score = model(xb)[0, target]
        act = rec.outputs[layer]  # (1, C, h, w)
        (grad,) = torch.autograd.grad(score, act)
    weights = grad.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1)
    cam = F.relu((weights * act.detach()).sum(1, keepdim=True))  # (1, 1, h, w)
    cam = F.interpolate(cam, size=xb.shape[-2:], mode="bilinear", align_corners=False)
    peak = float(cam.max())
    cam = cam / peak if peak > 0 else cam
    return cam[0, 0].float().cpu().numpy()


# --- occlusion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Occlusion:
    drops: np.ndarray  # (rows, cols) probability drop when the patch sits at each position
    heat: np.ndarray  # (H, W) mean drop over the patches covering each pixel
    base: float  # probability of the target class on the unoccluded image
    positions: list[tuple[int, int]]  # (top, left) of each patch, row-major


def _starts(n: int, size: int, stride: int) -> list[int]:
    starts = list(range(0, max(n - size, 0) + 1, stride))
    if starts[-1] + size < n:
        starts.append(n - size)  # cover the last pixels too
    return starts


def occlusion(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    patch: int = 32,
    stride: int = 16,
    fill: torch.Tensor | float = 0.0,
    batch_size: int = 4,  # measured best on 2 CPU cores; larger batches only add memory
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> Occlusion | None:
    """Slide a grey patch over x and record how much the target's probability falls
    (Zeiler & Fergus 2014). fill: the patch value in normalised units, a scalar or (3, 1, 1)
    (grey pixels: (0.5 - mean) / std). on_progress(done, total, {"drop_max": ...}) after
    each batch; should_stop() is asked before each batch, and True ends the run: None is
    returned (a part of the map would read as "hiding this does nothing")."""
    if patch < 1 or stride < 1:
        raise ValueError("patch and stride must be at least 1")
    xb = _batch(model, x)  # (1, 3, H, W)
    h, w = xb.shape[-2:]
    rows, cols = _starts(h, patch, stride), _starts(w, patch, stride)
    positions = [(r, c) for r in rows for c in cols]
    fill_t = torch.as_tensor(fill, dtype=xb.dtype, device=xb.device)
    with torch.inference_mode():
        base = float(model(xb).softmax(1)[0, target])
        drops = []
        for start in range(0, len(positions), batch_size):
            if should_stop is not None and should_stop():
                return None
            chunk = positions[start : start + batch_size]
            batch = xb.repeat(len(chunk), 1, 1, 1)  # (B, 3, H, W)
            for i, (r, c) in enumerate(chunk):
                batch[i, :, r : r + patch, c : c + patch] = fill_t
            drops.append(base - model(batch).softmax(1)[:, target].float().cpu())
            if on_progress is not None:
                done = start + len(chunk)
                on_progress(done, len(positions), {"drop_max": float(torch.cat(drops).max())})
    flat = torch.cat(drops).numpy()
    heat = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    for (r, c), d in zip(positions, flat, strict=True):
        heat[r : r + patch, c : c + patch] += d
        count[r : r + patch, c : c + patch] += 1
    return Occlusion(
        flat.reshape(len(rows), len(cols)),
        (heat / np.maximum(count, 1)).astype(np.float32),
        base,
        positions,
    )


# --- adversarial examples ------------------------------------------------------------------


@dataclass(frozen=True)
class Adversarial:
    x: torch.Tensor  # (3, H, W) perturbed input, normalised, within the pixel bounds
    delta: torch.Tensor  # (3, H, W) the perturbation actually applied (after clipping)
    label: int  # the class predicted for the perturbed input
    prob: float  # its probability
    epsilon: float  # step size in pixel units (0..1 scale)


def _input_gradient_sign(model: nn.Module, x: torch.Tensor, label: int) -> torch.Tensor:
    """sign(d cross-entropy(label) / d x): (1, 3, H, W) in {-1, 0, 1}."""
    xb = _batch(model, x).requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(xb), torch.tensor([label], device=xb.device))
        (grad,) = torch.autograd.grad(loss, xb)
    return grad.sign()


def _perturb(x: torch.Tensor, sign: torch.Tensor, eps: torch.Tensor, std, bounds) -> torch.Tensor:
    """x + eps / std * sign, clipped to bounds; eps: (B,) -> (B, 3, H, W)."""
    std_t = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    out = x + eps.view(-1, 1, 1, 1) / std_t * sign  # (B, 3, H, W)
    if bounds is not None:
        lo, hi = (torch.as_tensor(b, dtype=x.dtype, device=x.device) for b in bounds)
        out = torch.maximum(torch.minimum(out, hi.view(1, -1, 1, 1)), lo.view(1, -1, 1, 1))
    return out


def fgsm(
    model: nn.Module,
    x: torch.Tensor,
    epsilon: float,
    label: int,
    std: tuple[float, ...] = (1.0, 1.0, 1.0),
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> Adversarial:
    """Fast gradient sign method (Goodfellow et al. 2015): one step of size epsilon (in pixel
    units on a 0..1 scale, so 2/255 is two grey levels) that raises the loss of ``label``.
    std: the normalisation std, to convert epsilon; bounds: (lo, hi) normalised pixel limits,
    each broadcastable to (3, 1, 1)."""
    xb = _batch(model, x)
    sign = _input_gradient_sign(model, x, label)
    adv = _perturb(xb, sign, torch.tensor([float(epsilon)], device=xb.device), std, bounds)
    with torch.inference_mode():
        probs = model(adv).softmax(1)[0]
    p, c = probs.max(0)
    return Adversarial(adv[0], (adv - xb)[0], int(c), float(p), float(epsilon))


def flip_epsilon(
    model: nn.Module,
    x: torch.Tensor,
    label: int,
    std: tuple[float, ...] = (1.0, 1.0, 1.0),
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
    max_epsilon: float = 0.25,
    steps: int = 24,
    refine: int = 6,
) -> float | None:
    """The smallest FGSM epsilon (pixel units, 0..1 scale) that changes the predicted class
    away from ``label``: tries a geometric ladder up to max_epsilon in one batch, then bisects
    ``refine`` times between the last that kept the class and the first that flipped it.
    None when even max_epsilon does not flip it."""
    xb = _batch(model, x)
    sign = _input_gradient_sign(model, x, label)
    ladder = torch.tensor(np.geomspace(max_epsilon / 256, max_epsilon, steps), dtype=xb.dtype)

    def flipped(eps: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            adv = _perturb(xb, sign, eps.to(xb.device), std, bounds)
            return (model(adv).argmax(1) != label).cpu()

    flips = flipped(ladder)
    if not bool(flips.any()):
        return None
    first = int(flips.int().argmax())
    hi = float(ladder[first])
    lo = float(ladder[first - 1]) if first > 0 else 0.0
    for _ in range(refine):
        mid = (lo + hi) / 2
        if bool(flipped(torch.tensor([mid], dtype=xb.dtype))[0]):
            hi = mid
        else:
            lo = mid
    return hi
