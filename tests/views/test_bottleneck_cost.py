"""AppTest of views/bottleneck_cost.py: the notes' counts, changed widths, bad settings, the
exercise table, real networks against torchvision's figures, measured timings, case studies; the
settings surviving a change of page, "Reset this page", and hidden tabs doing no work."""

from __future__ import annotations

import pandas as pd  # imported before the page puts pages/ on sys.path (see the page's guard)
import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    button,
    chart,
    forbid,
    joined,
    leave_and_return,
    open_tab,
    plot_array,
    texts,
)

PAGE = "../../views/bottleneck_cost.py"
APP = "../../app.py"
TIMEOUT = 120
LAYERS, BOTTLENECK, EXERCISE = "Dense, local, shared", "Bottleneck", "Layer list"
MODELS, CASES = "Real networks", "Case studies"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def table(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def has_table(at: AppTest, column: str) -> bool:
    return any(column in d.value.columns for d in at.dataframe)


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "bn", label)


def test_seed001_defaults(at):
    assert not at.exception and not at.error
    latex = "\n".join(texts(at, "latex"))
    assert r"\times 100 + \underbrace{100}_{\text{biases}} = 78{,}500" in latex
    assert "= 14{,}400 + 576 = 14{,}976" in latex
    assert r"5\times5\times1\times1 + \underbrace{1}_{\text{one bias per map}} = 26" in latex
    bars = plot_array(chart(at, "bn_layers_chart")["data"][0]["y"])
    assert list(bars) == [78_500, 14_976, 26]


def test_seed001_colour_version(at):
    at.number_input(key="bn_channels").set_value(3)
    at.number_input(key="bn_maps").set_value(5).run()
    latex = "\n".join(texts(at, "latex"))
    assert "= 216{,}000 + 2{,}880 = 218{,}880" in latex
    assert r"5\times5\times3\times5 + \underbrace{5}" in latex and "= 380" in latex
    assert r"\underbrace{2{,}352}_{28\times28\times3\text{ inputs}}" in latex


def test_seed001_bad_sizes(at):
    at.number_input(key="bn_field").set_value(30).run()
    assert not at.exception
    assert any("a 30×30 field does not fit a 28×28 image" in e for e in texts(at, "error"))
    assert r"= 78{,}500" in "\n".join(texts(at, "latex"))  # the dense layer still shows
    at.number_input(key="bn_field").set_value(5)
    at.number_input(key="bn_channels").set_value(0).run()
    errors = texts(at, "error")
    assert any("Fully connected layer: inputs must be at least 1" in e for e in errors)
    assert any("channels must be at least 1" in e for e in errors)


def test_seed002_bottleneck_terms(at):
    tab(at, BOTTLENECK)
    latex = "\n".join(texts(at, "latex"))
    assert r"[(3\times3\times256)\times256]\\& = (W\times H)\times 589{,}824" in latex
    assert (
        r"[(1\times1\times256)\times64 + (3\times3\times64)\times64"
        r" + (1\times1\times64)\times256]\\"
        r"& = (W\times H)\times[16{,}384 + 36{,}864 + 16{,}384] = (W\times H)\times 69{,}632"
    ) in latex
    blocks = table(at, "MACs per position")
    assert list(blocks["MACs per position"]) == ["589,824", "69,632", "67,840", "18,432"]
    assert list(blocks["vs plain"]) == ["—", "8.5× fewer", "8.7× fewer", "32.0× fewer"]


def test_changed_widths(at):
    tab(at, BOTTLENECK)
    at.number_input(key="bn_cin").set_value(128)
    at.number_input(key="bn_mid").set_value(32)
    at.number_input(key="bn_groups").set_value(4).run()
    assert not at.error
    blocks = table(at, "MACs per position")
    assert blocks["MACs per position"][0] == f"{9 * 128 * 256:,}"
    assert blocks["MACs per position"][1] == f"{128 * 32 + 9 * 32 * 32 + 32 * 256:,}"
    assert blocks["MACs per position"][3] == f"{9 * 32 * 256:,}"
    assert blocks["MACs on 28×28"][0] == f"{784 * 9 * 128 * 256:,}"


