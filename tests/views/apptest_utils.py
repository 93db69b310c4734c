"""Helpers for reading what an AppTest run shows (text, plotly data, image captions)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest


def texts(at: AppTest, kind: str) -> list[str]:
    """Values of every element of one kind ("markdown", "error", "caption", ...); LaTeX
    without its $$ fences."""
    return [e.value.strip("$\n ") if kind == "latex" else e.value for e in getattr(at, kind)]


def button(at: AppTest, label: str):
    """The button with this label."""
    return next(b for b in at.button if b.label == label)


def joined(at: AppTest) -> str:
    """All markdown, LaTeX and captions on the page, one string."""
    return "\n".join(texts(at, "markdown") + texts(at, "latex") + texts(at, "caption"))


def chart(at: AppTest, key: str) -> dict:
    """The plotly figure (parsed JSON) of the st.plotly_chart with this user key."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}") or f"-{key}-" in element.proto.id:
            return json.loads(element.proto.spec)
    raise KeyError(f"no plotly chart with key {key!r}")


def plot_array(value) -> np.ndarray:
    """A plotly data array, whether plain lists or plotly's base64 typed-array encoding."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(s) for s in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value, dtype=float)


def image_captions(at: AppTest) -> list[str]:
    """Captions of every st.image on the page."""
    return [caption for element in at.image for caption in element.captions]


def png_bytes(shape: tuple[int, ...] = (60, 80, 3), value: int = 255) -> bytes:
    """A small PNG: a bright rectangle on black."""
    arr = np.zeros(shape, np.uint8)
    arr[10:30, 20:50] = value
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def open_tab(at: AppTest, prefix: str, label: str) -> AppTest:
    """Open one of a page's lazy tabs (ui.page.PageFrame.tabs) and rerun: only the open tab's
    body runs, so a test reads a tab's content after opening it."""
    at.session_state[f"{prefix}_tab"] = label
    return at.run()


def leave_and_return(at: AppTest, page: str) -> AppTest:
    """Go to the home page and back to ``page`` (e.g. "views/pooling.py"), as a student changing
    page does; fails if either run raises or if the home page still shows a page's controls."""
    at.query_params.clear()  # a link in the sidebar navigation carries no query string
    at.switch_page("views/home.py").run()
    assert not at.exception
    assert not (at.slider or at.number_input or at.latex), "the page is still shown"
    at.query_params.clear()
    at.switch_page(page).run()
    assert not at.exception
    return at


def forbid(monkeypatch, targets) -> list[tuple]:
    """Replace each ``(module, name)`` in ``targets`` with a spy that records its call and fails
    the run ("a hidden tab did work"): a tab that is not open must not call any of them. Returns
    the list the spies record into (empty when no hidden tab did work)."""
    calls: list[tuple] = []

    def spy(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a hidden tab did work")

    for module, name in targets:
        monkeypatch.setattr(module, name, spy)
    return calls


def widgets_given_defaults(monkeypatch, prefix: str = "") -> list[str]:
    """Start recording the keys (starting with ``prefix``) of widgets created with a default of
    their own while Streamlit checks its session-state rules (it warns when a widget gets a
    default and its key is also set in session state). Returns the list it fills."""
    from streamlit.elements.lib import policies

    given: list[str] = []
    check = policies.check_session_state_rules

    def spy(default_value, key, writes_allowed=True):
        if key is not None and key.startswith(prefix) and default_value is not None:
            given.append(key)
        return check(default_value, key, writes_allowed)

    monkeypatch.setattr(policies, "check_session_state_rules", spy)
    return given
