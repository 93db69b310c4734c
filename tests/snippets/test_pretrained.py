"""The Inside a pretrained CNN snippets against cnnplay.explain on the offline network: the
same top-5, the same feature maps and strongest channel, the same saliency and Grad-CAM; and the
shared loading lines (cnnplay.snippets.backbone) give cnnplay's network, offline and torchvision;
the same occlusion map and FGSM example, also through a network normalised with ImageNet's
per-channel mean and std (a small stand-in for ResNet-18), where the grey patch and the ε / std
step depend on the channel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data

from cnnplay.explain import (
    activations,
    fgsm,
    grad_cam,
    occlusion,
    predict,
    saliency,
    strongest_channels,
)
from cnnplay.models.copies import shared_weights_copy
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    denormalise,
    grey,
    imagenet_categories,
    pixel_bounds,
    preprocess,
)
from cnnplay.snippets import backbone
from cnnplay.snippets import pretrained as code
from cnnplay.snippets.common import Snippet, SnippetError, program
from cnnplay.snippets.pretrained import explanations, feature_maps, prediction
from tests.snippets.runner import imported, run
from ui.models import shared_pretrained

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return shared_pretrained(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """(224, 224, 3) uint8: the crop of the cat photo the network sees."""
    return preprocess(data.chelsea(), REGISTRY[DEFAULT_MODEL]).cropped


def page_input(photo: np.ndarray) -> torch.Tensor:
    """(3, S, S) the page's normalised tensor of a crop (preprocess of an S×S picture with
    S = 224 would resize it again, so this normalises the crop itself, as the page's crop was)."""
    spec = REGISTRY[DEFAULT_MODEL]
    x = torch.from_numpy(photo).permute(2, 0, 1).float() / 255
    return (x - torch.tensor(spec.mean).view(3, 1, 1)) / torch.tensor(spec.std).view(3, 1, 1)


def test_the_loading_lines_give_cnnplays_network_and_input(model, photo):
    code = program(
        backbone.imports(DEFAULT_MODEL, photo=True),
        backbone.load_model(DEFAULT_MODEL),
        backbone.read_photo("x"),
    )
    ns = run(
        Snippet(
            code,
            "x",
            needs=backbone.needs(DEFAULT_MODEL, photo=True),
            files=(backbone.photo_file(photo),),
        )
    )
    for (k, a), (j, b) in zip(
        ns["model"].state_dict().items(), model.state_dict().items(), strict=True
    ):
        assert k == j
        torch.testing.assert_close(a, b.cpu(), rtol=0, atol=0)
    assert not ns["model"].training
    torch.testing.assert_close(ns["x"][0], page_input(photo), rtol=0, atol=0)


@pytest.mark.parametrize("name", [n for n in REGISTRY if n != DEFAULT_MODEL])
def test_torchvision_networks_load_through_torchvision(name, monkeypatch):
    """No download here: torchvision's get_model is asked for the network's DEFAULT weights
    (checked), and answers with the architecture, whose loading lines then run."""
    import torchvision

    asked = []
    architecture = torchvision.models.get_model

    def offline(tv_name, weights=None):
        asked.append((tv_name, weights))
        if tv_name == "vgg16":  # 528 MB of random weights: a stand-in will do
            return torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3))
        return architecture(tv_name, weights=None)

    made = program(backbone.imports(name), backbone.load_model(name))
    assert backbone.needs(name) == () and imported(made) == {"torch", "torchvision"}
    monkeypatch.setattr(torchvision.models, "get_model", offline)
    ns = run(Snippet(made, "model"))
    assert asked == [(backbone.torchvision_name(name), "DEFAULT")]
    spec = REGISTRY[name]
    torch.testing.assert_close(ns["mean"].flatten(), torch.tensor(spec.mean))
    torch.testing.assert_close(ns["std"].flatten(), torch.tensor(spec.std))
    assert not any(p.requires_grad for p in ns["model"].parameters())


