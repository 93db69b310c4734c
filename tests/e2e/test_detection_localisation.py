"""The Detection page's "Classify + localise" tab in a real browser: the box panel's losses
follow a slider, a tiny training of both losses shows its results, and Stop interrupts a
longer run.

Labels come from views/detection/localisation.py (the sliders "Centre x error x̂ − x (px)",
"Training images" and "Epochs", the buttons "Train with both losses" and "Stop", the metric
"Mean IoU", the progress text "Run 1 of 2")."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle

TAB = "Classify + localise"
TRAIN_TIMEOUT_MS = 180_000


def test_box_panel_tiny_training_and_stop(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Detection", "detection")
    wait_for_app_idle(page)
    panel = open_tab(page, TAB)
    expect(panel.get_by_text("16 px²", exact=False).first).to_be_visible()  # 4 px to the right
    expect(panel.get_by_text("Nothing trained yet", exact=False)).to_be_visible()
    panel.get_by_role("slider", name="Centre x error x̂ − x (px)").focus()
    page.keyboard.press("ArrowRight")  # 4 -> 5 px: 25 px² for both boxes
    expect(panel.get_by_text("25 px²", exact=False).first).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)

    # tiny settings: 100 images (the slider's first stop), 1 epoch
    panel.get_by_role("slider", name="Training images").focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    panel.get_by_role("slider", name="Epochs").focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    panel.get_by_role("button", name="Train with both losses").click()
    metric = panel.get_by_test_id("stMetricLabel").filter(has_text="Mean IoU")
    expect(metric.first).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app_idle(page)
    expect(metric).to_have_count(2)
    expect(panel.get_by_text("100 training images, 1 epoch(s)", exact=False)).to_be_visible()
    expect(panel.get_by_text("Mean IoU by size", exact=False)).to_be_visible()
    expect(panel.locator("g.scatterlayer path.js-line").first).to_be_attached()  # boxes drawn
    assert_no_exception(page)
    save_screenshot(page, "detection_localisation.png")

    # a longer run (30 epochs), stopped during its first run
    panel.get_by_role("slider", name="Epochs").focus()
    page.keyboard.press("End")
    wait_for_app_idle(page)
    panel.get_by_role("button", name="Train with both losses").click()
    running = re.compile(r"Run 1 of 2, L2 on coordinates: epoch [0-9.]+ of 30")
    expect(panel.get_by_text(running)).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    panel.get_by_role("button", name="Stop", exact=True).click()
    expect(panel.get_by_text("Training was stopped during", exact=False)).to_be_visible(
        timeout=60_000
    )
    wait_for_app_idle(page)
    # the last complete comparison is still shown
    expect(panel.get_by_text("100 training images, 1 epoch(s)", exact=False)).to_be_visible()
    assert_no_exception(page)
