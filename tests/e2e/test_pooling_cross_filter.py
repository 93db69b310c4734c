"""The Pooling page's "Across filters" tab in a real browser: it opens with the default bank (four
bar detectors) and the turned bar, the rotation slider moves with the keyboard, and the input's
title, the winner map's legend and the text under the chart follow it.

Labels come from views/pooling.py (the tab label) and views/pooling/cross_filter.py (the slider,
the figure titles, the text under the chart); the winner legend's entries ("filter k: θ°") and
the expected winner are derived here from cnnplay.ops.cross_filter, as the page computes them.
"""

from __future__ import annotations

import numpy as np
from playwright.sync_api import Page, expect

from cnnplay.ops.cross_filter import (
    BASE_KERNELS,
    PATTERN_BACKGROUND,
    PATTERNS,
    cross_filter_max_naive,
    filter_responses_naive,
    rotate_grid,
    rotated_bank,
)
from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle

TAB = "Across filters"
SLIDER = "Turn the input by (degrees, counter-clockwise)"


def strongest_filter(angle: int) -> int:
    """The filter that wins the strongest cell of y for the default settings at ``angle``."""
    base = BASE_KERNELS["Bar (line) detector"]
    bank, _ = rotated_bank(base.build(7), 4, base.period)
    x = rotate_grid(PATTERNS["Bar"](), angle, PATTERN_BACKGROUND)
    pooled, winner = cross_filter_max_naive(filter_responses_naive(x, bank, PATTERN_BACKGROUND))
    return int(winner.flat[np.argmax(pooled)])


def test_turning_the_input_with_the_keyboard(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Pooling", "pooling")
    wait_for_app_idle(page)
    tab = open_tab(page, TAB)
    expect(tab.get_by_text("Cross-filter feature pooling", exact=True)).to_be_visible()
    expect(tab.get_by_text("Goodfellow et al. 2013")).to_be_visible()
    charts = tab.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(6)  # input, max, winner, bank, response maps, angle chart
    for k in range(6):
        expect(charts.nth(k).locator(".main-svg").first).to_be_visible()
    expect(tab.get_by_text("input x, turned by 30°")).to_be_visible()
    for label in ("filter 0: 0°", "filter 1: 45°", "filter 2: 90°", "filter 3: 135°"):
        expect(tab.locator(".st-key-pl_xf_win").get_by_text(label, exact=True)).to_be_visible()
    expect(tab.get_by_text("The max across the 4 filters stays between")).to_be_visible()

    slider = tab.get_by_role("slider", name=SLIDER)
    expect(slider).to_have_value("30")
    slider.focus()
    for _ in range(3):  # 30° -> 45°, one 5° step a key
        page.keyboard.press("ArrowRight")
    expect(slider).to_have_value("45")
    expect(tab.get_by_text("input x, turned by 45°")).to_be_visible()
    wait_for_app_idle(page)
    winner = strongest_filter(45)
    assert winner == 1  # the 45° copy: the bar now lies along it
    expect(tab.get_by_text("At 45° the strongest cell of y")).to_contain_text(
        f"filter {winner}: 45°"
    )
    expect(page.get_by_role("tab", name=TAB, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )  # the slider reran the tab alone: it is still open
    assert_no_exception(page)
    tab.locator(".st-key-pl_xf_chart").scroll_into_view_if_needed()
    save_screenshot(page, "pooling_across_filters.png")
