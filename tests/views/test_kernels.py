"""AppTest of views/kernels.py and its tabs (views/kernels/): defaults, changed widgets, worked
examples, bad uploads, lazy tabs, settings kept across page changes, Reset this page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.views.apptest_utils import (
    button,
    chart,
    image_captions,
    joined,
    open_tab,
    plot_array,
    png_bytes,
    texts,
)

PAGE = "../../views/kernels.py"
APP = "../../app.py"
TIMEOUT = 60
GRID_TAB = "± 1 grids: the notes' + and X"
PHOTOS_TAB = "Photos"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


@pytest.fixture
def photos(at) -> AppTest:
    """The page with its Photos tab open."""
    return open_tab(at, "kn", PHOTOS_TAB)


def step_cell(at: AppTest) -> tuple[int, int]:
    """The output cell (i, j) that "Step through the sums" spells out."""
    return at.number_input(key="kn_step_i").value, at.number_input(key="kn_step_j").value


def test_default_reproduces_seed000(at):
    assert not at.exception
    md = joined(at)
    assert "Strongest response **9** at row 0, column 0" in md  # the + is top-left
    assert "Strongest response **9** at row 3, column 3" in md  # the X is bottom-right
    assert "H' = H - k + 1 = 6 - 3 + 1 = 4" in md
    fmap = plot_array(chart(at, "kn_map1")["data"][0]["z"])
    assert np.array_equal(fmap, [[9, -1, 1, -1], [-1, -1, -1, -5], [1, -1, -1, 5], [-1, -5, 5, -7]])
    assert "F_{0,0}" in md and "f(9)" in md


def test_notes_named_by_topic(at):
    """Presets, example buttons and tabs name the notes by topic; the seed numbers stay in the
    small "From the notes" caption."""
    shown = at.selectbox(key="kn_in_preset").options
    assert "6×6 with a + and an X (from the CNN applications notes)" in shown
    assert (
        "kernel (3×3), from the Siena vision & NLP slides"
        in at.selectbox(key="kn_k1_preset").options
    )
    labels = [*shown, *at.selectbox(key="kn_k1_preset").options, *(b.label for b in at.button)]
    assert not [t for t in labels if "seed" in t.lower() or t[:3].isdigit()]
    captions = texts(at, "caption")
    assert any(c.startswith("From the notes: seed 000, “Convolutions on images”") for c in captions)


def test_wide_convolution_and_activation(at):
    at.radio(key="kn_padding").set_value("same")
    at.number_input(key="kn_bias").set_value(-8.0)
    at.selectbox(key="kn_act").set_value("ReLU").run()
    assert not at.exception
    md = joined(at)
    assert "= 6" in [t for t in texts(at, "latex") if t.startswith("H'")][0]
    assert "Strongest response **1** at row 1, column 1" in md  # ReLU(9 - 8)
    fmap = plot_array(chart(at, "kn_map1")["data"][0]["z"])
    assert fmap.shape == (6, 6) and fmap.min() == 0  # ReLU clipped the negatives


def test_step_buttons_walk_row_major(at):
    button(at, "next ▶").click().run()
    assert step_cell(at) == (0, 1)
    assert "F_{0,1}" in joined(at) and "f(-1)" in joined(at)
    button(at, "◀ previous").click().run()
    button(at, "◀ previous").click().run()  # wraps to the last cell
    assert step_cell(at) == (3, 3)


def test_stepping_through_a_larger_second_kernel_stays_inside_its_map(at):
    """Each kernel has its own size: with kernel 1 at 3×3 (a 4×4 map) and kernel 2 at 5×5 (a
    2×2 map), stepping kernel 2's sums from cell (3, 3) once failed with "output cell (3, 3) is
    outside the (2, 2) output"."""
    button(at, "◀ previous").click().run()  # the last cell of kernel 1's 4×4 map
    assert step_cell(at) == (3, 3)
    at.radio(key="kn_k2_size").set_value(5).run()
    at.radio(key="kn_step_k").set_value("kernel 2").run()
    assert not at.exception and not at.error
    assert step_cell(at) == (1, 1)  # the last cell of kernel 2's own 2×2 map
    button(at, "next ▶").click().run()  # wraps inside the 2×2 map
    assert step_cell(at) == (0, 0) and not at.exception


