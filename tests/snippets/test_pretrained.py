"""The Inside a pretrained CNN snippets against cnnplay.explain on the offline network: the
same top-5, the same feature maps and strongest channel, the same saliency and Grad-CAM; and the
shared loading lines (cnnplay.snippets.backbone) give cnnplay's network, offline and torchvision."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data

from cnnplay.explain import activations, grad_cam, predict, saliency, strongest_channels
from cnnplay.models.copies import shared_weights_copy
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, imagenet_categories, preprocess
from cnnplay.snippets import backbone
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
