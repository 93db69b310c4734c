"""The "PyTorch code" panels of Train a CNN.

Train tab: before any training, the open panel's program has the tab's settings and, on its
stand-in images, trains the page's three models exactly as the page's own training code does
with those settings; it follows a change of the MLP's width, the learning rate, the seed and
augmentation. After a (tiny) training run on the page, the same program switched to the real
images (the Fashion-MNIST files the page reads, where torchvision looks for them) gives the
test accuracies the tab shows, the trained weights and the Results tab's parameter counts.
Dense = convolution: the program, with the weights and canvas the panel offers beside it, gives
the class map the tab draws, and follows another test image."""

from __future__ import annotations

import gzip
from contextlib import chdir
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnplay.convnets.data import Split
from cnnplay.convnets.training import SideBySideSettings, new_run, train_side_by_side
from cnnplay.data.fashion import FASHION_DIR, FILES
from cnnplay.snippets.training import WEIGHTS_FILE
from tests.convnets.helpers import fashion_split, quick_models
from tests.views.apptest_utils import chart, open_tab, plot_array
from tests.views.test_code_panels import open_panel, page, rerun_code, snippets
from views.train_cnn.common import RUN_KEY, TrainedRun, cached_split

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py
NAMES = ("mlp", "cnn", "fcn")


@pytest.fixture(autouse=True)
def fresh_cache():
    """The page's split cache is per process: every test starts without it."""
    cached_split.clear()
    yield
    cached_split.clear()


def tiny(at, n_train: int = 500, n_test: int = 500, epochs: int = 1, hidden: int = 16):
    at.select_slider(key="cv_n_train").set_value(n_train)
    at.select_slider(key="cv_n_test").set_value(n_test)
    at.number_input(key="cv_epochs").set_value(epochs)
    at.select_slider(key="cv_hidden").set_value(hidden)
    return at.run()


def page_settings(at) -> SideBySideSettings:
    """The settings the page would train with now (its widgets' values)."""
    state = at.session_state
    return SideBySideSettings(
        epochs=int(state["cv_epochs"]),
        lr=float(state["cv_lr"]),
        hidden=int(state["cv_hidden"]),
        seed=int(state["cv_train_seed"]),
        augment=bool(state["cv_augment"]),
    )


def trains_like_the_page(ns: dict, settings: SideBySideSettings) -> None:
    """The program's models equal the page's training code's on the program's own images."""
    split = Split(ns["x_train"], ns["y_train"], ns["x_test"], ns["y_test"], tuple("k" * 10), "", 0)
    live = train_side_by_side(split, new_run(10, settings))
    for name in NAMES:
        for key, value in live.models[name].state_dict().items():
            torch.testing.assert_close(ns["models"][name].state_dict()[key], value, msg=key)


def test_train_panel_needs_no_training_and_follows_the_settings():
    at = tiny(page("train_cnn"))
    ns = open_panel(at, "cv_code_train")
    assert RUN_KEY not in at.session_state  # nothing was trained for it
    settings = page_settings(at)
    assert (ns["epochs"], ns["lr"], ns["hidden"], ns["seed"]) == (1, 2e-3, 16, 0)
    assert (ns["n_train"], ns["n_test"], ns["batch_size"]) == (500, 500, settings.batch_size)
    assert (ns["channels"], ns["side"], ns["num_classes"]) == (1, 28, 10)
    trains_like_the_page(ns, settings)

    at.select_slider(key="cv_hidden").set_value(32)
    at.select_slider(key="cv_lr").set_value(3e-3)
    at.number_input(key="cv_train_seed").set_value(7)
    at.toggle(key="cv_augment").set_value(True).run()
    ns = rerun_code(at)
    assert (ns["hidden"], ns["lr"], ns["seed"]) == (32, 3e-3, 7)
    assert ns["params"]["mlp"] == 784 * 32 + 32 + 330 and "augment" in ns
    trains_like_the_page(ns, page_settings(at))


