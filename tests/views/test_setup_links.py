"""Links that restore a setup (ui/links.py): every keyed widget and the open tab are bound to the
URL, so a link opened in a fresh session restores the page as it was; garbage, out-of-range and
injected values give the defaults with a notice, never an exception; photos are never in a link.

AppTest stands in for the fresh browser: ``at.query_params`` is the address it opens."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import joined, texts
from ui.links import dropped, photo_left_out

ROOT = Path(__file__).resolve().parents[2]
APP = "../../app.py"
PADDING = "../../views/padding.py"
DETECTION = "../../views/detection.py"
TIMEOUT = 180
NOTICE = "This link had setting"


def opened(page: str, **params: str | list[str]) -> AppTest:
    """A fresh session opening ``page`` at an address with these query parameters."""
    at = AppTest.from_file(page, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_a_link_restores_the_tab_and_the_settings() -> None:
    # a select's parameter holds the option as the page shows it (its label)
    at = opened(PADDING, pd_tab="Output size & sliding", pd_n="9", pd_k="5", pd_s="1",
                pd_p="2", pd_mode='reflect ("mirroring")')  # fmt: skip
    assert not at.exception and not texts(at, "warning")
    assert [at.number_input(key=k).value for k in ("pd_n", "pd_k", "pd_s", "pd_p")] == [9, 5, 1, 2]
    assert at.selectbox(key="pd_mode").value == "reflect"
    # the page computes with the restored numbers: (9 + 4 - 4 - 1) / 1 + 1 = 9
    assert any(t.endswith("= 9") for t in texts(at, "latex"))


def test_a_link_opens_another_tab() -> None:
    at = opened(PADDING, pd_tab="Padding modes")
    assert not at.exception and not texts(at, "warning")
    assert at.session_state["pd_tab_open"] == "Padding modes"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pd_n", "99"),  # out of range (1..12)
        ("pd_n", "-3"),
        ("pd_k", "three"),  # not a number
        ("pd_mode", "reflect"),  # the option's value, not its label
        ("pd_mode", "<script>alert(1)</script>"),  # not an option (injected markup)
        ("pd_mode", "zeros'; DROP TABLE"),
        ("pd_tab", "No such tab"),
    ],
)
def test_bad_values_fall_back_to_the_defaults_with_a_notice(key: str, value: str) -> None:
    params = {"pd_tab": "Output size & sliding", key: value}
    at = opened(PADDING, **params)
    assert not at.exception and not at.error
    warnings = [w for w in texts(at, "warning") if w.startswith(NOTICE)]
    assert len(warnings) == 1 and f"({key})" in warnings[0]
    assert "<script>" not in joined(at)
    defaults = {"pd_n": 5, "pd_k": 3}
    if key in defaults:
        assert at.number_input(key=key).value == defaults[key]
    if key == "pd_mode":
        assert at.selectbox(key="pd_mode").value == "zeros"


def test_unknown_and_other_pages_parameters_are_ignored() -> None:
    at = opened(PADDING, evil="1", __proto__="x", det_iou="0.3")
    assert not at.exception and not [w for w in texts(at, "warning") if w.startswith(NOTICE)]


def test_a_link_restores_a_detection_setup() -> None:
    at = opened(DETECTION, det_tab="Pipeline & NMS", det_seed="7", det_iou="0.3", det_score="0.5",
                det_per_class="true")  # fmt: skip
    assert not at.exception and not texts(at, "warning")
    assert at.number_input(key="det_seed").value == 7
    assert at.slider(key="det_iou").value == pytest.approx(0.3)
    assert at.slider(key="det_score").value == pytest.approx(0.5)
    assert at.toggle(key="det_per_class").value is True


def test_a_link_with_an_uploaded_photo_says_the_photo_is_not_included() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["pt_img_source"] = "Upload"
    at.run().switch_page("views/pretrained.py").run()
    assert not at.exception
    assert any("links never carry photos" in c for c in texts(at, "caption"))
    assert photo_left_out([("pt_img_source", "Upload")])
    assert photo_left_out([("kn_ph_source", "Your photo")])
    assert not photo_left_out([("pt_img_source", "Sample")])


def test_the_link_panel_is_on_every_page() -> None:
    at = AppTest.from_file(PADDING, default_timeout=TIMEOUT).run()
    assert any(p.proto.popover.label == "Copy link to this setup" for p in at.get("popover"))


def test_dropped_is_empty_outside_a_page_run() -> None:
    assert dropped() == []


BINDABLE = {  # Streamlit 1.67 widgets that take bind="query-params" (and persist_state)
    "radio", "pills", "segmented_control", "slider", "select_slider", "color_picker",
    "number_input", "selectbox", "text_input", "text_area", "multiselect", "checkbox", "toggle",
    "date_input", "time_input",
}  # fmt: skip
SOURCES = sorted([*ROOT.glob("views/**/*.py"), *ROOT.glob("ui/*.py")])


def unbound(path: Path) -> list[str]:
    """Keyed widgets of a view or ui module created without ``bind=LINK``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names = {k.arg for k in node.keywords}
            if node.func.attr in BINDABLE and "key" in names and "bind" not in names:
                out.append(f"{path.name}:{node.lineno} {node.func.attr}")
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_keyed_widget_is_in_the_link(path: Path) -> None:
    assert unbound(path) == []
