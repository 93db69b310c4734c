"""The "PyTorch code for what is on screen" panel every page shares: a closed expander with the
short, runnable program that reproduces the tab's result (copy button included), a download
of it as a .py file, and downloads of the files it reads (the photo the network sees, trained
weights); the caption names the packages it needs beyond torch, torchvision and numpy.

The expander is lazy (``on_change="rerun"``): while it is closed the snippet is not even built,
and nothing of it is sent to the browser; opening it reruns only the tab (the panels sit inside
the tabs' fragments). A tab passes the snippet itself or, better, a function that builds it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnplay.snippets import ALLOWED_IMPORTS, Snippet

LABEL = "PyTorch code for what is on screen"


def code_panel(snippet: Snippet | Callable[[], Snippet], key: str, where=st) -> None:
    """The panel in ``where`` (``st`` or a container / column).

    key: the expander's widget key, the page's prefix + "_code…" (e.g. "kn_code_grid"); the
    download button's key is ``key + "_download"``. ``snippet`` may be a function that builds
    the Snippet: it runs only while the panel is open. Settings that make no program (a
    ValueError from the builder) get a one-line message instead of the code."""
    panel = where.expander(LABEL, key=key, on_change="rerun", icon=":material/code:")
    if not panel.open:
        return
    with panel:
        try:
            made = snippet() if callable(snippet) else snippet
        except ValueError as err:
            st.info(f"No code for these settings: {err}", icon=":material/code_off:")
            return
        st.caption(
            f"Runs on its own in a notebook or as a script (it needs only {_uses(made)}); "
            f"the result is in `{made.result_name}`."
            + (
                " The input is a random stand-in of the page's size: the result has the "
                "page's shape, not its numbers."
                if made.shape_only
                else ""
            )
        )
        st.code(made.code, language="python")
        st.download_button(
            "Download as a .py file",
            data=made.code,
            file_name=made.file_name,
            mime="text/x-python",
            key=f"{key}_download",
            on_click="ignore",
            icon=":material/download:",
        )
        for n, (name, content) in enumerate(made.files):
            st.download_button(
                f"Download {name} (the program reads it from its own folder)",
                data=content,
                file_name=name,
                key=f"{key}_file{n}",
                on_click="ignore",
                icon=":material/image:" if name.endswith(".png") else ":material/draft:",
            )


def _uses(made: Snippet) -> str:
    """"torch, torchvision, numpy and math" plus the snippet's own packages, with pip's line."""
    names = [*ALLOWED_IMPORTS, *made.needs]
    text = ", ".join(names[:-1]) + f" and {names[-1]}"
    if made.needs:
        text += f": `pip install {' '.join(made.needs)}`"
    return text
