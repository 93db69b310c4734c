"""A hostile upload in one session does not stall the others: while one browser context sends a
zip bomb (300 MB of zeros in a 300 KB zip) to Transfer learning, a second context changes a
setting on the Padding page and gets its result within seconds; the first gets the clear
message and keeps the rest of its page.

Labels come from ui/catalog.py (navigation) and views/transfer_learning/data.py (the "Images"
radio, the zip uploader), views/padding/output_size.py (the "stride s" input, "F.conv2d gives
H×W"); the message from cnnplay/data/image_folders.py."""

from __future__ import annotations

import io
import time
import zipfile

from playwright.sync_api import Browser, expect

from tests.e2e.browser import assert_no_exception, open_page, wait_for_app_idle
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT

OTHER_SESSION_S = 10  # the other session's result must come within this many seconds


def zip_bomb(megabytes: int = 300) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("cats/bomb.png")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as entry:
            for _ in range(megabytes):
                entry.write(bytes(2**20))
    return buf.getvalue()


def test_a_zip_bomb_gets_a_message_and_other_sessions_keep_working(
    browser: Browser, app_url: str
) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 2**20  # well under the server's 12 MB upload limit
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    try:
        attacker, other = (c.new_page() for c in contexts)
        for c in contexts:
            c.set_default_timeout(TIMEOUT_MS)
        open_page(other, app_url, "Padding, stride & dilation", "padding")
        expect(other.get_by_text("gives 3×3", exact=False).first).to_be_visible()
        wait_for_app_idle(other)
        open_page(attacker, app_url, "Transfer learning", "transfer_learning")
        wait_for_app_idle(attacker)
        attacker.get_by_text("Your classes: one zip", exact=True).click()
        expect(attacker.get_by_text("No zip yet", exact=False)).to_be_visible()
        wait_for_app_idle(attacker)

        attacker.get_by_test_id("stMain").locator('input[type="file"]').set_input_files(
            files=[{"name": "bomb.zip", "mimeType": "application/zip", "buffer": bomb}]
        )
        start = time.monotonic()
        stride = other.get_by_label("stride s")
        stride.fill("1")
        stride.press("Enter")
        expect(other.get_by_text("gives 5×5", exact=False).first).to_be_visible(
            timeout=OTHER_SESSION_S * 1000
        )
        assert time.monotonic() - start < OTHER_SESSION_S
        message = attacker.get_by_test_id("stAlert").filter(has_text="would unpack to 300 MB")
        expect(message).to_be_visible(timeout=OTHER_SESSION_S * 1000)
        expect(message).to_contain_text("Zip fewer or smaller images")
        wait_for_app_idle(attacker)
        # the rest of the page is still there: the data choice and the backbone settings
        expect(attacker.get_by_text("Pretrained base", exact=True)).to_be_visible()
        expect(attacker.get_by_text("Your classes: one zip", exact=True)).to_be_visible()
        assert_no_exception(attacker)
        assert_no_exception(other)
    finally:
        for c in contexts:
            c.close()