def test_seed004_example_and_true_convolution(at):
    button(at, "5×5 image, 3×3 kernel").click().run()
    assert at.selectbox(key="kn_k1_preset").value == "Seed 004 kernel (3×3)"
    assert at.radio(key="kn_padding").value == "same"
    fmap = plot_array(chart(at, "kn_map1")["data"][0]["z"])
    np.testing.assert_allclose(fmap[1], [0.8, 0.5, 3.5, -1.8, 0.2], atol=1e-9)
    at.number_input(key="kn_step_i").set_value(1)
    at.number_input(key="kn_step_j").set_value(2).run()
    assert "f(3.5)" in joined(at)
    at.toggle(key="kn_flip").set_value(True).run()
    assert "Flipped kernel used by true convolution:" in joined(at)
    flipped = plot_array(chart(at, "kn_flipped1")["data"][0]["z"])
    np.testing.assert_allclose(flipped, [[-0.2, -1, 0], [0, 2, -1.5], [1, 0.5, 0.2]])


def test_two_channels(at):
    button(at, "Grey + depth").click().run()
    assert at.toggle(key="kn_in_two").value is True
    md = joined(at)
    assert "Strongest response **17.5** at row 1, column 1" in md
    assert "Strongest response **17.5** at row 4, column 4" in md
    assert len(at.data_editor) == 2 + 2 + 2  # 2 input channels, 2 slices per kernel
    open_tab(at, "kn", PHOTOS_TAB)
    assert len(at.data_editor) == 1  # the photo kernel
    open_tab(at, "kn", GRID_TAB)
    assert at.toggle(key="kn_in_two").value is True  # the example's settings came back
    assert "Strongest response **17.5** at row 4, column 4" in joined(at)


