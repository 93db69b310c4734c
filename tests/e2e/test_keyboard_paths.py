"""The keyboard paths beside clickable figures (ui/keyboard.py), in a real browser with the
keyboard alone: pages are opened by their address, and then only Tab, the arrow keys, typing
and Enter are used (no mouse, no click on a chart). Flip a cell of the Kernels page's input grid
(row, column, "Flip cell") and choose a bar of the Bottleneck page's layer chart (a select box).

Labels come from views/kernels/grids.py (row, column, "Flip cell", "Strongest response ...") and
views/bottleneck_cost/layer_list.py ("Layer whose arithmetic to show", "Layer N (kind)")."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import assert_no_exception, wait_for_app_idle

GRID_TAB = "± 1 grids: the notes' + and X"
MAX_TABS = 200  # Tab presses allowed to reach a control (the sidebar's links come first)


def has_focus(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the keyboard focus, as a keyboard user moves through the
    page; fails when MAX_TABS presses do not reach it."""
    expect(target).to_be_visible()
    for _ in range(MAX_TABS):
        if has_focus(target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{MAX_TABS} Tab presses did not reach {target}")


def type_number(page: Page, field: Locator, value: int) -> None:
    """Tab to a number input, replace its value by typing, and commit it with Enter."""
    tab_to(page, field)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")
    wait_for_app_idle(page)
    expect(field).to_have_value(str(value))


def test_flip_a_kernels_grid_cell_with_the_keyboard(
    page: Page, app_url: str, save_screenshot
) -> None:
    page.goto(f"{app_url}/kernels")
    expect(page.get_by_role("heading", name="Feature maps")).to_be_visible()
    wait_for_app_idle(page)
    panel = page.get_by_role("tabpanel", name=GRID_TAB)
    responses = panel.get_by_test_id("stMarkdownContainer").filter(has_text="Strongest response")
    expect(responses.first).to_contain_text("Strongest response 9 at row 0, column 0")
    texts = panel.locator("[class*='st-key-kn_click_'] g.textpoint text")
    expect(texts).to_have_count(36)  # the 6×6 input grid
    centre = texts.nth(1 * 6 + 1).text_content()  # the + at the top left: its centre, ink
    assert centre == "1"

    type_number(page, panel.get_by_role("spinbutton", name="row", exact=True), 1)
    type_number(page, panel.get_by_role("spinbutton", name="column", exact=True), 1)
    flip = panel.get_by_role("button", name="Flip cell", exact=True)
    tab_to(page, flip)
    page.keyboard.press("Enter")
    wait_for_app_idle(page)

    # the centre of the + is background now: the + kernel's best match loses 2 (9 - 2 = 7)
    expect(texts.nth(1 * 6 + 1)).to_have_text("-1")
    expect(responses.first).to_contain_text("Strongest response 7 at row 0, column 0")
    expect(responses.nth(1)).to_contain_text("Strongest response 9 at row 3, column 3")
    expect(panel.get_by_text("Keyboard:", exact=False).first).to_be_visible()
    save_screenshot(page, "keyboard_kernels.png")
    assert_no_exception(page)


def test_choose_a_bottleneck_bar_with_the_keyboard(
    page: Page, app_url: str, save_screenshot
) -> None:
    page.goto(f"{app_url}/bottleneck_cost")
    expect(page.get_by_role("heading", name="Bottleneck & cost", exact=True)).to_be_visible()
    wait_for_app_idle(page)
    # the tabs: Tab to the open one, then the arrow keys (and Enter) open "Layer list"
    tab_to(page, page.get_by_role("tab", name="Dense, local, shared", exact=True))
    layer_list = page.get_by_role("tab", name="Layer list", exact=True)
    for _ in range(2):  # Bottleneck, then Layer list
        page.keyboard.press("ArrowRight")
    expect(layer_list).to_be_focused()
    page.keyboard.press("Enter")
    expect(layer_list).to_have_attribute("aria-selected", "true")
    wait_for_app_idle(page)
    panel = page.get_by_role("tabpanel", name="Layer list", exact=True)
    detail = (
        panel.get_by_test_id("stMarkdownContainer")
        .filter(has_text="Layer ")
        .filter(has_text="units")
    )
    expect(detail).to_contain_text("Layer 1 (conv): input 3 × 256 × 256")

    chooser = (
        panel.get_by_test_id("stSelectbox")
        .filter(has_text="Layer whose arithmetic to show")
        .locator("input")
    )
    tab_to(page, chooser)
    page.keyboard.type("3.")  # the bar labelled "3. Conv2d"
    page.keyboard.press("Enter")
    wait_for_app_idle(page)
    expect(detail).to_contain_text(
        "Layer 3 (conv): input 16 × 64 × 64 → output 32 × 64 × 64, 131,072 units"
    )
    # the chart marks the chosen bar (a fresh chart: the choice renewed its key)
    bars = panel.locator(".st-key-bn_ex_chart_1 g.point path")
    expect(bars).to_have_count(6)
    fills = [bars.nth(i).evaluate("e => getComputedStyle(e).fill") for i in range(6)]
    assert [f == fills[2] for f in fills] == [i == 2 for i in range(6)], fills
    save_screenshot(page, "keyboard_bottleneck.png")
    assert_no_exception(page)
