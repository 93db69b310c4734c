"""Real-browser checks of the Padding, stride & dilation page: the animation plays in the
browser, clicking an output cell shows its footprint, and each lazy tab builds its content
when it is clicked (views/padding/*.py, one module per tab)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    click_point,
    open_page,
    open_tab,
    wait_for_app_idle,
)
from tests.e2e.conftest import ARTIFACTS_DIR, full_page_screenshot

TITLE = "Padding, stride & dilation"
SIZE_TAB = "Output size & sliding"
MODES_TAB = "Padding modes"
STACK_TAB = "Shrinking, stride, dilation"
TRANS_TAB = "Transposed convolution"


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


def test_every_tab_builds_its_content_when_clicked(page: Page, app_url: str) -> None:
    """Each tab's content appears only after its click; screenshots land in test-artifacts/."""
    open_padding_page(page, app_url)
    size = page.get_by_role("tabpanel", name=SIZE_TAB)
    expect(size.get_by_text("footprint of output cell (0, 0)")).to_be_visible()
    charts = size.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(2)  # the output grid and the footprint
    for i in range(2):
        expect(charts.nth(i).locator("svg.main-svg").first).to_be_visible()
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    full_page_screenshot(page, ARTIFACTS_DIR / "padding-size.png")
    expect(page.get_by_text("On a photo's corner")).to_have_count(0)
    expect(page.get_by_text("Stride skips positions and saves work")).to_have_count(0)
    expect(page.get_by_text("The matrix view")).to_have_count(0)

    modes = open_tab(page, MODES_TAB)
    expect(modes.get_by_role("heading", name="On a photo's corner")).to_be_visible()
    expect(modes.get_by_test_id("stImage")).to_have_count(4)  # the corner in every mode
    expect(modes.get_by_text("Invents a dark frame of 0s")).to_be_visible()
    expect(page.get_by_text("footprint of output cell")).to_have_count(0)  # the size tab sleeps
    wait_for_app_idle(page)
    full_page_screenshot(page, ARTIFACTS_DIR / "padding-modes.png")

    stack = open_tab(page, STACK_TAB)
    expect(
        stack.get_by_role("heading", name="Stride skips positions and saves work")
    ).to_be_visible()
    expect(stack.get_by_text("no pixels left after layer 8")).to_be_visible()
    expect(page.get_by_text("On a photo's corner")).to_have_count(0)
    wait_for_app_idle(page)
    full_page_screenshot(page, ARTIFACTS_DIR / "padding-stack.png")

    trans = open_tab(page, TRANS_TAB)
    expect(trans.get_by_text("Result 3×3: [0, 0, 1], [0, 4, 6], [4, 12, 9]")).to_be_visible()
    expect(trans.get_by_text("Wᵀ is itself a convolution")).to_be_visible()
    expect(page.get_by_text("Stride skips positions and saves work")).to_have_count(0)
    wait_for_app_idle(page)
    full_page_screenshot(page, ARTIFACTS_DIR / "padding-transposed.png")
    assert_no_exception(page)
