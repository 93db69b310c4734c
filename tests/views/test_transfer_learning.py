"""AppTest of views/transfer_learning.py: the built-in set and every tab's defaults, training the
three strategies (small settings), the results table, confusion matrix, prediction and download;
the augmentation preview; a stopped run kept; bad zips; the fallback when Fashion-MNIST is
missing; settings surviving a change of page, "Reset this page", and hidden tabs doing no work."""

from __future__ import annotations

import io
import urllib.error
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.transfer.strategies import build_scratch
from tests.views.apptest_utils import (
    forbid,
    image_captions,
    joined,
    leave_and_return,
    open_tab,
    png_bytes,
    texts,
)

PAGE = "../../views/transfer_learning.py"
APP = "../../app.py"
TIMEOUT = 240
TRAIN, AUGMENT, CONFUSION, PREDICT = (
    "Train & compare",
    "Augmentation",
    "Confusion matrix",
    "Predict & download",
)
PREVIEW = "Each row: one training image (left) and three random augmentations of it"


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "tl", label)


def results(at: AppTest):
    """The results table (the st.dataframe with a "strategy" column)."""
    return next(d.value for d in at.dataframe if "strategy" in d.value.columns)


def has_results(at: AppTest) -> bool:
    return any("strategy" in d.value.columns for d in at.dataframe)


def preview_url(at: AppTest) -> str:
    """The media URL of the augmentation preview (it changes with the picture)."""
    element = next(e for e in at.image if PREVIEW in e.captions)
    return element.proto.imgs[0].url


def small(at: AppTest) -> AppTest:
    """Small, fast settings: 10 images per class, 64 px, few epochs."""
    at.slider(key="tl_per_class").set_value(10)
    at.select_slider(key="tl_side").set_value(64)
    at.number_input(key="tl_ep_scratch").set_value(2)
    at.number_input(key="tl_ep_head").set_value(10)
    at.number_input(key="tl_ep_ft").set_value(1)
    return at.run()


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def at(fresh) -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def test_defaults_of_every_tab(fresh):
    at = fresh
    assert not at.exception and not at.error and not at.warning
    md = joined(at)
    assert "**300 images** in **10 classes**" in md and "220 for training, 80 for validation" in md
    assert "1280×3×3 for a 96×96 input" in md  # EfficientNet-Lite0's last maps at 96 px
    assert "1280 × 10 weights + 10 biases = **12,810** new parameters" in md
    assert "Nothing trained yet" in md
    assert any(c.startswith("A row per class: T-shirt/top") for c in image_captions(at))
    assert at.slider(key="tl_val").value == 0.25 and at.select_slider(key="tl_side").value == 96
    tab(at, AUGMENT)
    assert not at.exception and PREVIEW in image_captions(at)
    assert at.checkbox(key="tl_flip").value is True and at.slider(key="tl_rot").value == 15
    assert not texts(at, "info")
    for label in (CONFUSION, PREDICT):
        tab(at, label)
        assert not at.exception and not at.warning
        assert any("Train a model first" in i for i in texts(at, "info"))


def test_the_split_and_side_change_the_summary(at):
    at.slider(key="tl_val").set_value(0.5).run()
    assert "150 for training, 150 for validation" in joined(at)
    at.select_slider(key="tl_side").set_value(64).run()
    assert "for a 64×64 input" in joined(at)
    at.slider(key="tl_per_class").set_value(10).run()
    assert "**100 images** in **10 classes**" in joined(at)


def test_augmentation_preview_follows_the_settings(at):
    tab(at, AUGMENT)
    first = preview_url(at)
    at.number_input(key="tl_preview_seed").set_value(3).run()
    assert preview_url(at) != first
    at.checkbox(key="tl_flip").set_value(False).run()
    at.slider(key="tl_rot").set_value(0).run()
    at.slider(key="tl_crop").set_value(1.0).run()
    at.slider(key="tl_jitter").set_value(0.0).run()
    assert not at.exception
    assert any("Every transformation is off" in i for i in texts(at, "info"))


