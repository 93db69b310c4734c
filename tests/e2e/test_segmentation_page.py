"""The Segmentation page in a real browser, tab by tab (each tab's content is built only when
the tab is clicked): the U-Net diagram and its shapes, the comparison of the shipped models, a
short live training run and a stopped one, feature maps, your image, semantic vs instance; then
the open tab and the trained model survive a visit to the home page. Screenshots of the tabs.

Labels come from ui/catalog.py (navigation "Segmentation (U-Net)") and views/segmentation/
(tabs, the "Train" button, the "Val mean IoU" metric, the results table)."""

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

TITLE = "Segmentation (U-Net)"


def test_every_tab_and_a_short_training(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, TITLE, "segmentation")
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=180_000)
    wait_for_app_idle(page)
    architecture = page.get_by_role("tabpanel", name="Architecture", exact=True)
    expect(architecture.get_by_text("skip: 8 ch", exact=True)).to_be_visible()
    expect(architecture.get_by_text("Smallest map")).to_be_visible()
    # lazy tabs: nothing of the comparison exists before its tab is clicked
    expect(page.get_by_text("pixels within 1 px of a true boundary")).to_have_count(0)
    save_screenshot(page, "segmentation_architecture.png")

    # the first open segments the comparison scenes with the three shipped models
    page.get_by_role("tab", name="Skips vs no skips vs FCN", exact=True).click()
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=180_000)
    compare = open_tab(page, "Skips vs no skips vs FCN")
    expect(compare.get_by_text("pixels within 1 px of a true boundary")).to_be_visible()
    expect(compare.get_by_text("wrong:").first).to_be_visible()
    save_screenshot(page, "segmentation_compare.png")

    train = open_tab(page, "Train live")
    expect(page.get_by_text("Depth (poolings)")).to_be_visible()  # the settings above the tabs
    expect(train.get_by_text("Nothing trained yet")).to_be_visible()
    # a quick run: 100 scenes, 1 epoch
    slider = train.get_by_role("slider", name="Epochs")
    slider.focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    scenes = train.get_by_role("slider", name="Training scenes")
    scenes.focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    train.get_by_role("button", name="Train", exact=True).click()
    label = train.get_by_test_id("stMetricLabel").filter(has_text="Val mean IoU")
    expect(label).to_be_visible(timeout=240_000)
    wait_for_app_idle(page)
    expect(train.get_by_text("Nothing trained yet")).to_have_count(0)
    save_screenshot(page, "segmentation_train.png")
    # a long run (30 epochs) is interrupted by Stop after its first epoch, and its model kept
    slider.focus()
    page.keyboard.press("End")
    wait_for_app_idle(page)
    train.get_by_role("button", name="Train", exact=True).click()
    first_epoch = re.compile(r"of 30, loss [0-9.]+, val mean IoU")  # the progress bar's text
    expect(train.get_by_text(first_epoch)).to_be_visible(timeout=120_000)
    train.get_by_role("button", name="Stop").click()
    expect(train.get_by_text("Training was stopped after")).to_be_visible(timeout=60_000)
    wait_for_app_idle(page)

    features = open_tab(page, "Feature maps")
    expect(features.get_by_text("strongest of").first).to_be_visible()
    save_screenshot(page, "segmentation_features.png")

    own = open_tab(page, "Your image")
    expect(own.get_by_text("Share of pixels").first).to_be_visible()
    expect(own.get_by_text("drawing 2, 128 px").first).to_be_visible()
    save_screenshot(page, "segmentation_own.png")

    instance = open_tab(page, "Semantic vs instance")
    expect(instance.get_by_text("connected pieces").first).to_be_visible()
    save_screenshot(page, "segmentation_instance.png")
    assert_no_exception(page)

    # leave the page and come back: the open tab and this session's trained model are kept
    leave_and_return(page, TITLE, "Semantic vs instance")
    expect(page.get_by_text("connected pieces").first).to_be_visible()
    train = open_tab(page, "Train live")
    expect(train.get_by_test_id("stMetricLabel").filter(has_text="Val mean IoU")).to_be_visible()
    assert_no_exception(page)
