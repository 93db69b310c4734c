"""Two students on one server: two browser contexts are two Streamlit sessions of the same
``app_url`` app. What one sets or uploads (Transfer learning's images per class and its zip,
Text CNN's CSV) is never visible to the other, in either direction.

Labels come from ui/catalog.py (navigation "Transfer learning", "Text CNN") and views/
transfer_learning/data.py, views/text_cnn/data.py (the "Images per class" slider, the "Images"
and "Sentences" radios, the data expander, the summaries "**N images** in ..." and "... from
*your file NAME*")."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT
from tests.views.apptest_utils import png_bytes

TL, TC = "Transfer learning", "Text CNN"
CSV = "review,stars\n" + "".join(f"a fine film {i},good\nnot fine {i},bad\n" for i in range(6))
DATA_EXPANDER = "Data: which sentences to learn from"


def class_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c, value in (("bright", 255), ("dim", 60)):
            for i in range(3):
                z.writestr(f"{c}/{i}.png", png_bytes(value=value))
    return buf.getvalue()


@pytest.fixture
def two(browser: Browser) -> Iterator[tuple[Page, Page]]:
    """Two pages in two browser contexts: two sessions, no shared cookies or storage."""
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    pages = []
    for context in contexts:
        context.set_default_timeout(TIMEOUT_MS)
        pages.append(context.new_page())
    try:
        yield pages[0], pages[1]
    finally:
        for context in contexts:
            context.close()


def switch_to(page: Page, title: str) -> None:
    """The sidebar link to ``title``: another page of the same session (a reload would start a
    new session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_for_app_idle(page)


def upload(page: Page, name: str, mime: str, data: bytes) -> None:
    page.get_by_test_id("stMain").locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


def open_csv_source(page: Page) -> None:
    page.get_by_text(DATA_EXPANDER).click()
    page.get_by_text("Your CSV", exact=True).click()
    expect(page.get_by_text("No file yet", exact=False)).to_be_visible()
    wait_for_app_idle(page)


def test_settings_and_uploads_stay_in_their_own_session(two, app_url: str) -> None:
    a, b = two
    # A: 60 images per class on Transfer learning, then its own CSV on Text CNN
    open_page(a, app_url, TL, "transfer_learning")
    expect(a.get_by_text("300 images", exact=False).first).to_be_visible()
    wait_for_app_idle(a)
    a.get_by_role("slider", name="Images per class").focus()
    a.keyboard.press("End")  # 30 -> 60
    expect(a.get_by_text("600 images", exact=False).first).to_be_visible()
    wait_for_app_idle(a)
    switch_to(a, TC)
    open_csv_source(a)
    upload(a, "mine.csv", "text/csv", CSV.encode())
    expect(a.get_by_text("your file mine.csv", exact=False).first).to_be_visible()
    wait_for_app_idle(a)

    # B, on the same server: the defaults, nothing of A's
    open_page(b, app_url, TL, "transfer_learning")
    expect(b.get_by_text("300 images", exact=False).first).to_be_visible()
    wait_for_app_idle(b)
    expect(b.get_by_role("slider", name="Images per class")).to_have_value("30")
    expect(b.get_by_text("600 images", exact=False)).to_have_count(0)
    switch_to(b, TC)
    expect(b.get_by_text("generated corpus (seed 0)", exact=False).first).to_be_visible()
    expect(b.get_by_text("mine.csv", exact=False)).to_have_count(0)
    assert_no_exception(b)

    # and the other way round: B's zip on Transfer learning is not A's data
    switch_to(b, TL)
    b.get_by_text("Your classes: one zip", exact=True).click()
    expect(b.get_by_text("No zip yet", exact=False)).to_be_visible()
    wait_for_app_idle(b)
    upload(b, "classes.zip", "application/zip", class_zip())
    expect(b.get_by_text("6 images", exact=False).first).to_be_visible()
    expect(b.get_by_text("your zip", exact=False).first).to_be_visible()
    wait_for_app_idle(b)
    switch_to(a, TL)
    expect(a.get_by_text("600 images", exact=False).first).to_be_visible()  # A's setting kept
    a.get_by_role("slider", name="Images per class").focus()
    a.keyboard.press("ArrowLeft")  # a rerun of A's session: 55 per class, still built in
    expect(a.get_by_text("550 images", exact=False).first).to_be_visible()
    wait_for_app_idle(a)
    expect(a.get_by_text("your zip", exact=False)).to_have_count(0)
    expect(a.get_by_text("6 images", exact=False)).to_have_count(0)
    assert_no_exception(a)
    assert_no_exception(b)
