"""Train the MLP, seed 001's CNN and its fully convolutional twin side by side on one
:class:`~cnnplay.convnets.data.Split`, epoch by epoch in turn (MLP, CNN, FCN, MLP, ...), so the
three live curves grow together; one seeded run through :func:`cnnplay.train.fit`.

The three models see the same batches in the same order (each epoch's order is drawn once from
the run's seed), start from weights drawn from that seed, and are scored on the same test images
after every epoch. Results per model (:class:`ModelResult`): test accuracy, parameters and
multiply-adds per image (:func:`cnnplay.cost.count`), training seconds, the per-epoch history
(``train_loss``, ``test_loss``, ``test_accuracy``) and the test predictions.

A page that can be interrupted keeps the :class:`LiveRun` it passed in: it holds the models and
histories as they are, and :func:`finish` turns it into results at any point.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.convnets.augment import random_affine
from cnnplay.convnets.data import SIDE, Split
from cnnplay.convnets.models import MODELS, build, normalise
from cnnplay.cost import count
from cnnplay.device import get_device
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.seeding import generator
from cnnplay.train import History, TrainConfig, fit

NAMES: tuple[str, ...] = tuple(MODELS)  # ("mlp", "cnn", "fcn"): the order they train in
EVAL_BATCH = 1000  # test images per forward pass when scoring


@dataclass(frozen=True)
class SideBySideSettings:
    """The defaults are the Train tab's: on all 60,000 Fashion-MNIST images the CNN passes
    88 % test accuracy after its second epoch (about 32 s on 2 cores) and ends near 89 %."""

    epochs: int = 3  # passes over the training images, for each model
    batch_size: int = 64  # images per optimiser step
    lr: float = 2e-3  # Adam learning rate of the first epoch, the same for the three models
    anneal: bool = True  # lower the learning rate epoch by epoch (cosine: lr_factor)
    hidden: int = 128  # the MLP's hidden width
    seed: int = 0  # initial weights, batch order, dropout masks and augmentation
    augment: bool = False  # random shifts, rotations and scalings of every training batch
    max_shift: int = 2  # augmentation: whole-pixel shifts up to ± this
    max_degrees: float = 10.0  # augmentation: rotations up to ± this many degrees
    max_scale: float = 0.1  # augmentation: scalings in 1 ± this


@dataclass
class LiveRun:
    """A run as it goes: models, their optimisers and histories, updated in place by
    :func:`train_side_by_side` (so a page interrupted mid-run still has them)."""

    settings: SideBySideSettings
    models: dict[str, nn.Module]  # name -> model on the device
    histories: dict[str, History] = field(default_factory=dict)  # name -> per-epoch records
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)
    finished: bool = False  # True when every epoch of every model ran (no stop, no error)


@dataclass
class ModelResult:
    name: str  # "mlp", "cnn" or "fcn"
    model: nn.Module  # trained, eval mode, on the device
    history: History  # per epoch: epoch, train_loss, test_loss, test_accuracy
    test_accuracy: float  # 0..1 on the split's test images, with the final weights
    test_pred: np.ndarray  # (M,) int64 predicted class of every test image
    params: int  # trainable and other parameters
    macs: int  # multiply-adds of one 28×28 image (conv and dense layers)

    @property
    def seconds(self) -> float:
        """Training time: the wall time of this model's epochs (its per-epoch scoring on the
        test images included), not the time the other two models took meanwhile."""
        return self.history.seconds


def new_run(num_classes: int, settings: SideBySideSettings, names=NAMES) -> LiveRun:
    """Fresh models (weights drawn from ``settings.seed``) on the device, with Adam optimisers."""
    device = get_device()
    models = {
        n: build(n, num_classes, seed=settings.seed, hidden=settings.hidden).to(device)
        for n in names
    }
    return LiveRun(
        settings,
        models,
        {n: History() for n in names},
        {n: torch.optim.Adam(m.parameters(), lr=settings.lr) for n, m in models.items()},
    )


def _prepare(xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
    return normalise(xb), yb  # (B, 1, 28, 28) uint8 -> float in [-1, 1]


def augmenter(settings: SideBySideSettings) -> Callable[[Tensor, torch.Generator], Tensor] | None:
    """The ``augment`` :func:`cnnplay.train.fit` takes for these settings (None: off):
    :func:`cnnplay.convnets.augment.random_affine` with the settings' ranges, black fill."""
    if not settings.augment:
        return None
    return functools.partial(
        random_affine,
        max_shift=settings.max_shift,
        max_degrees=settings.max_degrees,
        max_scale=settings.max_scale,
        fill=float(normalise(torch.zeros(1, dtype=torch.uint8))),
    )


