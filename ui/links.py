"""Links that restore a setup: every keyed widget of a page is bound to the URL
(``bind=LINK``, Streamlit's widget binding to query parameters), and the open tab is written
there too (:func:`link_tab`), so the address in the browser always holds the page's settings
that differ from their defaults, and the open tab. Opening that
address in a fresh browser restores them; "Copy link to this setup" shows it, ready to copy.

Streamlit checks every bound value against its widget (options, range, type) and drops what does
not fit; :func:`report_dropped` then says which settings of the link were not used, so a
hand-edited or damaged link gives the defaults with a notice, never an exception. Photos are never
put in a link: a link made with an upload says so (:func:`photo_left_out`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

import streamlit as st

from ui.photo import YOURS

LINK = "query-params"  # the bind= of every keyed widget: its value lives in the URL too
SNAPSHOT_KEY = "link_params_seen"  # session state: the page's params as the run started
PHOTO_SOURCES = ("Upload", YOURS)  # picker sources whose photo a link cannot carry


def params() -> list[tuple[str, str]]:
    """The URL's query parameters as (name, value) pairs, repeated names kept (a range slider
    or a multiselect has one pair per value)."""
    return [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]


def setup_link() -> str | None:
    """The address of this page with its current settings; None outside a browser session."""
    base = st.context.url
    if not base:
        return None
    query = urlencode(params())
    return f"{base}?{query}" if query else base


def photo_left_out(pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether a photo picker in these parameters shows an uploaded or the session's photo,
    which the link does not carry."""
    return any(k.endswith("_source") and v in PHOTO_SOURCES for k, v in pairs)


def link_panel(prefixes: tuple[str, ...], where=st.sidebar) -> None:
    """The "Copy link to this setup" popover: the link (st.code has a copy button) and what it
    restores."""
    with where.popover("Copy link to this setup", icon=":material/link:", width="stretch"):
        link = setup_link()
        if link is None:
            st.caption("The link is known once the page is open in a browser.")
            return
        st.code(link, language=None, wrap_lines=True)
        mine = [(k, v) for k, v in params() if k.startswith(prefixes)]
        st.caption(
            f"Opening it restores this page's {len(mine)} changed setting"
            f"{'s' if len(mine) != 1 else ''} and the open tab"
            if mine
            else "This page shows its defaults: the link opens it as it is now"
        )
        if photo_left_out(mine):
            st.caption(
                "The photo is not included: links never carry photos. Whoever opens it "
                "uploads their own or sees the sample."
            )


OPENED_KEY = "link_pages_opened"  # session state: pages whose link parameters were checked


def snapshot(prefixes: tuple[str, ...]) -> None:
    """At the top of a page's first run in this session: remember its parameters in the URL, to
    compare after its widgets have taken them (:func:`report_dropped`). Later runs are not
    checked: the page's own code may change a bound widget's value (and so the URL)."""
    opened = st.session_state.setdefault(OPENED_KEY, set())
    if prefixes[0] in opened:
        st.session_state.pop(SNAPSHOT_KEY, None)
        return
    opened.add(prefixes[0])
    st.session_state[SNAPSHOT_KEY] = [(k, v) for k, v in params() if k.startswith(prefixes)]


def _shown(value: object) -> list[str]:
    """How a widget value can appear in the URL (one string per value of a list)."""
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        if isinstance(v, bool):
            out.append(str(v).lower())
        elif isinstance(v, float) and v.is_integer():
            out += [str(v), str(int(v))]
        else:
            out.append(str(v))
    return out


def dropped() -> list[str]:
    """The page's parameters of this run's start that its widgets did not take: gone from the
    URL although the widget does not hold that value (a parameter equal to the widget's
    default also leaves the URL; that one was used)."""
    before = st.session_state.get(SNAPSHOT_KEY, [])
    now = set(params())
    out: list[str] = []
    for key, value in before:
        if (key, value) in now or key in out:
            continue
        held = st.session_state.get(key, None)
        if held is None or value not in _shown(held):
            out.append(key)
    return out


def link_tab(key: str, open_label: str, first: str) -> None:
    """Put the open tab in the URL (``key=label``), or take it out for the first tab (the
    default). Tabs are linked by hand rather than bound: a bound tab would follow the URL on
    every rerun and ignore a tab chosen in code."""
    if open_label == first:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != open_label:
        st.query_params[key] = open_label


def report_dropped(where, bad_tab: str | bool = False) -> None:
    """A notice in ``where`` naming the link's settings that were not valid here (``bad_tab``:
    the tab parameter's name, when the link named a tab the page does not have)."""
    names = [n for n in dropped() if n != bad_tab]
    if bad_tab:
        names.append(str(bad_tab))
    st.session_state.pop(SNAPSHOT_KEY, None)
    if names:
        where.warning(
            f"This link had setting{'s' if len(names) != 1 else ''} this page could not use "
            f"({', '.join(names)}): out of range, not an option here, or garbled. "
            f"{'They show' if len(names) != 1 else 'It shows'} the default instead.",
            icon=":material/link_off:",
        )
