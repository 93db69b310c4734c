"""Fashion-MNIST intake: the idx reader against torchvision's, subsampling, the fallback when the
files are missing, and the generated shapes set."""

from __future__ import annotations

import gzip
import urllib.error

import numpy as np
import pytest
import torch

from cnnplay.data import fashion
from cnnplay.data.labelled import stratified_split, subsample
from cnnplay.data.shapes import CLASSES as SHAPES
from cnnplay.data.shapes import shapes_set


def _idx(values: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, values.ndim]) + np.array(values.shape, ">u4").tobytes()
    return header + values.astype(np.uint8).tobytes()


def test_read_idx_matches_torchvision(tmp_path):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (7, 28, 28)), rng.integers(0, 10, 7)
    (tmp_path / "i").write_bytes(_idx(images))
    (tmp_path / "l").write_bytes(_idx(labels))
    ours = fashion.read_idx(gzip.compress(_idx(images)))
    assert ours.dtype == np.uint8 and ours.shape == (7, 28, 28)
    torch.testing.assert_close(torch.from_numpy(ours.copy()), read_image_file(str(tmp_path / "i")))
    torch.testing.assert_close(
        torch.from_numpy(fashion.read_idx(_idx(labels)).astype(np.int64)),
        read_label_file(str(tmp_path / "l")),
    )


@pytest.mark.parametrize("bad", [b"", b"PK\x03\x04junk", _idx(np.zeros((2, 3)))[:-1]])
def test_read_idx_refuses_damaged_files(bad):
    with pytest.raises(ValueError):
        fashion.read_idx(bad)


def test_installed_set_is_subsampled_per_class():
    if not fashion.available():
        pytest.skip("dataset-fashion-mnist is not installed here")
    data = fashion.load_fashion(per_class=7, seed=3, side=40)
    assert data.images.shape == (70, 40, 40, 3) and data.images.dtype == np.uint8
    assert (data.counts() == 7).all() and data.classes == fashion.CLASSES
    again = fashion.load_fashion(per_class=7, seed=3, side=40)
    assert np.array_equal(again.images, data.images)
    assert not np.array_equal(fashion.load_fashion(7, seed=4, side=40).images, data.images)


def test_missing_files_raise_a_message_and_download_fails_cleanly(monkeypatch, tmp_path):
    monkeypatch.setattr(fashion, "FASHION_DIR", tmp_path / "none")
    monkeypatch.setattr(fashion, "DOWNLOAD_DIR", tmp_path / "dl")
    assert not fashion.available()
    with pytest.raises(fashion.FashionUnavailable, match="dataset-fashion-mnist"):
        fashion.load_fashion()

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    from cnnplay.models import pretrained

    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    with pytest.raises(fashion.FashionUnavailable, match="could not be downloaded"):
        fashion.download_fashion()


def test_subsample_and_split_are_stratified_and_seeded():
    labels = np.repeat(np.arange(4), [10, 5, 3, 2])
    pick = subsample(labels, 4, seed=1)
    assert np.bincount(labels[pick]).tolist() == [4, 4, 3, 2]
    tr, va = stratified_split(labels, 0.25, seed=0)
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(len(labels)))
    assert np.bincount(labels[va], minlength=4).tolist() == [2, 1, 1, 1]  # >= 1 each
    assert (np.bincount(labels[tr], minlength=4) >= 1).all()
    assert np.array_equal(stratified_split(labels, 0.25, seed=0)[1], va)
    assert not np.array_equal(stratified_split(labels, 0.25, seed=5)[1], va)


def test_generated_shapes_are_deterministic():
    data = shapes_set(per_class=4, seed=2)
    assert data.images.shape == (20, 64, 64, 3) and data.classes == SHAPES
    assert np.array_equal(shapes_set(4, 2).images, data.images)
    assert data.images.std() > 20  # real pictures, not blanks
