"""The Train a CNN snippets against the page's own code (``cnnplay.convnets``).

Train tab: the program's three models have the page's parameter counts, its first weights (the
seed's), and with a page model's state_dict loaded the same logits; trained on its stand-in
images, one optimiser step (one batch, one epoch) and whole runs (several epochs, a last batch
that is short, augmentation, the learning rate's cosine or none) give the weights, losses and
test accuracies of ``train_side_by_side`` on the same images. Its real-data branch, given the
Fashion-MNIST files the page reads, yields the page's own split. Dense = convolution: the class
map of ``fully_convolutional`` on the same canvas."""

from __future__ import annotations

import dataclasses
import gzip
from contextlib import chdir
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnplay.convnets.data import Split, load_split
from cnnplay.convnets.dense_to_conv import class_map, fully_convolutional, make_canvas
from cnnplay.convnets.models import build, normalise
from cnnplay.convnets.training import SideBySideSettings, new_run, train_side_by_side
from cnnplay.data.fashion import FASHION_DIR, FILES
from cnnplay.snippets.common import Snippet, SnippetError
from cnnplay.snippets.training import WEIGHTS_FILE, dense_to_conv, side_by_side
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")

NAMES = {"mlp": "MLP", "cnn": "CNN", "fcn": "FCN"}  # page registry name -> snippet class


def quick(settings: SideBySideSettings, n_train: int = 100, n_test: int = 50, k: int = 10):
    """The snippet of these settings run (on its stand-in images), and the page's run trained
    by cnnplay on the very same images."""
    ns = run(side_by_side(settings, "fashion", n_train, n_test, k))
    split = Split(ns["x_train"], ns["y_train"], ns["x_test"], ns["y_test"], tuple("k" * k), "", 0)
    return ns, train_side_by_side(split, new_run(k, settings))


def same_weights(snippet_model: torch.nn.Module, page_model: torch.nn.Module) -> None:
    mine, page = snippet_model.state_dict(), page_model.state_dict()
    assert list(mine) == list(page)  # the same layer names in the same order
    for name in page:
        torch.testing.assert_close(mine[name], page[name], msg=name)


@pytest.mark.parametrize("k, hidden", [(10, 128), (3, 16)])
def test_same_models_parameters_first_weights_and_logits(k, hidden):
    settings = SideBySideSettings(epochs=1, hidden=hidden, seed=4)
    ns = run(side_by_side(settings, "fashion", 64, 10, k))
    x = normalise(torch.randint(0, 256, (5, 1, 28, 28), dtype=torch.uint8))
    for name, cls in NAMES.items():
        page = build(name, k, seed=11, hidden=hidden).eval()
        assert ns["params"][name] == sum(p.numel() for p in page.parameters())
        torch.manual_seed(11)  # the program's first weights: torch's seed, then the build
        same_weights(ns[cls](), page)
        model = ns[cls]()
        model.load_state_dict(page.state_dict())
        model.eval()
        with torch.no_grad():
            torch.testing.assert_close(model(x), page(x))
    big = normalise(torch.randint(0, 256, (2, 1, 40, 36), dtype=torch.uint8))  # the FCN: any size
    page = build("fcn", k, seed=2).eval()
    model = ns["FCN"]()
    model.load_state_dict(page.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(big), page(big))


def test_one_step_from_the_same_weights_and_batch_gives_the_same_weights():
    """One batch of 64 and one epoch: one Adam step per model, with dropout masks."""
    settings = SideBySideSettings(epochs=1, seed=7)
    ns, live = quick(settings, n_train=64)
    for name in NAMES:
        assert len(ns["history"][name]) == 1
        same_weights(ns["models"][name], live.models[name])
        first = build(name, 10, seed=7).state_dict()
        moved = live.models[name].state_dict()
        assert all(not torch.equal(first[p], moved[p]) for p in first)  # the step moved them


@pytest.mark.parametrize(
    "settings, n_train",
    [
        (SideBySideSettings(epochs=3, hidden=32, seed=3), 150),  # a short last batch
        (SideBySideSettings(epochs=2, batch_size=32, lr=1e-2, augment=True, seed=5), 80),
        (SideBySideSettings(epochs=2, lr=3e-4, anneal=False, seed=1), 100),
    ],
    ids=["cosine", "augment", "constant-lr"],
)
def test_training_gives_the_pages_weights_losses_and_accuracies(settings, n_train):
    ns, live = quick(settings, n_train=n_train, n_test=60)
    for name in NAMES:
        same_weights(ns["models"][name], live.models[name])
        page = live.histories[name].epochs
        mine = ns["history"][name]
        assert len(mine) == len(page) == settings.epochs
        torch.testing.assert_close(
            [e["train_loss"] for e in mine], [e["train_loss"] for e in page], rtol=1e-6, atol=0
        )
        # the same weights give the same share right (up to an argmax tie)
        assert ns["accuracy"][name] == pytest.approx(page[-1]["test_accuracy"], abs=1 / 60)


