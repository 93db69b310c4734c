"""The Kernels page in a real browser: navigation, editing a kernel cell, photo uploads.

Labels come from app.py / ui/catalog.py (navigation "Kernels"), views/kernels.py (tabs) and its
tabs views/kernels/grids.py and photos.py (headings, "Strongest response ...", image captions),
and ui/inputs.py ("Photo" radio, upload errors). The tabs are lazy: the Photos tab's content is
only built when it is clicked.

Every wait is on something visible (``expect`` auto-retries up to the timeout set in
conftest.py), never a fixed sleep: Streamlit reruns the script after each interaction and
the page catches up asynchronously.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import (
    assert_no_exception,
    click_point,
    open_page,
    open_tab,
    wait_for_app_idle,
)
from tests.e2e.conftest import ARTIFACTS_DIR, full_page_screenshot

CELL_WIDTH_PX = 52  # ui/inputs.py CELL_WIDTH_PX: the width of every number column
GRID_TAB = "± 1 grids: the notes' + and X"
PHOTOS_TAB = "Photos"


def open_kernels_page(page: Page, app_url: str) -> None:
    """Home page first, then the Kernels entry of the sidebar navigation."""
    open_page(page, app_url, "Kernels", "kernels")
    expect(page.get_by_role("heading", name="Feature maps")).to_be_visible()


def strongest_responses(page: Page) -> Locator:
    """The "Strongest response ..." lines under the feature maps: kernel 1, then kernel 2."""
    return (
        page.get_by_role("tabpanel", name=GRID_TAB)
        .get_by_test_id("stMarkdownContainer")
        .filter(has_text="Strongest response")
    )


def edit_cell(
    page: Page, editor: Locator, shape: tuple[int, int], row: int, column: int, old: str, new: str
) -> None:
    """Type ``new`` into cell (row, column) of an ``st.data_editor`` of ``shape``, as a user would.

    The grid (glide-data-grid) is drawn on a canvas, so the cell is found by geometry: the
    number columns are CELL_WIDTH_PX wide with the index column taking the rest of the width on
    the left, and the header row on top is as tall as each data row. Double-clicking opens the
    overlay editor (``input.gdg-input``); checking that it holds ``old`` proves the right cell
    opened. Enter commits the edit and Streamlit reruns the page.
    """
    n_rows, n_columns = shape
    canvas = editor.get_by_test_id("data-grid-canvas")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    index_width = box["width"] - n_columns * CELL_WIDTH_PX
    row_height = box["height"] / (n_rows + 1)
    assert 20 <= index_width <= 100 and 20 <= row_height <= 60, f"unexpected grid layout {box}"
    x = box["x"] + index_width + (column + 0.5) * CELL_WIDTH_PX
    y = box["y"] + (row + 1.5) * row_height
    page.mouse.dblclick(x, y)
    cell_input = page.locator("input.gdg-input")
    expect(cell_input).to_be_visible()
    expect(cell_input).to_have_value(old)
    cell_input.fill(new)
    cell_input.press("Enter")
    expect(cell_input).to_have_count(0)
    page.keyboard.press("Escape")  # clear the grid's selection ring (the edit is already in)
    # Click somewhere neutral (the page title) so the grid loses focus.
    page.get_by_role("heading", name="Kernels", exact=True).click()


def edit_kernel_1_centre(page: Page) -> None:
    grid_tab = page.get_by_role("tabpanel", name=GRID_TAB)
    editors = grid_tab.get_by_test_id("stDataFrame")
    expect(editors).to_have_count(3)  # the input grid, kernel 1, kernel 2
    expect(strongest_responses(page).first).to_contain_text(
        "Strongest response 9 at row 0, column 0"
    )
    wait_for_app_idle(page)
    edit_cell(page, editors.nth(1), (3, 3), row=1, column=1, old="1", new="5")


def test_home_navigates_to_kernels(page: Page, app_url: str) -> None:
    open_kernels_page(page, app_url)
    responses = strongest_responses(page)
    expect(responses).to_have_count(2)
    expect(responses.nth(0)).to_contain_text("Strongest response 9 at row 0, column 0")
    expect(responses.nth(1)).to_contain_text("Strongest response 9 at row 3, column 3")
    assert_no_exception(page)


def test_editing_a_kernel_cell_updates_the_feature_map(page: Page, app_url: str) -> None:
    open_kernels_page(page, app_url)
    edit_kernel_1_centre(page)
    # The + kernel's centre weight 1 -> 5 adds 4 where the + sits: 9 -> 13 at the same place.
    responses = strongest_responses(page)
    expect(responses.nth(0)).to_contain_text("Strongest response 13 at row 0, column 0")
    expect(responses.nth(0)).to_contain_text("would give Σ|w| = 13")
    expect(responses.nth(1)).to_contain_text("Strongest response 9 at row 3, column 3")
    assert_no_exception(page)


def test_kernels_screenshot(page: Page, app_url: str, save_screenshot) -> None:
    """The README's picture: the grid tab after a kernel edit, the whole page."""
    open_kernels_page(page, app_url)
    edit_kernel_1_centre(page)
    expect(strongest_responses(page).first).to_contain_text("Strongest response 13")
    grid_tab = page.get_by_role("tabpanel", name=GRID_TAB)
    expect(grid_tab.get_by_role("heading", name="Step through the sums")).to_be_visible()
    wait_for_app_idle(page)
    charts = grid_tab.locator('[data-testid="stPlotlyChart"]:visible')
    expect(charts.first).to_be_visible()
    for i in range(charts.count()):  # every chart drawn, not a placeholder
        expect(charts.nth(i).locator("svg.main-svg").first).to_be_visible()
    assert_no_exception(page)

    page.mouse.move(1390, 600)  # the right margin: no hover toolbars or sidebar buttons
    paths = save_screenshot(page, "kernels.png")
    for path in paths:
        assert path.is_file(), path
        size = path.stat().st_size
        assert size > 20_000, f"{path} is only {size} bytes: a blank or half-rendered page?"
        with Image.open(path) as shot:
            assert shot.width >= 1400 and shot.height > 1000, (path, shot.size)


