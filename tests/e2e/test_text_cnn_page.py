"""The Text CNN page in a real browser, tab by tab (each tab's content is built only when the tab
is clicked): seed 001's 9-word example, a taller filter, the filter moved and a shorter sentence;
training the Kim CNN beside the bag of words, then a long run interrupted by Stop after its first
epoch (its model kept); typing a sentence and reading the prediction and its n-grams; the top
n-grams; the learned vectors back in the first tab, still there after a visit to the home page.
Screenshots of the tabs.

Labels come from ui/catalog.py (navigation "Text CNN") and views/text_cnn/ (tabs, the "Filter
height h (words)" and "Filter position p" sliders, the "Sentence" and "Epochs" inputs, the "Train
the Kim CNN and the bag of words" and "Stop training" buttons, the progress text "Kim CNN: epoch
… of …, loss …, test accuracy …", the "Kim CNN: test accuracy" metric, the "Type a sentence"
input, the "… says …" line).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    leave_and_return,
    open_page,
    open_tab,
    wait_for_app_idle,
)

TITLE = "Text CNN"
TRAIN_TIMEOUT_MS = 240_000


def set_epochs(page: Page, panel, epochs: int) -> None:
    box = panel.get_by_label("Epochs")
    box.fill(str(epochs))
    box.press("Enter")
    wait_for_app_idle(page)


def test_every_tab_training_and_stop(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, TITLE, "text_cnn")
    image = page.get_by_role("tabpanel", name="Sentence as a 1D image", exact=True)
    expect(image.get_by_text("moves 8 times", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    expect(image.get_by_label("Sentence", exact=True)).to_have_value(
        "the plot was good but the acting was boring"
    )
    charts = image.get_by_test_id("stPlotlyChart").locator(".main-svg")
    for k in range(3):  # sentence matrix, filter, feature map: drawn, not placeholders
        expect(charts.nth(k)).to_be_visible()
    # lazy tabs: nothing of the training tab exists before it is clicked
    expect(page.get_by_text("Nothing trained yet")).to_have_count(0)
    height = image.get_by_role("slider", name="Filter height h (words)")
    height.focus()
    page.keyboard.press("ArrowRight")  # 2 -> 3: one move fewer
    expect(image.get_by_text("moves 7 times", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)
    save_screenshot(page, "text_cnn_image.png")
    # the filter position: moved, then clamped by a shorter sentence (the server's log is
    # checked after the test: no warning about a widget given a default value besides its
    # session-state value)
    image.get_by_role("slider", name="Filter position p").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(image.get_by_text("The response at position 2 ", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    box = image.get_by_label("Sentence", exact=True)
    box.fill("so good but boring")
    box.press("Enter")
    expect(image.get_by_text("moves 2 times", exact=False).first).to_be_visible()
    expect(image.get_by_text("The response at position 1 ", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)

    train = open_tab(page, "Train & compare")
    expect(train.get_by_text("Nothing trained yet")).to_be_visible()
    train.get_by_text("Model and training settings").click()
    set_epochs(page, train, 6)
    train.get_by_role("button", name="Train the Kim CNN and the bag of words").click()
    metric = train.get_by_test_id("stMetricLabel").filter(has_text="Kim CNN: test accuracy")
    expect(metric).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app_idle(page)
    bow = train.get_by_test_id("stMetricLabel").filter(has_text="Bag of words: test accuracy")
    expect(bow).to_be_visible()
    expect(train.get_by_text("word-order", exact=False).first).to_be_visible()
    expect(train.get_by_text("6 epoch(s)", exact=False).first).to_be_visible()
    save_screenshot(page, "text_cnn_train.png")
    # a long run (60 epochs) is interrupted by Stop after its first epoch, and its model kept
    set_epochs(page, train, 60)
    train.get_by_role("button", name="Train the Kim CNN and the bag of words").click()
    first_epoch = re.compile(r"Kim CNN: epoch [0-9.]+ of 60, loss [0-9.]+, test accuracy")
    expect(train.get_by_text(first_epoch)).to_be_visible(timeout=120_000)
    train.get_by_role("button", name="Stop training").click()
    expect(train.get_by_text("Kim CNN was stopped after")).to_be_visible(timeout=60_000)
    wait_for_app_idle(page)
    expect(train.get_by_text("(stopped)", exact=False).first).to_be_visible()
    assert_no_exception(page)

    reader = open_tab(page, "Read a sentence")
    box = reader.get_by_label("Type a sentence")
    box.fill("the music was great , but the ending was dull")
    box.press("Enter")
    wait_for_app_idle(page)
    expect(reader.get_by_text("Kim CNN says", exact=False).first).to_be_visible()
    expect(reader.get_by_text("Bag of words says", exact=False).first).to_be_visible()
    expect(reader.get_by_text("most influential of 48 filters", exact=False)).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "text_cnn.png")

    ngrams = open_tab(page, "Top n-grams")
    expect(ngrams.get_by_text("won its max-pool", exact=False).first).to_be_visible()
    expect(ngrams.get_by_test_id("stDataFrame")).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "text_cnn_ngrams.png")

    image = open_tab(page, "Sentence as a 1D image")
    height = image.get_by_role("slider", name="Filter height h (words)")
    expect(height).to_have_value("3")  # the setting changed before training is kept
    image.get_by_text("Learned vectors and filter").click()
    expect(image.get_by_text("Learned 32-channel word vectors", exact=False)).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)

    # leave the page and come back: the open tab, its settings and the trained model are kept
    leave_and_return(page, TITLE, "Sentence as a 1D image")
    expect(page.get_by_text("Learned 32-channel word vectors", exact=False)).to_be_visible()
    assert_no_exception(page)