def test_the_program_shows_the_settings():
    settings = SideBySideSettings(epochs=4, lr=3e-3, hidden=64, seed=9, augment=True)
    ns = run(side_by_side(settings, "fashion", 64, 20))
    shown = (ns["epochs"], ns["batch_size"], ns["lr"], ns["hidden"], ns["seed"])
    assert shown == (4, 64, 3e-3, 64, 9)
    assert (ns["channels"], ns["side"], ns["num_classes"]) == (1, 28, 10)
    assert ns["x_train"].shape == (64, 1, 28, 28) and ns["x_train"].dtype == torch.uint8
    assert ns["x_test"].shape == (20, 1, 28, 28) and ns["y_test"].shape == (20,)
    assert "augment(xb, generator)" in side_by_side(settings, "fashion", 64, 20).code
    plain = side_by_side(dataclasses.replace(settings, augment=False), "fashion", 64, 20).code
    assert "augment" not in plain and "LambdaLR" in plain
    constant = side_by_side(dataclasses.replace(settings, anneal=False), "fashion", 64, 20).code
    assert "LambdaLR" not in constant and "schedule" not in constant
    assert "mlp, epoch 4: loss" in ns["__stdout__"]


def test_the_8x8_digits_take_at_most_what_they_hold():
    snippet = side_by_side(SideBySideSettings(epochs=1), "digits", 60_000, 10_000)
    assert "real_data" not in snippet.code and "load_digits" in snippet.code
    assert "n_train, n_test = 1_438, 359" in snippet.code
    assert (
        snippet.shape_only and "datasets.MNIST(" in side_by_side(SideBySideSettings(), "mnist").code
    )


@pytest.fixture(scope="module")
def fashion_files(tmp_path_factory) -> Path:
    """A folder whose data/FashionMNIST/raw holds the page's Fashion-MNIST files, unzipped
    (where torchvision looks before it downloads anything)."""
    folder = tmp_path_factory.mktemp("real")
    raw = folder / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in (f for pair in FILES.values() for f in pair):
        (raw / name.removesuffix(".gz")).write_bytes(
            gzip.decompress((FASHION_DIR / name).read_bytes())
        )
    return folder


def data_part(snippet: Snippet, folder: Path) -> dict:
    """Run the program up to its models with ``real_data = True``, in ``folder``."""
    code = snippet.code.replace("real_data = False", "real_data = True", 1)
    code = code[: code.index("class MLP")]
    namespace: dict = {"__name__": "__main__"}
    with chdir(folder):
        exec(compile(code, snippet.file_name, "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.skipif(not (FASHION_DIR / FILES["train"][0]).is_file(), reason="no Fashion-MNIST")
@pytest.mark.parametrize("n_train, n_test, seed", [(500, 300, 3), (60_000, 10_000, 0)])
def test_the_real_data_branch_gives_the_pages_images(fashion_files, n_train, n_test, seed):
    snippet = side_by_side(SideBySideSettings(seed=seed), "fashion", n_train, n_test)
    ns = data_part(snippet, fashion_files)
    split = load_split("fashion", n_train, n_test, seed)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(ns[name], getattr(split, name)), name


def test_settings_that_train_nothing_are_refused():
    for bad in (
        SideBySideSettings(epochs=0),
        SideBySideSettings(lr=float("nan")),
        SideBySideSettings(augment=True, max_degrees=0.0, max_scale=0.0),
    ):
        with pytest.raises(SnippetError):
            side_by_side(bad)
    with pytest.raises(SnippetError):
        side_by_side(SideBySideSettings(), "cifar")


@pytest.mark.parametrize("layout, gap, k", [((2, 2), 0, 10), ((1, 4), 4, 3)])
def test_dense_to_conv_gives_the_tabs_class_map(layout, gap, k):
    cnn = build("cnn", k, seed=5).eval()
    with torch.no_grad():  # larger weights than the first ones: a map with contrast
        for p in cnn.parameters():
            p.mul_(3)
    images = torch.randint(
        0, 256, (6, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    ).numpy()
    canvas = make_canvas(images, (0, 1, 2, 3), *layout, gap)
    snippet = dense_to_conv(cnn.state_dict(), canvas.pixels)
    assert [name for name, _ in snippet.files] == [WEIGHTS_FILE]
    ns = run(snippet)
    torch.testing.assert_close(ns["probs"], class_map(fully_convolutional(cnn), canvas.pixels))
    assert ns["params"] == [1600 * k + k] * 2
    assert ns["same"] < 1e-4 and tuple(ns["conv"].weight.shape) == (k, 64, 5, 5)


def test_dense_to_conv_refuses_what_is_not_a_canvas_or_the_cnn():
    state = build("cnn", 10).state_dict()
    with pytest.raises(SnippetError):
        dense_to_conv(state, np.zeros((20, 40), np.uint8))
    with pytest.raises(SnippetError):
        dense_to_conv(build("mlp", 10).state_dict(), np.zeros((28, 28), np.uint8))
