"""The Transfer learning snippet against the page's models: the same trainable and total
parameter counts as ``count_params`` of ``build_transfer`` / ``build_scratch`` (0 and n blocks
unfrozen, every backbone family), the page's initial weights for the training seed, and, with
the weights of a model the page's own training code trained loaded, the same logits."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torchvision

from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    body_stages,
    feature_dim,
    load_pretrained,
    tunable_stages,
)
from cnnplay.snippets.backbone import torchvision_name
from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.transfer import train_compare
from cnnplay.train import TrainConfig
from cnnplay.transfer.strategies import (
    NO_AUGMENTATION,
    Augmentation,
    FeatureStore,
    Inputs,
    build_scratch,
    build_transfer,
    count_params,
    train_scratch,
    train_transfer,
)
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")

K, SIDE, N = 3, 32, 6  # classes, input side, stand-in images: small and fast


def configs(lr: float = 3e-3, seed: int = 0, which=("scratch", "head", "finetune")) -> dict:
    return {k: TrainConfig(epochs=1, batch_size=4, lr=lr, seed=seed) for k in which}


@pytest.fixture(scope="module")
def base() -> torch.nn.Module:
    """The page's offline backbone, loaded by cnnplay (read-only, as the page shares it)."""
    return load_pretrained(DEFAULT_MODEL)


def split_of(stages, strategy: str, blocks: int) -> int:
    """Where the page's Train & compare tab splits the stages for a strategy."""
    return tunable_stages(stages)[-blocks] if strategy == "finetune" else len(stages)


def page_model(model, strategy: str, blocks: int, seed: int = 0) -> torch.nn.Module:
    """The model the page builds for a strategy (its initial weights)."""
    if strategy == "scratch":
        return build_scratch(K, seed)
    stages = body_stages(model)
    return build_transfer(stages, split_of(stages, strategy, blocks), K, feature_dim(model), seed)


def page_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A TransferNet's state under the snippet's names (prefix.stages. -> frozen., suffix. ->
    tuned.): the split shows in the names."""
    rename = {"prefix.stages.": "frozen.", "suffix.": "tuned.", "head.": "head."}
    out = {}
    for key, value in net.state_dict().items():
        (old,) = [p for p in rename if key.startswith(p)]
        out[rename[old] + key[len(old) :]] = value
    return out


def normalised(ns: dict) -> torch.Tensor:
    """The stand-in images as the snippet's nets read them."""
    return (ns["pixels"].float() / 255 - ns["mean"]) / ns["std"]


def inputs(ns: dict, name: str) -> Inputs:
    """The snippet's stand-in images as the page's Inputs (its uint8 pixels)."""
    return Inputs(ns["pixels"], REGISTRY[name].mean, REGISTRY[name].std)


@pytest.mark.parametrize("blocks", [1, 2, 4])
def test_counts_are_the_pages(base, blocks):
    ns = run(train_compare(DEFAULT_MODEL, K, SIDE, configs(), blocks, images=N))
    assert ns["counts"] == {
        s: count_params(page_model(base, s, blocks)) for s in ("scratch", "head", "finetune")
    }
    assert ns["counts"]["head"][0] == feature_dim(base) * K + K  # only the new head
    assert ns["tunable"] == tunable_stages(body_stages(base))
    assert ns["pixels"].shape == (N, 3, SIDE, SIDE) and ns["pixels"].dtype == torch.uint8
    assert ns["__stdout__"].count("epoch 1,") == 3


def test_initial_weights_are_the_pages_for_the_seed(base):
    """With a learning rate too small to move a weight, the trained nets are the page's
    initial models for training seed 3: the same parameters and, for the frozen base + head,
    the same logits."""
    ns = run(train_compare(DEFAULT_MODEL, K, SIDE, configs(lr=1e-12, seed=3), 2, images=N))
    for strategy in ("scratch", "head", "finetune"):
        page = page_model(base, strategy, 2, seed=3)
        mine = dict(ns["nets"][strategy].named_parameters())
        theirs = page_state(page) if strategy != "scratch" else page.state_dict()
        for key, value in mine.items():
            torch.testing.assert_close(value, theirs[key], msg=f"{strategy} {key}")
    page = page_model(base, "head", 2, seed=3).eval()
    with torch.no_grad():
        torch.testing.assert_close(ns["nets"]["head"](normalised(ns)), page(normalised(ns)))


