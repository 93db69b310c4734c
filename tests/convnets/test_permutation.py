"""cnnplay.convnets.permutation: the pixel shuffle against a loop and a permutation matrix, the
rewired MLP against the original in float64 (and a wrong rewiring as the control), and the
notes' claim run for real: the MLP trained on shuffled pixels from the reordered start ends with
the original's weights reordered, while the CNN loses accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from cnnplay.convnets.models import MLP, build, normalise
from cnnplay.convnets.permutation import (
    accuracy_bars_figure,
    equivalence,
    inverse,
    permute_pixels,
    permute_split,
    pixel_permutation,
    rewire_,
    rewire_mlp,
    show_pairs,
    shuffled_run,
)
from cnnplay.convnets.training import SideBySideSettings, finish, new_run, train_side_by_side
from cnnplay.plots.style import SERIES_COLOURS
from cnnplay.seeding import generator
from tests.convnets.helpers import fashion_split

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_permutation_is_seeded_and_leaves_the_global_generator_alone() -> None:
    state = torch.random.get_rng_state()
    a, b, c = pixel_permutation(28, 3), pixel_permutation(28, 3), pixel_permutation(28, 4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert a.dtype == torch.int64 and a.shape == (784,)
    assert torch.equal(torch.sort(a).values, torch.arange(784))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(a, torch.randperm(784, generator=generator(3)))


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (3, 2, 3, 5)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float64])
def test_permute_pixels_matches_a_loop(shape, dtype) -> None:
    _, _, h, w = shape
    x = (torch.rand(shape, generator=generator(1)) * 255).to(dtype)
    perm = torch.randperm(h * w, generator=generator(2))
    out = permute_pixels(x, perm)
    assert out.dtype == dtype and out.shape == x.shape
    expected = torch.empty_like(x)
    for i in range(h * w):
        j = int(perm[i])
        expected[:, :, i // w, i % w] = x[:, :, j // w, j % w]
    assert torch.equal(out, expected)
    assert torch.equal(permute_pixels(out, inverse(perm)), x)


def test_permute_pixels_is_a_permutation_matrix() -> None:
    perm = pixel_permutation(28, 5)
    p = torch.zeros(784, 784, dtype=torch.float64)
    p[torch.arange(784), perm] = 1.0  # x' = P x
    x = torch.rand(4, 1, 28, 28, dtype=torch.float64, generator=generator(6))
    assert_close(permute_pixels(x, perm).reshape(4, 784), x.reshape(4, 784) @ p.T)
    with pytest.raises(ValueError, match="784 pixels"):
        permute_pixels(x, perm[:-1])


def test_permute_split_shuffles_images_not_labels() -> None:
    split = fashion_split(20, 10)
    perm = pixel_permutation(28, 0)
    shuffled = permute_split(split, perm)
    assert torch.equal(shuffled.x_train, permute_pixels(split.x_train, perm))
    assert torch.equal(shuffled.x_test, permute_pixels(split.x_test, perm))
    assert shuffled.y_train is split.y_train and shuffled.y_test is split.y_test
    assert not torch.equal(shuffled.x_train, split.x_train)
    assert "shuffled" in shuffled.source and shuffled.classes == split.classes


def float64_mlp(seed: int = 0) -> MLP:
    return build("mlp", 10, seed=seed, hidden=32).double().eval()


def test_rewired_mlp_on_shuffled_images_is_the_same_model() -> None:
    mlp = float64_mlp()
    before = mlp.hidden.weight.detach().clone()
    perm = pixel_permutation(28, 7)
    twin = rewire_mlp(mlp, perm)
    assert torch.equal(mlp.hidden.weight, before)  # the original is untouched
    p = torch.zeros(784, 784, dtype=torch.float64)
    p[torch.arange(784), perm] = 1.0
    assert_close(twin.hidden.weight.detach(), before @ p.T)  # W' = W Pᵀ
    x = torch.rand(16, 1, 28, 28, dtype=torch.float64, generator=generator(8))
    with torch.no_grad():
        assert_close(twin(permute_pixels(x, perm)), mlp(x), rtol=0, atol=1e-12)
        # the control: the twin on images shuffled another way is another model
        other = permute_pixels(x, pixel_permutation(28, 8))
        assert (twin(other) - mlp(x)).abs().max() > 1e-3
    with pytest.raises(ValueError, match="reads 784"):
        rewire_(mlp, perm[:10])


def test_equivalence_reports_float_rounding_only() -> None:
    split = fashion_split(10, 300)
    mlp = build("mlp", 10, seed=1).eval()
    check = equivalence(mlp, split.x_test, pixel_permutation(28, 2))
    assert check.images == 300
    assert check.max_diff_float64 <= 1e-12 * max(1.0, check.largest_logit)
    assert check.max_diff_float32 <= 1e-4 * max(1.0, check.largest_logit)
    assert 0 <= check.same_predictions <= 300
    with torch.no_grad():  # the scale it reports is the float32 model's
        top = float(mlp(normalise(split.x_test)).abs().max())
    assert check.largest_logit == pytest.approx(top)


def test_shuffled_run_starts_from_the_original_weights() -> None:
    perm = pixel_permutation(28, 3)
    settings = SideBySideSettings(epochs=1, hidden=16, seed=5)
    plain = new_run(10, settings, ("mlp", "cnn"))
    same = shuffled_run(10, perm, settings, ("mlp", "cnn"), same_start=True)
    fresh = shuffled_run(10, perm, settings, ("mlp", "cnn"), same_start=False)
    w = plain.models["mlp"].hidden.weight
    assert torch.equal(same.models["mlp"].hidden.weight, w[:, perm])
    assert torch.equal(fresh.models["mlp"].hidden.weight, w)
    for run in (same, fresh):
        for a, b in zip(
            run.models["cnn"].parameters(), plain.models["cnn"].parameters(), strict=True
        ):
            assert torch.equal(a, b)
        assert set(run.optimizers) == {"mlp", "cnn"}


def test_training_on_shuffled_pixels_mlp_same_cnn_worse() -> None:
    """The page's claim, measured: 600 training images, 2 epochs."""
    split = fashion_split(600, 300)
    perm = pixel_permutation(28, 3)
    settings = SideBySideSettings(epochs=2, seed=0)
    original = finish(split, train_side_by_side(split, new_run(10, settings, ("mlp", "cnn"))))
    shuffled_split = permute_split(split, perm)
    shuffled = finish(
        shuffled_split,
        train_side_by_side(shuffled_split, shuffled_run(10, perm, settings)),
    )
    # the MLP's training is the original's, reordered: the same weights up to float rounding
    w0 = original["mlp"].model.hidden.weight.detach()
    w1 = shuffled["mlp"].model.hidden.weight.detach()
    assert_close(w1, w0[:, perm], rtol=0, atol=1e-5)
    for a, b in zip(
        original["mlp"].model.out.parameters(), shuffled["mlp"].model.out.parameters(), strict=True
    ):
        assert_close(a.detach(), b.detach(), rtol=0, atol=1e-5)
    with torch.no_grad():
        logits0 = original["mlp"].model(normalise(split.x_test))
        logits1 = shuffled["mlp"].model(normalise(shuffled_split.x_test))
    assert_close(logits1, logits0, rtol=0, atol=1e-3)
    # the CNN loses what the neighbourhoods told it
    assert shuffled["cnn"].test_accuracy < original["cnn"].test_accuracy - 0.05


