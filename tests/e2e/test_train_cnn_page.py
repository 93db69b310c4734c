"""The Train a CNN page in a real browser: the Train tab with its listings, a small run (500
training and 500 test images, one epoch) whose three results appear, the Results tab's table and
confusion matrix (a click on a cell shows its images), then a longer run interrupted by Stop after
every model's first epoch (the models kept and marked stopped). Screenshots of both tabs.

Labels come from ui/catalog.py (navigation "Train a CNN") and views/train_cnn/ (tabs "Train" and
"Results", the "Training images" / "Test images" sliders, the "Epochs" input, the "Train the
three models" and "Stop training" buttons, the progress text "<model>: epoch … of …", the
"<model>: test accuracy" metrics, the "Training was stopped after" message).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    click_point,
    open_page,
    open_tab,
    wait_for_app_idle,
)

TITLE = "Train a CNN"
TRAIN_TIMEOUT_MS = 300_000


def step_slider(page: Page, panel, name: str, steps: int | None) -> None:
    """Move a select slider ``steps`` options (negative: to the left) with the keyboard; None:
    to its first option (Home)."""
    panel.get_by_role("slider", name=name).focus()
    keys = ["Home"] if steps is None else ["ArrowLeft" if steps < 0 else "ArrowRight"] * abs(steps)
    for key in keys:
        page.keyboard.press(key)
    wait_for_app_idle(page)


def set_number(page: Page, panel, label: str, value: int) -> None:
    box = panel.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_for_app_idle(page)


def test_train_results_and_stop(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, TITLE, "train_cnn")
    wait_for_app_idle(page)
    train = page.get_by_role("tabpanel", name="Train", exact=True)
    expect(train.get_by_text("Nothing trained yet", exact=False)).to_be_visible()
    expect(train.get_by_text("0.9900", exact=False).first).to_be_visible()
    train.get_by_text("Keras listings beside the PyTorch modules").click()
    expect(train.get_by_text("layers.GlobalAveragePooling2D()", exact=False)).to_be_visible()
    expect(train.get_by_text("(classes): Conv2d(128, 10", exact=False)).to_be_visible()
    # small settings: 500 training and 500 test images (the sliders' first options), one epoch
    step_slider(page, train, "Training images", None)
    step_slider(page, train, "Test images", None)
    set_number(page, train, "Epochs", 1)
    for name in ("Training images", "Test images"):
        slider = train.get_by_role("slider", name=name)
        expect(slider).to_have_attribute("aria-valuetext", "500")
    train.get_by_role("button", name="Train the three models").click()
    metric = train.get_by_test_id("stMetricLabel").filter(has_text="CNN (Keras notes)")
    expect(metric).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app_idle(page)
    for name in ("MLP", "All-convolutional (1×1 conv + GAP)"):
        expect(train.get_by_test_id("stMetricLabel").filter(has_text=name)).to_be_visible()
    done = train.get_by_text("test accuracy on 500 images; 1 epoch(s)", exact=False)
    expect(done).to_have_count(3)
    assert_no_exception(page)
    save_screenshot(page, "train_cnn_train.png")

    results = open_tab(page, "Results")
    expect(results.get_by_test_id("stDataFrame")).to_be_visible()
    expect(results.get_by_text("CNN − MLP:", exact=False)).to_be_visible()
    points = results.locator(".scatterlayer path.point")
    expect(points).to_have_count(100)
    # the first view shows the worst mix-up (two different classes); a click on the first
    # cell chooses (true T-shirt/top, predicted T-shirt/top)
    points.nth(0).scroll_into_view_if_needed()  # the matrix sits below the table
    click_point(page, points, 0)
    wait_for_app_idle(page)
    for label in ("True class", "Predicted class"):
        box = results.get_by_role("combobox", name=label, exact=True)
        expect(box).to_match_aria_snapshot(f'- combobox "{label}": T-shirt/top')
    assert_no_exception(page)
    save_screenshot(page, "train_cnn_results.png")

    # a long run (2,000 images, 30 epochs) stopped once a model is in its second epoch: the
    # three take turns, so each has a scored epoch by then, and all three are kept
    train = open_tab(page, "Train")
    step_slider(page, train, "Training images", 2)
    set_number(page, train, "Epochs", 30)
    train.get_by_role("button", name="Train the three models").click()
    second = re.compile(r": epoch (1\.[1-9]|[2-9]\.[0-9]|[1-9][0-9]\.[0-9]) of 30")
    expect(train.get_by_text(second)).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    train.get_by_role("button", name="Stop training").click()
    expect(train.get_by_text("Training was stopped after")).to_be_visible(timeout=60_000)
    wait_for_app_idle(page)
    expect(train.get_by_text("of 30 epoch(s)", exact=False)).to_be_visible()
    expect(train.get_by_text("Not kept", exact=False)).to_have_count(0)  # all three kept
    expect(train.get_by_text("(stopped)", exact=False).first).to_be_visible()
    assert_no_exception(page)
    save_screenshot(page, "train_cnn_stopped.png")