def test_header_numbers_match_the_bottleneck_table(at):
    """The header's claim (the bottleneck cuts weights and multiply-adds by the same factor) is
    checked against the numbers the Bottleneck tab's table shows."""
    import re

    header = next(m for m in texts(at, "markdown") if "What does a layer cost?" in m)
    assert "invented to cut" not in header
    assert "same detector everywhere" in header  # seed 001: weight sharing gives invariance
    assert "example of the NTHU CNN slides" in header and "seed" not in header.lower()
    assert "From the notes: seed 001, “From LRF's to convolutional layers”; seed 002, " in (
        joined(at)
    )
    found = re.search(
        r"cuts the weights from ([\d,]+) to ([\d,]+) and the multiply-adds "
        r"per position by the same \*\*([\d.]+)×\*\*",
        header,
    )
    assert found, header
    plain, bott, ratio = found.groups()
    tab(at, BOTTLENECK)
    blocks = table(at, "MACs per position")
    assert list(blocks["weights"][:2]) == [plain, bott]
    assert list(blocks["MACs per position"][:2]) == [plain, bott]
    assert blocks["vs plain"][1] == f"{ratio}× fewer"
    assert (
        f"needs **{bott} weights** instead of **{plain}** and does **{bott} multiply-adds per "
        f"position** instead of **{plain}**: **{ratio}× fewer of both**"
    ) in joined(at)


@pytest.mark.parametrize("groups", [3, 33])
def test_invalid_groups_flag_only_the_grouped_row(at, groups):
    tab(at, BOTTLENECK)
    at.number_input(key="bn_groups").set_value(groups).run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1
    assert f"{groups} groups need input and output channels divisible by {groups}" in errors[0]
    assert "values that work: 1, 2, 4, 8, 16, 32, 64, 128, 256" in errors[0]
    blocks = table(at, "MACs per position")  # the valid designs still show
    assert list(blocks["MACs per position"]) == ["589,824", "69,632", "67,840", "—"]
    assert blocks["layers"][3].startswith(f"not a block: {groups} groups")
    assert len(texts(at, "latex")) == 3
    button(at, "Measure the blocks").click().run()  # timing skips the grouped design
    assert not at.exception
    assert len(table(at, "time ratio (plain / this)")) == 3
    at.number_input(key="bn_groups").set_value(32).run()  # a valid value brings the row back
    assert not at.error
    assert table(at, "MACs per position")["MACs per position"][3] == "18,432"


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("bn_cin", 0, "c_in must be at least 1 (got 0)"),
        ("bn_mid", 0, "mid must be at least 1 (got 0)"),
        ("bn_k", 4, "the kernel side must be odd"),
    ],
)
def test_invalid_blocks_get_a_message(at, key, value, message):
    tab(at, BOTTLENECK)
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert any(message in e for e in texts(at, "error"))
    assert "MACs per position" not in [c for d in at.dataframe for c in d.value.columns]
    tab(at, EXERCISE)
    assert "**Total: 90,880 weights" in joined(at)  # the other tabs keep working
    tab(at, BOTTLENECK)
    assert at.number_input(key=key).value == value  # and the bad setting is still there
    assert any(message in e for e in texts(at, "error"))


def test_exercise_table(at):
    tab(at, EXERCISE)
    layers = table(at, "#weights")
    assert list(layers["#units"]) == ["1,048,576", "65,536", "131,072", "8,192", "8,192", "10"]
    assert list(layers["#weights"]) == ["768", "0", "8,192", "0", "0", "81,920"]
    assert list(layers["output"])[:2] == ["16 × 256 × 256", "16 × 64 × 64"]
    assert "**Total: 90,880 weights + 58 biases = 90,938 parameters" in joined(at)
    bars = plot_array(chart(at, "bn_ex_chart_0")["data"][0]["y"])
    assert bars[0] == 1_048_576


def test_exercise_click_shows_layer_detail(at):
    at.session_state["bn_ex_sel"] = 2
    tab(at, EXERCISE)
    md = joined(at)
    assert "**Layer 3 (conv)**: input 16 × 64 × 64 → output 32 × 64 × 64, **131,072 units**" in md
    assert r"4\times4\times16\times32 = 8{,}192" in md
    colours = chart(at, "bn_ex_chart_0")["data"][0]["marker"]["color"]
    assert colours[2] != colours[0]


def test_exercise_edits_and_bad_stack(at):
    tab(at, EXERCISE)
    at.number_input(key="bn_ex_side").set_value(128).run()
    assert table(at, "#weights")["#weights"].iloc[-1] == f"{8 * 8 * 32 * 10:,}"  # 2048 × 10
    at.number_input(key="bn_ex_side").set_value(2).run()
    assert not at.exception
    assert any(
        "This stack cannot be built: layer 2 (pool): a 4×4 window on a 2×2 map" in e
        for e in texts(at, "error")
    )


