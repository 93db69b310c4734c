"""The Bottleneck & cost page in a real browser: change the exercise stack's input, click a bar of
the per-layer chart, and read that layer's arithmetic; change the bottleneck widths; the real
networks and the case studies. Tabs are lazy: a tab's content is built when it is clicked.

Labels come from ui/catalog.py ("Bottleneck & cost") and views/bottleneck_cost.py (tabs, inputs,
"Layer N (kind)")."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, open_tab, wait_for_app_idle


def click_bar(page: Page, bars, index: int) -> None:
    """Click just below the top of a bar. On a log axis a bar's path reaches far below the plot
    (down towards 0, clipped), so the centre of its box is off the chart."""
    bar = bars.nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None, f"bar {index} is not on screen"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 8)


def detail(page: Page):
    return (
        page.get_by_role("tabpanel", name="Layer list")
        .get_by_test_id("stMarkdownContainer")
        .filter(has_text="Layer ")
        .filter(has_text="units")
    )


def test_exercise_stack_click_a_bar(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Bottleneck & cost", "bottleneck_cost")
    wait_for_app_idle(page)
    expect(page.get_by_text("Total: 90,880 weights")).to_have_count(0)  # not built while hidden
    panel = open_tab(page, "Layer list")
    expect(panel).to_contain_text("Total: 90,880 weights + 58 biases = 90,938 parameters")
    expect(detail(page)).to_contain_text("Layer 1 (conv): input 3 × 256 × 256")
    side = panel.get_by_label("Input side")
    side.fill("128")
    side.press("Enter")
    wait_for_app_idle(page)
    expect(panel).to_contain_text("Total: 29,440 weights + 58 biases = 29,498 parameters")
    bars = panel.locator(".st-key-bn_ex_chart_0 g.point path")
    expect(bars).to_have_count(6)
    click_bar(page, bars, 2)  # the second convolution
    expect(detail(page)).to_contain_text(
        "Layer 3 (conv): input 16 × 32 × 32 → output 32 × 32 × 32, 32,768 units, 8,192 weights"
    )
    wait_for_app_idle(page)
    bars = panel.locator(".st-key-bn_ex_chart_1 g.point path")  # a fresh chart after the click
    click_bar(page, bars, 5)
    expect(detail(page)).to_contain_text("Layer 6 (dense)")
    expect(detail(page)).to_contain_text("20,480 weights")
    save_screenshot(page, "bottleneck.png")
    assert_no_exception(page)


def test_bottleneck_widths(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Bottleneck & cost", "bottleneck_cost")
    wait_for_app_idle(page)
    first = page.get_by_role("tabpanel", name="Dense, local, shared", exact=True)
    expect(first).to_contain_text("The Keras CNN notes, on MNIST")
    expect(first.locator(".katex").first).to_be_visible()
    expect(page.get_by_label("Groups")).to_have_count(0)  # the Bottleneck tab is not built yet
    save_screenshot(page, "bottleneck_dense.png")
    panel = open_tab(page, "Bottleneck")
    expect(panel.get_by_test_id("stDataFrame").first).to_be_visible()
    groups = panel.get_by_label("Groups")
    groups.fill("3")
    groups.press("Enter")
    message = panel.get_by_test_id("stAlert").filter(has_text="3 groups need input and output")
    expect(message).to_have_count(1)
    groups.fill("8")
    groups.press("Enter")
    wait_for_app_idle(page)
    expect(message).to_have_count(0)
    expect(panel).to_contain_text("8 groups")
    expect(panel.locator(".katex").first).to_be_visible()
    assert_no_exception(page)


def test_real_networks_and_case_studies(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Bottleneck & cost", "bottleneck_cost")
    wait_for_app_idle(page)
    expect(page.get_by_text("torchvision publishes")).to_have_count(0)
    panel = open_tab(page, "Real networks")
    expect(panel).to_contain_text("torchvision publishes 25,557,032 parameters")
    expect(panel).to_contain_text("our count agrees")
    expect(panel.get_by_test_id("stMetric")).to_have_count(4)
    expect(panel.get_by_test_id("stPlotlyChart")).to_be_visible()
    save_screenshot(page, "bottleneck_networks.png")
    panel = open_tab(page, "Case studies")
    expect(panel).to_contain_text("The case studies of the NTHU CNN slides")
    expect(panel.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_text("torchvision publishes")).to_have_count(0)  # the hidden tab is gone
    assert_no_exception(page)
