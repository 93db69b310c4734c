"""The "PyTorch code for what is on screen" panels of What a CNN learned (views/learned/…):
closed, a panel builds and sends nothing; open, it is built from the tab's current settings
without running anything (no result appears), its program runs on its own with the files the
panel offers, and it makes what the tab shows after Run: the gradient-ascent image with its
logit and the network's verdict, the style-transfer image with its loss caption, the nearest
images with the distances of the table, and the DeepDream image with its before/after L and
the curve of L per step. A widget change makes the open panel follow."""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.models.pretrained import imagenet_categories
from cnnplay.snippets.learned import (
    CONTENT_FILE,
    DREAM_FILE,
    GALLERY_FILE,
    QUERY_FILE,
    START_FILE,
    STYLE_FILE,
)
from tests.snippets.test_learned import same_pictures
from tests.views.apptest_utils import chart, image_captions, joined, open_tab, plot_array, texts
from tests.views.test_code_panels import (
    PANEL,
    open_panel,
    page,
    rerun_code,
    snippets,
)

pytestmark = pytest.mark.usefixtures("one_thread")

CATS = imagenet_categories()
LOGIT = re.compile(r"Its logit went from \*\*(-?[\d.]+)\*\* to \*\*(-?[\d.]+)\*\*")
STAGES_KEY = "wl_style_stages_efficientnet_lite0"
DREAM_L = re.compile(
    r"objective L on the whole photo went from \*\*(-?[\d.]+)\*\* to \*\*(-?[\d.]+)\*\*"
)


def learned(tab: str, **state) -> AppTest:
    """The page with one tab open and some widgets set (before they are drawn)."""
    at = page("learned")
    for key, value in state.items():
        at.session_state[key] = value
    return open_tab(at, "wl", tab)


def files(offered: dict[str, bytes], *names: str) -> tuple[tuple[str, bytes], ...]:
    """The files the open panel offered (its download buttons), by name."""
    return tuple((name, offered[name]) for name in names)


def open_with_files(at: AppTest, key: str, offered: dict[str, bytes], *names: str) -> dict:
    """open_panel for a program that reads files: they are offered only once the panel is
    open, so it is opened first (closed, it sends no code), then its program runs with them."""
    assert not at.exception and snippets(at) == [], "a closed panel sends no code"
    assert any(e.label == PANEL for e in at.expander)
    at.session_state[key] = True
    at.run()
    assert [b for b in at.get("download_button") if b.proto.id.endswith(f"{key}_download")]
    assert set(names) <= set(offered), sorted(offered)
    return rerun_code(at, files(offered, *names))


# --- gradient ascent ------------------------------------------------------------------------


def check_ascent(at: AppTest, ns: dict) -> None:
    """Run the tab and compare: the same image, the logit the verdict shows, the top class and
    its probability in the image's caption."""
    at.button(key="wl_ga_run").click().run()
    assert not at.exception and not at.error
    result = at.session_state["wl_ga_made"].extras["main"]
    same_pictures(ns["images"].numpy(), result.images)
    _, after = LOGIT.search(joined(at)).groups()
    assert f"{ns['final'][0].item():.1f}" == after
    probs = ns["probs"][0]
    top = int(probs.argmax())
    said = f"says {CATS[top]} ({100 * probs[top].item():.1f}%)"
    assert any(said in c for c in image_captions(at)), (said, image_captions(at))


def test_ascent_panel_makes_the_image_a_run_makes(downloads):
    at = learned("Gradient ascent", wl_ga_steps=2, wl_ga_size=64)
    ns = open_panel(at, "wl_code_ascent")
    assert "Nothing made yet in this session" in joined(at)  # the panel ran nothing
    (code,) = snippets(at)
    assert "steps, size = 2, 64" in code and 'target = 9  # ImageNet class "ostrich"' in code
    check_ascent(at, ns)
    # a photo start without jitter: the photo travels beside the program
    at.toggle(key="wl_ga_jitter_on").set_value(False)
    at.radio(key="wl_ga_start").set_value("photo").run()
    ns = rerun_code(at, files(downloads, START_FILE))
    (code,) = snippets(at)
    assert "jitter =" not in code and START_FILE in code
    check_ascent(at, ns)


def test_ascent_panel_for_a_unit(downloads):
    at = learned("Gradient ascent", wl_ga_steps=1, wl_ga_size=64, wl_ga_kind="unit")
    at.number_input(key="wl_ga_channel").set_value(5).run()
    ns = open_panel(at, "wl_code_ascent")
    (code,) = snippets(at)
    assert "stage, channel = 6, 5" in code and "(blocks.4)" in code
    at.button(key="wl_ga_run").click().run()
    result = at.session_state["wl_ga_made"].extras["main"]
    same_pictures(ns["images"].numpy(), result.images)
    np.testing.assert_allclose(ns["final"].numpy(), result.final_score, rtol=1e-5)


# --- style transfer ---------------------------------------------------------------------------


def check_style(at: AppTest, ns: dict) -> None:
    at.button(key="wl_style_run").click().run()
    assert not at.exception and not at.error
    same_pictures(ns["image"].numpy(), at.session_state["wl_style_made"].image)
    (c0, s0), (c1, s1) = ns["history"][0], ns["history"][-1]
    shown = f"Style loss {s0:.3g} → {s1:.3g}, content loss {c0:.3g} → {c1:.3g}."
    assert any(shown in c for c in texts(at, "caption")), shown


