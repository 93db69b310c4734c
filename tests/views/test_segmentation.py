"""AppTest of views/segmentation.py: the defaults of every tab, architecture changes, the
comparison of the shipped models, a short live training run and a stopped one, feature maps,
your own image (drawing, photo, bad upload), the offline torchvision model, instances; the
settings surviving a change of page, "Reset this page", and hidden tabs doing no work."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnplay.scenes import SceneConfig, make_scenes
from cnnplay.segmentation.instances import instances_from_semantic
from cnnplay.segmentation.unet import UNet, UNetConfig, count_params, stages
from tests.views.apptest_utils import (
    chart,
    forbid,
    image_captions,
    joined,
    leave_and_return,
    open_tab,
    png_bytes,
    texts,
)

PAGE = "../../views/segmentation.py"
APP = "../../app.py"
TIMEOUT = 240
ARCHITECTURE, COMPARE, TRAIN = "Architecture", "Skips vs no skips vs FCN", "Train live"
FEATURES, OWN, INSTANCES = "Feature maps", "Your image", "Semantic vs instance"


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def at(fresh) -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "seg", label)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


TABLE_COLUMNS = {  # a column only that table has (st.dataframe without selection has no id)
    "seg_stage_table": "part",
    "seg_compare_table": "ms / scene",
    "seg_runs_table": "val mean IoU",
    "seg_inst_table": "objects (truth)",
}


def frame(at: AppTest, key: str):
    return next(d.value for d in at.dataframe if TABLE_COLUMNS[key] in d.value.columns)


def has_frame(at: AppTest, key: str) -> bool:
    return any(TABLE_COLUMNS[key] in d.value.columns for d in at.dataframe)


def test_defaults(fresh):
    at = fresh
    assert not at.exception and not at.error
    default = UNetConfig()
    assert metric(at, "Parameters") == f"{count_params(UNet(default)):,}"
    assert metric(at, "Smallest map") == "16×16"
    table = frame(at, "seg_stage_table")
    expected = stages(default, 128)
    assert list(table["stage"]) == [s.label for s in expected]
    assert list(table["channels"])[-1] == 4 and list(table["height"])[0] == 128
    diagram = chart(at, "seg_diagram")
    assert len(diagram["layout"]["shapes"]) == len(expected)
    notes = [a.get("text", "") for a in diagram["layout"]["annotations"]]
    assert sum("skip: concatenate" in t for t in notes) == 3
    assert "n_\\text{out} = (n_\\text{in} - 1)\\,s - 2p + k" in joined(at)
    tab(at, COMPARE)
    assert not at.exception and not at.error
    compare = frame(at, "seg_compare_table")
    assert list(compare["model"]) == ["U-Net (skips)", "encoder–decoder (no skips)", "FCN ×32"]
    assert compare["mean IoU"].between(0, 1).all()
    md = joined(at)
    assert "**Edges** (pixels within 1 px of a true boundary)" in md
    assert r"\text{IoU}_c = \frac{|P_c \cap T_c|}{|P_c \cup T_c|}" in md
    assert sum(c.startswith("wrong: ") for c in image_captions(at)) == 3
    assert at.slider(key="seg_scene").value == 18
    tab(at, TRAIN)
    assert "Nothing trained yet in this session" in joined(at)
    tab(at, OWN)
    assert any(c.startswith("drawing 2, 256 px") for c in image_captions(at))
    for label in (FEATURES, INSTANCES):
        tab(at, label)
        assert not at.exception and not at.error


def test_architecture_follows_the_settings(at):
    at.slider(key="seg_depth").set_value(5).run()
    assert metric(at, "Smallest map") == "4×4"
    assert len(frame(at, "seg_stage_table")) == 3 * 5 + 2  # 5 enc, bottleneck, 5 × (up, dec), head
    at.toggle(key="seg_skips").set_value(False).run()
    diagram = chart(at, "seg_diagram")
    assert not any("skip:" in a.get("text", "") for a in diagram["layout"]["annotations"])
    assert metric(at, "Parameters") == f"{count_params(UNet(UNetConfig(depth=5, skips=False))):,}"
    at.radio(key="seg_decoder").set_value("FCN (one big upsampling)").run()
    assert not at.exception
    table = frame(at, "seg_stage_table")
    assert list(table["stage"])[-1] == "×32 up" and list(table["height"])[-2] == 4
    assert at.radio(key="seg_upsample").disabled and at.toggle(key="seg_skips").disabled
    assert "**FCN ×32**" in joined(at)


def test_another_scene_changes_the_masks(at):
    tab(at, COMPARE)
    before = [c for c in image_captions(at) if c.startswith("wrong: ")]
    at.slider(key="seg_scene").set_value(10).run()
    after = [c for c in image_captions(at) if c.startswith("wrong: ")]
    assert not at.exception and before and before != after


def test_train_live_then_use_the_model(at):
    at.slider(key="seg_depth").set_value(2).run()
    at.selectbox(key="seg_width").set_value(4).run()
    tab(at, TRAIN)
    assert "(**U-Net (skips)**, " in joined(at)  # the configuration chosen above the tabs
    at.select_slider(key="seg_train_scenes").set_value(100).run()
    at.slider(key="seg_epochs").set_value(2).run()
    at.button(key="seg_train").click().run()
    assert not at.exception and not at.error
    runs = frame(at, "seg_runs_table")
    assert len(runs) == 1 and runs["epochs"].iloc[0] == 2 and runs["stopped"].iloc[0] == ""
    assert runs["parameters"].iloc[0] == count_params(UNet(UNetConfig(depth=2, base_width=4)))
    assert 0 <= float(metric(at, "Val mean IoU")) <= 1
    assert not any(c.startswith("step ") for c in image_captions(at))  # live masks cleared
    curves = chart(at, "seg_curves")
    assert len(curves["data"][0]["x"]) == 2
    assert runs["seed"].iloc[0] == 0
    assert any("Training seed **0**" in c for c in texts(at, "caption"))
    at.button(key="seg_train").click().run()  # the same settings and seed: the same run again
    runs = frame(at, "seg_runs_table")
    assert runs["val mean IoU"].iloc[0] == runs["val mean IoU"].iloc[1]
    again = chart(at, "seg_curves")["data"]
    assert [t["y"] for t in again[:2]] == [t["y"] for t in again[2:4]]  # newest run first
    tab(at, FEATURES)
    mine = [o for o in at.selectbox(key="seg_fm_model").options if o.startswith("yours: ")]
    assert len(mine) == 2
    at.selectbox(key="seg_fm_model").set_value(mine[0]).run()
    stage_labels = at.selectbox(key="seg_fm_stage").options
    assert len(stage_labels) == len(stages(UNetConfig(depth=2, base_width=4)))
    assert not at.exception
    tab(at, OWN)
    assert mine[0] in at.selectbox(key="seg_own_model").options


def stopped_run() -> dict:
    torch.manual_seed(0)
    return {
        "model": UNet(UNetConfig(depth=1, base_width=4)),
        "epochs": [{"epoch": 1, "train_loss": 1.0, "val_miou": 0.3, "val_dice": 0.35,
                    "val_boundary_accuracy": 0.5}],
        "start": 0.0,
        "seed": 5,
    }


def test_a_stopped_run_is_kept(at):
    tab(at, TRAIN)
    at.session_state["seg_pending"] = stopped_run()
    at.run()
    assert any("stopped after 1 epoch(s)" in t for t in texts(at, "info"))
    runs = frame(at, "seg_runs_table")
    assert runs["stopped"].iloc[0] == "yes" and runs["val mean IoU"].iloc[0] == pytest.approx(0.3)
    assert runs["model"].iloc[0] == "U-Net (skips) d1 w4 #1"  # labelled by its own config
    assert runs["seed"].iloc[0] == 5


def test_a_run_stopped_by_a_click_in_another_tab_is_kept(at):
    at.session_state["seg_pending"] = stopped_run()
    tab(at, FEATURES)  # the click that interrupted the run opened another tab
    assert any(o.startswith("yours: ") for o in at.selectbox(key="seg_fm_model").options)
    tab(at, TRAIN)
    assert any("stopped after 1 epoch(s)" in t for t in texts(at, "info"))
    assert frame(at, "seg_runs_table")["stopped"].iloc[0] == "yes"


def test_feature_maps_of_another_stage(at):
    tab(at, FEATURES)
    at.selectbox(key="seg_fm_stage").set_value(3).run()  # the bottleneck of the default U-Net
    caption = next(c for c in image_captions(at) if "strongest of" in c)
    assert caption.startswith("bottleneck: the 16 strongest of 64 channels, 16×16 each")
    at.select_slider(key="seg_fm_channels").set_value(4).run()
    assert any(c.startswith("bottleneck: the 4 strongest") for c in image_captions(at))


def test_your_image_drawing_photo_and_a_bad_upload(at):
    tab(at, OWN)
    at.number_input(key="seg_draw_seed").set_value(9).run()
    assert any(c.startswith("drawing 9, 256 px") for c in image_captions(at))
    shares = next(c for c in texts(at, "caption") if c.startswith("Share of pixels"))
    assert "background" in shares
    at.radio(key="seg_own_source").set_value("A photo (sample or upload)").run()
    assert any(c.startswith("sample: coffee") for c in image_captions(at))
    assert any("cropped to" in c or "shrunk" in c for c in texts(at, "caption"))
    at.radio(key="seg_photo_source").set_value("Upload").run()
    at.file_uploader(key="seg_photo_upload").set_value(
        ("shapes.png", b"\x89PNG but broken", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "shapes.png" in errors[0]
    assert not at.exception  # the rest is intact: the sample is segmented, settings kept
    assert any(c.startswith("sample: coffee") for c in image_captions(at))
    assert any(c.startswith("Share of pixels") for c in texts(at, "caption"))
    assert at.session_state["seg_draw_seed"] == 9 and at.slider(key="seg_depth").value == 3
    tab(at, COMPARE)
    assert not at.exception and len(frame(at, "seg_compare_table")) == 3
    tab(at, OWN)
    at.file_uploader(key="seg_photo_upload").set_value(
        ("ok.png", png_bytes((70, 90, 3)), "image/png")
    ).run()
    assert not at.error
    assert any(c.startswith("ok.png") for c in image_captions(at))
    assert any("cropped to 64×64" in c for c in texts(at, "caption"))


def test_torchvision_model_offline(at, monkeypatch, tmp_path):
    import urllib.error

    import cnnplay.models.pretrained as pretrained

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    tab(at, OWN)
    at.button(key="seg_tv").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "could not be downloaded" in errors[0]
    assert any(c.startswith("Share of pixels") for c in texts(at, "caption"))
    tab(at, COMPARE)
    assert len(frame(at, "seg_compare_table")) == 3


@pytest.mark.parametrize("seed, crowded", [(11, True), (3, False)])
def test_instances_table_counts_objects_and_pieces(at, seed, crowded):
    tab(at, INSTANCES)
    at.number_input(key="seg_inst_seed").set_value(seed).run()
    at.toggle(key="seg_inst_crowd").set_value(crowded).run()
    cfg = SceneConfig(max_objects=8, max_overlap=0.6) if crowded else SceneConfig()
    scene = make_scenes(1, seed, cfg)[0]
    truth = instances_from_semantic(scene.semantic)
    table = frame(at, "seg_inst_table")
    for c in (1, 2, 3):
        row = table.iloc[c - 1]
        assert row["objects (truth)"] == int((scene.labels == c).sum())
        assert row["connected pieces (truth mask)"] == int((truth.classes == c).sum())
    assert not at.exception


def test_settings_survive_leaving_the_page(fresh):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/segmentation.py").run()
    at.slider(key="seg_depth").set_value(4).run()
    at.selectbox(key="seg_width").set_value(16).run()
    at.radio(key="seg_upsample").set_value("bilinear + 1×1 conv").run()
    at.toggle(key="seg_skips").set_value(False).run()
    tab(at, COMPARE)
    at.slider(key="seg_scene").set_value(5).run()
    tab(at, TRAIN)
    at.slider(key="seg_epochs").set_value(7).run()
    leave_and_return(at, "views/segmentation.py")
    assert at.slider(key="seg_depth").value == 4
    assert at.selectbox(key="seg_width").value == 16
    assert at.radio(key="seg_upsample").value == "bilinear + 1×1 conv"
    assert at.toggle(key="seg_skips").value is False
    assert at.slider(key="seg_epochs").value == 7  # back in the tab the student left
    assert "Nothing trained yet in this session" in joined(at)
    assert "(**encoder–decoder (no skips)**, " in joined(at)
    tab(at, COMPARE)
    assert at.slider(key="seg_scene").value == 5


def test_reset_this_page_restores_the_defaults(at):
    at.slider(key="seg_depth").set_value(5).run()
    at.toggle(key="seg_skips").set_value(False).run()
    tab(at, INSTANCES)
    at.number_input(key="seg_inst_seed").set_value(3).run()
    at.sidebar.button(key="seg_reset").click().run()
    assert not at.exception
    assert at.slider(key="seg_depth").value == 3 and at.toggle(key="seg_skips").value is True
    assert metric(at, "Smallest map") == "16×16"  # the first tab again
    assert not has_frame(at, "seg_inst_table")
    tab(at, INSTANCES)
    assert at.number_input(key="seg_inst_seed").value == 11


def test_a_hidden_tab_does_no_work(at, monkeypatch):
    import views.segmentation.common as common
    from views.segmentation import comparison, feature_maps, instances, your_image

    loaders = ("predict", "shipped_predictions", "shipped_scores")
    tabs = (comparison, instances, your_image)
    calls = forbid(
        monkeypatch,
        [(m, name) for m in tabs for name in loaders if hasattr(m, name)]
        + [(feature_maps, "activations"), (common, "shipped_predictions")],
    )
    at.slider(key="seg_depth").set_value(4).run()  # the Architecture tab is open
    assert not at.exception and calls == []
    assert metric(at, "Smallest map") == "8×8"
    assert not has_frame(at, "seg_compare_table") and not has_frame(at, "seg_inst_table")
    assert not any(c.startswith("wrong: ") for c in image_captions(at))
    keys = {w.key for w in at.button} | {w.key for w in at.selectbox}
    assert not {"seg_train", "seg_tv", "seg_fm_model", "seg_own_model"} & keys
    tab(at, INSTANCES)
    assert calls and at.exception  # the spy is reached once the tab is open
