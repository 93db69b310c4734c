"""The sidebar every page shares."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.device import device_label, get_device
from cnnplay.images import MAX_FILE_BYTES, UPLOAD_TYPES, ImageError, sample_names
from ui.inputs import decoded_upload, sample_pixels
from ui.links import LINK
from ui.page import KEEP
from ui.photo import (
    EVERY_PAGE_SIDE,
    THUMB_PX,
    forget_session_photo,
    session_photo,
    set_session_photo,
)


@st.cache_resource
def _device_text() -> str:
    """Computed once per server process: the device does not change while it runs."""
    return device_label(get_device())


def device_badge() -> None:
    """Show which torch device computes (CPU, or the CUDA device's name)."""
    label = _device_text()
    icon = ":material/memory:" if label.startswith("CPU") else ":material/bolt:"
    st.sidebar.caption(f"{icon} **Computing on:** {label}  \ntorch {torch.__version__}")


PHOTO_PROBLEM_KEY = "photo_problem"  # session state: why the last sidebar upload was refused


def _photo_chosen() -> None:
    """The sidebar's sample select changed: that sample is the photo for every page."""
    choice = st.session_state.photo_sample
    if choice != NO_SAMPLE:
        set_session_photo(sample_pixels(choice, EVERY_PAGE_SIDE), choice)


def _photo_uploaded() -> None:
    """A file was dropped on the sidebar's uploader: decode it (the intake rules of
    cnnplay.images) and make it the photo for every page, or note why it was refused."""
    upload = st.session_state.photo_upload
    st.session_state.pop(PHOTO_PROBLEM_KEY, None)
    if upload is None:
        return
    try:
        set_session_photo(decoded_upload(upload.getvalue(), EVERY_PAGE_SIDE).pixels, upload.name)
    except ImageError as err:
        st.session_state[PHOTO_PROBLEM_KEY] = (
            f"**{upload.name}**: {err} Your photo stays as it was."
        )


NO_SAMPLE = "(none)"


def photo_sidebar() -> None:
    """The sidebar's "Your photo" panel: the current photo for every page as a thumbnail, a
    sample to choose or a file to upload, and "Forget it". A bad upload is refused with its
    reason; the current photo stays. Choices act once (callbacks), so a photo uploaded later on
    a page is not overwritten by the sidebar's older choice."""
    box = st.sidebar.expander("Your photo, on every page", icon=":material/photo_camera:")
    box.selectbox(
        "Choose a sample",
        [NO_SAMPLE, *sample_names()],
        key="photo_sample",
        persist_state=KEEP,
        bind=LINK,
        on_change=_photo_chosen,
        help="Every page that takes a photo starts from it; each page can still pick another.",
    )
    box.file_uploader(
        f"or upload one ({', '.join(UPLOAD_TYPES)}; up to {MAX_FILE_BYTES // 2**20} MB)",
        type=list(UPLOAD_TYPES),
        key="photo_upload",
        on_change=_photo_uploaded,
    )
    if st.session_state.photo_sample != NO_SAMPLE and session_photo() is None:
        _photo_chosen()  # a link named the sample: the select took it without a change event
    if (problem := st.session_state.get(PHOTO_PROBLEM_KEY)) is not None:
        box.error(problem, icon=":material/broken_image:")
    photo = session_photo()
    if photo is None:
        box.caption("No photo for every page yet: pages use their own samples.")
        return

    def forget() -> None:
        forget_session_photo()
        st.session_state.photo_sample = NO_SAMPLE

    box.button("Forget it", key="photo_forget", icon=":material/delete:", on_click=forget)
    st.sidebar.image(photo.pixels, width=THUMB_PX, caption=f"Your photo: {photo.label}")


PHONE_MARKERS = ("Mobi", "Android", "iPhone", "iPad")  # user-agent words of phones and tablets
LAST_PAGE_KEY = "nav_last_page"  # session state: the page of the previous run


def is_phone() -> bool:
    """Whether the browser says it is a phone or a tablet (its User-Agent header)."""
    agent = (st.context.headers or {}).get("User-Agent", "")
    return any(marker in agent for marker in PHONE_MARKERS)


def collapse_sidebar_after_navigation(page: str) -> None:
    """On a phone or a tablet, close the sidebar once a page has been chosen in it: open, it
    covers about three quarters of a 390 px screen, and Streamlit leaves it open."""
    last = st.session_state.get(LAST_PAGE_KEY)
    st.session_state[LAST_PAGE_KEY] = page
    if last is not None and last != page and is_phone():
        st.set_page_config(initial_sidebar_state="collapsed")


# On narrow screens a wide formula or table scrolls sideways inside its own box; these rules
# give that box a scroll bar that stays visible and a shadow on the side that has more, so it
# does not look cut off. Nothing changes on wider screens.
NARROW_SCREEN_CSS = """<style>
@media (max-width: 640px) {
  .katex-display, [data-testid="stMarkdownContainer"] table {
    display: block; overflow-x: auto; overflow-y: hidden; max-width: 100%;
    scrollbar-width: thin;
    background:
      radial-gradient(farthest-side at 0 50%, rgba(128,128,128,.35), transparent)
        left / 10px 100% no-repeat scroll,
      radial-gradient(farthest-side at 100% 50%, rgba(128,128,128,.35), transparent)
        right / 10px 100% no-repeat scroll;
  }
  .katex-display::-webkit-scrollbar { height: 6px; }
  .katex-display::-webkit-scrollbar-thumb { background: rgba(128,128,128,.6); border-radius: 3px; }
}
</style>"""


def narrow_screen_style() -> None:
    """The scroll cues of :data:`NARROW_SCREEN_CSS`, once per run (an element of no height)."""
    st.html(NARROW_SCREEN_CSS)