def test_style_panel_follows_the_settings(downloads):
    at = learned("Style transfer", wl_style_side=64, wl_style_steps=5)
    ns = open_with_files(at, "wl_code_style", downloads, CONTENT_FILE, STYLE_FILE)
    assert "Nothing painted yet in this session" in joined(at)  # the panel ran nothing
    check_style(at, ns)
    # a texture (α = 0) from noise with L-BFGS
    at.select_slider(key="wl_style_alpha").set_value(0.0)
    at.radio(key="wl_style_start").set_value("noise")
    at.radio(key="wl_style_optimiser").set_value("lbfgs").run()
    ns = rerun_code(at, files(downloads, CONTENT_FILE, STYLE_FILE))
    (code,) = snippets(at)
    assert "torch.optim.LBFGS(" in code and "content_stage" not in code
    check_style(at, ns)
    # settings that cannot run: a message, no code
    at.multiselect(key=STAGES_KEY).set_value([]).run()
    assert not at.exception and not snippets(at)
    message = "No code for these settings: choose at least one style stage"
    assert any(message in i.value for i in at.info)


# --- nearest images -------------------------------------------------------------------------


def check_neighbours(at: AppTest, ns: dict) -> None:
    """The program's neighbours are the table's, by features and by pixels."""
    table = next(d.value for d in at.dataframe if "features: image" in d.value.columns)
    # shown to 4 decimals; the page's float32 Euclidean distance √(|q|² + |g|² − 2 q·g) is
    # off by up to √(ε·|q|²) ≈ 0.01 for a near-duplicate (0.011 for 0.00002), which the
    # program's direct |q − g| is not
    cosine = at.radio(key="wl_nn_metric").value.startswith("cosine")
    for space, suffix in (("features", ""), ("pixels", "_pixels")):
        assert [f"#{i}" for i in ns[f"nearest{suffix}"]] == list(table[f"{space}: image"])
        np.testing.assert_allclose(
            ns[f"distances{suffix}"].numpy(),
            table[f"{space}: distance"],
            rtol=1e-5,
            atol=1.5e-4 if cosine else 0.02,
        )


def test_neighbours_panel_finds_the_tables_images(downloads):
    at = learned("Nearest images")
    ns = open_with_files(at, "wl_code_neighbours", downloads, GALLERY_FILE)
    check_neighbours(at, ns)
    assert len(ns["nearest"]) == 6 and ns["gallery"].shape == (156, 3, 128, 128)
    at.radio(key="wl_nn_metric").set_value("Euclidean")
    at.slider(key="wl_nn_k").set_value(4)
    at.number_input(key="wl_nn_member").set_value(3).run()
    ns = rerun_code(at, files(downloads, GALLERY_FILE))
    check_neighbours(at, ns)
    assert len(ns["nearest"]) == 4 and "q = 3" in snippets(at)[0]
    at.radio(key="wl_nn_query").set_value("A photo (sample or upload)").run()
    ns = rerun_code(at, files(downloads, GALLERY_FILE, QUERY_FILE))
    check_neighbours(at, ns)


# --- DeepDream ------------------------------------------------------------------------------


def check_dream(at: AppTest, ns: dict) -> None:
    """Dream on the tab and compare: the same image, the before/after L the text shows, and
    the L of every step on the curve (one line per octave)."""
    at.button(key="wl_dream_run").click().run()
    assert not at.exception and not at.error
    result = at.session_state["wl_dream_made"].extras["dream"]
    same_pictures(ns["image"].numpy(), result.image)
    before, after = DREAM_L.search(joined(at)).groups()
    assert (f"{ns['before']:.3f}", f"{ns['after']:.3f}") == (before, after)
    lines = chart(at, "wl_dream_curve")["data"]
    shown = np.concatenate([plot_array(line["y"]) for line in lines])
    np.testing.assert_allclose(ns["curve"], shown, rtol=1e-6)


def test_dream_panel_dreams_the_tabs_image(downloads):
    at = learned("DeepDream", wl_dream_size=96, wl_dream_steps=2, wl_dream_octaves=2)
    ns = open_with_files(at, "wl_code_dream", downloads, DREAM_FILE)
    assert "Nothing dreamt yet in this session" in joined(at)  # the panel ran nothing
    (code,) = snippets(at)
    assert "stage = 6  # the stage (blocks.4)" in code and "(96×64 px)" in code
    assert "octaves = 2" in code and "steps = 2" in code and "jitter = 32" in code
    assert len(ns["curve"]) == 4
    check_dream(at, ns)
    # a shallow stage, other octaves, another jitter seed: the open panel follows
    at.button(key="wl_dream_shallow").click().run()
    at.slider(key="wl_dream_scale").set_value(1.6)
    at.slider(key="wl_dream_jitter").set_value(8)
    at.number_input(key="wl_dream_seed").set_value(7).run()
    ns = rerun_code(at, files(downloads, DREAM_FILE))
    (code,) = snippets(at)
    assert "stage = 3" in code and "octave_scale = 1.6" in code and "seed = 7" in code
    check_dream(at, ns)