@pytest.fixture(scope="module")
def fashion_files(tmp_path_factory) -> Path:
    """A folder whose data/FashionMNIST/raw holds the page's Fashion-MNIST files, unzipped:
    torchvision reads them there instead of downloading."""
    folder = tmp_path_factory.mktemp("real")
    raw = folder / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in (f for pair in FILES.values() for f in pair):
        data = gzip.decompress((FASHION_DIR / name).read_bytes())
        (raw / name.removesuffix(".gz")).write_bytes(data)
    return folder


def with_real_images(at, folder: Path) -> dict:
    """The open panel's program with ``real_data = True``, run in ``folder``."""
    rerun_code(at)  # the program as shown: imports, line lengths, its stand-in run
    (code,) = snippets(at)
    program = compile(code.replace("real_data = False", "real_data = True", 1), "p", "exec")
    namespace: dict = {"__name__": "__main__"}
    with chdir(folder):
        exec(program, namespace)  # noqa: S102 (the point)
    return namespace


@pytest.mark.skipif(not (FASHION_DIR / FILES["train"][0]).is_file(), reason="no Fashion-MNIST")
def test_train_panel_with_the_real_images_gives_the_accuracies_shown(fashion_files):
    at = tiny(page("train_cnn"), n_train=500, n_test=1_000)
    at.button(key="cv_train").click().run()
    assert not at.exception, at.exception
    run: TrainedRun = at.session_state[RUN_KEY]
    at.session_state["cv_code_train"] = True
    at.run()
    ns = with_real_images(at, fashion_files)
    assert torch.equal(ns["x_train"], run.split.x_train) and torch.equal(
        ns["y_test"], run.split.y_test
    )
    metrics = {m.label: m.value for m in at.metric}
    for name, shown in zip(NAMES, metrics.values(), strict=True):
        assert f"{100 * ns['accuracy'][name]:.1f}%" == shown
        assert ns["accuracy"][name] == pytest.approx(run.results[name].test_accuracy, abs=1e-3)
        for key, value in run.models[name].state_dict().items():
            torch.testing.assert_close(ns["models"][name].state_dict()[key], value, msg=key)
    at = open_tab(at, "cv", "Results")
    table = at.dataframe[0].value
    assert list(table["parameters"]) == [f"{ns['params'][n]:,}" for n in NAMES]


@pytest.fixture(scope="module")
def trained() -> TrainedRun:
    split = fashion_split(n_train=300, n_test=40)
    models, histories = quick_models(split, names=("cnn",))
    return TrainedRun(split=split, models=models, histories=histories, seed=0)


def offered(files: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    return ((WEIGHTS_FILE, files[WEIGHTS_FILE]),)


def test_dense_panel_gives_the_class_map(trained, downloads):
    at = page("train_cnn")
    at.session_state[RUN_KEY] = trained
    at = open_tab(at, "cv", "Dense = convolution")
    assert not at.exception and snippets(at) == [] and WEIGHTS_FILE not in downloads  # closed
    at.session_state["cv_code_dense"] = True
    at.run()
    ns = rerun_code(at, offered(downloads))
    shown = plot_array(chart(at, "cv_dc_map")["data"][0]["z"])  # the top class's probability
    np.testing.assert_allclose(ns["probs"].max(dim=0).values.numpy(), shown, atol=1e-6)
    assert ns["params"] == [16_010, 16_010] and ns["same"] < 1e-4

    at.number_input(key="cv_dc_img3").set_value(12).run()
    downloads.clear()
    at.run()
    ns = rerun_code(at, offered(downloads))
    shown = plot_array(chart(at, "cv_dc_map")["data"][0]["z"])
    np.testing.assert_allclose(ns["probs"].max(dim=0).values.numpy(), shown, atol=1e-6)
    assert np.array_equal(ns["canvas"][28:, 28:].numpy(), trained.split.x_test[12, 0].numpy())