def test_prediction_is_the_pages_top5(model, photo):
    ns = run(prediction(DEFAULT_MODEL, photo))
    probs, idx = predict(model, page_input(photo), 5)
    cats = imagenet_categories()
    assert [label for label, _ in ns["top"]] == [cats[i] for i in idx]
    np.testing.assert_allclose([p for _, p in ns["top"]], probs, rtol=1e-5, atol=1e-6)
    assert "tiger cat" in ns["__stdout__"] or cats[idx[0]] in ns["__stdout__"]


@pytest.mark.parametrize("layer", ["conv_stem", "blocks.2", "blocks.5.0"])
def test_feature_maps_are_the_pages(model, photo, layer):
    ns = run(feature_maps(DEFAULT_MODEL, photo, layer, 8))
    maps = activations(shared_weights_copy(model), layer, page_input(photo))
    np.testing.assert_allclose(ns["maps"].numpy(), maps, rtol=1e-4, atol=1e-5)
    means = np.sort(maps.mean(axis=(1, 2)))[::-1]
    assert means[0] - means[1] > 1e-3  # no tie at the top: the strongest channel is defined
    assert int(ns["strongest"][0]) == int(strongest_channels(maps, 8)[0])
    assert len(ns["strongest"]) == 8


@pytest.mark.parametrize("target, layer", [(281, "blocks.5"), (285, "conv_head")])
def test_saliency_and_grad_cam_are_the_pages(model, photo, target, layer):
    ns = run(explanations(DEFAULT_MODEL, photo, target, layer))
    x = page_input(photo)
    np.testing.assert_allclose(
        ns["saliency"].numpy(), saliency(model, x, target), rtol=1e-3, atol=1e-6
    )
    cam = grad_cam(shared_weights_copy(model), layer, x, target)
    np.testing.assert_allclose(ns["cam"].numpy(), cam, rtol=1e-3, atol=1e-4)
    assert float(ns["cam"].max()) == pytest.approx(1.0)


IMAGENET_NET = "ResNet-18 (download 45 MB)"  # normalised with per-channel mean and std


@pytest.fixture
def stand_in(monkeypatch) -> torch.nn.Module:
    """A small fixed CNN that torchvision's get_model returns for ResNet-18 (no download): the
    snippet loads it and cnnplay computes with it, through ImageNet's mean and std."""
    import torchvision

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 7, stride=4),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 1000),
    )
    with torch.no_grad():
        net[-1].weight *= 30  # a confident stand-in: one class near 50%, not all near 0.1%
    net.eval().requires_grad_(False)
    monkeypatch.setattr(torchvision.models, "get_model", lambda tv_name, weights=None: net)
    return net


def check_occlusion(ns: dict, model, x, spec, target, patch, stride) -> None:
    made = occlusion(model, x, target, patch, stride, fill=grey(spec))
    torch.testing.assert_close(ns["drops"], torch.from_numpy(made.drops))
    assert ns["positions"] == made.positions
    assert float(ns["base"]) == pytest.approx(made.base, rel=1e-5)
    torch.testing.assert_close(ns["heat"], torch.from_numpy(made.heat))
    assert float(made.drops.max()) > 1e-3  # the patch matters somewhere: the map is no blank


@pytest.mark.parametrize("target, patch, stride", [(281, 64, 32), (285, 48, 32)])
def test_occlusion_is_cnnplays_map(model, photo, target, patch, stride):
    """48 / 32: the positions 0, 32, ..., 160 and one more at 176, so the last pixels are
    covered too (7 × 7 positions)."""
    ns = run(code.occlusion(DEFAULT_MODEL, photo, target, patch, stride))
    check_occlusion(ns, model, page_input(photo), REGISTRY[DEFAULT_MODEL], target, patch, stride)
    side = 7 if patch == 48 else 6
    assert ns["drops"].shape == (side, side)
    said = f"{ns['categories'][target]}: {100 * float(ns['base']):.1f}% unoccluded"
    assert said in ns["__stdout__"]


