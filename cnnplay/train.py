"""One training loop for every page: mini-batches from in-memory tensors, a progress callback, a
stop check, optional augmentation and per-epoch evaluation. No Streamlit here: a page passes
``on_progress`` (to draw a progress bar and live curves) and ``should_stop`` (a stop button).

All our datasets are small enough to sit in memory as tensors, so there is no DataLoader: batches
are index slices of a seeded permutation, which is deterministic and fast on CPU and GPU alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from cnnplay.progress import ProgressFn
from cnnplay.seeding import generator, use_generator

DROPOUT_STREAM = 2**32  # dropout draws from seed + this: another dropout, the same batch order


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10  # full passes over the training tensors
    batch_size: int = 32  # samples per optimiser step
    lr: float = 1e-3  # Adam learning rate (used when no optimiser is passed to fit)
    weight_decay: float = 0.0  # Adam weight decay
    seed: int = 0  # the batch order, augmentation and dropout masks are drawn from this seed


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)  # per epoch: loss + eval metrics
    stopped: bool = False  # True when should_stop() ended training early
    seconds: float = 0.0  # wall time of the whole fit

    def series(self, key: str) -> list[float]:
        """One metric over the epochs, e.g. ``history.series("val_accuracy")``."""
        return [e[key] for e in self.epochs if key in e]


def fit(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    config: TrainConfig = TrainConfig(),
    *,
    optimizer: torch.optim.Optimizer | None = None,
    prepare: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None,
    augment: Callable[[Tensor, torch.Generator], Tensor] | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> History:
    """Train ``model`` on ``(x, y)`` in place and return the per-epoch history.

    x: (N, ...) inputs and y: (N, ...) targets, on the device the model is on (or moved there
    here). ``loss_fn(model(xb), yb)`` gives a scalar. ``augment(xb, generator)`` may transform each
    training batch. ``prepare(xb, yb)`` turns each batch, as stored, into what the model and
    loss take: a large set can then stay compact (e.g. uint8 pixels and class ids, converted a
    batch at a time, a quarter and an eighth of float32 and int64). ``evaluate(model)`` runs
    after every epoch in eval mode under ``no_grad`` and returns metrics (e.g.
    ``{"val_accuracy": 0.9}``) that join the epoch's record.

    ``on_progress(step, total, metrics)`` is called after every optimiser step with
    ``step`` in ``1..total`` (total = epochs × batches per epoch) and the running metrics:
    ``epoch`` (1-based, fractional inside an epoch), ``loss`` (this batch) and, at epoch ends, the
    epoch's mean ``train_loss`` plus the evaluation metrics. ``should_stop()`` is checked before
    every step; when it returns True training ends after the current step and
    ``History.stopped`` is set.

    Randomness comes from the run's own generators, never from torch's global one: the batch
    order and ``augment`` from one of ``config.seed``, the masks of every
    :class:`cnnplay.seeding.Dropout` in ``model`` from another. With the same model, data and
    config a run gives the same numbers whatever other runs the process has going at once.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
    if len(x) == 0:
        raise ValueError("nothing to train on: the training set is empty")
    if config.epochs < 1 or config.batch_size < 1:
        raise ValueError("epochs and batch_size must be at least 1")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x, y = x.to(device), y.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer is None:
        if not params:
            raise ValueError("the model has no trainable parameters")
        optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    gen = generator(config.seed)
    use_generator(model, generator(config.seed + DROPOUT_STREAM))
    n = len(x)
    per_epoch = (n + config.batch_size - 1) // config.batch_size
    total = config.epochs * per_epoch
    history = History()
    start = time.perf_counter()
    step = 0
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(n, generator=gen).to(device)
        losses: list[float] = []
        for b in range(per_epoch):
            if should_stop is not None and should_stop():
                history.stopped = True
                break
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            xb, yb = x[idx], y[idx]
            if prepare is not None:
                xb, yb = prepare(xb, yb)
            if augment is not None:
                xb = augment(xb, gen)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            step += 1
            losses.append(float(loss.detach()))
            if on_progress is not None and b < per_epoch - 1:
                on_progress(step, total, {"epoch": epoch + (b + 1) / per_epoch, "loss": losses[-1]})
        if not losses:
            break
        record: dict[str, float] = {"epoch": epoch + 1, "train_loss": sum(losses) / len(losses)}
        if evaluate is not None:
            model.eval()
            with torch.no_grad():
                record.update(evaluate(model))
        history.epochs.append(record)
        if on_progress is not None:
            on_progress(step, total, {**record, "loss": losses[-1]})
        if history.stopped:
            break
    model.eval()
    use_generator(model, None)
    history.seconds = time.perf_counter() - start
    return history
