"""The Detection page in a real browser, every tab in turn (tabs are lazy: a tab's content is
built only when it is clicked): the IoU formula, the anchors, the raw output, NMS stepped once
and then played to the end in "Pipeline & NMS", the evaluation metrics, the sliding-window
tab and RoI pooling vs align.

Labels come from ui/catalog.py (navigation "Detection") and views/detection/ (tabs, the
"Step ▶" / "Play ▶▶" buttons, the "**Kept:** box" line, the "AP@0.5 (mean)" metric).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle

PLAY_TIMEOUT_MS = 60_000  # Play shows every NMS step with a pause (0.6 s each)


def test_every_tab_of_the_detection_page(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Detection", "detection")
    expect(page.get_by_text("0.200").first).to_be_visible()  # IoU of the default boxes
    wait_for_app_idle(page)
    # hidden tabs send nothing until they are opened
    expect(page.get_by_text("candidates passed the score threshold")).to_have_count(0)
    expect(page.get_by_text("AP@0.5 (mean)")).to_have_count(0)
    save_screenshot(page, "detection_iou.png")

    anchors = open_tab(page, "Anchors")
    expect(anchors.get_by_text("best anchor anywhere (RPN)").first).to_be_attached()
    expect(page.get_by_text("0.200")).to_have_count(0)  # the IoU tab is no longer built

    raw = open_tab(page, "Raw output")
    expect(raw.get_by_text("The 8 boxes with the highest objectness")).to_be_visible()

    panel = open_tab(page, "Pipeline & NMS")
    expect(panel.get_by_text("candidates passed the score threshold")).to_be_visible()
    panel.get_by_role("button", name="Step ▶").click()
    expect(panel.get_by_text("Kept:")).to_be_visible()
    wait_for_app_idle(page)
    expect(panel.locator("g.scatterlayer path.js-line").first).to_be_attached()  # boxes drawn
    save_screenshot(page, "detection_nms.png")
    panel.get_by_role("button", name="Play ▶▶").click()  # reruns only the tab at the end
    expect(panel.get_by_role("button", name="Step ▶")).to_be_disabled(timeout=PLAY_TIMEOUT_MS)
    wait_for_app_idle(page)
    # the page around the tab is intact
    expect(page.get_by_text("Score threshold", exact=True)).to_be_visible()

    evaluation = open_tab(page, "Evaluation")
    expect(evaluation.get_by_text("AP@0.5 (mean)")).to_be_visible()
    save_screenshot(page, "detection_evaluation.png")

    photo = open_tab(page, "Your photo")
    expect(photo.get_by_text("Slide the windows").first).to_be_visible()
    save_screenshot(page, "detection_photo.png")

    roi = open_tab(page, "RoI pool vs align")
    expect(roi.get_by_text("Slide the box to the right")).to_be_visible()
    save_screenshot(page, "detection_roi.png")
    assert_no_exception(page)
