"""The Segmentation page in a real browser: the U-Net diagram and its shapes, the comparison of
the shipped models, then a short live training run, with screenshots of the tabs.

Labels come from ui/catalog.py (navigation "Segmentation (U-Net)") and views/segmentation.py
(tabs, the "Train" button, the "Val mean IoU" metric, the results table)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle


def test_diagram_comparison_and_a_short_training(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Segmentation (U-Net)", "segmentation")
    # the first run loads the three shipped models and segments the comparison scenes
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=180_000)
    wait_for_app_idle(page)
    architecture = page.get_by_role("tabpanel", name="Architecture")
    expect(architecture.get_by_text("skip: concatenate 8 channels")).to_be_visible()
    expect(architecture.get_by_text("Smallest map")).to_be_visible()
    save_screenshot(page, "segmentation_architecture.png")

    page.get_by_role("tab", name="Skips vs no skips vs FCN").click()
    compare = page.get_by_role("tabpanel", name="Skips vs no skips vs FCN")
    expect(compare.get_by_text("pixels within 1 px of a true boundary")).to_be_visible()
    expect(compare.get_by_text("wrong:").first).to_be_visible()
    save_screenshot(page, "segmentation_compare.png")

    page.get_by_role("tab", name="Train live").click()
    train = page.get_by_role("tabpanel", name="Train live")
    train.get_by_text("Depth (poolings)")  # the settings above the tabs stay
    # a quick run: 100 scenes, 1 epoch
    slider = train.get_by_role("slider", name="Epochs")
    slider.focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    scenes = train.get_by_role("slider", name="Training scenes")
    scenes.focus()
    page.keyboard.press("Home")
    wait_for_app_idle(page)
    train.get_by_role("button", name="Train").click()
    label = train.get_by_test_id("stMetricLabel").filter(has_text="Val mean IoU")
    expect(label).to_be_visible(timeout=240_000)
    wait_for_app_idle(page)
    expect(train.get_by_text("Nothing trained yet")).to_have_count(0)
    save_screenshot(page, "segmentation_train.png")

    page.get_by_role("tab", name="Semantic vs instance").click()
    instance = page.get_by_role("tabpanel", name="Semantic vs instance")
    expect(instance.get_by_text("connected pieces").first).to_be_visible()
    assert_no_exception(page)