def test_occlusion_fills_with_the_networks_grey(stand_in):
    """Per-channel mean and std: the grey patch is (0.5 - mean) / std, not 0."""
    spec = REGISTRY[IMAGENET_NET]
    prep = preprocess(data.astronaut(), spec)
    target = int(stand_in(prep.tensor[None]).argmax())
    ns = run(code.occlusion(IMAGENET_NET, prep.cropped, target, 64, 32))
    check_occlusion(ns, stand_in, prep.tensor, spec, target, 64, 32)
    black = occlusion(stand_in, prep.tensor, target, 64, 32, fill=0.0).drops  # not grey here
    assert np.abs(ns["drops"].numpy() - black).max() > 1e-2


def check_fgsm(ns: dict, model, x, spec, label, levels) -> None:
    made = fgsm(model, x, levels / 255, label, spec.std, pixel_bounds(spec))
    torch.testing.assert_close(ns["x_adv"][0], made.x)
    probs = model(made.x[None]).softmax(1)[0].sort(descending=True).values
    assert probs[0] - probs[1] > 1e-4  # no tie at the top: the new class is defined
    assert ns["new_label"] == made.label
    assert ns["new_prob"] == pytest.approx(made.prob, rel=1e-4)
    assert np.abs(ns["picture"].astype(int) - denormalise(made.x, spec)).max() <= 1
    # every pixel moved by at most ε grey levels (less where the clamp cut it)
    moved = (ns["x_adv"][0] - x) * torch.tensor(spec.std).view(3, 1, 1) * 255
    assert float(moved.abs().max()) == pytest.approx(levels, rel=1e-3)


@pytest.mark.parametrize("levels", [0.25, 2.0, 16.0])
def test_fgsm_is_cnnplays_attack(model, photo, levels):
    x = page_input(photo)
    label = int(predict(model, x, 1)[1][0])
    ns = run(code.fgsm(DEFAULT_MODEL, photo, label, levels))
    check_fgsm(ns, model, x, REGISTRY[DEFAULT_MODEL], label, levels)
    assert f"epsilon = {levels:g} / 255" in code.fgsm(DEFAULT_MODEL, photo, label, levels).code
    cats = imagenet_categories()
    assert f"{cats[label]} -> {cats[ns['new_label']]}" in ns["__stdout__"]


def test_fgsm_steps_by_epsilon_over_std(stand_in):
    """Per-channel std: ε grey levels are a different step in each normalised channel."""
    spec = REGISTRY[IMAGENET_NET]
    prep = preprocess(data.astronaut(), spec)
    label = int(stand_in(prep.tensor[None]).argmax())
    ns = run(code.fgsm(IMAGENET_NET, prep.cropped, label, 4.0))
    check_fgsm(ns, stand_in, prep.tensor, spec, label, 4.0)


def test_settings_that_make_no_program_are_refused(photo):
    with pytest.raises(SnippetError):
        prediction(DEFAULT_MODEL, photo, k=0)
    with pytest.raises(SnippetError):
        explanations(DEFAULT_MODEL, photo, 1000, "blocks.5")
    with pytest.raises(SnippetError):
        feature_maps(DEFAULT_MODEL, photo, "", 8)
    with pytest.raises(SnippetError):
        backbone.photo_file(photo.astype(np.float32))
    with pytest.raises(SnippetError):
        backbone.torchvision_name("AlexNet")
    for bad in ((1000, 32, 16), (281, 0, 16), (281, 32, 0)):
        with pytest.raises(SnippetError):
            code.occlusion(DEFAULT_MODEL, photo, *bad)
    for label, levels in ((-1, 2.0), (281, -1.0), (281, float("nan"))):
        with pytest.raises(SnippetError):
            code.fgsm(DEFAULT_MODEL, photo, label, levels)
