"""cnnplay.convnets.robustness and the transformations it sweeps (cnnplay.convnets.augment):
integer shifts against torch.roll with the wrapped rows and columns blanked, rotations and
scalings at the identity, against torch.rot90 at quarter turns and against torchvision's affine
elsewhere; the curves against an independent count per value; the figure; and seed 004's limit
measured on trained models (a rotation of 45° costs every model accuracy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from cnnplay.convnets.augment import affine, amounts_like, shift
from cnnplay.convnets.models import build, normalise
from cnnplay.convnets.robustness import (
    DIRECTIONS,
    SWEEPS,
    Sweep,
    curves_figure,
    example_strip,
    robustness_curves,
    transformed,
)
from cnnplay.plots.style import SERIES_COLOURS
from cnnplay.seeding import generator
from tests.convnets.helpers import fashion_split, quick_models

SWEEP = {s.key: s for s in SWEEPS}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def images(n: int = 3, h: int = 28, w: int = 28) -> torch.Tensor:
    return torch.rand(n, 1, h, w, dtype=torch.float64, generator=generator(n * h + w))


def rolled(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """The reference shift: torch.roll, then the rows and columns that wrapped around set to 0."""
    h, w = x.shape[-2:]
    out = torch.roll(x, shifts=(dy, dx), dims=(-2, -1)).clone()
    rows, cols = torch.arange(h), torch.arange(w)
    wrapped_rows = (rows < dy) | (rows >= h + dy)  # dy > 0: the top dy rows; dy < 0: the bottom
    wrapped_cols = (cols < dx) | (cols >= w + dx)
    out[..., wrapped_rows, :] = 0
    out[..., :, wrapped_cols] = 0
    return out


@pytest.mark.parametrize("dx", [-4, -1, 0, 2, 4])
@pytest.mark.parametrize("dy", [-3, 0, 1, 4])
def test_integer_shift_is_roll_with_zero_fill(dx: int, dy: int) -> None:
    x = images(3, 28, 28)
    moved = shift(x, torch.tensor([[dx, dy]] * 3, dtype=torch.float32))
    assert torch.equal(moved, rolled(x, dx, dy))
    x = images(2, 5, 7)  # not square, not 28
    moved = shift(x, torch.tensor([[dx, dy]] * 2, dtype=torch.float32))
    assert torch.equal(moved, rolled(x, dx, dy))


def test_a_shift_beyond_the_image_leaves_only_fill() -> None:
    x = images(2, 5, 7)
    assert torch.equal(shift(x, torch.tensor([[7.0, 0.0], [0.0, -5.0]])), torch.zeros_like(x))


def test_shift_sweep_gives_the_four_directions() -> None:
    x8 = (images(4) * 255).round().to(torch.uint8)
    x = x8.double() / 255
    for d in (1, 3):
        batches = transformed(SWEEP["shift"], d, x8)
        assert len(batches) == len(DIRECTIONS) == 4
        for batch, (dx, dy) in zip(batches, DIRECTIONS.values(), strict=True):
            assert batch.dtype == torch.float32
            assert_close(batch.double(), rolled(x, dx * d, dy * d), rtol=0, atol=1e-7)
    assert DIRECTIONS == {"right": (1, 0), "left": (-1, 0), "down": (0, 1), "up": (0, -1)}
    (plain,) = transformed(SWEEP["shift"], 0, x8)
    assert torch.equal(plain, x8.float() / 255)


def test_affine_identity_and_quarter_turns() -> None:
    x = images(3)
    n = len(x)
    assert_close(affine(x, *amounts_like(n)), x, rtol=0, atol=1e-12)
    # a positive angle turns the picture counter-clockwise on screen: torch.rot90 with k > 0
    for degrees, k in ((90, 1), (180, 2), (-90, -1), (270, 3)):
        turned = affine(x, *amounts_like(n, degrees=degrees))
        assert_close(turned, torch.rot90(x, k, dims=(-2, -1)), rtol=0, atol=1e-12)
    # the control: a quarter turn is not the identity, and not the other way round
    assert (
        affine(x, *amounts_like(n, degrees=90)) - torch.rot90(x, -1, (-2, -1))
    ).abs().max() > 0.1
    corner = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    corner[..., 0, 3] = 1.0  # top right
    turned = affine(corner, *amounts_like(1, degrees=90))
    assert turned[0, 0, 0, 0] == pytest.approx(1.0)  # counter-clockwise: to the top left


def test_sweeps_at_their_identity_return_the_images() -> None:
    x8 = (images(2) * 255).round().to(torch.uint8)
    for sweep in SWEEPS:
        (plain,) = transformed(sweep, sweep.identity, x8)
        assert torch.equal(plain, x8.float() / 255)
        assert sweep.identity in sweep.values


@pytest.mark.parametrize(
    "degrees,scale,move",
    [(30, 1.0, (0, 0)), (-45, 1.0, (0, 0)), (0, 0.6, (0, 0)), (0, 1.4, (0, 0)), (15, 0.8, (2, -3))],
)
def test_affine_matches_torchvision(degrees: float, scale: float, move: tuple[int, int]) -> None:
    x = images(3)
    # float64 amounts: torchvision computes its matrix in float64 from the exact numbers
    ours = affine(
        x,
        torch.tensor([move] * 3, dtype=torch.float64),
        torch.full((3,), float(degrees), dtype=torch.float64),
        torch.full((3,), float(scale), dtype=torch.float64),
    )
    # torchvision's angle is clockwise; fill=None: plain zero padding (its fill=0 blends a mask)
    theirs = TF.affine(
        x,
        angle=-float(degrees),
        translate=list(move),
        scale=scale,
        shear=[0.0, 0.0],
        interpolation=InterpolationMode.BILINEAR,
        fill=None,
    )
    assert_close(ours, theirs, rtol=0, atol=1e-10)


@pytest.mark.parametrize("key,value", [("rotation", 30), ("rotation", -45), ("scale", 0.7)])
def test_rotation_and_scale_sweeps_match_torchvision(key: str, value: float) -> None:
    x8 = (images(2) * 255).round().to(torch.uint8)
    (ours,) = transformed(SWEEP[key], value, x8)
    theirs = TF.affine(
        x8.float() / 255,
        angle=-float(value) if key == "rotation" else 0.0,
        translate=[0, 0],
        scale=float(value) if key == "scale" else 1.0,
        shear=[0.0, 0.0],
        interpolation=InterpolationMode.BILINEAR,
        fill=None,
    )
    assert_close(ours, theirs, rtol=0, atol=1e-5)  # float32 amounts in the sweep


@pytest.fixture(scope="module")
def trained():
    split = fashion_split(600, 150)
    models, _ = quick_models(split)
    return split, models


@pytest.fixture(scope="module")
def scored(trained):
    """The curves of the three models on 150 test images (one forward pass per batch), with
    the CNN in training mode when they are computed, and the progress calls."""
    split, models = trained
    calls: list[tuple[int, int]] = []
    models["cnn"].train()
    curves = robustness_curves(
        models, split.x_test, split.y_test, on_progress=lambda d, t, m: calls.append((d, t))
    )
    still_training = models["cnn"].training
    models["cnn"].eval()
    return curves, calls, still_training


def test_curves_match_an_independent_count(trained, scored) -> None:
    split, models = trained
    curves, calls, still_training = scored
    x, y = split.x_test, split.y_test
    assert still_training  # scored in eval mode, then the mode restored
    total = sum(len(s.values) for s in SWEEPS)
    assert calls == [(k, total) for k in range(1, total + 1)]
    assert set(curves) == {"shift", "rotation", "scale"}
    for sweep in SWEEPS:
        c = curves[sweep.key]
        assert c.images == len(y)
        for key, model in models.items():
            expected = []
            for value in sweep.values:
                per = []
                for xb in transformed(sweep, value, x):
                    with torch.no_grad():
                        pred = model(normalise(xb)).argmax(1)
                    per.append(float((pred == y).double().mean()))
                expected.append(np.mean(per))
                if sweep.key == "shift":
                    assert c.by_direction[key][len(expected) - 1] == pytest.approx(tuple(per))
            assert c.accuracy[key] == pytest.approx(tuple(expected), abs=1e-12)
    # the untransformed images are scored once, for all three sweeps alike
    for key in models:
        plain = {curves[s.key].accuracy[key][s.values.index(s.identity)] for s in SWEEPS}
        assert len(plain) == 1


def test_seed_004_limit_rotation_costs_accuracy(trained, scored) -> None:
    _, models = trained
    rotation = scored[0]["rotation"]
    i0, i45 = rotation.sweep.values.index(0), rotation.sweep.values.index(45)
    for key in models:
        acc = rotation.accuracy[key]
        assert acc[i45] < acc[i0] - 0.1, key


def test_curves_can_be_stopped() -> None:
    model = build("mlp", 10).eval()
    x = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    y = torch.zeros(4, dtype=torch.int64)
    assert robustness_curves({"mlp": model}, x, y, should_stop=lambda: True) is None


def test_curves_figure(trained) -> None:
    split, models = trained
    sweeps = (Sweep("rotation", "Rotation", "angle", (-30, 0, 30), 0),)
    curves = robustness_curves(models, split.x_test[:50], split.y_test[:50], sweeps)
    c = curves["rotation"]
    labels = {"mlp": "MLP", "cnn": "CNN", "fcn": "FCN"}
    fig = curves_figure(c, labels, 0.1)
    assert [t.name for t in fig.data] == ["MLP", "CNN", "FCN", "chance (10%)"]
    assert [t.line.color for t in fig.data[:3]] == list(SERIES_COLOURS[:3])
    assert [t.line.dash for t in fig.data] == ["solid"] * 3 + ["dot"]
    assert list(fig.data[3].x) == [-30, 30] and list(fig.data[3].y) == [0.1, 0.1]
    assert list(fig.data[1].y) == list(c.accuracy["cnn"]) and list(fig.data[1].x) == [-30, 0, 30]
    assert fig.layout.xaxis.title.text == "angle"
    assert fig.layout.yaxis.title.text == "test accuracy"
    assert fig.layout.title.text == "Rotation"
    both = curves_figure(c, labels, 0.1, dashed=c, solid_name="plain", dashed_name="augmented")
    assert len(both.data) == 7
    assert [t.line.dash for t in both.data] == ["solid", "dash"] * 3 + ["dot"]
    assert both.data[0].line.color == both.data[1].line.color
    assert both.data[1].name == "MLP (augmented)" and both.data[0].name == "MLP (plain)"


def test_example_strip() -> None:
    image = (images(1)[0] * 255).round().to(torch.uint8)  # (1, 28, 28)
    for sweep in SWEEPS:
        strip = example_strip(image, sweep, upscale=2)
        assert len(strip) == len(sweep.values)
        assert all(p.shape == (56, 56) and p.dtype == np.uint8 for p in strip)
        i = sweep.values.index(sweep.identity)
        assert np.array_equal(strip[i][::2, ::2], image[0].numpy())
    shifted = example_strip(image, SWEEP["shift"], upscale=1)[2]  # 2 px to the right
    assert np.array_equal(shifted[:, 2:], image[0, :, :-2].numpy())
    assert not shifted[:, :2].any()