def test_show_pairs_enlarges_without_blending() -> None:
    split = fashion_split(1, 3)
    perm = pixel_permutation(28, 0)
    pairs = show_pairs(split.x_test, perm, upscale=3)
    assert len(pairs) == 3
    shuffled = permute_pixels(split.x_test, perm)
    for (a, b), x, y in zip(pairs, split.x_test, shuffled, strict=True):
        assert a.shape == b.shape == (84, 84) and a.dtype == np.uint8
        assert np.array_equal(a[::3, ::3], x[0].numpy())
        assert np.array_equal(b[1::3, 2::3], y[0].numpy())


def test_accuracy_bars_figure() -> None:
    fig = accuracy_bars_figure(["MLP", "CNN"], {"MLP": 0.8, "CNN": 0.85}, {"MLP": 0.8}, 0.1)
    original, shuffled, chance = fig.data
    assert list(original.x) == ["MLP", "CNN"] and list(original.y) == [0.8, 0.85]
    assert list(shuffled.x) == ["MLP"]  # a missing value leaves its bar out
    assert original.marker.color == SERIES_COLOURS[0]
    assert shuffled.marker.color == SERIES_COLOURS[1]
    assert fig.layout.yaxis.title.text == "test accuracy"
    assert fig.layout.xaxis.title.text == "model"
    assert list(chance.y) == [0.1, 0.1] and chance.name == "chance (10%)"
    assert chance.line.dash == "dot" and chance.xaxis == "x2"
    assert list(fig.layout.xaxis2.range) == [0, 1] and fig.layout.xaxis2.overlaying == "x"
    assert {original.name, shuffled.name} == {"original pixels", "shuffled pixels"}
