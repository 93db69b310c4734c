"""The Receptive field page in a real browser: choose a layer of seed 000's stack, click one of
its units in the clickable grid, and read the field reported for it.

Labels come from ui/catalog.py (navigation "Receptive field") and views/receptive_field.py
(tab "Stack of layers", select "Layer whose unit to inspect", "Receptive field of unit ...").
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, click_point, open_page, wait_for_app_idle

TAB = "Stack of layers"


def field_text(page: Page):
    return (
        page.get_by_role("tabpanel", name=TAB)
        .get_by_test_id("stMarkdownContainer")
        .filter(has_text="Receptive field of unit")
    )


def test_clicking_a_unit_reports_its_field(page: Page, app_url: str) -> None:
    open_page(page, app_url, "Receptive field", "receptive_field")
    expect(field_text(page)).to_contain_text(
        "Receptive field of unit (0, 0): rows 0–3, columns 0–3"
    )
    wait_for_app_idle(page)
    panel = page.get_by_role("tabpanel", name=TAB)
    expect(panel.locator("path.point")).to_have_count(4)  # the pooled 2×2 map
    select = panel.get_by_test_id("stSelectbox").filter(has_text="Layer whose unit")
    select.locator("input").click()  # the combobox itself: opens the list, focuses the filter
    page.keyboard.type("1: conv")
    expect(page.get_by_role("option", name="1: conv 3×3")).to_be_visible()
    page.keyboard.press("Enter")
    wait_for_app_idle(page)
    points = panel.locator("path.point")
    expect(points).to_have_count(16)  # the 4×4 conv output
    click_point(page, points, 2 * 4 + 3)  # unit (2, 3)
    expect(field_text(page)).to_contain_text(
        "Receptive field of unit (2, 3): rows 2–4, columns 3–5"
    )
    wait_for_app_idle(page)
    assert_no_exception(page)
