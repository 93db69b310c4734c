"""Every page on a phone (a 390 × 844 screen, an iPhone's browser): the page opens without an
exception and nothing but a formula's or a table's own box scrolls sideways; the sidebar closes
once a page has been chosen in it (ui/sidebar.collapse_sidebar_after_navigation); a wide
formula gets a visible scroll cue (ui/sidebar.NARROW_SCREEN_CSS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import assert_no_exception, wait_for_app_idle
from tests.e2e.conftest import TIMEOUT_MS
from ui.catalog import available_pages

PHONE = {"width": 390, "height": 844}
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
PAGES = [p for pages in available_pages().values() for p in pages]


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, user_agent=IPHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def main_overflow(page: Page) -> int:
    """How many pixels the page's main area is wider than the screen (0: no sideways scroll)."""
    return page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m.scrollWidth - m.clientWidth; }"
    )


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.path.split("/")[-1][:-3])
def test_each_page_fits_a_phone(phone: Page, app_url: str, info) -> None:
    phone.goto(f"{app_url}/{info.path.split('/')[-1][:-3]}")
    expect(phone.get_by_role("heading", name=info.title, exact=True)).to_be_visible()
    wait_for_app_idle(phone)
    assert_no_exception(phone)
    assert main_overflow(phone) <= 1


def test_the_sidebar_closes_after_a_page_is_chosen(phone: Page, app_url: str) -> None:
    phone.goto(app_url)
    expect(phone.get_by_role("heading", name="cnnplay", exact=True)).to_be_visible()
    wait_for_app_idle(phone)
    phone.get_by_test_id("stExpandSidebarButton").click()
    nav = phone.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="Pooling").click()
    expect(phone.get_by_role("heading", name="Pooling", exact=True)).to_be_visible()
    expect(nav).not_to_be_visible()  # closed: the page is readable
    phone.get_by_test_id("stExpandSidebarButton").click()
    nav.get_by_role("link", name="Kernels").click()
    expect(phone.get_by_role("heading", name="Kernels", exact=True)).to_be_visible()
    expect(nav).not_to_be_visible()  # and again for the next page


def test_a_wide_formula_scrolls_in_its_own_box(phone: Page, app_url: str) -> None:
    phone.goto(f"{app_url}/padding")
    expect(phone.get_by_role("heading", name="Padding, stride & dilation", exact=True)).to_be_visible()
    wait_for_app_idle(phone)
    expect(phone.locator(".katex-display").first).to_be_visible()
    # the style element and KaTeX's layout may land a moment after the run: wait for a wide
    # formula with its cue (a timeout fails the test)
    phone.wait_for_function(
        "() => [...document.querySelectorAll('.katex-display')].some(e => "
        "e.scrollWidth > e.clientWidth "
        "&& getComputedStyle(e).backgroundImage.includes('radial-gradient'))"
    )
    boxes = phone.evaluate(
        "() => [...document.querySelectorAll('.katex-display')].map(e => "
        "[getComputedStyle(e).overflowX, getComputedStyle(e).backgroundImage, "
        "e.scrollWidth > e.clientWidth])"
    )
    wide = [(mode, cue) for mode, cue, too_wide in boxes if too_wide]
    assert wide, "no formula is wider than a phone"
    for mode, cue in wide:  # scrolls in its own box, with a shadow at each side as the cue
        assert mode == "auto" and cue.count("radial-gradient") == 2
