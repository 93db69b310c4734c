"""The "PyTorch code for what is on screen" panels (ui/code_panel.py), page by page: closed, the
panel builds and sends nothing; open, its st.code runs on its own (torch, torchvision, numpy and
math only) and its result equals what the tab shows: the feature maps, pooled grids and output
cells of the charts, the layer table, the block table, the kept boxes, the U-Net's parameter
count, the Text CNN's model. A widget change makes the open panel follow it."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnplay.detection.detector import load_detector, postprocess, raw_detections
from cnnplay.ops.boxes import nms_trace
from cnnplay.scenes import make_scene
from cnnplay.snippets import Snippet
from cnnplay.text.models import TextCNN, TextCNNConfig
from tests.snippets.runner import run
from tests.views.apptest_utils import chart, open_tab, plot_array, texts

TIMEOUT = 120
PANEL = "PyTorch code for what is on screen"


def page(name: str) -> AppTest:
    return AppTest.from_file(f"../../views/{name}.py", default_timeout=TIMEOUT).run()


def snippets(at: AppTest) -> list[str]:
    """The panels' programs on the page (st.code elements that start with an import; st.code
    drops the final newline, put back here)."""
    return [
        c.value.rstrip("\n") + "\n"
        for c in at.code
        if c.value.startswith(("import ", "from ")) and "import torch" in c.value
    ]


def open_panel(at: AppTest, key: str, files: tuple[tuple[str, bytes], ...] = ()) -> dict:
    """Open the panel ``key``, check the panel and its download, run its program (with
    ``files`` in its folder); returns the program's namespace."""
    assert not at.exception
    assert snippets(at) == [], "a closed panel sends no code"
    assert any(e.label == PANEL for e in at.expander)
    at.session_state[key] = True
    at.run()
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith(f"{key}_download")]
    assert len(buttons) == 1
    return rerun_code(at, files)


def rerun_code(at: AppTest, files: tuple[tuple[str, bytes], ...] = ()) -> dict:
    """Run the open panel's program (after a widget change, the new one), with ``files`` in its
    folder and the packages its caption names (``pip install …``) allowed."""
    assert not at.exception
    (code,) = snippets(at)
    caption = " ".join(texts(at, "caption"))
    result = re.search(r"the result is in `(\w+)`", caption)
    assert result, "the panel names the result's variable"
    pip = re.search(r"`pip install ([^`]+)`", caption)
    needs = tuple(pip.group(1).split()) if pip else ()
    return run(Snippet(code, result.group(1), needs=needs, files=files))


def clickable_values(at: AppTest, key: str) -> np.ndarray:
    """The numbers of a clickable grid (a scatter whose marker colours are the values)."""
    trace = chart(at, key)["data"][0]
    x, y = plot_array(trace["x"]).astype(int), plot_array(trace["y"]).astype(int)
    grid = np.zeros((y.max() + 1, x.max() + 1))
    grid[y, x] = plot_array(trace["marker"]["color"])
    return grid


def test_kernels_grid_panel_gives_the_feature_maps():
    at = page("kernels")
    y = open_panel(at, "kn_code_grid")["y"]
    for k in (0, 1):
        shown = plot_array(chart(at, f"kn_map{k + 1}")["data"][0]["z"])
        np.testing.assert_allclose(y[k].numpy(), shown)
    at.number_input(key="kn_bias").set_value(1.5)
    at.selectbox(key="kn_act").set_value("ReLU")
    at.radio(key="kn_padding").set_value("same").run()
    y = rerun_code(at)["y"]
    assert y.shape == (2, 6, 6)
    for k in (0, 1):
        shown = plot_array(chart(at, f"kn_map{k + 1}")["data"][0]["z"])
        np.testing.assert_allclose(y[k].numpy(), shown)


def test_kernels_photo_panel_has_the_photo_shape():
    at = open_tab(page("kernels"), "kn", "Photos")
    ns = open_panel(at, "kn_code_photo")
    caption = next(c for c in (cap for e in at.image for cap in e.captions) if "input" in c)
    w, h = (int(v) for v in re.search(r"(\d+)×(\d+)", caption).groups())
    assert tuple(ns["y"].shape[:2]) == (h, w)
    assert "stand-in" in " ".join(texts(at, "caption"))


def test_padding_panels_follow_the_output_grid_and_the_stack():
    at = page("padding")
    y = open_panel(at, "pd_code_size")["y"]
    np.testing.assert_allclose(y.numpy(), clickable_values(at, "pd_out_0"))
    at.number_input(key="pd_s").set_value(1)
    at.number_input(key="pd_d").set_value(2)
    at.selectbox(key="pd_mode").set_value("reflect").run()
    y = rerun_code(at)["y"]
    np.testing.assert_allclose(y.numpy(), clickable_values(at, "pd_out_0"))

    open_tab(at, "pd", "Shrinking, stride, dilation")
    sides = open_panel(at, "pd_code_stack")["sides"]
    stack = chart(at, "pd_stack")["data"]
    assert sides["valid"] == list(plot_array(stack[0]["y"]).astype(int))
    assert sides["same"] == list(plot_array(stack[1]["y"]).astype(int))


