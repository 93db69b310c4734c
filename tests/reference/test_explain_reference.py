"""cnnplay.explain against captum's implementations of the same methods, on one small CNN with
seeded weights. Where our definition differs on purpose, the same post-processing is applied to
captum's output here (and said so); the methods themselves are compared untouched."""

from __future__ import annotations

import pytest
import torch
from torch import nn

captum_attr = pytest.importorskip("captum.attr")  # dev-only: requirements-dev.txt

from cnnplay.explain import grad_cam, occlusion, saliency  # noqa: E402
from cnnplay.seeding import seeded  # noqa: E402

SIDE = 16  # input side: (3, 16, 16)
CLASSES = 4


def small_cnn() -> nn.Module:
    """(N, 3, 16, 16) -> logits (N, 4): conv-ReLU-pool, conv-ReLU ("features.3" is the Grad-CAM
    layer, an (N, 8, 8, 8) map), global average pool, linear."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 8, 3, padding=1),
            nn.ReLU(),
        ),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, CLASSES),
    )


@pytest.fixture(scope="module")
def model() -> nn.Module:
    net = seeded(small_cnn, seed=7).eval()
    for p in net.parameters():
        p.requires_grad_(False)  # as load_pretrained leaves them; explain.py assumes it
    return net


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    """(3, 16, 16) float32 input, seeded."""
    return torch.randn(3, SIDE, SIDE, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("target", range(CLASSES))
def test_saliency_matches_captum(model: nn.Module, x: torch.Tensor, target: int) -> None:
    ours = saliency(model, x, target)  # (H, W)
    xb = x[None].clone().requires_grad_(True)
    theirs = captum_attr.Saliency(model).attribute(xb, target=target, abs=True)  # (1, 3, H, W)
    # Deliberate difference: we show one value per pixel, the max of |gradient| over RGB
    # (Simonyan et al. 2014); captum returns |gradient| per channel. Reduce captum's the same way.
    theirs = theirs[0].amax(0)  # (H, W)
    torch.testing.assert_close(torch.from_numpy(ours), theirs, rtol=1e-5, atol=1e-7)
    assert float(theirs.max()) > 0  # not a vacuous comparison of zeros


@pytest.mark.parametrize("target", range(CLASSES))
def test_grad_cam_matches_captum(model: nn.Module, x: torch.Tensor, target: int) -> None:
    ours = grad_cam(model, "0.3", x, target)  # (H, W) in 0..1
    layer = model.get_submodule("0.3")
    cam = captum_attr.LayerGradCam(model, layer).attribute(
        x[None], target=target, relu_attributions=True  # ReLU(sum_c mean-grad_c * act_c)
    ).detach()  # (1, 1, 8, 8)
    # Deliberate differences, applied to captum's map: upsampled bilinearly to the input size
    # (captum's own LayerAttribution.interpolate, align_corners=False like ours), then divided
    # by its maximum so the map is in 0..1 (all zeros stay zeros).
    up = captum_attr.LayerAttribution.interpolate(cam, (SIDE, SIDE), "bilinear")  # (1, 1, H, W)
    peak = float(up.max())
    up = up / peak if peak > 0 else up
    torch.testing.assert_close(torch.from_numpy(ours), up[0, 0], rtol=1e-4, atol=1e-6)
    assert float(cam.max()) > 0  # a class with evidence: not a comparison of all-zero maps


@pytest.mark.parametrize("target", [0, 2])
@pytest.mark.parametrize("fill", [0.0, -0.5])
def test_occlusion_matches_captum(
    model: nn.Module, x: torch.Tensor, target: int, fill: float
) -> None:
    patch, stride = 4, 2  # (16 - 4) % 2 == 0: our grid of patch positions is captum's too
    ours = occlusion(model, x, target, patch=patch, stride=stride, fill=fill)

    def probs(inp: torch.Tensor) -> torch.Tensor:
        """Deliberate difference: we measure the drop of the class *probability*, so captum
        occludes the softmax of the logits rather than the logits."""
        return model(inp).softmax(1)  # (N, classes)

    theirs = captum_attr.Occlusion(probs).attribute(
        x[None],
        sliding_window_shapes=(3, patch, patch),  # the patch covers all three channels
        strides=(3, stride, stride),
        baselines=fill,
        target=target,
        perturbations_per_eval=8,
    )  # (1, 3, H, W): mean drop over the patches covering each element, same on every channel
    torch.testing.assert_close(theirs[0, 0], theirs[0, 2])
    torch.testing.assert_close(torch.from_numpy(ours.heat), theirs[0, 0], rtol=1e-4, atol=1e-6)
    assert float(theirs.abs().max()) > 0