def test_real_network_matches_torchvision(at):
    tab(at, MODELS)
    assert "torchvision publishes **25,557,032 parameters** and **4.089 GFLOPS**" in joined(at)
    assert "**our count agrees**" in joined(at)
    at.selectbox(key="bn_md_name").set_value("MobileNetV2").run()
    assert "**3,504,872 parameters** and **0.301 GFLOPS**" in joined(at)
    assert "**our count agrees**" in joined(at)
    at.session_state["bn_md_sel"] = 0
    at.run()
    assert "**Row 0: `features.0.0`** (Conv2d) → output 32 × 112 × 112" in joined(at)


def test_real_network_too_small_input(at):
    tab(at, MODELS)
    at.selectbox(key="bn_md_name").set_value("AlexNet").run()
    at.number_input(key="bn_md_side_AlexNet").set_value(16).run()
    assert not at.exception
    assert any("AlexNet cannot run on a 16×16 image" in e for e in texts(at, "error"))
    assert not any("Given input size" in e for e in texts(at, "error"))  # no torch text


def test_lenet_5_takes_its_one_input_side(at):
    tab(at, MODELS)
    at.selectbox(key="bn_md_name").set_value("LeNet-5").run()
    assert not at.exception and not at.error
    assert at.number_input(key="bn_md_side_fixed").disabled
    assert at.number_input(key="bn_md_side_fixed").value == 32
    assert any("fixed at 32 px" in c for c in texts(at, "caption"))
    assert {m.label: m.value for m in at.metric}["Parameters"] == "61,706"
    at.selectbox(key="bn_md_name").set_value("AlexNet").run()
    assert at.number_input(key="bn_md_side_AlexNet").value == 224  # its own side is back


def test_measure_blocks(at):
    tab(at, BOTTLENECK)
    at.number_input(key="bn_time_side").set_value(8).run()
    assert "Press **Measure the blocks**" in texts(at, "info")[0]
    button(at, "Measure the blocks").click().run()
    assert not at.exception
    timing = table(at, "time ratio (plain / this)")
    assert list(timing["count ratio (plain / this)"]) == [1.0, 8.47, 8.69, 32.0]
    assert (timing["median ms"] > 0).all()
    assert "the depthwise separable block does **8.7×** less work" in joined(at)


def test_case_studies(at):
    tab(at, CASES)
    cases = table(at, "receptive field")
    assert list(cases["parameters"]) == [
        "61,706", "61,100,840", "138,357,544", "6,624,904", "25,557,032", "7,978,856"]  # fmt: skip
    assert cases["MACs"][4] == "4,089,184,256"
    assert cases["receptive field"][0] == "16"  # LeNet-5: 5, +1 (pool), +4·2 (conv), +1·2 (pool)


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/bottleneck_cost.py").run()
    at.number_input(key="bn_channels").set_value(3).run()
    at.number_input(key="bn_maps").set_value(5).run()
    tab(at, BOTTLENECK)
    at.number_input(key="bn_groups").set_value(4).run()
    tab(at, EXERCISE)
    at.number_input(key="bn_ex_side").set_value(128).run()
    at.radio(key="bn_ex_metric").set_value("MACs").run()
    at.session_state["bn_ex_sel"] = 2  # a click on the third bar
    tab(at, MODELS)
    at.selectbox(key="bn_md_name").set_value("MobileNetV2").run()
    leave_and_return(at, "views/bottleneck_cost.py")
    assert at.selectbox(key="bn_md_name").value == "MobileNetV2"  # back in the tab we left
    assert "**3,504,872 parameters** and **0.301 GFLOPS**" in joined(at)
    tab(at, EXERCISE)
    assert at.number_input(key="bn_ex_side").value == 128
    assert at.radio(key="bn_ex_metric").value == "MACs"
    assert "**Total: 29,440 weights + 58 biases = 29,498 parameters" in joined(at)
    assert "**Layer 3 (conv)**: input 16 × 32 × 32" in joined(at)
    tab(at, BOTTLENECK)
    assert at.number_input(key="bn_groups").value == 4
    tab(at, LAYERS)
    assert at.number_input(key="bn_channels").value == 3
    assert "= 216{,}000 + 2{,}880 = 218{,}880" in "\n".join(texts(at, "latex"))