@pytest.mark.parametrize("mode", ["max", "avg", "global"])
def test_pooling_panel_gives_the_pooled_grid(mode):
    at = page("pooling")
    at.radio(key="pl_mode").set_value(mode).run()
    y = open_panel(at, "pl_code_grid")["y"]
    if mode == "global":
        assert y.shape == (2,)  # one number per channel of the notes' two feature maps
        gap = [t for t in texts(at, "latex") if t.startswith(r"\text{GAP}")]
        sums = [re.search(r"\\frac\{(-?[\d.]+)\}\{(\d+)\}", t).groups() for t in gap]
        np.testing.assert_allclose(y.numpy(), [float(a) / int(b) for a, b in sums])
        return
    key = f"pl_out_{at.session_state['pl_version']}"
    for c in range(y.shape[0]):
        np.testing.assert_allclose(y[c].numpy(), clickable_values(at, f"{key}_{c}"))


def test_receptive_field_panel_gives_the_layer_table():
    at = page("receptive_field")
    rows = open_panel(at, "rf_code_stack")["rows"]
    table = at.dataframe[1].value  # the computed table (the first one is the layer editor)
    assert [f"{n}×{n}" for n, *_ in rows] == list(table["output size n"])[1:]
    assert [j for _, j, _, _ in rows] == list(table["jump j"])[1:]
    assert [f"{r}×{r}" for _, _, r, _ in rows] == list(table["field r"])[1:]
    assert [s for *_, s in rows] == list(table["start"])[1:]


def test_bottleneck_panel_gives_the_weights_of_the_table():
    at = open_tab(page("bottleneck_cost"), "bn", "Bottleneck")
    params = open_panel(at, "bn_code_block")["params"]
    table = next(d.value for d in at.dataframe if "weights" in d.value.columns)
    assert [f"{v:,}" for v in params.values()] == list(table["weights"])
    at.number_input(key="bn_mid").set_value(32).run()
    params = rerun_code(at)["params"]
    table = next(d.value for d in at.dataframe if "weights" in d.value.columns)
    assert params["bottleneck"] == 256 * 32 + 9 * 32 * 32 + 32 * 256
    assert f"{params['bottleneck']:,}" in list(table["weights"])


@pytest.mark.parametrize("per_class", [True, False])
def test_detection_panel_keeps_the_boxes_the_page_keeps(per_class):
    at = open_tab(page("detection"), "det", "Pipeline & NMS")
    at.toggle(key="det_per_class").set_value(per_class)
    at.slider(key="det_score").set_value(0.1).run()
    keep = open_panel(at, "det_code_nms")["keep"]
    state = at.session_state
    det = postprocess(
        raw_detections(load_detector(), make_scene(state["det_seed"]).image),
        state["det_score"],
        state["det_iou"],
        per_class,
    )
    labels = det.candidate_labels if per_class else None
    trace = nms_trace(det.candidate_boxes, det.candidate_scores, state["det_iou"], labels)
    assert keep.tolist() == trace.keep.tolist()  # the step-by-step view's kept boxes
    counts = chart(at, "det_counts")["data"][0]  # boxes left after each step, NMS last
    numbers = counts["x"] if isinstance(counts["y"][0], str) else counts["y"]
    assert len(keep) == plot_array(numbers)[-1] == len(det.boxes)


def test_segmentation_panel_gives_the_parameter_count():
    at = page("segmentation")
    params = open_panel(at, "seg_code_unet")["params"]
    assert f"{params:,}" == next(m.value for m in at.metric if m.label == "Parameters")
    at.slider(key="seg_depth").set_value(2)
    at.radio(key="seg_decoder").set_value("FCN (one big upsampling)").run()
    params = rerun_code(at)["params"]
    assert f"{params:,}" == next(m.value for m in at.metric if m.label == "Parameters")


def test_text_cnn_panel_builds_the_chosen_model():
    at = open_tab(page("text_cnn"), "tc", "Train & compare")
    ns = open_panel(at, "tc_code_model")
    vocab = re.search(r"Vocabulary: \*\*([\d,]+) tokens", " ".join(texts(at, "markdown")))
    assert ns["vocab_size"] == int(vocab.group(1).replace(",", ""))
    at.multiselect(key="tc_widths").set_value([3, 5])
    at.slider(key="tc_filters").set_value(8).run()
    ns = rerun_code(at)
    config = TextCNNConfig(
        ns["vocab_size"], ns["num_classes"], embed_dim=32, widths=(3, 5), filters=8
    )
    assert ns["widths"] == (3, 5)
    assert ns["params"] == sum(p.numel() for p in TextCNN(config).parameters())
    at.radio(key="tc_arch").set_value("keras").run()
    ns = rerun_code(at)
    assert "KerasStack" in ns and ns["logits"].shape == (1, ns["num_classes"])
    torch.testing.assert_close(ns["logits"].softmax(1).sum(), torch.tensor(1.0))


def test_settings_without_a_program_get_a_message_not_a_traceback():
    def script():
        from cnnplay.snippets import SnippetError
        from ui.code_panel import code_panel

        def builder():
            raise SnippetError("nan is not a finite number")

        code_panel(builder, "x_code")

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    at.session_state["x_code"] = True
    at.run()
    assert not at.exception and not at.code
    assert at.info[0].value == "No code for these settings: nan is not a finite number"
