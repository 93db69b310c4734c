"""The What a CNN learned page in a real browser: the nearest images by features and by pixels,
the three projections of the DeconvNet tab, and a style transfer run (Run → the image forming
→ the result with its caption); every tab opens without an exception.

Labels come from ui/catalog.py (navigation "What a CNN learned") and views/learned/*.py."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle

TITLE, PATH = "What a CNN learned", "learned"


def test_nearest_images_and_deconvnet(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, TITLE, PATH)
    wait_for_app_idle(page)
    panel = page.get_by_role("tabpanel", name="Nearest images", exact=True)
    expect(
        panel.get_by_text(re.compile(r"^Of the 6 nearest images, \d+ have the query"))
    ).to_be_visible()
    expect(panel.get_by_text("by features").first).to_be_visible()
    save_screenshot(page, "learned_neighbours.png")
    panel = open_tab(page, "DeconvNet")
    expect(panel.get_by_role("heading", name="Three ways back through a ReLU")).to_be_visible()
    for caption in ("gradient (backprop)", "DeconvNet", "guided backprop"):
        expect(panel.get_by_text(caption, exact=True).first).to_be_visible()
    assert_no_exception(page)


def test_style_transfer_runs_and_shows_the_result(
    page: Page, app_url: str, save_screenshot
) -> None:
    open_page(page, app_url, TITLE, PATH)
    panel = open_tab(page, "Style transfer")
    expect(panel.get_by_role("heading", name="Fast style transfer")).to_be_visible()
    steps = panel.get_by_test_id("stSlider").filter(has_text="Steps")
    steps.get_by_role("slider").focus()
    for _ in range(20):  # down to the minimum, 5 steps: a short run
        page.keyboard.press("ArrowLeft")
    wait_for_app_idle(page)
    page.get_by_role("button", name="Paint the photo in this style").click()
    expect(page.get_by_text(re.compile(r"^result x: 5 of 5 steps in"))).to_be_visible()
    wait_for_app_idle(page)
    save_screenshot(page, "learned_style.png")
    assert_no_exception(page)


def test_every_tab_opens(page: Page, app_url: str) -> None:
    open_page(page, app_url, TITLE, PATH)
    wait_for_app_idle(page)
    for name in ("Map of images", "Top patches", "Gradient ascent", "DeepDream"):
        panel = open_tab(page, name)
        expect(panel).to_be_visible()
        assert_no_exception(page)