def test_augmentation_text_says_what_each_strategy_does(at):
    """Scratch and fine-tuning draw new transformations every epoch; the frozen base trains on
    a fixed set of cached copies (``views`` per image), so the text must not say "new" for it."""
    tab(at, AUGMENT)
    md = joined(at)
    assert "each epoch sees every training image under a *new* random transformation" in md
    assert "**2 fixed augmented copies** of each training image once" in md
    assert "the same 3 versions of each image each time, never new ones" in md
    tab(at, TRAIN)
    at.slider(key="tl_views").set_value(1).run()
    tab(at, AUGMENT)
    assert not at.exception and "**1 fixed augmented copy** of each" in joined(at)


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
    assert [m.label for m in at.metric] == ["Validation accuracy"] * 3
    # confusion matrix: the chosen cell's images
    tab(at, CONFUSION)
    assert not at.exception
    assert at.selectbox(key="tl_cm_model").options == [
        "Small CNN from scratch",
        "Frozen base + new head",
        "Fine-tune last blocks + head",
    ]
    assert "Small CNN from scratch: **" in joined(at)
    assert any(
        "image(s): true" in c for c in image_captions(at)
    ) or "No validation image" in joined(at)
    at.selectbox(key="tl_cm_true").set_value("Trouser")
    at.selectbox(key="tl_cm_pred").set_value("Trouser").run()
    shown = [c for c in image_captions(at) if "true Trouser, predicted Trouser" in c]
    assert shown or "No validation image of *Trouser* was predicted as *Trouser*" in joined(at)
    at.selectbox(key="tl_cm_model").set_value("finetune").run()
    assert "Fine-tune last blocks + head: **" in joined(at)
    assert "of 20 validation images right" in joined(at)
    # prediction and download
    tab(at, PREDICT)
    assert "says: **" in joined(at)
    assert at.get("download_button")
    assert "what the model sees (64×64)" in image_captions(at)
    # augmentation on: a new row, the head's features for the extra views from the cache after
    tab(at, TRAIN)
    at.toggle(key="tl_aug_on").set_value(True).run()
    at.button(key="tl_train_head").click().run()
    table = results(at)
    assert len(table) == 4 and table["augmentation"].iloc[0] == "on"
    assert table["strategy"].iloc[0] == "Frozen base + new head"


def pending(strategy: str = "scratch") -> dict:
    """A run interrupted after one epoch, as the Train & compare tab leaves it."""
    return {
        "strategy": strategy,
        "model": build_scratch(10, 0),
        "epochs": [{"epoch": 1, "train_loss": 2.0, "val_loss": 2.1, "val_accuracy": 0.2}],
        "start": 0.0,
        "data_key": None,  # set by the test
        "aug": False,
        "split": (np.arange(0, 200), np.arange(200, 300)),
        "seed": 3,
    }


def data_key() -> str:
    """The data key the page uses now (the built-in set at 96 px with the default backbone)."""
    from cnnplay.data import fashion
    from cnnplay.models.pretrained import DEFAULT_MODEL
    from views.transfer_learning.common import digest_of

    data = fashion.load_fashion(30, 0)
    return f"{digest_of(data)}|{DEFAULT_MODEL}|96"


def test_a_stopped_run_is_kept(at):
    run = pending()
    run["data_key"] = data_key()
    at.session_state["tl_pending"] = run
    at.run()
    assert not at.exception
    assert any(
        "Small CNN from scratch was stopped after 1 epoch(s)" in i for i in texts(at, "info")
    )
    table = results(at)
    assert len(table) == 1 and table["stopped"].iloc[0] == "yes" and table["epochs"].iloc[0] == 1
    assert table["seed"].iloc[0] == 3  # the run's own seed, whatever the widget says now
    assert any("(stopped)" in c for c in texts(at, "caption"))
    tab(at, CONFUSION)
    assert "of 100 validation images right" in joined(at)  # the run's own split


def test_a_run_stopped_by_a_click_in_another_tab_is_kept(at):
    run = pending()
    run["data_key"] = data_key()
    at.session_state["tl_pending"] = run
    tab(at, PREDICT)  # the click that interrupted the run opened another tab
    assert not at.exception and "says: **" in joined(at)
    tab(at, TRAIN)
    assert any("stopped after 1 epoch(s)" in i for i in texts(at, "info"))
    assert results(at)["stopped"].iloc[0] == "yes"


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
    assert "1280 × 2 weights + 2 biases = **2,562** new parameters" in joined(at)


