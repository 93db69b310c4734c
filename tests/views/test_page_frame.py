"""The page frame every view shares (ui.page): lazy tabs that remember the open one, keyed widgets
that keep their values across page changes, and "Reset this page".

The AST check reads every view and ui module: a keyed widget that Streamlit can persist must be
created with ``persist_state=KEEP``; otherwise its value is lost when the student changes page."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PERSISTABLE = {  # Streamlit 1.67 widgets that take persist_state
    "radio",
    "pills",
    "segmented_control",
    "feedback",
    "slider",
    "select_slider",
    "color_picker",
    "number_input",
    "selectbox",
    "text_input",
    "text_area",
    "multiselect",
    "checkbox",
    "toggle",
    "date_input",
    "time_input",
}
SOURCES = sorted([*ROOT.glob("views/**/*.py"), *ROOT.glob("ui/*.py")])


def keyed_widgets_without_keep(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in PERSISTABLE:
            continue
        names = {k.arg for k in node.keywords}
        if "key" in names and "persist_state" not in names:
            out.append(f"{path.name}:{node.lineno} {node.func.attr}")
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_keyed_widget_keeps_its_value(path: Path) -> None:
    assert keyed_widgets_without_keep(path) == []


def test_the_check_finds_a_widget_without_keep(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text(
        'import streamlit as st\nst.slider("s", 0, 9, key="x_s")\nst.slider("t", key="x_t", persist_state="session")\n'
    )
    assert keyed_widgets_without_keep(bad) == ["probe.py:2 slider"]


def test_neighbours_follow_the_concept_map() -> None:
    from ui.catalog import available_pages, neighbours

    path = [p.title for pages in available_pages().values() for p in pages]
    assert neighbours(path[0]) == (
        None,
        next(p for ps in available_pages().values() for p in ps if p.title == path[1]),
    )
    for k in range(1, len(path) - 1):
        before, after = neighbours(path[k])
        assert (before.title, after.title) == (path[k - 1], path[k + 1])
    assert neighbours(path[-1])[1] is None
    assert neighbours("No such page") == (None, None)


def test_a_page_links_to_the_next_and_previous_concept() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../../app.py", default_timeout=90).run()
    at.switch_page("views/padding.py").run()
    assert not at.exception
    links = {e.proto.label: e.proto.page for e in at.get("page_link")}
    assert "Previous concept: Kernels" in links and "Next concept: Pooling" in links
    assert links["Next concept: Pooling"].endswith("pooling")
