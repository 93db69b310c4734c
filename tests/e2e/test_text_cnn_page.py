"""The Text CNN page in a real browser: seed 001's 9-word example, then training the Kim CNN
beside the bag of words, then typing a sentence and reading the prediction and its n-grams.

Labels come from ui/catalog.py (navigation "Text CNN") and views/text_cnn.py (tabs, the
"Epochs" input, the "Train the Kim CNN and the bag of words" button, the "Kim CNN: test
accuracy" metric, the "Type a sentence" input, the "… says …" line).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle


def test_train_then_read_a_sentence(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Text CNN", "text_cnn")
    expect(page.get_by_text("moves 8 times", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    sentence = page.get_by_label("Sentence", exact=True)
    expect(sentence).to_have_value("the plot was good but the acting was boring")
    charts = page.get_by_test_id("stPlotlyChart").locator(".main-svg")
    for k in range(3):  # sentence matrix, filter, feature map: drawn, not placeholders
        expect(charts.nth(k)).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "text_cnn_image.png")

    page.get_by_role("tab", name="Train & compare").click()
    panel = page.get_by_role("tabpanel", name="Train & compare")
    panel.get_by_text("Model and training settings").click()
    epochs = panel.get_by_label("Epochs")
    epochs.fill("6")
    epochs.press("Enter")
    wait_for_app_idle(page)
    panel.get_by_role("button", name="Train the Kim CNN and the bag of words").click()
    expect(panel.get_by_test_id("stMetric").first).to_contain_text(
        "Kim CNN: test accuracy", timeout=240_000
    )
    wait_for_app_idle(page)
    expect(panel.get_by_text("word-order", exact=False).first).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "text_cnn_train.png")

    page.get_by_role("tab", name="Read a sentence").click()
    reader = page.get_by_role("tabpanel", name="Read a sentence")
    box = reader.get_by_label("Type a sentence")
    box.fill("the music was great , but the ending was dull")
    box.press("Enter")
    wait_for_app_idle(page)
    expect(reader.get_by_text("Kim CNN says", exact=False).first).to_be_visible()
    expect(reader.get_by_text("filter", exact=False).first).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "text_cnn.png")

    page.get_by_role("tab", name="Top n-grams").click()
    ngrams = page.get_by_role("tabpanel", name="Top n-grams")
    expect(ngrams.get_by_text("won its max-pool", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)
    save_screenshot(page, "text_cnn_ngrams.png")
