"""The Transfer learning page in a real browser: the built-in Fashion-MNIST set, then training
the frozen base + new head shows its validation accuracy and the results table.

Labels come from ui/catalog.py (navigation "Transfer learning") and views/transfer_learning.py
(button "Train frozen base + new head", metric "Validation accuracy").
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle


def test_train_the_head_on_fashion_mnist(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Transfer learning", "transfer_learning")
    expect(page.get_by_text("300 images", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    page.get_by_role("button", name="Train frozen base + new head").click()
    metric = page.get_by_test_id("stMetric").first
    expect(metric).to_contain_text("Validation accuracy", timeout=150_000)  # features take a while
    wait_for_app_idle(page)
    expect(page.get_by_text("Results", exact=False).first).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "transfer_learning.png")
    for tab in ("Augmentation", "Confusion matrix", "Predict & download"):
        page.get_by_role("tab", name=tab).click()
        wait_for_app_idle(page)
        assert_no_exception(page)
        save_screenshot(page, f"transfer_learning_{tab.split()[0].lower()}.png")
