"""One photo for every page: a student chooses or uploads a photo once (in the sidebar, or by
uploading on any page) and every page that takes a photo starts from it.

The photo is this session's own (session state, never shared), one at a time: at most
1024 px on its longer side, about 3 MB, replaced by the next one and dropped with the session.
Each page's picker (:func:`ui.inputs.image_picker`) offers it as "Your photo" and switches to it
once whenever a new one is set; the student can still pick another photo for a page. Pages with
a smaller ``max_side`` get it shrunk once (cached by content, bounded).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnplay.images import shrink

PHOTO_KEY = "photo_everywhere"  # session state: this session's SessionPhoto
SEEN_SUFFIX = "_photo_seen"  # a picker's key + this: the photo version it last followed
EVERY_PAGE_SIDE = 1024  # the stored photo's longer side at most (the largest any page asks)
YOURS = "Your photo"  # the pickers' option for it
THUMB_PX = 120  # the sidebar thumbnail's width


@dataclass(frozen=True)
class SessionPhoto:
    pixels: np.ndarray  # (H, W, 3) uint8, longer side <= EVERY_PAGE_SIDE
    label: str  # where it came from ("chelsea (cat)", "holiday.jpg")
    digest: str  # content hash: the cache key of its shrunk copies
    version: int  # 1, 2, ...: bumped by each new photo, so pickers follow it once


def digest_of(pixels: np.ndarray) -> str:
    return hashlib.sha1(pixels.tobytes() + str(pixels.shape).encode()).hexdigest()


def session_photo() -> SessionPhoto | None:
    """This session's photo for every page, or None while there is none."""
    return st.session_state.get(PHOTO_KEY)


def set_session_photo(pixels: np.ndarray, label: str) -> bool:
    """Make ``pixels`` (H, W, 3) uint8 this session's photo for every page (shrunk to
    EVERY_PAGE_SIDE). Returns False, changing nothing, when it is the photo already."""
    pixels = shrink(pixels, EVERY_PAGE_SIDE)
    digest = digest_of(pixels)
    current = session_photo()
    if current is not None and current.digest == digest:
        return False
    version = current.version + 1 if current is not None else 1
    st.session_state[PHOTO_KEY] = SessionPhoto(pixels, label, digest, version)
    return True


def forget_session_photo() -> None:
    st.session_state.pop(PHOTO_KEY, None)


@st.cache_data(max_entries=32, show_spinner=False)
def _shrunk(digest: str, _pixels: np.ndarray, max_side: int) -> np.ndarray:
    return shrink(_pixels, max_side)


def photo_pixels(photo: SessionPhoto, max_side: int) -> np.ndarray:
    """The photo with its longer side at most ``max_side``: (h, w, 3) uint8."""
    return _shrunk(photo.digest, photo.pixels, max_side)


def follow(key: str) -> None:
    """Before the picker ``key`` is drawn: switch its source to "Your photo" once for each new
    session photo (a page visited before the photo was set follows it too; a later choice of
    the student's stands until the next new photo)."""
    photo = session_photo()
    seen = f"{key}{SEEN_SUFFIX}"
    if photo is None or st.session_state.get(seen) == photo.version:
        return
    st.session_state[seen] = photo.version
    st.session_state[f"{key}_source"] = YOURS


def mark_followed(key: str) -> None:
    """The picker ``key`` set the current photo itself (an upload): it stays on Upload."""
    photo = session_photo()
    if photo is not None:
        st.session_state[f"{key}{SEEN_SUFFIX}"] = photo.version
