"""Helpers every browser test shares: waiting for Streamlit, opening a page, clicking plotly
points."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def wait_for_app_idle(page: Page) -> None:
    """No script run in progress and no element left over from a previous run."""
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0)
    expect(page.locator('[data-testid="stElementContainer"][data-stale="true"]')).to_have_count(0)


def assert_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_page(page: Page, app_url: str, title: str, path: str) -> None:
    """Home page first, then the ``title`` entry of the sidebar navigation (URL ``/path``)."""
    page.goto(app_url)
    expect(page.get_by_role("heading", name="cnnplay", exact=True)).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page).to_have_url(f"{app_url}/{path}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def click_point(page: Page, points: Locator, index: int) -> None:
    """Click the centre of a plotly marker (``path.point``). Plotly's drag layer sits above the
    markers and turns clicks into point selections, so the mouse clicks the spot itself."""
    box = points.nth(index).bounding_box()
    assert box is not None, f"point {index} is not on screen"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def open_tab(page: Page, name: str) -> Locator:
    """Click the tab called ``name`` (tabs are lazy: its content is built on this click) and
    wait for the rerun; returns the tab's panel."""
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    wait_for_app_idle(page)
    return page.get_by_role("tabpanel", name=name, exact=True)


def leave_and_return(page: Page, title: str, open_tab_name: str) -> Locator:
    """Go to the home page and back to the page called ``title`` through the sidebar, check
    that the tab ``open_tab_name`` is open again (PageFrame remembers it) and return its panel."""
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="cnnplay", exact=True)).to_be_visible()
    nav.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_for_app_idle(page)
    tab = page.get_by_role("tab", name=open_tab_name, exact=True)
    expect(tab).to_have_attribute("aria-selected", "true")
    return page.get_by_role("tabpanel", name=open_tab_name, exact=True)
