"""Gradient ascent on EfficientNet-Lite0 with tiny images and few steps: the objective rises,
J = f − Ω and the first step by hand, a unit's score through truncated(), the shared model left
as it was (weights, hooks, grads), Stop, progress, starting images, and the facets' clustering."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, denormalise, load_pretrained
from cnnplay.models.stages import truncated
from cnnplay.synthesis.ascent import (
    ClassTarget,
    UnitTarget,
    ascend,
    facets,
    grey_levels,
    grey_start,
    noise_start,
    photo_start,
    scores_and_features,
)
from cnnplay.synthesis.regularisers import AscentSettings

pytestmark = pytest.mark.usefixtures("one_thread")
FLAMINGO = 130
SIDE = 64
OFF = AscentSettings(steps=4, size=SIDE).plain()  # no regulariser


@pytest.fixture(scope="module")
def net():
    return load_pretrained(DEFAULT_MODEL), REGISTRY[DEFAULT_MODEL]


def test_the_class_score_rises(net):
    model, spec = net
    settings = AscentSettings(steps=5, size=SIDE, jitter=2, blur_every=2, l2=1e-4)
    result = ascend(model, spec, ClassTarget(FLAMINGO), settings, noise_start(1, SIDE, spec))
    assert result.objective.shape == result.score.shape == (5, 1)
    assert result.final_score[0] > result.first_score[0] + 1.0
    assert result.objective[-1, 0] > result.objective[0, 0]
    assert result.images.shape == (1, SIDE, SIDE, 3) and result.images.dtype == np.uint8
    assert result.probs.shape == (1, 1000)
    np.testing.assert_allclose(result.probs.sum(1), 1, rtol=1e-4)
    assert not result.stopped


def test_objective_is_score_minus_l2_and_first_step_by_hand(net):
    model, spec = net
    weight = 0.01
    x0 = noise_start(2, SIDE, spec, seed=4)
    settings = replace(AscentSettings(steps=1, size=SIDE).plain(), l2=weight)
    result = ascend(model, spec, ClassTarget(FLAMINGO), settings, x0)
    leaf = x0.clone().requires_grad_(True)
    f = model(leaf)[:, FLAMINGO]  # (2,)
    (grad_f,) = torch.autograd.grad(f.sum(), leaf)
    omega = weight * (x0**2).sum(dim=(1, 2, 3))  # Ω = λ‖x‖², by hand
    torch.testing.assert_close(torch.from_numpy(result.penalty[0]).float(), omega)
    torch.testing.assert_close(torch.from_numpy(result.score[0]).float(), f.detach())
    torch.testing.assert_close(
        torch.from_numpy(result.objective[0]).float(), f.detach() - omega, rtol=1e-5, atol=1e-4
    )
    g = grad_f - 2 * weight * x0  # ∂J/∂x
    step = grey_levels(settings.step_size, spec)  # (3, 1, 1)
    x1 = x0 + step * g / g.abs().mean(dim=(1, 2, 3), keepdim=True)  # x ← x + λ g / mean|g|
    for k in range(2):
        expected = denormalise(x1[k], spec).astype(int)
        assert np.abs(result.images[k].astype(int) - expected).max() <= 1


def test_a_unit_target_is_the_mean_of_its_channel(net):
    model, spec = net
    x = noise_start(2, SIDE, spec, seed=1)
    target = UnitTarget(stage=5, channel=7)
    with torch.inference_mode():
        expected = truncated(model, 5)(x)[:, 7].mean(dim=(1, 2))  # (2,)
        got = target.score(model, x)
    torch.testing.assert_close(got, expected)
    result = ascend(model, spec, target, OFF, x)
    torch.testing.assert_close(torch.from_numpy(result.first_score).float(), expected)
    assert result.final_score[0] > result.first_score[0]


def test_the_shared_model_is_left_as_it_was(net):
    model, spec = net
    before = {k: v.clone() for k, v in model.state_dict().items()}
    settings = AscentSettings(steps=3, size=SIDE, clip_norm_pct=10, clip_contrib_pct=10)
    ascend(model, spec, ClassTarget(FLAMINGO), settings, grey_start(1, SIDE, spec))
    ascend(model, spec, UnitTarget(3, 0), settings, grey_start(1, SIDE, spec))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # also BN running stats
    assert not model.training
    for p in model.parameters():
        assert p.grad is None and not p.requires_grad
    for m in model.modules():
        assert not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks)
        assert not getattr(m, "_backward_pre_hooks", None)


def test_stop_ends_early_and_progress_is_reported(net):
    model, spec = net
    calls: list[tuple[int, int, dict]] = []
    settings = AscentSettings(steps=6, size=SIDE, report_every=2)
    result = ascend(
        model, spec, ClassTarget(FLAMINGO), settings, noise_start(1, SIDE, spec),
        on_progress=lambda s, t, m: calls.append((s, t, m)),
        should_stop=lambda: len(calls) >= 3,
    )  # fmt: skip
    assert result.steps == 3 and result.total == 6 and result.stopped
    assert result.objective.shape == (3, 1) and result.images.shape == (1, SIDE, SIDE, 3)
    assert [(s, t) for s, t, _ in calls] == [(1, 6), (2, 6), (3, 6)]
    assert all({"objective", "score", "penalty"} <= set(m) for _, _, m in calls)
    with_image = [s for s, _, m in calls if "image" in m]
    assert with_image == [2]
    image = calls[1][2]["image"]
    assert image.shape == (SIDE, SIDE, 3) and image.dtype == np.uint8
    assert calls[1][2]["objective"] == pytest.approx(result.objective[1, 0])


def test_a_batch_runs_each_start_on_its_own(net):
    model, spec = net
    x0 = noise_start(2, SIDE, spec, seed=2)
    settings = AscentSettings(steps=3, size=SIDE, jitter=3, clip_contrib_pct=0.0)  # no cut-off
    both = ascend(model, spec, ClassTarget(FLAMINGO), settings, x0)
    second = ascend(model, spec, ClassTarget(FLAMINGO), settings, x0[1:])
    np.testing.assert_allclose(both.objective[:, 1], second.objective[:, 0], rtol=1e-3, atol=1e-3)
    assert np.abs(both.images[1].astype(int) - second.images[0].astype(int)).max() <= 2


def test_starting_images(net):
    _, spec = net
    assert (denormalise(grey_start(1, 8, spec)[0], spec) == 128).all()
    a, b = noise_start(1, 16, spec, seed=0), noise_start(1, 16, spec, seed=1)
    torch.testing.assert_close(a, noise_start(1, 16, spec, seed=0))
    assert not torch.equal(a, b) and a.shape == (1, 3, 16, 16)
    photo = np.zeros((40, 80, 3), np.uint8)
    photo[:, 20:60] = 200  # the centre square is all 200
    x = photo_start(photo, 16, spec)
    assert x.shape == (1, 3, 16, 16)
    assert (denormalise(x[0], spec) == 200).all()


@pytest.mark.parametrize("target", [ClassTarget(FLAMINGO), UnitTarget(stage=4, channel=3)])
def test_gallery_scores_in_one_pass_match_the_target(net, target):
    model, spec = net
    images, _ = obvious_groups(n=2)
    scores, feats = scores_and_features(model, spec, target, images, side=SIDE)
    x = photo_start(images, SIDE, spec)
    with torch.inference_mode():
        expected = target.score(model, x).double().numpy()
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-4)
    assert feats.shape == (4, 1280)


def obvious_groups(n: int = 6, side: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """n flat reddish images and n black-and-white checkerboards, slightly varied."""
    rng = np.random.default_rng(0)
    flat = np.zeros((n, side, side, 3), np.uint8)
    flat[..., 0] = rng.integers(170, 230, n)[:, None, None]
    flat[..., 1:] = rng.integers(20, 60, n)[:, None, None, None]
    yy, xx = np.mgrid[:side, :side]
    checks = []
    for k in range(n):
        cell = 4 + k % 3
        board = (((yy // cell) + (xx // cell)) % 2 * 255).astype(np.uint8)
        checks.append(np.repeat(board[..., None], 3, axis=2))
    images = np.concatenate([flat, np.stack(checks)])
    group = np.array([0] * n + [1] * n)
    return images, group


def test_facets_are_distinct_and_split_obvious_groups(net):
    model, spec = net
    images, group = obvious_groups()
    found = facets(model, spec, ClassTarget(FLAMINGO), images, k=2, pool=len(images))
    assert found.images.shape == (2, 48, 48, 3)
    assert len(set(found.indices.tolist())) == 2
    assert {int(group[i]) for i in found.indices} == {0, 1}  # one facet per group
    labels_of = dict(zip(found.top.tolist(), found.clusters.tolist(), strict=True))
    for g in (0, 1):  # every image of a group in the same cluster, the groups apart
        assert len({labels_of[i] for i in np.flatnonzero(group == g)}) == 1
    assert labels_of[0] != labels_of[len(images) - 1]
    np.testing.assert_array_equal(found.images, images[found.indices])
    assert list(found.top) == list(np.argsort(-found.scores, kind="stable"))
    three = facets(model, spec, ClassTarget(FLAMINGO), images, k=3)
    assert len(set(three.indices.tolist())) == 3 and len(three.top) == 12
    with pytest.raises(ValueError):
        facets(model, spec, ClassTarget(FLAMINGO), images[:2], k=3)
