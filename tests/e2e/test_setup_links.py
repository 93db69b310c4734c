"""Links that restore a setup, in a real browser: a link opened in a fresh browser (a new
context: no cookies, no session) shows the link's numbers in the inputs, computes with them and
opens the link's tab; a hand-edited link with values the page cannot use shows the defaults and
a notice; the address keeps following the student's changes, so it can be shared again."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import assert_no_exception, wait_for_app_idle

TITLE = "Padding, stride & dilation"
STACK_TAB = "Shrinking, stride, dilation"


def fresh_page(browser: Browser, url: str) -> Page:
    """``url`` in a browser context of its own, the page's title shown and the app idle."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name=TITLE, exact=True)).to_be_visible()
    wait_for_app_idle(page)
    return page


def number(page: Page, label: str) -> str:
    """The value an input with this label shows in the page's main area."""
    box = page.get_by_test_id("stMain").get_by_label(label, exact=True)
    expect(box).to_have_count(1)
    return box.input_value()


def test_a_link_restores_numbers_and_tab_in_a_fresh_browser(browser: Browser, app_url: str):
    page = fresh_page(browser, f"{app_url}/padding?pd_s=1&pd_d=2")
    expect(page.get_by_test_id("stMain").get_by_label("stride s", exact=True)).to_have_value("1")
    assert number(page, "dilation d") == "2"
    # computed with them: 5×5 input, k 3, p 1 (defaults), s 1, d 2 -> (5 + 2 - 5) / 1 + 1 = 3
    expect(page.get_by_text("F.conv2d gives 3×3").first).to_be_visible()
    assert_no_exception(page)
    page.context.close()

    page = fresh_page(browser, f"{app_url}/padding?pd_s=1&pd_tab={STACK_TAB}")
    tab = page.get_by_role("tab", name=STACK_TAB, exact=True)
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name=STACK_TAB)).to_be_visible()
    assert_no_exception(page)
    page.context.close()


def test_a_garbled_link_gives_the_defaults_and_says_so(browser: Browser, app_url: str):
    page = fresh_page(browser, f"{app_url}/padding?pd_s=99&pd_d=two&pd_tab=Nowhere")
    notice = page.get_by_text("This link had settings this page could not use")
    expect(notice).to_be_visible()
    for name in ("pd_s", "pd_d", "pd_tab"):
        expect(notice).to_contain_text(name)
    assert number(page, "stride s") == "2" and number(page, "dilation d") == "1"  # defaults
    expect(page.get_by_text("F.conv2d gives 3×3").first).to_be_visible()  # the default 3×3
    assert_no_exception(page)
    page.context.close()


def test_the_address_follows_a_change_and_restores_it(browser: Browser, app_url: str):
    page = fresh_page(browser, f"{app_url}/padding")
    stride = page.get_by_test_id("stMain").get_by_label("stride s", exact=True)
    stride.fill("3")
    stride.press("Enter")
    wait_for_app_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]pd_s=3(&|$)"))
    shared = page.url
    assert parse_qs(urlparse(shared).query)["pd_s"] == ["3"]
    page.context.close()

    page = fresh_page(browser, shared)
    expect(page.get_by_test_id("stMain").get_by_label("stride s", exact=True)).to_have_value("3")
    assert_no_exception(page)
    page.context.close()