@pytest.mark.parametrize(("strategy", "blocks"), [("head", 2), ("finetune", 1), ("finetune", 3)])
def test_the_page_models_trained_weights_give_the_same_logits(base, strategy, blocks):
    """The page trains its model (cnnplay's train_transfer) on the snippet's images; loading
    the trained layers (new head, fine-tuned blocks) into the snippet's net, whose frozen part
    is its own pretrained load, gives the page model's logits."""
    ns = run(train_compare(DEFAULT_MODEL, K, SIDE, configs(which=(strategy,)), blocks, images=N))
    page = page_model(base, strategy, blocks)
    train_transfer(
        page, inputs(ns, DEFAULT_MODEL), ns["labels"], np.arange(N), np.arange(0), configs()[strategy],
        FeatureStore(), "stand-in",
    )  # fmt: skip
    trained = {k: v for k, v in page_state(page).items() if not k.startswith("frozen.")}
    net = ns["nets"][strategy]
    missing, unexpected = net.load_state_dict(trained, strict=False)
    assert not unexpected and missing and all(k.startswith("frozen.") for k in missing)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(normalised(ns)), page(inputs(ns, DEFAULT_MODEL)[:]))


def test_the_scratch_cnn_takes_the_pages_state_dict():
    ns = run(train_compare(DEFAULT_MODEL, K, SIDE, configs(which=("scratch",)), images=N))
    assert ns["counts"] == {"scratch": count_params(build_scratch(K))}
    x = inputs(ns, DEFAULT_MODEL)
    result = train_scratch(
        x, ns["labels"], np.arange(N), np.arange(0), K, configs()["scratch"],
    )  # fmt: skip
    net = ns["nets"]["scratch"]
    net.load_state_dict(result.model.state_dict())  # the same layer names
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(normalised(ns)), result.model.eval()(x[:]))


@pytest.mark.parametrize(
    "name", ["ResNet-18 (download 45 MB)", "MobileNetV3-Large (download 21 MB)"]
)
def test_torchvision_backbones_split_as_the_page_does(monkeypatch, name):
    """torchvision's families (random weights here: no download), counts and logits."""
    real = torchvision.models.get_model

    def offline(model_name, weights=None, **kwargs):
        torch.manual_seed(0)
        return real(model_name, weights=None, **kwargs)

    monkeypatch.setattr(torchvision.models, "get_model", offline)
    snippet = train_compare(name, K, SIDE, configs(), 2, images=N)
    assert snippet.needs == ()
    ns = run(snippet)
    model = offline(torchvision_name(name)).eval().requires_grad_(False)  # the page's way
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in ns["model"].parameters()
    )
    pages = {s: page_model(model, s, 2) for s in ("scratch", "head", "finetune")}
    assert ns["counts"] == {s: count_params(m) for s, m in pages.items()}
    for strategy in ("head", "finetune"):
        net = ns["nets"][strategy]
        net.load_state_dict(page_state(pages[strategy]))  # every name: the same split
        net.eval()
        with torch.no_grad():
            torch.testing.assert_close(net(normalised(ns)), pages[strategy].eval()(normalised(ns)))


@pytest.mark.parametrize(
    ("aug", "names"),
    [
        (
            Augmentation(),
            ["RandomHorizontalFlip", "RandomRotation", "RandomResizedCrop", "ColorJitter"],
        ),
        (Augmentation(flip=False, rotation=0.0, crop=0.7, jitter=0.0), ["RandomResizedCrop"]),
    ],
)
def test_augmentation_as_the_page_uses_it(base, aug, names):
    """Scratch and fine-tuning draw new versions per batch; the head trains on the images and
    ``views`` copies drawn once."""
    ns = run(train_compare(DEFAULT_MODEL, K, SIDE, configs(), 2, aug, views=3, images=N))
    assert [type(t).__name__ for t in ns["augment"].transforms] == names
    assert len(ns["head_data"]) == 4 * N and len(ns["data"]) == N
    assert ns["augmented"](ns["pixels"]).shape == (N, 3, SIDE, SIDE)
    assert ns["counts"] == {
        s: count_params(page_model(base, s, 2)) for s in ("scratch", "head", "finetune")
    }


def test_no_augmentation_no_transforms():
    snippet = train_compare(DEFAULT_MODEL, K, SIDE, configs(which=("head",)), aug=NO_AUGMENTATION)
    code = [line for line in snippet.code.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if re.search(r"\b(v2|augment\w*|views)\b", line)]


@pytest.mark.parametrize(
    "args",
    [
        {"configs": {}},  # nothing to train
        {"configs": {"other": TrainConfig()}},
        {"num_classes": 1},
        {"side": 8},
        {"images": 0},
        {"blocks": 0},
        {"configs": {"head": TrainConfig(epochs=0)}},
        {"configs": {"head": TrainConfig(lr=float("nan"))}},
        {"configs": {"head": TrainConfig(seed=1), "scratch": TrainConfig(seed=2)}},
        {"name": "AlexNet"},
    ],
)
def test_settings_that_make_no_program_are_refused(args):
    settings = {"name": DEFAULT_MODEL, "num_classes": K, "side": SIDE, "configs": configs()}
    with pytest.raises(SnippetError):
        train_compare(**{**settings, **args})
