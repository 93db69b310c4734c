"""The frame of every concept page: tabs that run only when open, settings that survive a change
of page, and a "Reset this page" control.

A page is a short script (``views/<page>.py``)::

    frame = PageFrame("det", title="Detection")      # key prefix of every widget on the page
    frame.header()                                   # title + "Reset this page" in the sidebar
    scene = ...                                      # settings several tabs share (full rerun)
    frame.tabs({"IoU": lambda: iou.render(scene), "NMS": lambda: nms.render(scene, thr)})

How it holds a class (one server, thirty students):

- **Lazy tabs.** ``st.tabs(..., on_change="rerun")`` tells the script which tab is open; only
  that tab's body runs, the others send nothing. Switching tabs is one rerun of the page.
- **Fragments.** Each tab body is an ``@st.fragment`` (see :func:`tab_body`): a widget change
  inside it reruns that tab alone, not the page header or the other settings.
- **State that survives navigation.** Every keyed widget is created with
  ``persist_state="session"`` (:data:`KEEP`), so its value comes back when the student returns
  to the page or reopens a tab; the open tab is remembered the same way (:meth:`PageFrame.tabs`).
  Values the page computes and stores itself (a grid, a trained model) live under the page's
  prefix in ``st.session_state`` and are never cleaned by Streamlit.
- **Reset.** "Reset this page" deletes every session-state entry under the page's prefixes, so
  the next run shows the defaults (and forgets the page's results).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException, StreamlitPageNotFoundError

from ui.catalog import neighbours
from ui.links import link_panel, link_tab, report_dropped, snapshot

KEEP = "session"  # persist_state of every keyed widget: its value survives page changes
TAB_SUFFIX = "_tab"  # session-state key of a page's tab widget: prefix + this
SAVED_TAB_SUFFIX = "_tab_open"  # where the open tab is remembered while the page is not shown

F = TypeVar("F", bound=Callable[..., None])


def tab_body(fn: F) -> F:
    """Decorate a tab's ``render(...)``: it becomes a fragment, so a widget inside it reruns
    only that function (Streamlit reuses the arguments of the last full run)."""
    return st.fragment(fn)


def rerun_tab() -> None:
    """Rerun only the open tab (its fragment); a full run (the first run of the page, or an
    AppTest, which always runs the whole script) reruns the page instead."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # not in a fragment rerun
        st.rerun()


@dataclass(frozen=True)
class PageFrame:
    prefix: str  # key prefix of this page's widgets and state, e.g. "det" for "det_..."
    title: str  # the page's title (st.title)
    extra_prefixes: tuple[str, ...] = ()  # further key prefixes that belong to the page
    _run: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # this run's
    # placeholders (the link notice under the title)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (f"{self.prefix}_", *(f"{p}_" for p in self.extra_prefixes))

    def owns(self, key: object) -> bool:
        """Whether a session-state key belongs to this page."""
        return isinstance(key, str) and key.startswith(self.prefixes)

    def reset(self) -> None:
        """Forget every setting and result of this page (the widgets show their defaults)."""
        for key in [k for k in st.session_state if self.owns(k) and k != f"{self.prefix}_reset"]:
            del st.session_state[key]
        for key in [k for k in st.query_params if self.owns(k)]:
            try:  # the open tab (a bound widget's parameter follows its default by itself)
                del st.query_params[key]
            except StreamlitAPIException:
                pass

    def header(self, caption: str | None = None) -> None:
        """The page title and, in the sidebar, the "Reset this page" button and the "Copy link
        to this setup" popover (ui/links.py). Under the title, a notice when a link held
        settings this page could not use (filled in by :meth:`tabs`)."""
        snapshot(self.prefixes)
        st.title(self.title)
        self._run["notice"] = st.empty()
        if caption:
            st.caption(caption)
        link_panel(self.prefixes)
        st.sidebar.button(
            "Reset this page",
            key=f"{self.prefix}_reset",
            icon=":material/restart_alt:",
            on_click=self.reset,
            help="Back to this page's default settings (your other pages keep theirs).",
        )

    def tabs(self, bodies: Mapping[str, Callable[[], None]]) -> str:
        """Lazy tabs: lay out one tab per label and run only the open one's body.

        The open tab is remembered for the session (also across page changes) and comes back
        when the student returns. Returns the open tab's label. In an AppTest, open a tab with
        ``at.session_state[f"{prefix}_tab"] = label`` and ``at.run()``."""
        labels: Sequence[str] = list(bodies)
        key, saved = f"{self.prefix}{TAB_SUFFIX}", f"{self.prefix}{SAVED_TAB_SUFFIX}"
        if key not in st.session_state:
            # a page opened from a link: its tab; back on the page: the tab the student left
            # (set before the widget exists, so the widget's identity, and its value on the
            # next runs, stay the same)
            if (linked := st.query_params.get(key)) is not None and linked not in labels:
                self._run["bad_tab"] = True  # reported with the link's other settings
            wanted = linked if linked in labels else st.session_state.get(saved)
            if wanted in labels:
                st.session_state[key] = wanted
        containers = st.tabs(labels, key=key, on_change="rerun")
        open_label = labels[0]
        for label, container in zip(labels, containers, strict=True):
            if container.open:
                open_label = label
                with container:
                    bodies[label]()
        st.session_state[saved] = open_label
        link_tab(key, open_label, labels[0])
        if "notice" in self._run:
            report_dropped(self._run["notice"], self._run.get("bad_tab", False) and key)
        self.next_concept()
        return open_label

    def next_concept(self) -> None:
        """Links to the concepts before and after this page on the path through the ideas
        (the home page's map), below the tabs. A page run outside the app's navigation (an
        AppTest of the page alone) names them without a link."""
        before, after = neighbours(self.title)
        if before is None and after is None:
            return
        st.divider()
        columns = st.columns(2)
        for column, info, word, icon in (
            (columns[0], before, "Previous", ":material/arrow_back:"),
            (columns[1], after, "Next", ":material/arrow_forward:"),
        ):
            if info is None:
                continue
            label = f"{word} concept: {info.title}"
            with column:
                try:
                    st.page_link(info.file, label=label, icon=icon)
                except StreamlitPageNotFoundError:
                    st.markdown(f"{label} (open it from the sidebar)")
