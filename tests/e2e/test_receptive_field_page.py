"""The Receptive field page in a real browser, every tab in turn (tabs are lazy: a tab's content
is built only when it is clicked): in "Stack of layers" choose a layer of seed 000's stack,
click one of its units and change the input side; the field table of a real network and
another network; the effective field of a unit on the photo; the 3×3-stack calculator. Back on
the first tab, the settings made there are still in place. LeNet-5, whose classifier takes
32×32 inputs only, in the Real network and On an image tabs.

Labels come from ui/catalog.py (navigation "Receptive field") and views/receptive_field/
(tabs, "Layer whose unit to inspect", "Input side n₀ (pixels)", "Receptive field of unit ...",
"Compute the effective field (gradient)", "Field F (odd)").
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

STACK, NETWORK, IMAGE, KERNELS = "Stack of layers", "Real network", "On an image", "3×3 stacks"
LENET_NOTE = "LeNet-5's classifier expects 32×32 inputs, so the input is fixed at 32 px."


def field_text(panel: Locator) -> Locator:
    return panel.get_by_test_id("stMarkdownContainer").filter(has_text="Receptive field of unit")


def choose(page: Page, panel: Locator, label: str, typed: str, option: str) -> None:
    """Pick ``option`` of the selectbox ``label``: open its list, type to filter, press Enter."""
    select = panel.get_by_test_id("stSelectbox").filter(has_text=label)
    select.locator("input").click()  # the combobox itself: opens the list, focuses the filter
    page.keyboard.type(typed)
    expect(page.get_by_role("option", name=option)).to_be_visible()
    page.keyboard.press("Enter")
    wait_for_app_idle(page)


def set_number(page: Page, panel: Locator, label: str, value: str) -> None:
    box = panel.get_by_label(label)
    box.fill(value)
    box.press("Enter")
    wait_for_app_idle(page)


def test_every_tab_of_the_receptive_field_page(page: Page, app_url: str, save_screenshot) -> None:
    open_page(page, app_url, "Receptive field", "receptive_field")
    panel = page.get_by_role("tabpanel", name=STACK, exact=True)
    expect(field_text(panel)).to_contain_text(
        "Receptive field of unit (0, 0): rows 0–3, columns 0–3"
    )
    wait_for_app_idle(page)
    # hidden tabs send nothing until they are opened
    expect(page.get_by_text("convolution / pooling layers")).to_have_count(0)
    expect(page.get_by_text("Compute the effective field (gradient)")).to_have_count(0)
    expect(panel.locator("path.point")).to_have_count(4)  # the pooled 2×2 map
    choose(page, panel, "Layer whose unit", "1: conv", "1: conv 3×3")
    points = panel.locator("path.point")
    expect(points).to_have_count(16)  # the 4×4 conv output
    click_point(page, points, 2 * 4 + 3)  # unit (2, 3)
    expect(field_text(panel)).to_contain_text(
        "Receptive field of unit (2, 3): rows 2–4, columns 3–5"
    )
    wait_for_app_idle(page)
    set_number(page, panel, "Input side n₀ (pixels)", "9")  # conv 3×3 of a 9×9 input: 7×7
    expect(panel.locator("path.point")).to_have_count(49)
    expect(field_text(panel)).to_contain_text("Receptive field of unit (2, 3): rows 2–4")
    expect(panel).to_contain_text("One unit of the last layer sees 4×4 = 16 input pixels")
    save_screenshot(page, "receptive_field_stack.png")

    network = open_tab(page, NETWORK)
    expect(network).to_contain_text("sees 435×435 pixels")  # ResNet-18 at 224
    expect(page.get_by_text("Receptive field of unit (2, 3)")).to_have_count(0)  # not built
    choose(page, network, "Network (torchvision", "VGG", "VGG-16")
    expect(network).to_contain_text("sees 212×212 pixels")
    save_screenshot(page, "receptive_field_network.png")

    image = open_tab(page, IMAGE)
    expect(image).to_contain_text("Network: VGG-16.")  # the Real network tab's choice
    expect(field_text(image)).to_contain_text("Receptive field of unit (")
    expect(image.get_by_text("press the button")).to_be_visible()
    image.get_by_role("button", name="Compute the effective field (gradient)").click()
    expect(image).to_contain_text("Nonzero gradient: rows")
    wait_for_app_idle(page)
    save_screenshot(page, "receptive_field_image.png")

    kernels = open_tab(page, KERNELS)
    expect(kernels).to_contain_text("110,592 vs 200,704 weights")
    set_number(page, kernels, "Field F (odd)", "5")
    expect(kernels).to_contain_text("73,728 vs 102,400 weights")  # 2·9·64² vs 5²·64²

    panel = open_tab(page, STACK)  # the settings of the first tab are still there
    expect(panel.get_by_label("Input side n₀ (pixels)")).to_have_value("9")
    expect(panel.locator("path.point")).to_have_count(49)
    expect(field_text(panel)).to_contain_text("Receptive field of unit (2, 3): rows 2–4")
    assert_no_exception(page)


def test_lenet_runs_at_its_own_32_px(page: Page, app_url: str) -> None:
    open_page(page, app_url, "Receptive field", "receptive_field")
    wait_for_app_idle(page)
    network = open_tab(page, NETWORK)
    expect(network).to_contain_text("sees 435×435 pixels")  # ResNet-18 at the default 224
    choose(page, network, "Network (torchvision", "LeNet", "LeNet-5")
    expect(network).to_contain_text("sees 16×16 pixels (the theoretical field; 32×32 input")
    expect(network.get_by_text(LENET_NOTE)).to_be_visible()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("reduction dim", exact=False)).to_have_count(0)

    image = open_tab(page, IMAGE)
    expect(image).to_contain_text("Network: LeNet-5.")
    expect(image.get_by_text(LENET_NOTE)).to_be_visible()
    expect(field_text(image)).to_contain_text("Receptive field of unit (5, 5) of features.3")
    image.get_by_role("button", name="Compute the effective field (gradient)").click()
    expect(image).to_contain_text("Nonzero gradient: rows 10–23, columns 10–23.")
    wait_for_app_idle(page)

    network = open_tab(page, NETWORK)  # another network: the student's 224 again
    choose(page, network, "Network (torchvision", "ResNet-18", "ResNet-18")
    expect(network).to_contain_text("sees 435×435 pixels")
    expect(network.get_by_text(LENET_NOTE)).to_have_count(0)
    expect(page.get_by_text("reduction dim", exact=False)).to_have_count(0)
    assert_no_exception(page)
