"""Keyboard paths beside clickable figures: every chart, grid or table that reacts to a click has
controls next to it that do the same from the keyboard (Tab to them, type or use the arrow keys,
Enter), with a caption that says so.

- :func:`cell_keys`: row and column number inputs for a clickable grid and, where a click does
  something to the cell (flip it), a button that does it to the typed cell;
- :func:`option_keys`: a selectbox of a chart's bars (or a table's rows), by label;
- :func:`keyboard_caption`: the caption alone, where a page's own widgets are the keyboard path
  (the confusion matrix's two class choices).

Kept in sync both ways: the page keeps its choice in session state (a cell, a bar's index). A
click's callback writes it there and so does a keyboard control's ``on_change`` (best: the same
function). Every run writes the page's choice into the controls' state before drawing them, so
a click moves them; the page marks its choice on the figure (an outline, a bar's colour), so a
keyboard choice shows there. A click callback gives the chart a fresh key, so no stale plotly
selection is left to swallow the next click.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ui.links import LINK
from ui.page import KEEP

KEYBOARD_ICON = ":material/keyboard:"


def keyboard_caption(text: str) -> None:
    """The caption that says a keyboard path exists: "⌨ Keyboard: ``text``"."""
    st.caption(f"{KEYBOARD_ICON} **Keyboard:** {text}")


def _clip(value: int, n: int) -> int:
    return min(max(int(value), 0), n - 1)


def cell_keys(
    shape: tuple[int, int],
    key: str,
    cell: tuple[int, int],
    on_change: Callable[[int, int], None],
    names: tuple[str, str] = ("row", "column"),
    action: str | None = None,
    on_action: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Row and column inputs for a clickable (H, W) grid, 0-based like its axes.

    The inputs (widget keys ``key + "_r"`` and ``key + "_c"``, labels ``names``) show ``cell``
    (the page's choice, clipped to the grid); typing either calls ``on_change(row, col)``. With
    ``action``, a button of that label (key ``key + "_go"``) calls ``on_action(row, col)`` on the
    typed cell, as a click on it would. Returns the cell shown, (row, col)."""
    h, w = shape
    row, col = _clip(cell[0], h), _clip(cell[1], w)
    kr, kc = f"{key}_r", f"{key}_c"
    state = st.session_state
    state[kr], state[kc] = row, col  # a click (or any other change of the page's choice) shows

    def typed() -> None:
        on_change(int(state[kr]), int(state[kc]))

    columns = st.columns(3 if action else 2, vertical_alignment="bottom")
    columns[0].number_input(
        names[0], 0, h - 1, key=kr, on_change=typed, persist_state=KEEP, bind=LINK
    )
    columns[1].number_input(
        names[1], 0, w - 1, key=kc, on_change=typed, persist_state=KEEP, bind=LINK
    )
    if action is not None and on_action is not None:
        columns[2].button(
            action,
            key=f"{key}_go",
            on_click=lambda: on_action(int(state[kr]), int(state[kc])),
            width="stretch",
        )
        keyboard_caption(
            f"type the {names[0]} and the {names[1]} (Tab moves on), then press *{action}*: "
            "the same as a click on that cell."
        )
    else:
        keyboard_caption(
            f"type the {names[0]} and the {names[1]} (Tab moves on): the same as a click on "
            "that cell."
        )
    return row, col


def option_keys(
    labels: Sequence[str],
    key: str,
    index: int,
    on_change: Callable[[int], None],
    label: str,
    what: str = "bar",
) -> int:
    """A selectbox (widget key ``key``, label ``label``) of a clickable chart's bars or a table's
    rows, shown by ``labels`` and valued by their index; it shows ``index`` (the page's choice,
    clipped) and a change calls ``on_change(index)``. ``what`` names the items in the caption.
    Returns the index shown."""
    index = _clip(index, len(labels))
    st.session_state[key] = index  # a click shows here

    st.selectbox(
        label,
        list(range(len(labels))),
        format_func=lambda i: labels[i],
        key=key,
        on_change=lambda: on_change(int(st.session_state[key])),
        persist_state=KEEP,
        bind=LINK,
    )
    keyboard_caption(
        f"Tab to *{label}*, pick with the arrow keys or by typing, then Enter: the same as a "
        f"click on that {what}."
    )
    return index
