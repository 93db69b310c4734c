"""Real-browser checks of the Padding, stride & dilation page: the animation plays in the
browser, and clicking an output cell shows its footprint."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, click_point, open_page, wait_for_app_idle

TITLE = "Padding, stride & dilation"
SIZE_TAB = "Output size & sliding"


def open_padding_page(page: Page, app_url: str) -> None:
    open_page(page, app_url, TITLE, "padding")
    expect(page.get_by_text("checked against torch ✓ (F.conv2d gives 3×3")).to_be_visible()
    wait_for_app_idle(page)


def test_clicking_an_output_cell_shows_its_footprint(page: Page, app_url: str) -> None:
    open_padding_page(page, app_url)
    tab = page.get_by_role("tabpanel", name=SIZE_TAB)
    expect(tab.get_by_text("footprint of output cell (0, 0)")).to_be_visible()
    cells = tab.get_by_test_id("stPlotlyChart").first.locator("path.point")
    expect(cells).to_have_count(9)  # the 3×3 output of 5×5, k 3, s 2, p 1
    click_point(page, cells, 1 * 3 + 2)
    footprint = tab.get_by_text("footprint of output cell (1, 2)")
    expect(footprint).to_be_visible()
    expect(tab.get_by_text("padded rows [2, 3, 4], columns [4, 5, 6]")).to_be_visible()
    assert_no_exception(page)


def test_the_animation_plays(page: Page, app_url: str) -> None:
    open_padding_page(page, app_url)
    tab = page.get_by_role("tabpanel", name=SIZE_TAB)
    tab.get_by_text("Animate the sliding kernel").click()
    animation = tab.get_by_test_id("stPlotlyChart").filter(has=page.locator("g.slider-container"))
    expect(animation).to_have_count(1)
    label = animation.locator("g.slider-group > text.slider-label")  # the current value
    expect(label).to_have_text("output cell (0, 0)")
    animation.locator("g.updatemenu-button").filter(has_text="Play").click()
    # it advanced by itself, in the browser, to the last cell (checking a frame on the way was
    # flaky: on a loaded machine the poll can miss a frame that is shown for a moment)
    expect(label).to_have_text("output cell (2, 2)")
    assert_no_exception(page)