def test_photo_upload_and_bad_file(page: Page, app_url: str, tmp_path: Path) -> None:
    square = tmp_path / "white_square.png"
    picture = Image.new("RGB", (200, 120), "black")
    ImageDraw.Draw(picture).rectangle([70, 30, 129, 89], fill="white")
    picture.save(square)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"hello, not an image")

    open_kernels_page(page, app_url)
    wait_for_app_idle(page)
    expect(page.get_by_test_id("stImage")).to_have_count(0)  # not built while the tab is hidden
    photos = open_tab(page, PHOTOS_TAB)
    captions = photos.get_by_test_id("stImageCaption")
    # the sample photo, filtered
    expect(captions.nth(1)).to_contain_text(re.compile(r"output: .*, values"))
    expect(page.get_by_text("Strongest response")).to_have_count(0)  # the grid tab sleeps
    wait_for_app_idle(page)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    full_page_screenshot(page, ARTIFACTS_DIR / "kernels-photos.png")

    photos.get_by_role("radiogroup", name="Photo").get_by_text("Upload", exact=True).click()
    expect(photos.get_by_text("No file yet: showing the sample photo.")).to_be_visible()
    file_input = photos.locator('input[type="file"]')

    file_input.set_input_files(square)
    expect(captions.nth(0)).to_contain_text("input (white_square.png), 200×120")
    expect(captions.nth(1)).to_contain_text(re.compile(r"output: .*, values"))
    expect(photos.get_by_test_id("stImage")).to_have_count(2)
    assert_no_exception(page)

    file_input.set_input_files(not_an_image)
    error = photos.get_by_test_id("stAlert").filter(has_text="notes.png")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Showing the sample photo instead.")
    # The rest of the page goes on with the sample photo.
    expect(captions.nth(0)).to_contain_text("input (sample: chelsea (cat))")
    expect(captions.nth(1)).to_contain_text(re.compile(r"output: .*, values"))
    expect(photos.get_by_test_id("stImage").nth(1)).to_be_visible()
    expect(photos.get_by_text("The weights sum to")).to_be_visible()
    assert_no_exception(page)


