"""AppTest of views/transfer_learning.py: the built-in set, training the three strategies
(small settings), the results table, confusion matrix, prediction and download; bad zips; the
fallback when Fashion-MNIST is missing and cannot be downloaded."""

from __future__ import annotations

import io
import urllib.error
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import image_captions, joined, png_bytes, texts

PAGE = "../../views/transfer_learning.py"
TIMEOUT = 240


def results(at: AppTest):
    """The results table (the st.dataframe with a "strategy" column)."""
    return next(d.value for d in at.dataframe if "strategy" in d.value.columns)


def small(at: AppTest) -> AppTest:
    """Small, fast settings: 10 images per class, 64 px, few epochs."""
    at.slider(key="tl_per_class").set_value(10)
    at.select_slider(key="tl_side").set_value(64)
    at.number_input(key="tl_ep_scratch").set_value(2)
    at.number_input(key="tl_ep_head").set_value(10)
    at.number_input(key="tl_ep_ft").set_value(1)
    return at.run()


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def test_defaults_show_the_data_and_the_gap_arithmetic(at):
    assert not at.exception and not at.error
    md = joined(at)
    assert "**300 images** in **10 classes**" in md and "220 for training, 80 for validation" in md
    assert "1280×3×3 for a 96×96 input" in md  # EfficientNet-Lite0's last maps at 96 px
    assert "1280 × 10 weights + 10 biases = **12,810** new parameters" in md
    assert "Nothing trained yet" in md
    assert any(c.startswith("A row per class: T-shirt/top") for c in image_captions(at))


def test_training_all_three_fills_the_table_and_later_tabs(at):
    small(at)
    at.button(key="tl_train_all").click().run()
    assert not at.exception and not at.error
    table = results(at)
    assert list(table["strategy"]) == [
        "Fine-tune last blocks + head",
        "Frozen base + new head",
        "Small CNN from scratch",
    ]
    assert list(table["epochs"]) == [1, 10, 2] and (table["augmentation"] == "off").all()
    assert table["trainable params"].iloc[1] == 12810
    assert table["trainable params"].iloc[0] > 12810  # the unfrozen blocks as well
    assert "the frozen base + new head reaches **" in joined(at)
    # confusion matrix: the chosen cell's images
    assert any(
        "image(s): true" in c for c in image_captions(at)
    ) or "No validation image" in joined(at)
    at.selectbox(key="tl_cm_true").set_value("Trouser")
    at.selectbox(key="tl_cm_pred").set_value("Trouser").run()
    shown = [c for c in image_captions(at) if "true Trouser, predicted Trouser" in c]
    assert shown or "No validation image of *Trouser* was predicted as *Trouser*" in joined(at)
    # prediction and download
    assert "says: **" in joined(at)
    assert at.get("download_button")
    # augmentation on: a new row, the head's features for the extra views come from the cache after
    at.toggle(key="tl_aug_on").set_value(True)
    at.button(key="tl_train_head").click().run()
    table = results(at)
    assert len(table) == 4 and table["augmentation"].iloc[0] == "on"


def test_bad_zip_and_bad_files_are_reported(at):
    at.radio(key="tl_source").set_value("Your classes: one zip").run()
    at.file_uploader(key="tl_zip").set_value(("x.zip", b"not a zip", "application/zip")).run()
    assert not at.exception
    assert any("not a zip archive" in e for e in texts(at, "error"))
    assert any("Choose or upload images" in i for i in texts(at, "info"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c in ("a", "b"):
            for i in range(3):
                z.writestr(f"{c}/{i}.png", png_bytes())
        z.writestr("a/broken.jpg", b"garbage")
    at.file_uploader(key="tl_zip").set_value(("x.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception and not at.error
    assert any("1 file(s) skipped" in w for w in texts(at, "warning"))
    assert "**6 images** in **2 classes** from *your zip*" in joined(at)


def test_missing_fashion_mnist_falls_back_to_generated_shapes(monkeypatch, tmp_path):
    from cnnplay.data import fashion
    from cnnplay.models import pretrained

    monkeypatch.setattr(fashion, "FASHION_DIR", tmp_path / "none")
    monkeypatch.setattr(fashion, "DOWNLOAD_DIR", tmp_path / "download")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("not installed on this server" in w for w in texts(at, "warning"))
    assert "from *generated shapes*" in joined(at)
    at.button(key="tl_download").click().run()
    assert not at.exception
    assert any("could not be downloaded" in e for e in texts(at, "error"))
    assert "from *generated shapes*" in joined(at)  # nothing else lost
