"""The path through the ideas in a real browser: every concept page ends with links to the
concept before and after it (the home page's map order, ui/catalog.py); following "Next concept"
from Kernels to the end, and one "Previous concept" back, opens each page in turn."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle
from ui.catalog import available_pages


def test_next_concept_links_walk_the_whole_path(page: Page, app_url: str) -> None:
    path = [p for pages in available_pages().values() for p in pages]
    open_page(page, app_url, path[0].title, "kernels")
    for before, after in zip(path, path[1:], strict=False):
        link = page.get_by_role("link", name=f"Next concept: {after.title}")
        expect(link).to_be_visible()
        link.click()
        expect(page.get_by_role("heading", name=after.title, exact=True).first).to_be_visible()
        wait_for_app_idle(page)
        assert_no_exception(page)
        expect(page.get_by_role("link", name=f"Previous concept: {before.title}")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Next concept"))).to_have_count(0)
    page.get_by_role("link", name=f"Previous concept: {path[-2].title}").click()
    expect(page.get_by_role("heading", name=path[-2].title, exact=True).first).to_be_visible()
