"""The Pooling page in a real browser: the sliding-window animation plays client-side, a click
on a pooled cell shows its window and the cell that won its max, and every (lazy) tab shows its
content, with the shared "Window size k" and a widget inside a tab changed.

Labels come from ui/catalog.py (navigation "Pooling"), views/pooling.py (the settings above the
tabs, the tab labels) and views/pooling/ (toggle, "Window of output cell ...", the tabs' texts);
"▶ Play" and the "output cell (i, j)" slider label come from cnnplay/plots/grids.py's animation
builder.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    click_point,
    open_page,
    open_tab,
    wait_for_app_idle,
)

GRID_TAB = "Pool a grid"


def open_pooling_page(page: Page, app_url: str) -> None:
    open_page(page, app_url, "Pooling", "pooling")
    expect(window_text(page)).to_contain_text("Window of output cell (0, 0)")
    wait_for_app_idle(page)


def window_text(page: Page):
    return (
        page.get_by_role("tabpanel", name=GRID_TAB)
        .get_by_test_id("stMarkdownContainer")
        .filter(has_text="Window of output cell")
    )


def test_clicking_a_pooled_cell_shows_its_window(page: Page, app_url: str) -> None:
    open_pooling_page(page, app_url)
    expect(window_text(page)).to_contain_text("The max 17.5 is won by input cell (1, 1)")
    outputs = page.get_by_role("tabpanel", name=GRID_TAB).locator("path.point")
    expect(outputs).to_have_count(18)  # two 3×3 pooled maps (the inputs are heatmaps)
    click_point(page, outputs, 1)  # channel 1, output cell (0, 1)
    text = window_text(page)
    expect(text).to_contain_text("Window of output cell (0, 1) (channel 1): rows 0–1, columns 2–3")
    expect(text).to_contain_text("The max 1.9 is won by input cell (1, 3)")
    wait_for_app_idle(page)
    outputs = page.get_by_role("tabpanel", name=GRID_TAB).locator("path.point")  # redrawn
    expect(outputs).to_have_count(18)
    outputs.nth(17).scroll_into_view_if_needed()
    click_point(page, outputs, 9 + 8)  # channel 2, output cell (2, 2)
    expect(window_text(page)).to_contain_text("Window of output cell (2, 2) (channel 2)")
    expect(window_text(page)).to_contain_text("The max 17.5 is won by input cell (4, 4)")
    assert_no_exception(page)


def test_animation_plays_in_the_browser(page: Page, app_url: str) -> None:
    open_pooling_page(page, app_url)
    panel = page.get_by_role("tabpanel", name=GRID_TAB)
    panel.get_by_text("Watch the window slide").click()
    animation = page.locator(".st-key-pl_animation")  # the chart with key "pl_animation"
    play = animation.locator(".updatemenu-button").filter(has_text="Play")
    expect(play).to_be_visible()
    label = animation.locator("text.slider-label").first  # the slider's current value
    expect(label).to_have_text("output cell (0, 0)")
    wait_for_app_idle(page)
    cell_texts = animation.locator("svg text")

    def count(value: str) -> int:
        return sum(t.strip() == value for t in cell_texts.all_text_contents())

    assert count("7.7") == 2  # only the input's two 7.7s; the output is still empty there
    play.scroll_into_view_if_needed()
    play.click()
    # 9 frames of 600 ms, played by plotly in the browser: the slider walks the output cells.
    expect(label).to_have_text("output cell (1, 0)")
    expect(label).to_have_text("output cell (2, 2)", timeout=15_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.st-key-pl_animation svg text')]
            .filter(t => t.textContent.trim() === '7.7').length === 3"""
    )  # output cell (2, 2) filled in with its max, 7.7
    assert count("17.5") == 2  # the input's 17.5 and output cell (0, 0)
    assert_no_exception(page)


def set_number(page: Page, where: Page | Locator, label: str, value: str) -> None:
    box = where.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_for_app_idle(page)


def test_every_tab_of_the_pooling_page(page: Page, app_url: str, save_screenshot) -> None:
    open_pooling_page(page, app_url)
    # hidden tabs send nothing until they are opened
    expect(page.get_by_text("Remembered positions of the maxima")).to_have_count(0)
    expect(page.get_by_text("Autograd and the rule")).to_have_count(0)

    photo = open_tab(page, "Photo")
    expect(photo.get_by_text("max pooling 2×2, stride 2 → 225×150")).to_be_visible()
    expect(page.get_by_text("Window of output cell")).to_have_count(0)  # the grid tab is gone
    set_number(page, page, "Window size k", "4")  # above the tabs: the page reruns
    expect(photo.get_by_text("max pooling 4×4, stride 2 → 224×149")).to_be_visible()
    save_screenshot(page, "pooling_photo.png")

    undo = open_tab(page, "Undo pooling")
    expect(
        undo.get_by_text("Remembered positions of the maxima: (1, 1), (0, 2), (3, 0), (3, 3)")
    ).to_be_visible()

    backprop = open_tab(page, "Backprop")
    expect(backprop.get_by_text("Autograd and the rule")).to_be_visible()
    expect(backprop.get_by_text("torch documents no order for ties")).to_be_visible()
    backprop.get_by_text("1, 2, 3, … (one number per output cell)").click()
    wait_for_app_idle(page)
    expect(backprop.get_by_text("Autograd and the rule")).to_be_visible()

    invariance = open_tab(page, "Invariance")
    expect(invariance.get_by_text("Raw feature map: 8 of 8 values changed (100%)")).to_be_visible()
    expect(invariance.get_by_text("Max-pooled map: 2 of 6 values changed (33%)")).to_be_visible()
    set_number(page, invariance, "shift right by", "0")  # inside the tab: the tab reruns
    expect(invariance.get_by_text("Raw feature map: 0 of 8 values changed (0%)")).to_be_visible()
    expect(page.get_by_label("Window size k", exact=True)).to_have_value("4")  # page intact

    saving = open_tab(page, "Saving work")
    expect(saving.get_by_text("with a max pool after each")).to_be_visible()
    expect(saving.get_by_test_id("stDataFrame")).to_be_visible()
    save_screenshot(page, "pooling_saving_work.png")

    grid = open_tab(page, "Pool a grid")  # back: the settings above the tabs still hold
    expect(grid.get_by_text("6×6 = 36 values → 2×2 = 4")).to_be_visible()
    assert_no_exception(page)
