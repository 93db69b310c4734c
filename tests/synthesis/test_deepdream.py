"""DeepDream with tiny photos and few steps: the octave sizes, the layer's objective rising,
the details carried from one octave to the next, Stop, progress, and the shared model left as
it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained
from cnnplay.models.pretrained import normalise_pixels as normalise
from cnnplay.models.stages import truncated
from cnnplay.synthesis.deepdream import (
    MIN_SIDE,
    DeepDreamSettings,
    dream,
    dream_objective,
    fit,
    fitted_size,
    octave_sizes,
    resize,
)

pytestmark = pytest.mark.usefixtures("one_thread")
STAGE = 4  # EfficientNet-Lite0's stage 4: 40 channels at 1/8 of the input side


@pytest.fixture(scope="module")
def net():
    return load_pretrained(DEFAULT_MODEL), REGISTRY[DEFAULT_MODEL]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 64×80 photo-like picture: smooth colour gradients and a bright disc."""
    yy, xx = np.mgrid[:64, :80]
    image = np.stack([xx * 3, yy * 3, 255 - xx * 2], axis=-1).astype(np.float64)
    image[(yy - 30) ** 2 + (xx - 40) ** 2 < 150] = (250, 220, 90)
    return image.clip(0, 255).astype(np.uint8)


def test_octave_sizes():
    assert octave_sizes(512, 384, 3, 1.4) == [(261, 196), (366, 274), (512, 384)]
    assert octave_sizes(100, 60, 1, 1.4) == [(100, 60)]
    assert octave_sizes(40, 100, 3, 2.0) == [(MIN_SIDE, MIN_SIDE), (MIN_SIDE, 50), (40, 100)]


def test_fit_shrinks_only():
    big = np.zeros((1024, 512, 3), np.uint8)
    assert fit(big, 256).shape == (256, 128, 3)
    assert fitted_size(480, 640, 384) == (288, 384) and fitted_size(50, 40, 256) == (50, 40)
    small = np.zeros((50, 40, 3), np.uint8)
    assert fit(small, 256) is small


def test_objective_is_half_the_mean_square():
    maps = torch.tensor([[[[1.0, -2.0]], [[3.0, 0.0]]]])  # (1, 2, 1, 2)
    torch.testing.assert_close(dream_objective(maps), torch.tensor([0.5 * (1 + 4 + 9) / 4]))


def test_the_layer_activations_rise(net, photo):
    model, spec = net
    settings = DeepDreamSettings(octaves=1, steps=4, jitter=4, step_size=3)
    result = dream(model, spec, photo, STAGE, settings)
    with torch.inference_mode():
        before = dream_objective(truncated(model, STAGE)(normalise(photo, spec)))[0]
        after = dream_objective(truncated(model, STAGE)(normalise(result.image, spec)))[0]
    assert result.before == pytest.approx(float(before), rel=1e-5)
    assert result.after > 1.1 * result.before and float(after) > 1.1 * float(before)
    assert result.objective.shape == (4,) and result.objective[-1] > result.objective[0]
    assert result.image.shape == photo.shape and result.image.dtype == np.uint8
    np.testing.assert_array_equal(result.original, photo)
    assert len(result.octave_images) == 1 and not result.stopped


def test_every_octave_is_kept_at_its_size_and_progress_counts_all_steps(net, photo):
    model, spec = net
    calls: list[tuple[int, int, dict]] = []
    settings = DeepDreamSettings(octaves=3, octave_scale=1.4, steps=2, report_every=100)
    result = dream(model, spec, photo, STAGE, settings, lambda s, t, m: calls.append((s, t, m)))
    assert result.sizes == octave_sizes(64, 80, 3, 1.4)
    assert [im.shape[:2] for im in result.octave_images] == result.sizes
    assert [(s, t) for s, t, _ in calls] == [(k, 6) for k in range(1, 7)]
    assert [m["octave"] for _, _, m in calls] == [1, 1, 2, 2, 3, 3]
    assert [s for s, _, m in calls if "image" in m] == [2, 4, 6]  # each octave's end
    assert list(result.octave_of_step) == [0, 0, 1, 1, 2, 2] and result.steps == 6
    np.testing.assert_array_equal(result.octave_images[-1], result.image)


def test_details_are_carried_up_an_octave(net, photo):
    """Stopped right after the small octave: the result is the full-size photo plus the
    small octave's detail (its dream minus the shrunk photo), enlarged."""
    model, spec = net
    calls: list[int] = []
    settings = DeepDreamSettings(octaves=2, octave_scale=2.0, steps=3, jitter=0, step_size=4)
    result = dream(model, spec, photo, STAGE, settings, lambda s, t, m: calls.append(s),
                   should_stop=lambda: len(calls) >= 3)  # fmt: skip
    assert result.steps == 3 and result.stopped and len(result.octave_images) == 1
    full = normalise(photo, spec)  # (1, 3, 64, 80)
    small = result.sizes[0]
    detail = normalise(result.octave_images[0], spec) - resize(full, small)
    expected = (full + resize(detail, (64, 80)))[0]  # (3, 64, 80)
    std, mean = torch.tensor(spec.std).view(3, 1, 1), torch.tensor(spec.mean).view(3, 1, 1)
    pixels = ((expected * std + mean).clamp(0, 1) * 255).permute(1, 2, 0).numpy()
    assert np.abs(result.image.astype(float) - pixels).max() <= 2.0
    changed = np.abs(result.image.astype(float) - photo.astype(float)).mean()
    assert changed > 1.0  # the dreamt detail is there, not the photo alone


def test_stop_before_the_first_step_returns_the_photo(net, photo):
    model, spec = net
    result = dream(model, spec, photo, STAGE, DeepDreamSettings(), should_stop=lambda: True)
    assert result.steps == 0 and result.stopped and result.octave_images == []
    np.testing.assert_array_equal(result.image, photo)


def test_the_shared_model_is_left_as_it_was(net, photo):
    model, spec = net
    before = {k: v.clone() for k, v in model.state_dict().items()}
    dream(model, spec, photo, 7, DeepDreamSettings(octaves=2, steps=2))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not model.training
    assert all(p.grad is None and not p.requires_grad for p in model.parameters())
    for m in model.modules():
        assert not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks)