def test_editing_a_kernel_cell_changes_the_map(at):
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_k1_"))
    at.session_state[key] = {"edited_rows": {1: {"1": 5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "Strongest response **13** at row 0, column 0" in joined(at)


def test_emptied_cell_counts_as_zero(at):
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_k2_"))
    at.session_state[key] = {"edited_rows": {1: {"1": None}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert "Empty or invalid cells count as 0." in texts(at, "warning")
    assert "Strongest response **8** at row 3, column 3" in joined(at)


def test_shift_moves_the_response(at):
    at.number_input(key="kn_in_dy").set_value(1)
    at.number_input(key="kn_in_dx").set_value(1).run()
    assert "Strongest response **9** at row 1, column 1" in joined(at)


def test_photo_defaults_and_display_modes(photos):
    at = photos
    assert any("input (sample: chelsea (cat))" in c for c in image_captions(at))
    assert "flat areas become 0" in joined(at)  # Sobel x, the default, sums to 0
    captions = image_captions(at)
    assert any("shown as: |y|, stretched to 0–255" in c for c in captions)  # "auto" for edges
    at.selectbox(key="kn_ph_kernel").set_value("Gaussian blur").run()
    assert "flat areas keep their brightness" in joined(at)
    assert any("shown as: clip to 0–255 (as saved)" in c for c in image_captions(at))
    at.radio(key="kn_ph_display").set_value("rescale").run()
    assert any("shown as: stretch min–max to 0–255" in c for c in image_captions(at))
    assert not at.exception and not at.error


def test_upload_good_bad_and_animated(photos):
    at = photos
    at.selectbox(key="kn_ph_kernel").set_value("Laplacian")
    at.radio(key="kn_ph_source").set_value("Upload").run()
    assert "No file yet: showing the sample photo." in texts(at, "caption")
    assert not at.selectbox(key="kn_ph_sample").disabled  # the sample is what is shown
    at.file_uploader(key="kn_ph_upload").set_value(("square.png", png_bytes(), "image/png")).run()
    assert not at.error
    assert any("input (square.png), 80×60" in c for c in image_captions(at))
    assert at.selectbox(key="kn_ph_sample").disabled  # the upload replaces the sample

    at.file_uploader(key="kn_ph_upload").set_value(
        ("notes.png", b"hello, not an image", "image/png")
    ).run()
    errors = texts(at, "error")
    assert len(errors) == 1 and "notes.png" in errors[0] and "not a supported image" in errors[0]
    assert "Showing the sample photo instead." in errors[0]
    assert at.selectbox(key="kn_ph_kernel").value == "Laplacian"  # the user's choice survives
    assert any("input (sample: chelsea (cat))" in c for c in image_captions(at))
    assert not at.selectbox(key="kn_ph_sample").disabled  # the page shows it: it can be changed
    at.selectbox(key="kn_ph_sample").set_value("coffee").run()
    assert any("input (sample: coffee)" in c for c in image_captions(at))

    frames = [Image.new("RGB", (32, 24), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    at.file_uploader(key="kn_ph_upload").set_value(("anim.gif", buf.getvalue(), "image/gif")).run()
    assert any("3" in note and "frame" in note for note in texts(at, "info"))


def test_kernel_too_large_for_a_tiny_upload(photos):
    at = photos
    at.radio(key="kn_ph_source").set_value("Upload")
    at.selectbox(key="kn_ph_kernel").set_value("Box blur").run()  # Sobel stops at 5×5
    at.select_slider(key="kn_ph_size").set_value(15).run()
    at.file_uploader(key="kn_ph_upload").set_value(
        ("tiny.png", png_bytes((6, 6, 3)), "image/png")
    ).run()
    errors = texts(at, "error")
    assert any("too large to mirror" in e for e in errors)
    at.selectbox(key="kn_ph_pad").set_value("zeros").run()
    assert not at.error  # the same kernel with zero padding works


def test_typed_input_edits_persist_until_another_preset(at):
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_in_"))
    at.session_state[key] = {"edited_rows": {1: {"1": -1}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "Strongest response **7** at row 0, column 0" in joined(at)
    at.number_input(key="kn_bias").set_value(1.0).run()  # other controls keep the edit
    assert "Strongest response **8** at row 0, column 0" in joined(at)
    at.selectbox(key="kn_in_preset").set_value("Seed 003: 9×9 X").run()
    assert "Strongest response **10**" in joined(at)  # 9 + bias 1, kernel 2 (X) on the X
    at.selectbox(key="kn_in_preset").set_value("Seed 000: 6×6 with a + and an X").run()
    assert "Strongest response **10** at row 0, column 0" in joined(at)  # edit forgotten


def test_custom_photo_kernel_per_channel(photos):
    at = photos
    at.selectbox(key="kn_ph_kernel").set_value("Custom")
    at.radio(key="kn_ph_gray").set_value("per channel (RGB): image filtering").run()
    assert "Image filtering, not a CNN layer" in joined(at)
    captions = image_captions(at)  # an all-zero kernel: all-zero maps
    assert any("3 maps (R, G, B)" in c and "values 0.0 … 0.0" in c for c in captions)
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_ph_Custom"))
    at.session_state[key] = {"edited_rows": {2: {"2": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    # A centred 1 is the identity: the output's range is the photo's own.
    from cnnplay.images import load_sample

    photo = load_sample("chelsea (cat)")
    expected = f"values {photo.min():.1f} … {photo.max():.1f}"
    assert any(expected in c for c in image_captions(at)), image_captions(at)
    assert "flat areas keep their brightness" in joined(at)


@pytest.mark.parametrize(
    "value,warning,strongest",
    [
        (float("inf"), "Empty or invalid cells count as 0.", "8"),
        ("abc", "Empty or invalid cells count as 0.", "8"),
        (1e300, "Values are limited to ±1000.", "1008"),
    ],
)
def test_nonsense_kernel_values_get_a_warning(at, value, warning, strongest):
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_k2_"))
    at.session_state[key] = {"edited_rows": {1: {"1": value}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    assert warning in texts(at, "warning")
    assert f"Strongest response **{strongest}** at row 3, column 3" in joined(at)


def test_a_hidden_tab_does_no_work(at):
    """Only the open tab runs: the photo is not filtered while the grid tab is open, and the
    feature maps are not computed while the Photos tab is open."""
    assert not at.image and not any(s.key == "kn_ph_kernel" for s in at.selectbox)
    assert not any("The weights sum to" in m for m in texts(at, "markdown"))
    open_tab(at, "kn", PHOTOS_TAB)
    assert not at.exception and len(at.image) == 2
    assert not any("Strongest response" in m for m in texts(at, "markdown"))
    with pytest.raises(KeyError):
        chart(at, "kn_map1")
    assert not any(n.key == "kn_bias" for n in at.number_input)


def test_settings_survive_leaving_the_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/kernels.py").run()
    at.number_input(key="kn_bias").set_value(-8.0)
    at.radio(key="kn_padding").set_value("same").run()
    open_tab(at, "kn", PHOTOS_TAB)
    at.selectbox(key="kn_ph_kernel").set_value("Laplacian").run()
    at.switch_page("views/home.py").run()
    assert not at.exception and "Strongest response" not in joined(at)
    at.switch_page("views/kernels.py").run()
    assert not at.exception
    assert at.selectbox(key="kn_ph_kernel").value == "Laplacian"  # the Photos tab is open again
    assert len(at.image) == 2
    open_tab(at, "kn", GRID_TAB)
    assert at.number_input(key="kn_bias").value == -8.0
    assert at.radio(key="kn_padding").value == "same"
    assert "Strongest response **1** at row 1, column 1" in joined(at)  # 9 - 8, wide


def test_reset_restores_the_defaults(at):
    button(at, "5×5 image, 3×3 kernel").click().run()
    at.number_input(key="kn_bias").set_value(2.0).run()
    key = next(d.key for d in at.data_editor if d.key.startswith("kn_ed_k1_"))
    at.session_state[key] = {"edited_rows": {1: {"1": 5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    open_tab(at, "kn", PHOTOS_TAB)
    at.selectbox(key="kn_ph_kernel").set_value("Laplacian").run()
    at.sidebar.button(key="kn_reset").click().run()
    assert not at.exception
    assert at.session_state["kn_tab_open"] == GRID_TAB  # back on the first tab
    assert at.selectbox(key="kn_in_preset").value == "Seed 000: 6×6 with a + and an X"
    assert at.selectbox(key="kn_k1_preset").value == "+ (cross)"
    assert at.radio(key="kn_padding").value == "valid"
    assert at.number_input(key="kn_bias").value == 0.0
    md = joined(at)
    assert "Strongest response **9** at row 0, column 0" in md  # the kernel edit is gone too
    assert "Strongest response **9** at row 3, column 3" in md
    open_tab(at, "kn", PHOTOS_TAB)
    assert at.selectbox(key="kn_ph_kernel").value == "Sobel x (vertical edges)"


def test_photo_cnn_layer_sums_three_slices_into_one_map(photos):
    """The CNN way on a colour photo: one kernel with R, G, B slices, summed into ONE map."""
    from cnnplay.filtering import filter_image
    from cnnplay.images import load_sample
    from cnnplay.kernels import gaussian_kernel

    at = photos
    assert "A_{i,j} = \\sum_{u,v} W_{u,v}" in joined(at)  # grayscale by default
    at.selectbox(key="kn_ph_kernel").set_value("Gaussian blur")
    at.radio(key="kn_ph_gray").set_value("CNN layer: 3 slices → 1 map").run()
    assert not at.exception and not at.error
    md = joined(at)
    assert "\\sum_{c \\in \\{R,G,B\\}}" in md and "+ b" in md  # the formula is on screen
    assert "summed into one map" in md
    assert len(at.data_editor) == 4  # the kernel and its three slices
    captions = [c for c in image_captions(at) if c.startswith("output")]
    assert len(captions) == 1 and "output: one map" in captions[0]
    photo = load_sample("chelsea (cat)")
    # equal slices k/3 with a blur: the blur of the channel mean, one map
    mean_map = filter_image(photo, np.round(gaussian_kernel(5, 1.0), 4) / 3).sum(axis=2)
    assert f"values {mean_map.min():.1f} … {mean_map.max():.1f}" in captions[0], captions
    assert at.image[1].value is not None

    at.number_input(key="kn_ph_bias").set_value(10.0)
    at.selectbox(key="kn_ph_mix").set_value("red only").run()
    red = filter_image(photo[..., 0], np.round(gaussian_kernel(5, 1.0), 4)) + 10
    captions = [c for c in image_captions(at) if c.startswith("output")]
    assert f"values {red.min():.1f} … {red.max():.1f}" in captions[0], captions
    assert any(d.key.startswith("kn_ed_ph_slice0_red only") for d in at.data_editor)


def test_sobel_offers_only_its_sizes(photos):
    at = photos
    assert at.select_slider(key="kn_ph_size").options == ["3", "5"]
    assert "comes in sizes 3×3 and 5×5 only" in joined(at)
    at.selectbox(key="kn_ph_kernel").set_value("Box blur").run()
    at.select_slider(key="kn_ph_size").set_value(15).run()
    at.selectbox(key="kn_ph_kernel").set_value("Sobel y (horizontal edges)").run()
    assert not at.exception
    assert at.select_slider(key="kn_ph_size").value == 5
    assert "Sobel y (horizontal edges) comes in sizes 3×3 and 5×5 only" in joined(at)
    at.selectbox(key="kn_ph_kernel").set_value("Gaussian blur").run()
    assert "comes in sizes" not in joined(at)
    assert len(at.select_slider(key="kn_ph_size").options) == 6


CONV1D_TAB = "1D convolution"


def test_conv1d_reproduces_seed004_and_follows_the_slider(at):
    from cnnplay.ops.conv1d import SEED004_F, SEED004_G, conv1d_at

    open_tab(at, "kn", CONV1D_TAB)
    assert not at.exception and not at.error
    md = joined(at)
    assert r"(f * g)(x) = \int_{-\infty}^{+\infty} f(t)\, g(x - t)\, dt" in md
    assert r"(f * g)(11.5) = \int f(t)\, g(11.5 - t)\, dt = \text{shaded area} = 0.8750" in md
    assert "**(f ∗ g)(11.5) = 0.875**: the notes' value ✓" in md
    overlap = chart(at, "kn_1d_overlap")
    names = [trace["name"] for trace in overlap["data"]]
    assert names[1] == "f(t)" and names[2].startswith("g(11.5 − t)")
    product = overlap["data"][0]
    assert product["fill"] == "tozeroy"
    t, p = plot_array(product["x"]), plot_array(product["y"])
    assert np.trapezoid(p, t) == pytest.approx(0.875, abs=2e-3)  # the shaded area
    curve = chart(at, "kn_1d_curve")
    marker = curve["data"][1]
    assert plot_array(marker["x"])[0] == 11.5 and plot_array(marker["y"])[0] == 0.875
    xs, ys = plot_array(curve["data"][0]["x"]), plot_array(curve["data"][0]["y"])
    assert ys.max() == pytest.approx(1.0) and ys[xs < 9].max() == 0  # f * g is 0 left of 9

    at.slider(key="kn_1d_x").set_value(10.0).run()
    assert not at.exception
    expected = conv1d_at(SEED004_F, SEED004_G, 10.0)
    assert expected == pytest.approx(0.5)  # half of the triangle over the box
    md = joined(at)
    assert r"g(10 - t)\, dt = \text{shaded area} = 0.5000" in md
    assert "the notes' value" not in md
    assert plot_array(chart(at, "kn_1d_curve")["data"][1]["x"])[0] == 10.0


SMOOTHING_TAB = "Why 'convolution'?"


def test_gps_smoothing_and_commutativity(at):
    from cnnplay.ops.conv1d import causal_weights, noisy_track

    open_tab(at, "kn", SMOOTHING_TAB)
    assert not at.exception and not at.error
    md = joined(at)
    assert r"y(t) \approx (x * w)(t) = \sum_s x(s)\, w(t - s)" in md
    assert "w = (0.333, 0.267, 0.2, 0.133, 0.067)" in md  # width 5, sums to 1
    truth, readings = noisy_track(120, 1.0)
    expected = np.convolve(readings, causal_weights(5))
    latex = next(t for t in texts(at, "latex") if t.startswith(r"\sum_s x(s)"))
    assert f"= {expected[60]:.6f}" in latex and latex.count(f"{expected[60]:.6f}") == 2
    assert "(equal, up to rounding)" in md
    track = chart(at, "kn_gps_track")
    np.testing.assert_allclose(plot_array(track["data"][2]["y"]), expected[:120], atol=1e-9)

    at.slider(key="kn_gps_width").set_value(1).run()  # w = (1): the estimate is the readings
    assert not at.exception
    assert "w = (1)" in joined(at)
    track = chart(at, "kn_gps_track")
    np.testing.assert_allclose(plot_array(track["data"][2]["y"]), readings, atol=1e-9)
    at.slider(key="kn_gps_noise").set_value(0.0).run()
    assert "readings **0.00 m**" in joined(at)
