"""cnnplay.train.fit: learns, reports progress, stops, is deterministic by seed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnplay.train import TrainConfig, fit


def _blobs(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) + (y[:, None] * 2 - 1) * 1.5
    return x, y


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((model(x).argmax(1) == y).float().mean())


def test_fit_learns_and_reports_progress():
    x, y = _blobs()
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    calls = []
    history = fit(
        model,
        nn.functional.cross_entropy,
        x,
        y,
        TrainConfig(epochs=5, batch_size=32, lr=0.05),
        evaluate=lambda m: {"val_accuracy": _accuracy(m, x, y)},
        on_progress=lambda step, total, metrics: calls.append((step, total, dict(metrics))),
    )
    per_epoch = 7  # ceil(200 / 32)
    assert [c[0] for c in calls] == list(range(1, 5 * per_epoch + 1))
    assert all(c[1] == 5 * per_epoch for c in calls)
    epoch_ends = [c[2] for c in calls if "train_loss" in c[2]]
    assert [e["epoch"] for e in epoch_ends] == [1, 2, 3, 4, 5]
    assert len(history.epochs) == 5 and not history.stopped
    assert history.series("val_accuracy")[-1] > 0.9
    assert history.series("train_loss")[-1] < history.series("train_loss")[0]
    assert not model.training


def test_fit_stops_when_asked():
    x, y = _blobs()
    model = nn.Linear(2, 2)
    steps = []
    history = fit(
        model,
        nn.functional.cross_entropy,
        x,
        y,
        TrainConfig(epochs=50, batch_size=10),
        on_progress=lambda step, total, metrics: steps.append(step),
        should_stop=lambda: len(steps) >= 13,
    )
    assert history.stopped
    assert max(steps) == 13  # no step after the stop; the partial epoch is still reported
    assert len(history.epochs) == 1 and history.epochs[0]["epoch"] == 1


def test_fit_is_deterministic_by_seed():
    x, y = _blobs()

    def run(seed: int) -> torch.Tensor:
        torch.manual_seed(1)
        model = nn.Linear(2, 2)
        fit(model, nn.functional.cross_entropy, x, y, TrainConfig(epochs=2, seed=seed))
        return model.weight.detach().clone()

    assert torch.equal(run(3), run(3))
    assert not torch.equal(run(3), run(4))


def test_fit_rejects_bad_input():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="empty"):
        fit(model, nn.functional.cross_entropy, torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="differ"):
        fit(model, nn.functional.cross_entropy, torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    frozen = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="trainable"):
        fit(
            frozen, nn.functional.cross_entropy, torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)
        )


def test_augment_sees_every_training_batch():
    x, y = _blobs(64)
    seen = []

    def augment(xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        seen.append(len(xb))
        return xb + 0.01 * torch.randn(xb.shape, generator=gen)

    fit(
        nn.Linear(2, 2),
        nn.functional.cross_entropy,
        x,
        y,
        TrainConfig(epochs=2, batch_size=16),
        augment=augment,
    )
    assert seen == [16] * 8


def test_prepare_turns_compact_batches_into_model_inputs():
    """The same set stored compactly (uint8 inputs, uint8 labels) and turned into float32 /
    int64 one batch at a time trains exactly as the full-size tensors do."""
    g = torch.Generator().manual_seed(1)
    y = torch.randint(0, 3, (64,), generator=g)
    x8 = (torch.rand(64, 4, generator=g) * 200 + y[:, None] * 20).to(torch.uint8)
    seen = []

    def prepare(xb, yb):
        seen.append((xb.dtype, yb.dtype, len(xb)))
        return xb.float() / 255, yb.long()

    def run(xs, ys, **kw):
        torch.manual_seed(0)
        model = nn.Linear(4, 3)
        cfg = TrainConfig(epochs=3, batch_size=16, lr=0.05)
        return model, fit(model, nn.functional.cross_entropy, xs, ys, cfg, **kw)

    m1, h1 = run(x8, y.to(torch.uint8), prepare=prepare)
    m2, h2 = run(x8.float() / 255, y)
    assert seen == [(torch.uint8, torch.uint8, 16)] * 12  # 3 epochs × 4 batches, each prepared
    assert h1.series("train_loss") == h2.series("train_loss")
    torch.testing.assert_close(m1.weight, m2.weight, rtol=0, atol=0)