@torch.no_grad()
def predict(model: nn.Module, x: Tensor, batch: int = EVAL_BATCH) -> tuple[Tensor, Tensor]:
    """(M, 1, H, W) uint8 images -> (logits (M, K) float32 on the CPU, classes (M,) int64).
    Runs in eval mode on the model's device; restores the model's mode."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = [
        model(normalise(x[i : i + batch].to(device))).float().cpu()  # (b, K)
        for i in range(0, len(x), batch)
    ]
    model.train(was_training)
    logits = torch.cat(outs) if outs else torch.zeros(0, 0)
    return logits, logits.argmax(dim=1) if len(logits) else torch.zeros(0, dtype=torch.int64)


def scorer(split: Split, batch: int = EVAL_BATCH) -> Callable[[nn.Module], dict[str, float]]:
    """``evaluate(model)`` for fit: mean cross-entropy and accuracy on the split's test images."""

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits, pred = predict(model, split.x_test, batch)
        y = split.y_test.cpu()
        return {
            "test_loss": float(F.cross_entropy(logits, y)),
            "test_accuracy": float((pred == y).float().mean()),
        }

    return evaluate


def lr_factor(epoch: int, epochs: int) -> float:
    """The share of the learning rate epoch ``epoch`` (0-based) of ``epochs`` trains with: a
    cosine from 1 down towards 0, ½(1 + cos(π·epoch/epochs)) — 1, ½ for two epochs; 1, ¾, ¼
    for three — so a longer run keeps learning longer and every run ends with small steps."""
    return 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def epoch_seeds(seed: int, epochs: int) -> list[int]:
    """One seed per epoch, drawn from ``seed``: epoch e of every model uses the same one (the
    same batch order), another epoch another."""
    gen = generator(seed)
    return [int(v) for v in torch.randint(0, 2**62, (epochs,), generator=gen)]


def train_side_by_side(
    split: Split,
    run: LiveRun,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> LiveRun:
    """Train ``run``'s models on ``split`` for ``run.settings.epochs`` epochs, one epoch of each
    model in turn, updating ``run.histories`` in place; returns ``run``.

    ``on_progress(step, total, metrics)``: ``step`` counts optimiser steps of all three models
    (``total`` = epochs × 3 × batches per epoch); metrics are fit's (``loss``, fractional
    ``epoch`` counted over the whole run, at an epoch's end ``train_loss``, ``test_loss``,
    ``test_accuracy``) plus ``model``: the name of the model that took the step (a str).
    ``should_stop()`` true ends the run after the current step (the model that was training
    keeps its partial epoch, scored; ``History.stopped`` is set on every model)."""
    s = run.settings
    x, y = split.x_train, split.y_train
    device = next(next(iter(run.models.values())).parameters()).device
    x, y = x.to(device), y.to(device)  # uint8 images stay compact; batches become float in fit
    per_epoch = -(-len(x) // s.batch_size)
    total = s.epochs * per_epoch * len(run.models)
    evaluate = scorer(split)
    augment = augmenter(s)
    done = 0
    stopped = False
    for epoch, epoch_seed in enumerate(epoch_seeds(s.seed, s.epochs)):
        for name, model in run.models.items():
            offset = done
            for group in run.optimizers[name].param_groups:
                group["lr"] = s.lr * (lr_factor(epoch, s.epochs) if s.anneal else 1.0)

            def report(step: int, _total: int, m: dict, name=name, epoch=epoch, offset=offset):
                # fit's epoch runs 0..1 within this one-epoch call: count it over the run
                if on_progress is not None:
                    on_progress(
                        offset + step, total, {**m, "epoch": epoch + m["epoch"], "model": name}
                    )

            h = fit(
                model,
                F.cross_entropy,
                x,
                y,
                TrainConfig(epochs=1, batch_size=s.batch_size, lr=s.lr, seed=epoch_seed),
                optimizer=run.optimizers[name],
                prepare=_prepare,
                augment=augment,
                evaluate=evaluate,
                on_progress=report,
                should_stop=should_stop,
            )
            history = run.histories[name]
            history.epochs.extend({**r, "epoch": epoch + 1} for r in h.epochs)
            history.seconds += h.seconds
            done += per_epoch
            if h.stopped:
                stopped = True
                break
        if stopped:
            break
    for history in run.histories.values():
        history.stopped = stopped
    run.finished = not stopped
    return run


def finish(split: Split, run: LiveRun) -> dict[str, ModelResult]:
    """Results of ``run`` as its models are now (also mid-run): final test predictions and
    accuracy, parameters and multiply-adds of one image. The optimisers are dropped (their
    state is twice the weights' size and no longer needed)."""
    results = {}
    y = split.y_test.cpu()
    for name, model in run.models.items():
        model.eval()
        _, pred = predict(model, split.x_test)
        cost = count(model, (1, 1, SIDE, SIDE))
        results[name] = ModelResult(
            name,
            model,
            run.histories[name],
            float((pred == y).float().mean()) if len(y) else float("nan"),
            pred.numpy().astype(np.int64),
            cost.params,
            cost.macs,
        )
    run.optimizers.clear()
    return results


def train_three(
    split: Split,
    settings: SideBySideSettings = SideBySideSettings(),
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    names: tuple[str, ...] = NAMES,
) -> dict[str, ModelResult]:
    """New models of ``names`` trained side by side on ``split`` (:func:`train_side_by_side`),
    then scored (:func:`finish`): name -> ModelResult, in ``names`` order."""
    run = new_run(len(split.classes), settings, names)
    train_side_by_side(split, run, on_progress, should_stop)
    return finish(split, run)
