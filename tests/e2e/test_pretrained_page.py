"""The Inside a pretrained CNN page in a real browser: the top-5 chart for the cat sample, then
the Saliency tab's button draws Grad-CAM; every other tab shows its content once clicked (tabs
are lazy: a tab's content is built when it is clicked).

Labels come from ui/catalog.py (navigation "Inside a pretrained CNN") and views/pretrained.py
(tab "Saliency", button "Explain this class", caption "Grad-CAM on bn2").
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle

CAT = r"says: (Egyptian cat|tiger cat|tabby)"


def test_top5_then_grad_cam(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Inside a pretrained CNN", "pretrained")
    says = page.get_by_test_id("stMarkdownContainer").filter(has_text="and says:")
    expect(says).to_have_count(1)
    expect(says).to_contain_text(re.compile(CAT))
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator("g.bars path")).to_have_count(5)  # the top-5 bars
    wait_for_app_idle(page)
    first = page.get_by_role("tabpanel", name="Prediction", exact=True)
    expect(first.get_by_text("3. centre crop, 224×224")).to_be_visible()
    save_screenshot(page, "pretrained.png")
    expect(page.get_by_role("button", name="Explain this class")).to_have_count(0)  # not built
    panel = open_tab(page, "Saliency")
    panel.get_by_role("button", name="Explain this class").click()
    expect(panel.get_by_text("Grad-CAM on bn2")).to_be_visible()
    wait_for_app_idle(page)
    expect(panel.get_by_test_id("stImage")).to_have_count(4)
    save_screenshot(page, "pretrained_saliency.png")
    assert_no_exception(page)


def test_every_other_tab(page: Page, app_url: str) -> None:
    open_page(page, app_url, "Inside a pretrained CNN", "pretrained")
    wait_for_app_idle(page)
    expect(page.get_by_text("strongest of")).to_have_count(0)
    panel = open_tab(page, "Feature maps")
    expect(panel.get_by_text(re.compile(r"the 32 strongest of \d+ maps"))).to_be_visible()
    expect(panel).to_contain_text("from 32 maps of 112×112 at conv_stem")
    panel = open_tab(page, "Filters")
    expect(panel.get_by_text("The 32 kernels of the first convolution")).to_be_visible()
    expect(page.get_by_text("strongest of")).to_have_count(0)  # the hidden tab is gone
    panel = open_tab(page, "Occlusion")
    patch = panel.get_by_test_id("stSlider").filter(has_text="Grey patch side")
    expect(patch).to_be_visible()
    panel.get_by_role("button", name="Run occlusion").click()
    expect(panel.get_by_text("where hiding the image hurts most (red)")).to_be_visible()
    expect(panel).to_contain_text("169 positions")
    panel = open_tab(page, "Adversarial")
    panel.get_by_role("button", name="Attack (FGSM)").click()
    expect(panel.get_by_text(re.compile(r"^perturbed: "))).to_be_visible()
    wait_for_app_idle(page)
    assert_no_exception(page)
