"""cnnplay.convnets.training: the three models trained side by side, epoch by epoch in turn —
the same as training each alone through cnnplay.train.fit with the run's epoch seeds, scored
honestly (accuracy from the predictions, costs from the layer arithmetic), seeded, stoppable."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.convnets.models import build, normalise
from cnnplay.convnets.training import (
    SideBySideSettings,
    augmenter,
    epoch_seeds,
    finish,
    lr_factor,
    new_run,
    predict,
    train_side_by_side,
    train_three,
)
from cnnplay.train import TrainConfig, fit
from tests.convnets.helpers import fashion_split

SETTINGS = SideBySideSettings(epochs=2, hidden=32, seed=4)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def split():
    return fashion_split(400, 150)


@pytest.fixture(scope="module")
def events_and_results(split):
    events = []
    results = train_three(split, SETTINGS, lambda s, t, m: events.append((s, t, dict(m))))
    return events, results


def params(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def test_results_are_scored_from_the_final_predictions(split, events_and_results):
    _, results = events_and_results
    assert list(results) == ["mlp", "cnn", "fcn"]
    y = split.y_test.numpy()
    for name, r in results.items():
        assert r.name == name and not r.model.training
        assert r.test_pred.shape == (150,) and r.test_pred.dtype == np.int64
        logits = r.model(normalise(split.x_test)).detach()  # one batch: an independent pass
        assert np.array_equal(r.test_pred, logits.argmax(1).numpy())
        assert r.test_accuracy == pytest.approx(float((r.test_pred == y).mean()), abs=1e-6)
        # the last epoch's record scored the same weights
        assert r.history.epochs[-1]["test_accuracy"] == pytest.approx(r.test_accuracy, abs=1e-6)
        assert [e["epoch"] for e in r.history.epochs] == [1, 2]
        assert {"train_loss", "test_loss", "test_accuracy"} <= set(r.history.epochs[0])
        assert r.seconds > 0 and not r.history.stopped
        assert r.test_accuracy > 0.2  # chance is 0.1 (± 0.025 on 150 images); 2 short epochs


def test_parameters_and_multiply_adds_from_the_layer_arithmetic(events_and_results):
    _, results = events_and_results
    h = SETTINGS.hidden
    mlp_params = 784 * h + h + h * 10 + 10
    cnn_params = (9 * 32 + 32) + (9 * 32 * 64 + 64) + (1600 * 10 + 10)
    fcn_params = (9 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128) + (128 * 10 + 10)
    conv1, conv2 = 26 * 26 * 32 * 9, 11 * 11 * 64 * 32 * 9
    assert [r.params for r in results.values()] == [mlp_params, cnn_params, fcn_params]
    for r in results.values():
        assert r.params == sum(p.numel() for p in r.model.parameters())
    assert results["mlp"].macs == 784 * h + h * 10
    assert results["cnn"].macs == conv1 + conv2 + 1600 * 10
    assert results["fcn"].macs == conv1 + conv2 + 3 * 3 * 128 * 64 * 9 + 3 * 3 * 10 * 128


def test_the_three_take_turns_epoch_by_epoch_and_progress_counts_every_step(
    split, events_and_results
):
    events, _ = events_and_results
    ends = [(m["model"], m["epoch"]) for _, _, m in events if "train_loss" in m]
    assert ends == [("mlp", 1), ("cnn", 1), ("fcn", 1), ("mlp", 2), ("cnn", 2), ("fcn", 2)]
    steps = [s for s, _, _ in events]
    per_epoch = -(-len(split.y_train) // SETTINGS.batch_size)
    total = 2 * 3 * per_epoch
    assert steps == list(range(1, total + 1)) and {t for _, t, _ in events} == {total}
    cnn_epochs = [m["epoch"] for _, _, m in events if m["model"] == "cnn"]
    assert cnn_epochs == sorted(cnn_epochs) and 0 < cnn_epochs[0] < 1 and cnn_epochs[-1] == 2


def test_side_by_side_is_each_model_trained_alone_by_fit_with_the_epoch_seeds(
    split, events_and_results
):
    """The same batches for every model: training the CNN alone (or by fit directly, with
    the run's epoch seeds and one Adam) gives bit-identical weights."""
    _, results = events_and_results
    alone = train_three(split, SETTINGS, names=("cnn",))["cnn"]
    for a, b in zip(params(alone.model), params(results["cnn"].model), strict=True):
        assert torch.equal(a, b)
    mlp = build("mlp", 10, seed=SETTINGS.seed, hidden=SETTINGS.hidden)
    adam = torch.optim.Adam(mlp.parameters(), lr=SETTINGS.lr)
    for epoch, seed in enumerate(epoch_seeds(SETTINGS.seed, SETTINGS.epochs)):
        # the cosine: lr, then lr·½(1 + cos(π/2)) = lr/2 in the second of two epochs
        adam.param_groups[0]["lr"] = SETTINGS.lr * (1.0, 0.5)[epoch]
        fit(mlp, F.cross_entropy, split.x_train, split.y_train,
            TrainConfig(epochs=1, batch_size=SETTINGS.batch_size, lr=SETTINGS.lr, seed=seed),
            optimizer=adam, prepare=lambda xb, yb: (normalise(xb), yb))  # fmt: skip
    for a, b in zip(params(mlp), params(results["mlp"].model), strict=True):
        assert torch.equal(a, b)
    seeds = epoch_seeds(SETTINGS.seed, 3)
    assert len(set(seeds)) == 3 and seeds[:2] == epoch_seeds(SETTINGS.seed, 2)


def test_the_learning_rate_follows_a_cosine_over_the_epochs(split):
    assert [lr_factor(e, 3) for e in range(3)] == pytest.approx([1.0, 0.75, 0.25])
    assert [lr_factor(e, 4) for e in range(4)] == pytest.approx(
        [1.0, (1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2]
    )
    seen = []
    run = new_run(10, SideBySideSettings(epochs=3, hidden=16, lr=4e-3))
    train_side_by_side(
        split,
        run,
        lambda s, t, m: (
            seen.append(run.optimizers[m["model"]].param_groups[0]["lr"])
            if "train_loss" in m
            else None
        ),
    )
    assert seen == pytest.approx([4e-3] * 3 + [3e-3] * 3 + [1e-3] * 3)
    still = new_run(10, SideBySideSettings(epochs=2, hidden=16, lr=4e-3, anneal=False))
    train_side_by_side(split, still)
    assert all(o.param_groups[0]["lr"] == 4e-3 for o in still.optimizers.values())


def test_same_seed_same_run_other_seed_other_run(split, events_and_results):
    _, results = events_and_results
    settings = SideBySideSettings(epochs=1, hidden=32, seed=4)
    a = train_three(split, settings, names=("mlp",))["mlp"]
    b = train_three(split, settings, names=("mlp",))["mlp"]
    c = train_three(split, SideBySideSettings(epochs=1, hidden=32, seed=5), names=("mlp",))["mlp"]
    assert a.history.epochs == b.history.epochs and np.array_equal(a.test_pred, b.test_pred)
    assert a.history.epochs[0]["train_loss"] != c.history.epochs[0]["train_loss"]
    assert a.history.epochs[0] == results["mlp"].history.epochs[0]  # epoch 1 of the 2-epoch run


def test_stop_ends_every_model_and_finish_scores_what_there_is(split):
    run = new_run(10, SideBySideSettings(epochs=3, hidden=16))
    seen = []

    def on_progress(step, total, m):
        seen.append((step, m["model"], "train_loss" in m))

    stop_after = 10  # steps: the MLP's first epoch (7 steps), then 3 of the CNN's
    train_side_by_side(split, run, on_progress, lambda: len(seen) >= stop_after)
    assert max(s for s, _, _ in seen) == stop_after and not run.finished
    assert seen[-1] == (stop_after, "cnn", True)  # the CNN's partial epoch, scored
    assert all(h.stopped for h in run.histories.values())
    assert [len(h.epochs) for h in run.histories.values()] == [1, 1, 0]  # CNN: a partial epoch
    results = finish(split, run)
    assert set(results) == {"mlp", "cnn", "fcn"} and not run.optimizers
    for r in results.values():
        assert len(r.test_pred) == len(split.y_test)


def test_augmentation_changes_the_batches_and_stays_seeded(split):
    settings = SideBySideSettings(epochs=1, hidden=16, augment=True, max_shift=3)
    a = train_three(split, settings, names=("mlp",))["mlp"]
    b = train_three(split, settings, names=("mlp",))["mlp"]
    plain = train_three(split, SideBySideSettings(epochs=1, hidden=16), names=("mlp",))["mlp"]
    assert a.history.epochs == b.history.epochs
    assert a.history.epochs[0]["train_loss"] != plain.history.epochs[0]["train_loss"]
    assert augmenter(SideBySideSettings()) is None
    augment = augmenter(settings)
    assert augment.keywords["fill"] == -1.0 and augment.keywords["max_shift"] == 3


def test_predict_restores_the_mode_and_batches_do_not_change_answers(split):
    model = build("cnn", 10, seed=1).train()
    logits_a, _ = predict(model, split.x_test, batch=1000)
    logits_b, _ = predict(model, split.x_test, batch=7)
    assert model.training and logits_a.shape == (150, 10)
    torch.testing.assert_close(logits_a, logits_b, rtol=1e-4, atol=1e-5)
