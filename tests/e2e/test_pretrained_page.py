"""The Inside a pretrained CNN page in a real browser: the top-5 chart for the cat sample, then
the Saliency tab's button draws Grad-CAM.

Labels come from ui/catalog.py (navigation "Inside a pretrained CNN") and views/pretrained.py
(tab "Saliency", button "Explain this class", caption "Grad-CAM on bn2").
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle

CAT = r"says: (Egyptian cat|tiger cat|tabby)"


def test_top5_then_grad_cam(page: Page, app_url: str) -> None:
    open_page(page, app_url, "Inside a pretrained CNN", "pretrained")
    says = page.get_by_test_id("stMarkdownContainer").filter(has_text="and says:")
    expect(says).to_have_count(1)
    expect(says).to_contain_text(re.compile(CAT))
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator("g.bars path")).to_have_count(5)  # the top-5 bars
    wait_for_app_idle(page)
    page.get_by_role("tab", name="Saliency").click()
    panel = page.get_by_role("tabpanel", name="Saliency")
    panel.get_by_role("button", name="Explain this class").click()
    expect(panel.get_by_text("Grad-CAM on bn2")).to_be_visible()
    wait_for_app_idle(page)
    expect(panel.get_by_test_id("stImage")).to_have_count(4)
    assert_no_exception(page)
