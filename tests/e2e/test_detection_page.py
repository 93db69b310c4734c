"""The Detection page in a real browser: the IoU formula, then NMS stepped once in the
"Pipeline & NMS" tab, then the evaluation metrics.

Labels come from ui/catalog.py (navigation "Detection") and views/detection.py (tabs, the
"Step ▶" button, the "**Kept:** box" line, the "AP@0.5 (mean)" metric).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle


def test_iou_then_one_nms_step_then_evaluation(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Detection", "detection")
    expect(page.get_by_text("0.200").first).to_be_visible()  # IoU of the default boxes
    wait_for_app_idle(page)
    save_screenshot(page, "detection_iou.png")
    page.get_by_role("tab", name="Pipeline & NMS").click()
    panel = page.get_by_role("tabpanel", name="Pipeline & NMS")
    expect(panel.get_by_text("candidates passed the score threshold")).to_be_visible()
    panel.get_by_role("button", name="Step ▶").click()
    expect(panel.get_by_text("Kept:")).to_be_visible()
    wait_for_app_idle(page)
    expect(panel.locator("g.scatterlayer path.js-line").first).to_be_attached()  # boxes drawn
    save_screenshot(page, "detection_nms.png")
    page.get_by_role("tab", name="Evaluation").click()
    evaluation = page.get_by_role("tabpanel", name="Evaluation")
    expect(evaluation.get_by_text("AP@0.5 (mean)")).to_be_visible()
    wait_for_app_idle(page)
    save_screenshot(page, "detection_evaluation.png")
    assert_no_exception(page)