def test_a_zip_over_the_image_limit_is_shared_fairly(at):
    at.radio(key="tl_source").set_value("Your classes: one zip").run()
    assert any("shared fairly" in c for c in texts(at, "caption"))  # said before any upload
    buf = io.BytesIO()
    tiny = png_bytes()
    with zipfile.ZipFile(buf, "w") as z:
        for c in ("cats", "dogs"):
            for i in range(450):
                z.writestr(f"{c}/{i}.png", tiny)
    at.file_uploader(key="tl_zip").set_value(("x.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception and not at.error  # was: "1 usable class(es)"
    assert "**400 images** in **2 classes** from *your zip*" in joined(at)
    assert any("500 file(s) skipped" in w for w in texts(at, "warning"))
    assert any("shared fairly" in i and "cats 200, dogs 200" in i for i in texts(at, "info"))


def test_hostile_zips_get_a_message_and_keep_the_page(at):
    """A zip of 10,000 tiny files and a zip bomb (300 MB of zeros in ~300 KB): each is refused
    with its reason, nothing else on the page is lost."""
    at.radio(key="tl_source").set_value("Your classes: one zip").run()
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(10_000):
            z.writestr(f"a/{i}.png", b"")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/big.png", bytes(300 * 2**20))
    for data, message in [
        (many.getvalue(), "The zip lists 10,000 entries"),
        (bomb.getvalue(), "would unpack to 300 MB"),
    ]:
        at.file_uploader(key="tl_zip").set_value(("x.zip", data, "application/zip")).run()
        assert not at.exception
        assert any(message in e for e in texts(at, "error")), texts(at, "error")
        assert any("Choose or upload images" in i for i in texts(at, "info"))
        assert at.radio(key="tl_source").value == "Your classes: one zip"


def test_per_class_uploads(at):
    at.radio(key="tl_source").set_value("Your classes: upload per class").run()
    assert any("Upload a few images per class" in i for i in texts(at, "info"))
    assert at.text_input(key="tl_name_0").value == "class 1"
    at.text_input(key="tl_name_0").set_value("bright")
    at.text_input(key="tl_name_1").set_value("dim")
    at.file_uploader(key="tl_files_0").set_value(
        [(f"b{i}.png", png_bytes(), "image/png") for i in range(3)]
    )
    at.file_uploader(key="tl_files_1").set_value(
        [(f"d{i}.png", png_bytes(value=60), "image/png") for i in range(3)]
    )
    at.run()
    assert not at.exception and not at.error
    assert "**6 images** in **2 classes**" in joined(at)
    assert any(c == "A row per class: bright, dim" for c in image_captions(at))


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


def test_settings_survive_leaving_the_page(fresh):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/transfer_learning.py").run()
    at.slider(key="tl_val").set_value(0.4).run()
    at.select_slider(key="tl_side").set_value(64).run()
    at.number_input(key="tl_ep_head").set_value(7).run()
    tab(at, AUGMENT)
    at.slider(key="tl_rot").set_value(30).run()
    leave_and_return(at, "views/transfer_learning.py")
    assert at.slider(key="tl_val").value == 0.4 and at.select_slider(key="tl_side").value == 64
    assert at.slider(key="tl_rot").value == 30  # back in the tab the student left
    assert PREVIEW in image_captions(at)
    tab(at, TRAIN)
    assert at.number_input(key="tl_ep_head").value == 7
    assert "for a 64×64 input" in joined(at)


def test_reset_this_page_restores_the_defaults(at):
    at.slider(key="tl_val").set_value(0.4).run()
    at.number_input(key="tl_ep_head").set_value(7).run()
    tab(at, AUGMENT)
    at.slider(key="tl_rot").set_value(30).run()
    at.sidebar.button(key="tl_reset").click().run()
    assert not at.exception
    assert at.slider(key="tl_val").value == 0.25
    assert at.number_input(key="tl_ep_head").value == 20  # the first tab again
    assert "220 for training, 80 for validation" in joined(at)
    tab(at, AUGMENT)
    assert at.slider(key="tl_rot").value == 15


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.transfer_learning import augmentation, confusion, predict

    calls = forbid(
        monkeypatch,
        [
            (augmentation, "augment"),
            (confusion, "confusion_explorer"),
            (predict, "predict_probs"),
        ],
    )
    at.slider(key="tl_val").set_value(0.3).run()  # the Train & compare tab is open
    assert not at.exception and calls == []
    assert PREVIEW not in image_captions(at)
    keys = {w.key for w in at.selectbox} | {w.key for w in at.number_input}
    assert not {"tl_cm_model", "tl_pred_model", "tl_preview_seed"} & keys
    assert "tl_ep_head" in keys
    tab(at, AUGMENT)
    assert calls and at.exception  # the spy is reached once the tab is open
