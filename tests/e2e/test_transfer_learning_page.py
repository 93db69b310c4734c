"""The Transfer learning page in a real browser, tab by tab (each tab's content is built only
when the tab is clicked): the built-in Fashion-MNIST set and the validation share above the
tabs; training the frozen base + new head, then a long scratch run interrupted by Stop after
its first epoch (its model kept); the augmentation preview turned off setting by setting; the
confusion matrix of another model; a prediction and the download; the open tab and the trained
models still there after a visit to the home page. Screenshots of the tabs.

Labels come from ui/catalog.py (navigation "Transfer learning") and views/transfer_learning/
(tabs, the "Validation share" slider, the "Epochs (scratch)" input in "Training settings", the
"Train frozen base + new head", "Train small CNN from scratch" and "Stop training" buttons, the
progress text "Small CNN from scratch: epoch … of …, loss …, val accuracy …", the "Validation
accuracy" metric, the preview caption, the "Model" choice, the "… says: …" line).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from cnnplay.transfer.export import read_export
from tests.e2e.browser import (
    assert_no_exception,
    leave_and_return,
    open_page,
    open_tab,
    wait_for_app_idle,
)

TITLE = "Transfer learning"
TRAIN_TIMEOUT_MS = 240_000
PREVIEW = "Each row: one training image (left) and three random augmentations of it"


def test_every_tab_training_and_stop(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, TITLE, "transfer_learning")
    expect(page.get_by_text("300 images", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_text("220 for training, 80 for validation", exact=False)).to_be_visible()
    # the validation share sits above the tabs: a change reruns the page
    share = page.get_by_role("slider", name="Validation share")
    share.focus()
    page.keyboard.press("End")  # 0.25 -> 0.5
    expect(page.get_by_text("150 for training, 150 for validation", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    share.focus()
    page.keyboard.press("ArrowLeft")  # 0.45
    page.keyboard.press("ArrowLeft")  # 0.4
    page.keyboard.press("ArrowLeft")  # 0.35
    page.keyboard.press("ArrowLeft")  # 0.3
    page.keyboard.press("ArrowLeft")  # 0.25
    expect(page.get_by_text("220 for training, 80 for validation", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    # lazy tabs: nothing of the augmentation tab exists before it is clicked
    expect(page.get_by_text(PREVIEW)).to_have_count(0)

    train = open_tab(page, "Train & compare")
    expect(train.get_by_text("1280 × 10 weights + 10 biases", exact=False)).to_be_visible()
    expect(train.get_by_text("Nothing trained yet")).to_be_visible()
    train.get_by_role("button", name="Train frozen base + new head").click()
    metric = train.get_by_test_id("stMetricLabel").filter(has_text="Validation accuracy")
    expect(metric.first).to_be_visible(timeout=TRAIN_TIMEOUT_MS)  # features take a while
    wait_for_app_idle(page)
    expect(train.get_by_text("Results", exact=False).first).to_be_visible()
    save_screenshot(page, "transfer_learning.png")
    # a long scratch run (100 epochs) is interrupted by Stop after its first epoch, model kept
    train.get_by_text("Training settings").click()
    box = train.get_by_label("Epochs (scratch)")
    box.fill("100")
    box.press("Enter")
    wait_for_app_idle(page)
    train.get_by_role("button", name="Train small CNN from scratch").click()
    first_epoch = re.compile(r"Small CNN from scratch: epoch [0-9.]+ of 100, loss [0-9.]+, val acc")
    expect(train.get_by_text(first_epoch)).to_be_visible(timeout=120_000)
    train.get_by_role("button", name="Stop training").click()
    stopped = re.compile(r"Small CNN from scratch was stopped after [0-9]{1,2} epoch\(s\)")
    expect(train.get_by_text(stopped)).to_be_visible(timeout=60_000)  # long before epoch 100
    wait_for_app_idle(page)
    expect(train.get_by_text("(stopped)", exact=False).first).to_be_visible()
    expect(metric).to_have_count(2)
    assert_no_exception(page)

    augment = open_tab(page, "Augmentation")
    expect(augment.get_by_text(PREVIEW)).to_be_visible()
    expect(augment.get_by_text("Every transformation is off")).to_have_count(0)
    augment.get_by_text("Horizontal flip").click()
    wait_for_app_idle(page)
    for name, key in (("Rotation ± (degrees)", "Home"), ("Smallest crop", "End")):
        slider = augment.get_by_role("slider", name=name)
        slider.focus()
        page.keyboard.press(key)
        wait_for_app_idle(page)
    slider = augment.get_by_role("slider", name="Colour jitter")
    slider.focus()
    page.keyboard.press("Home")
    expect(augment.get_by_text("Every transformation is off")).to_be_visible()
    wait_for_app_idle(page)
    save_screenshot(page, "transfer_learning_augmentation.png")

    confusion = open_tab(page, "Confusion matrix")
    right = re.compile(r"of 80 validation images right")
    expect(confusion.get_by_text(right)).to_be_visible()
    expect(confusion.get_by_text("Small CNN from scratch:", exact=False)).to_be_visible()
    confusion.get_by_test_id("stSelectbox").filter(has_text="Model").click()
    page.get_by_role("option", name="Frozen base + new head").click()
    expect(confusion.get_by_text("Frozen base + new head:", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    save_screenshot(page, "transfer_learning_confusion.png")

    predict = open_tab(page, "Predict & download")
    expect(predict.get_by_text("says:", exact=False)).to_be_visible()
    expect(predict.get_by_text("what the model sees (96×96)")).to_be_visible()
    download = predict.get_by_role("button", name="Download the trained weights + class names")
    with page.expect_download() as got:  # the zip is built on the click
        download.click()
    weights, classes, card = read_export(Path(got.value.path()).read_bytes())
    assert got.value.suggested_filename == f"cnnplay-{card['strategy']}-{len(classes)}classes.zip"
    assert weights and len(classes) >= 2
    save_screenshot(page, "transfer_learning_predict.png")
    assert_no_exception(page)

    # leave the page and come back: the open tab and this session's models are kept
    leave_and_return(page, TITLE, "Predict & download")
    expect(page.get_by_text("says:", exact=False)).to_be_visible()
    train = open_tab(page, "Train & compare")
    expect(
        train.get_by_test_id("stMetricLabel").filter(has_text="Validation accuracy")
    ).to_have_count(2)
    assert_no_exception(page)
