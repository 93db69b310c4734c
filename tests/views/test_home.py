"""AppTest of app.py (navigation, sidebar) and views/home.py (the concept map)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import joined, texts
from ui.catalog import SECTIONS, available_pages


def test_home_lists_every_concept_and_device():
    at = AppTest.from_file("../../app.py", default_timeout=60).run()
    assert not at.exception
    assert texts(at, "title") == ["cnnplay"]
    md = joined(at)
    for pages in SECTIONS.values():
        for info in pages:
            assert info.teaches in md
            assert (info.path is None) == (f"**{info.title}** · _coming soon_" in md)
    assert [s.value for s in at.subheader] == list(SECTIONS)
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Computing on:" in sidebar and ("CPU (" in sidebar or "CUDA: " in sidebar)
    links = {link.proto.page for link in at.get("page_link")}
    assert links == {Path(p.path).stem for pages in available_pages().values() for p in pages}


def test_navigation_reaches_the_kernels_page():
    at = AppTest.from_file("../../app.py", default_timeout=60).run()
    at.switch_page("views/kernels.py").run()
    assert not at.exception
    assert texts(at, "title") == ["Kernels"]
    assert "Strongest response **9** at row 0, column 0" in joined(at)
    # (AppTest drops the sidebar after switch_page; the e2e test sees it on every page.)


def test_catalogue_files_exist():
    root = Path(__file__).resolve().parents[2]
    for pages in available_pages().values():
        for info in pages:
            assert (root / info.path).is_file(), info.path


def test_home_claims_only_what_is_true():
    """The map caption names no colour unless a page is planned (all boxes are blue when none
    is), the intro points at the per-card list of reproduced examples instead of claiming every
    example, each card lists its examples, and every card title is a link to its page."""
    at = AppTest.from_file("../../app.py", default_timeout=60).run()
    assert not at.exception
    md = joined(at)
    assert "Every page reproduces" not in md
    assert "each card below lists which ones" in md
    caption = " ".join(c.value for c in at.caption)
    planned = any(p.path is None for pages in SECTIONS.values() for p in pages)
    assert ("Blue boxes" in caption) == planned and "open a page from its card" in caption
    for pages in SECTIONS.values():
        for info in pages:
            if info.examples:
                assert f"_Worked examples reproduced: {info.examples}_" in md
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == [f"**{p.title}**" for ps in available_pages().values() for p in ps]
    assert any(p.examples for pages in SECTIONS.values() for p in pages)
