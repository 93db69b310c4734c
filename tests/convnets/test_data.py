"""cnnplay.convnets.data: the Train a CNN page's splits of Fashion-MNIST, MNIST (a cache filled
by an explicit download, tested against a local HTTP server and with the network refused) and
scikit-learn's 8×8 digits (read from a made-up file in its format; against scikit-learn's own
loader where it is installed)."""

from __future__ import annotations

import ast
import functools
import gzip
import hashlib
import http.server
import importlib.util
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnplay.convnets import data
from cnnplay.convnets.data import (
    DataUnavailable,
    draw_test,
    draw_train,
    enlarge_digits,
    load_split,
    read_digits,
)
from cnnplay.data import fashion
from tests.convnets.helpers import _fashion

# --------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray) -> bytes:
    """An uint8 idx file written by hand (magic 0x00000800 + ndim, big-endian sizes)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    return gzip.compress(header + np.ascontiguousarray(array, np.uint8).tobytes())


def fake_idx_set(folder: Path, n_train: int = 120, n_test: int = 40, seed: int = 0) -> dict:
    """Four gzip idx files of random 28×28 digits in ``folder``; returns name -> bytes."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.arange(n_test, dtype=np.uint8) % 10,
    }
    files = {name: idx_bytes(a) for name, a in arrays.items()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def digits_csv(per_class: int = 30, seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A gzip CSV in scikit-learn's digits format (64 values 0..16, then the label), with the
    images and labels written into it."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_class)
    images = rng.integers(0, 17, (len(labels), 8, 8))
    lines = [
        ",".join(f"{v}.0" for v in img.ravel()) + f",{lab}"
        for img, lab in zip(images, labels, strict=True)
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode()), images, labels


def rows_to_labels(images: np.ndarray, labels: np.ndarray) -> dict[bytes, set[int]]:
    table: dict[bytes, set[int]] = {}
    for img, lab in zip(images, labels, strict=True):
        table.setdefault(img.tobytes(), set()).add(int(lab))
    return table


# --------------------------------------------------------------------------- drawing


def test_draws_are_seeded_distinct_and_test_draws_do_not_depend_on_the_seed():
    a, b, c = draw_train(1000, 100, 0), draw_train(1000, 100, 0), draw_train(1000, 100, 1)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(set(a.tolist())) == 100 and a.min() >= 0 and a.max() < 1000
    assert np.array_equal(draw_train(1000, 50, 3), draw_train(1000, 100, 3)[:50])  # a prefix
    assert np.array_equal(draw_train(10, 100, 0), np.arange(10))  # all, whatever the seed
    assert np.array_equal(draw_train(10, 10, 7), np.arange(10))
    small, large = draw_test(500, 20), draw_test(500, 200)
    assert np.array_equal(small, large[:20])
    assert sorted(draw_test(50, 999).tolist()) == list(range(50))


# --------------------------------------------------------------------------- Fashion-MNIST


@pytest.fixture(scope="module")
def fashion_raw():
    return _fashion("train"), _fashion("test")


def test_fashion_split_holds_real_labelled_images_drawn_by_seed(fashion_raw):
    (xs, ys), (xt, yt) = fashion_raw
    split = load_split("fashion", 700, 300, seed=3)
    assert split.x_train.shape == (700, 1, 28, 28) and split.x_train.dtype == torch.uint8
    assert split.y_train.shape == (700,) and split.y_train.dtype == torch.int64
    assert split.x_test.shape == (300, 1, 28, 28) and split.y_test.shape == (300,)
    assert split.classes == fashion.CLASSES and split.seed == 3
    assert "700 of the 60,000 training images" in split.source
    # every image is a row of the right file, with its own label (looked up by content)
    train_rows, test_rows = rows_to_labels(xs, ys), rows_to_labels(xt, yt)
    for x, y, rows in ((split.x_train, split.y_train, train_rows), (split.x_test, split.y_test, test_rows)):  # fmt: skip
        for img, lab in zip(x[:, 0].numpy(), y.tolist(), strict=True):
            assert lab in rows[img.tobytes()]
    assert len({img.tobytes() for img in split.x_train[:, 0].numpy()}) > 690  # no repeats
    assert len(np.unique(split.y_train.numpy())) == 10


def test_fashion_same_seed_same_split_other_seed_other_training_images_same_test_images():
    a, b = load_split("fashion", 200, 400, 0), load_split("fashion", 200, 400, 0)
    c = load_split("fashion", 200, 100, 1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert torch.equal(a.x_test, b.x_test)
    assert not torch.equal(a.x_train, c.x_train)
    # the test images do not depend on the seed, and more of them only add images
    assert torch.equal(a.x_test[:100], c.x_test) and torch.equal(a.y_test[:100], c.y_test)


def test_sizes_beyond_the_data_take_all_of_it_and_bad_sizes_or_sources_are_refused(fashion_raw):
    (xs, ys), _ = fashion_raw
    split = load_split("fashion", 70_000, 20_000, 5)
    assert len(split.y_test) == 10_000 and "10,000 of the 10,000 test images" in split.source
    assert "all 60,000 training images," in split.source and "drawn by" not in split.source
    assert torch.equal(split.x_train[:, 0], torch.from_numpy(xs))  # in the file's order
    assert torch.equal(split.y_train, torch.from_numpy(ys.astype(np.int64)))
    assert sorted(draw_test(10_000, 20_000).tolist()) == list(range(10_000))
    with pytest.raises(ValueError, match="at least one"):
        load_split("fashion", 0, 10, 0)
    with pytest.raises(ValueError, match="unknown source"):
        load_split("cifar", 10, 10, 0)


def test_missing_fashion_gives_a_message(monkeypatch, tmp_path):
    monkeypatch.setattr(fashion, "FASHION_DIR", tmp_path / "none")
    monkeypatch.setattr(fashion, "DOWNLOAD_DIR", tmp_path / "neither")
    with pytest.raises(DataUnavailable, match="dataset-fashion-mnist"):
        load_split("fashion", 10, 10, 0)


# --------------------------------------------------------------------------- MNIST


def test_mnist_not_downloaded_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path / "mnist")
    assert not data.mnist_available()
    with pytest.raises(DataUnavailable, match="not downloaded yet.*internet connection"):
        load_split("mnist", 10, 10, 0)


def test_mnist_cache_is_read_with_the_digit_classes(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    fake_idx_set(folder)
    monkeypatch.setattr(data, "MNIST_DIR", folder)
    split = load_split("mnist", 50, 30, seed=2)
    assert split.classes == tuple("0123456789") and len(split.y_train) == 50
    train = fashion.read_idx((folder / "train-images-idx3-ubyte.gz").read_bytes())
    labels = np.arange(120) % 10
    rows = rows_to_labels(train, labels)
    for img, lab in zip(split.x_train[:, 0].numpy(), split.y_train.tolist(), strict=True):
        assert lab in rows[img.tobytes()]
    assert "MNIST" in split.source


@pytest.fixture
def http_folder(tmp_path):
    """A local HTTP server (127.0.0.1, a free port) serving ``tmp_path / "served"``."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines in the test output
        pass


def test_download_mnist_from_a_mirror_checks_sums_reports_progress_and_then_loads(
    monkeypatch, tmp_path, http_folder
):
    served, url = http_folder
    files = fake_idx_set(served)
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path / "cache")
    monkeypatch.setattr(
        data, "MNIST_MD5", {n: hashlib.md5(b).hexdigest() for n, b in files.items()}
    )
    calls = []
    folder = data.download_mnist(lambda s, t, m: calls.append((s, t, m.get("file"))), mirror=url)
    assert folder == tmp_path / "cache" and data.mnist_available()
    for name, content in files.items():
        assert (folder / name).read_bytes() == content
    steps = [s for s, _, _ in calls]
    assert steps == sorted(steps) and calls[-1][:2] == (4, 4) and {t for _, t, _ in calls} == {4}
    assert {f for _, _, f in calls} == set(files)
    assert len(load_split("mnist", 20, 10, 0).y_train) == 20
    # a second call downloads nothing (the mirror is gone) but checks the files again
    data.download_mnist(mirror="http://127.0.0.1:9/")


def test_a_damaged_download_is_deleted_and_reported(monkeypatch, tmp_path, http_folder):
    served, url = http_folder
    files = fake_idx_set(served)
    sums = {n: hashlib.md5(b).hexdigest() for n, b in files.items()}
    sums["t10k-images-idx3-ubyte.gz"] = "0" * 32  # the mirror's copy is not the published one
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "MNIST_MD5", sums)
    with pytest.raises(DataUnavailable, match="t10k-images-idx3-ubyte.gz is damaged"):
        data.download_mnist(mirror=url)
    assert not (tmp_path / "cache" / "t10k-images-idx3-ubyte.gz").exists()
    assert not data.mnist_available()


def free_port() -> int:
    """A localhost port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_mnist_offline_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path / "cache")
    with pytest.raises(DataUnavailable, match="could not be downloaded.*internet connection"):
        data.download_mnist(mirror=f"http://127.0.0.1:{free_port()}/")
    assert not any((tmp_path / "cache").glob("*.gz"))


def test_download_mnist_mirror_and_checksums_are_torchvisions():
    """Read from torchvision's source (importing torchvision.datasets takes seconds)."""
    spec = importlib.util.find_spec("torchvision")
    source = Path(spec.origin).parent / "datasets" / "mnist.py"
    mnist = next(
        node
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "MNIST"
    )
    values = {
        target.id: ast.literal_eval(node.value)
        for node in mnist.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in ("mirrors", "resources")
    }
    assert values["mirrors"][0] == data.MNIST_MIRROR
    assert dict(values["resources"]) == data.MNIST_MD5


# --------------------------------------------------------------------------- 8×8 digits


def test_read_digits_parses_the_format_and_refuses_other_files():
    content, images, labels = digits_csv(3)
    small, got = read_digits(content)
    assert small.shape == (30, 8, 8) and small.dtype == np.uint8
    assert np.array_equal(small, images) and np.array_equal(got, labels)
    assert np.array_equal(read_digits(gzip.decompress(content))[0], images)  # plain CSV too
    with pytest.raises(ValueError, match="65"):
        read_digits(b"1,2,3\n")
    with pytest.raises(ValueError, match="0..16"):
        read_digits(("17," * 64 + "1\n").encode())


def test_enlarge_digits_matches_pil_bilinear_resize_centred_like_mnist():
    rng = np.random.default_rng(1)
    small = rng.integers(0, 17, (5, 8, 8))
    big = enlarge_digits(small)
    assert big.shape == (5, 28, 28) and big.dtype == np.uint8
    for s, b in zip(small, big, strict=True):
        scaled = Image.fromarray((s * (255 / 16)).astype(np.float32), mode="F")
        ref = np.asarray(scaled.resize((20, 20), Image.Resampling.BILINEAR))
        assert np.abs(b[4:24, 4:24].astype(float) - ref).max() <= 0.51  # rounding only
        assert not b[:4].any() and not b[24:].any() and not b[:, :4].any() and not b[:, 24:].any()
    full = enlarge_digits(np.full((1, 8, 8), 16))
    assert (full[0, 4:24, 4:24] == 255).all()


def test_digits_split_fixed_stratified_test_set(monkeypatch, tmp_path):
    content, images, labels = digits_csv(30)
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(content)
    monkeypatch.setattr(data, "digits_file", lambda: path)
    a, b = load_split("digits", 10_000, 10_000, 0), load_split("digits", 50, 10_000, 1)
    assert a.classes == tuple("0123456789")
    assert len(a.y_test) == 60 and np.bincount(a.y_test.numpy()).tolist() == [6] * 10  # 20 %
    assert len(a.y_train) == 240 and len(b.y_train) == 50
    assert torch.equal(a.x_test, b.x_test)  # the test digits do not depend on the seed
    big = enlarge_digits(images)
    rows = rows_to_labels(big, labels)
    train_keys = {img.tobytes() for img in a.x_train[:, 0].numpy()}
    test_keys = {img.tobytes() for img in a.x_test[:, 0].numpy()}
    assert not train_keys & test_keys  # held out
    for img, lab in zip(a.x_test[:, 0].numpy(), a.y_test.tolist(), strict=True):
        assert lab in rows[img.tobytes()]
    assert "8×8 digits" in a.source and "all 240 training digits" in a.source


def test_digits_without_scikit_learn_say_how_to_get_them(monkeypatch):
    monkeypatch.setattr(data, "digits_file", lambda: None)
    with pytest.raises(DataUnavailable, match="scikit-learn"):
        load_split("digits", 10, 10, 0)


def test_digits_file_is_what_scikit_learn_loads():
    datasets = pytest.importorskip("sklearn.datasets")
    ours = read_digits(data.digits_file().read_bytes())
    theirs = datasets.load_digits()
    assert np.array_equal(ours[0], theirs.images.astype(np.uint8))
    assert np.array_equal(ours[1], theirs.target)
    assert data.available_sizes("digits") == tuple(len(i) for i in data.digits_test_split(ours[1]))