def test_edited_layer_list_survives_another_tab(at):
    """The data editor's own state ends when it is hidden; the page keeps the edited stack."""
    import pandas as pd

    tab(at, EXERCISE)
    edited = at.session_state["bn_ex_kept"].iloc[:-1]  # as if the dense row were deleted
    at.session_state["bn_ex_kept"] = edited
    tab(at, LAYERS)
    tab(at, EXERCISE)
    assert not at.exception
    layers = table(at, "#weights")
    assert len(layers) == 5 and layers["layer"].iloc[-1] == "5. Flatten"  # no dense layer now
    assert "**Total: 8,960 weights + 48 biases = 9,008 parameters" in joined(at)
    assert isinstance(at.session_state["bn_ex_kept"], pd.DataFrame)


def test_reset_this_page_restores_the_defaults(at):
    at.number_input(key="bn_field").set_value(3).run()
    tab(at, EXERCISE)
    at.number_input(key="bn_ex_side").set_value(128).run()
    at.session_state["bn_ex_sel"] = 4
    at.run()
    at.sidebar.button(key="bn_reset").click().run()
    assert not at.exception
    assert at.number_input(key="bn_field").value == 5  # the first tab again, with its defaults
    assert r"= 78{,}500" in "\n".join(texts(at, "latex"))
    assert not has_table(at, "#weights")
    tab(at, EXERCISE)
    assert at.number_input(key="bn_ex_side").value == 256
    assert "**Total: 90,880 weights + 58 biases = 90,938 parameters" in joined(at)
    assert "**Layer 1 (conv)**" in joined(at)


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    from views.bottleneck_cost import case_studies, common, layer_list, real_networks

    calls = forbid(
        monkeypatch,
        [
            (common, "model_cost"),
            (real_networks, "model_cost"),
            (case_studies, "model_cost"),
            (layer_list, "count_stack"),
        ],
    )
    at.number_input(key="bn_side").set_value(32).run()  # the first tab is open
    assert not at.exception and calls == []
    assert not has_table(at, "MACs per position") and not has_table(at, "#weights")
    assert not has_table(at, "receptive field")
    keys = {w.key for w in at.number_input} | {w.key for w in at.selectbox}
    assert not {"bn_cin", "bn_ex_side", "bn_md_name", "bn_time_side"} & keys
    tab(at, MODELS)
    assert calls and at.exception  # the spy is reached once the tab is open


def test_channel_grouping_diagram_and_counts(at):
    tab(at, BOTTLENECK)
    assert not at.exception
    fig = chart(at, "bn_groups_chart")
    titles = [a["text"] for a in fig["layout"]["annotations"] if "group" in a["text"]]
    assert titles[:3] == ["groups = 1", "groups = 2", "groups = 4"]
    lines = [t for t in fig["data"] if t["mode"] == "lines"]
    per_panel = [1, 2, 4, 8]  # one line trace per group
    assert len(lines) == sum(per_panel)
    links = [sum(x is not None for x in t["x"]) // 2 for t in lines]
    assert sum(links[:1]) == 64 and sum(links[1:3]) == 32 and sum(links[3:7]) == 16
    assert sum(links[7:]) == 8  # depthwise: one input per output
    counts = table(at, "each output sees")
    assert list(counts["weights = MACs per position"]) == ["589,824", "294,912", "147,456", "2,304"]
    assert list(counts["vs groups = 1"]) == ["—", "2× fewer", "4× fewer", "256× fewer"]
    assert counts["convolution"][3] == "depthwise (groups = 256)"
    at.number_input(key="bn_cout").set_value(6).run()  # 4 and 256 do not divide 6
    counts = table(at, "each output sees")
    assert counts["vs groups = 1"][2] == "4 does not divide 256 and 6"
    assert counts["each output sees"][1] == "128 input channels"


def test_shortcuts_tab_shows_vanishing_gradients(at):
    tab(at, "Shortcuts")
    assert not at.exception and not at.error
    fig = chart(at, "bn_sc_chart")
    assert fig["layout"]["yaxis"]["type"] == "log"
    plain, residual = (plot_array(t["y"]) for t in fig["data"])
    assert len(plain) == len(residual) == 30
    assert plain[0] < 1e-6 * residual[0]
    assert "First layer: **" in joined(at) and "in the plain stack" in joined(at)
    at.slider(key="bn_sc_depth").set_value(4).run()
    assert not at.exception
    assert len(plot_array(chart(at, "bn_sc_chart")["data"][0]["y"])) == 4