def test_deep_link_on_a_fresh_server(page: Page, fresh_app_url: str) -> None:
    """A teacher's link to /kernels as the server's very first request still runs app.py:
    wide layout, grouped navigation and the device in the sidebar (not Streamlit's legacy
    pages/ listing with "app" and "home" entries)."""
    page.goto(f"{fresh_app_url}/kernels")
    expect(page.get_by_role("heading", name="Kernels", exact=True)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Computing on:")
    expect(sidebar).to_contain_text("Foundations")
    expect(sidebar.get_by_role("link", name="app", exact=True)).to_have_count(0)
    expect(strongest_responses(page).first).to_contain_text(
        "Strongest response 9 at row 0, column 0"
    )
    assert_no_exception(page)


def test_clicking_input_cells_flips_them(page: Page, app_url: str) -> None:
    """The input grid is drawn as clickable squares: a click flips a pixel and the maps follow."""
    open_kernels_page(page, app_url)
    grid = page.get_by_role("tabpanel", name=GRID_TAB).get_by_test_id("stPlotlyChart").first
    cells = grid.locator("path.point")
    expect(cells).to_have_count(36)  # the 6×6 input

    def click_cell(row: int, col: int) -> None:
        click_point(page, cells, row * 6 + col)

    click_cell(1, 1)  # the centre of the "+" turns to background: 9 -> 7
    expect(strongest_responses(page).first).to_contain_text(
        "Strongest response 7 at row 0, column 0"
    )
    wait_for_app_idle(page)
    cells = grid.locator("path.point")  # redrawn after the rerun
    expect(cells).to_have_count(36)
    click_cell(1, 1)  # and back to ink
    expect(strongest_responses(page).first).to_contain_text(
        "Strongest response 9 at row 0, column 0"
    )
    assert_no_exception(page)


def test_settings_and_tab_survive_a_page_change(page: Page, app_url: str) -> None:
    """Leave the page from the Photos tab with a changed kernel; come back: same tab, same
    kernel, and the grid tab's edit is still there."""
    open_kernels_page(page, app_url)
    edit_kernel_1_centre(page)
    expect(strongest_responses(page).first).to_contain_text("Strongest response 13")
    wait_for_app_idle(page)
    photos = open_tab(page, PHOTOS_TAB)
    output = photos.get_by_test_id("stImageCaption").nth(1)
    expect(output).to_contain_text(re.compile(r"output: .*, values"))
    sobel = output.inner_text()
    photos.get_by_role("combobox", name="Kernel", exact=True).click()
    page.get_by_role("option", name="Laplacian", exact=True).click()
    chosen = '- combobox "Kernel": Laplacian'
    expect(photos.get_by_role("combobox", name="Kernel", exact=True)).to_match_aria_snapshot(chosen)
    expect(output).not_to_have_text(sobel)  # filtered again, with the Laplacian
    wait_for_app_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="cnnplay", exact=True)).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Kernels").click()
    expect(page.get_by_role("tab", name=PHOTOS_TAB, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    photos = page.get_by_role("tabpanel", name=PHOTOS_TAB, exact=True)
    expect(photos.get_by_role("combobox", name="Kernel", exact=True)).to_match_aria_snapshot(chosen)
    laplacian = photos.get_by_test_id("stImageCaption").nth(1)
    expect(laplacian).to_contain_text(re.compile(r"output: .*, values"))
    expect(laplacian).not_to_have_text(sobel)
    open_tab(page, GRID_TAB)
    expect(strongest_responses(page).first).to_contain_text("Strongest response 13")
    assert_no_exception(page)
