"""cnnplay.synthesis.style: the Gram matrix's loop version against the matrix product, each loss
against a hand computation, and style transfer itself — its loss falls, the shared network is
left exactly as it was (weights, no hooks, no gradients), Stop ends it early and progress
brings images; the VGG layer names; the tab's figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, PretrainedSpec, load_pretrained
from cnnplay.synthesis.style import (
    GRAM_CHANNELS_KEPT,
    StyleSettings,
    content_loss,
    fit_images,
    gram_matrix,
    gram_matrix_loops,
    stage_names,
    style_layer_loss,
    style_loss,
    transfer,
    tv_loss,
    vgg_layer_names,
)
from cnnplay.synthesis.style_images import texture
from cnnplay.synthesis.style_plots import (
    WORKED_MAP,
    gram_entry_latex,
    gram_figure,
    loss_curves_figure,
    relative_gap,
)

pytestmark = pytest.mark.usefixtures("one_thread")

SPEC = REGISTRY[DEFAULT_MODEL]


@pytest.fixture(scope="module")
def effnet() -> nn.Module:
    """The shared offline backbone, as the page gets it (eval mode, frozen)."""
    return load_pretrained(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def photos() -> tuple[np.ndarray, np.ndarray]:
    """A 64 × 48 content picture (a bright square on a gradient) and a 64 px style texture."""
    content = np.zeros((48, 64, 3), np.uint8)
    content[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)[None]
    content[12:36, 20:44] = (250, 240, 200)
    return content, texture("mosaic", 64)


class TinyVGG(nn.Module):
    """A VGG-shaped network small enough for tests (features / avgpool / classifier)."""

    def __init__(self, requires_grad: bool = True) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 70, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(70, 16), nn.ReLU(), nn.Linear(16, 4))
        self.eval().requires_grad_(requires_grad)


TINY_SPEC = PretrainedSpec(lambda p: TinyVGG(), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225),
                           offline=True, about="test")  # fmt: skip


# --- the Gram matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 2, 2), (4, 3, 5), (7, 1, 6), (2, 6, 1)])
def test_gram_loops_equal_the_matrix_product(shape):
    rng = np.random.default_rng(sum(shape))
    f = rng.normal(size=shape)  # (C, H, W) float64
    loops = gram_matrix_loops(f)
    t = torch.from_numpy(f)[None]  # (1, C, H, W)
    assert_close(torch.from_numpy(loops), gram_matrix(t, normalise=False)[0])
    h, w = shape[1:]
    assert_close(torch.from_numpy(loops) / (h * w), gram_matrix(t)[0])


def test_gram_matrix_batch_is_per_image_symmetric_with_a_non_negative_diagonal():
    f = torch.randn(3, 5, 4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    g = gram_matrix(f)
    assert g.shape == (3, 5, 5)
    for k in range(3):
        assert_close(g[k], torch.from_numpy(gram_matrix_loops(f[k].numpy())) / 24)
    assert_close(g, g.transpose(1, 2))
    assert (torch.diagonal(g, dim1=1, dim2=2) >= 0).all()


def test_the_worked_example_by_hand():
    # channels (flattened): c0 = 1 0 2 1, c1 = 2 0 1 1, c2 = 0 3 0 1
    by_hand = np.array([[6, 5, 1], [5, 6, 1], [1, 1, 10]], dtype=np.float64)
    np.testing.assert_array_equal(gram_matrix_loops(WORKED_MAP), by_hand)
    latex = gram_entry_latex(WORKED_MAP, 0, 1)
    assert latex.endswith("1\\cdot2 + 0\\cdot0 + 2\\cdot1 + 1\\cdot1 = 5")


# --- the losses -----------------------------------------------------------------------------


def test_content_loss_is_the_mean_squared_difference():
    fx = torch.zeros(1, 2, 1, 2, dtype=torch.float64)
    fp = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]], dtype=torch.float64)
    assert content_loss(fx, fp).item() == pytest.approx((1 + 4 + 9 + 16) / 4)
    assert content_loss(fp, fp).item() == 0


def test_style_layer_loss_by_hand_and_gatys_identity():
    gx = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]], dtype=torch.float64)
    ga = torch.tensor([[[0.0, 0.5], [0.5, 3.0]]], dtype=torch.float64)
    # ‖gx − ga‖² = 1 + 0.25 + 0.25 + 4 = 5.5; C = 2 -> / (4 · 4)
    assert style_layer_loss(gx, ga).item() == pytest.approx(5.5 / 16)
    # with G divided by M = H·W: E = 1/(4 C² M²) ‖G_x − G_a‖² on the plain Gram matrices
    gen = torch.Generator().manual_seed(2)
    fx, fa = (torch.randn(1, 3, 4, 5, dtype=torch.float64, generator=gen) for _ in range(2))
    plain = ((gram_matrix(fx, False) - gram_matrix(fa, False)) ** 2).sum()
    assert style_layer_loss(gram_matrix(fx), gram_matrix(fa)).item() == pytest.approx(
        plain.item() / (4 * 3**2 * 20**2)
    )


def test_style_loss_weighs_the_stages_equally():
    a = torch.zeros(1, 1, 1, dtype=torch.float64)
    b = torch.full((1, 2, 2), 2.0, dtype=torch.float64)
    total, per_stage = style_loss([a + 1, b], [a, b * 0])
    # stage 1: 1² / (4·1) = 0.25; stage 2: 4 · 2² / (4·4) = 1; mean = 0.625
    assert [p.item() for p in per_stage] == pytest.approx([0.25, 1.0])
    assert total.item() == pytest.approx(0.625)
    with pytest.raises(ValueError):
        style_loss([a], [])


def test_tv_loss_by_hand():
    x = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]], dtype=torch.float64)
    # vertical neighbours differ by 2 (2² = 4), horizontal ones by 1 (1)
    assert tv_loss(x).item() == pytest.approx(5.0)
    assert tv_loss(torch.ones(1, 3, 4, 4)).item() == 0


def test_settings_refuse_what_cannot_run():
    for bad in (
        {"start": "grey"},
        {"optimiser": "sgd"},
        {"style_stages": ()},
        {"style_stages": (1, 3, 1)},
        {"alpha": 0.0, "beta": 0.0},
        {"beta": -1.0},
        {"steps": 0},
        {"side": 8},
    ):
        with pytest.raises(ValueError):
            StyleSettings(**bad)
    assert StyleSettings(alpha=0.0, content_stage=99, style_stages=(3, 1)).stages_needed == (1, 3)
    assert StyleSettings(beta=0.0, content_stage=2, style_stages=()).stages_needed == (2,)


def test_fit_images_keeps_the_photo_aspect_and_cuts_the_style_square():
    content = np.zeros((300, 451, 3), np.uint8)
    style = np.zeros((100, 50, 3), np.uint8)
    c, s = fit_images(content, style, 128)
    assert c.shape == (85, 128, 3) and s.shape == (128, 128, 3)
    assert c.dtype == s.dtype == np.uint8


# --- the optimisation -----------------------------------------------------------------------


def hooks(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        + len(m._backward_pre_hooks)
        for m in model.modules()
    )  # fmt: skip


def test_transfer_lowers_the_loss_and_leaves_the_shared_network_alone(effnet, photos):
    content, style = photos
    before = {k: v.clone() for k, v in effnet.state_dict().items()}
    settings = StyleSettings(side=64, steps=8, content_stage=5, style_stages=(1, 3, 4, 5))
    seen: list[tuple[int, int, dict]] = []
    result = transfer(effnet, SPEC, content, style, settings,
                      lambda s, t, m: seen.append((s, t, m)))  # fmt: skip
    totals = [h["total"] for h in result.history]
    assert len(totals) == 8 and totals[-1] < 0.5 * totals[0]
    assert result.history[0]["content"] == 0  # x starts as the photo
    assert result.image.shape == (48, 64, 3) and result.image.dtype == np.uint8
    assert not np.array_equal(result.image, result.content)  # the style changed it
    assert result.steps == result.total_steps == 8 and not result.stopped
    # progress: every step, the image every 5th step and at the last
    assert [s for s, _, _ in seen] == list(range(1, 9)) and {t for _, t, _ in seen} == {8}
    with_image = [s for s, _, m in seen if "image" in m]
    assert with_image == [5, 8]
    assert all(m["image"].shape == (48, 64, 3) and m["image"].dtype == np.uint8
               for _, _, m in seen if "image" in m)  # fmt: skip
    np.testing.assert_array_equal(seen[-1][2]["image"], result.image)
    assert set(seen[0][2]["per_stage"]) == {1, 3, 4, 5}
    # the network: the same weights, no hooks, no gradients, still in eval mode
    after = effnet.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert hooks(effnet) == 0 and not effnet.training
    assert all(p.grad is None for p in effnet.parameters())
    # the Gram matrices: every style stage, whole up to 64 channels, the first 32 beyond
    assert set(result.style_grams) == set(result.result_grams) == {1, 3, 4, 5}
    assert result.channels == {1: 32, 3: 24, 4: 40, 5: 80}
    assert result.style_grams[3].shape == (24, 24)
    assert result.result_grams[5].shape == (GRAM_CHANNELS_KEPT, GRAM_CHANNELS_KEPT)
    # the result's Gram matrices moved towards the style's (the photo's were further away)
    for i in (1, 3):
        assert relative_gap(result.result_grams[i], result.style_grams[i]) < relative_gap(
            result.content_grams[i], result.style_grams[i]
        )


def test_gradients_flow_to_x_only_on_a_network_with_trainable_weights(photos):
    model = TinyVGG(requires_grad=True)  # parameters that could collect gradients
    content, style = photos
    settings = StyleSettings(side=32, steps=4, content_stage=3, style_stages=(1, 3, 6))
    result = transfer(model, TINY_SPEC, content, style, settings)
    assert all(p.grad is None for p in model.parameters())
    assert result.history[-1]["total"] < result.history[0]["total"]
    assert result.result_grams[6].shape == (GRAM_CHANNELS_KEPT, GRAM_CHANNELS_KEPT)  # 70 > 64


def test_should_stop_ends_early_and_keeps_the_image_so_far(photos):
    model = TinyVGG()
    content, style = photos
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # stop before the 4th step

    result = transfer(model, TINY_SPEC, content, style,
                      StyleSettings(side=32, steps=20, content_stage=3, style_stages=(1,)),
                      should_stop=should_stop)  # fmt: skip
    assert result.steps == 3 and result.stopped and len(result.history) == 3
    assert result.image.shape == (32, 32, 3)


def test_texture_only_from_noise_and_lbfgs(photos):
    model = TinyVGG()
    content, style = photos
    noise = StyleSettings(side=32, steps=5, alpha=0.0, content_stage=99, style_stages=(3,),
                          start="noise", seed=3)  # fmt: skip
    a = transfer(model, TINY_SPEC, content, style, noise)
    b = transfer(model, TINY_SPEC, content, style, noise)
    np.testing.assert_array_equal(a.image, b.image)  # the seed fixes the start
    assert all(h["content"] == 0 for h in a.history)
    assert a.history[-1]["style"] < a.history[0]["style"]
    lbfgs = transfer(model, TINY_SPEC, content, style,
                     StyleSettings(side=32, steps=4, content_stage=3, style_stages=(1, 3),
                                   optimiser="lbfgs", tv_weight=1.0))  # fmt: skip
    assert lbfgs.steps == 4 and lbfgs.history[-1]["total"] < lbfgs.history[0]["total"]
    assert lbfgs.history[0]["tv"] > 0


def test_lbfgs_keeps_descending_after_a_first_trial_step_that_overshoots():
    """With L-BFGS's default evaluation budget (one per step), a trial step that raised the
    loss became a step of (almost) 0, and every later step repeated it: the loss froze from
    step 2 (this case did, 0.005967 -> 0.005966, before the budget was given)."""
    from cnnplay.images import load_sample

    settings = StyleSettings(side=32, steps=6, content_stage=3, style_stages=(1, 3, 6),
                             optimiser="lbfgs")  # fmt: skip
    result = transfer(TinyVGG(), TINY_SPEC, load_sample("chelsea (cat)", 256),
                      texture("swirls", 128), settings)  # fmt: skip
    totals = [h["total"] for h in result.history]
    assert all(b < a for a, b in zip(totals, totals[1:], strict=False)), totals
    assert totals[-1] < 0.9 * totals[0], totals


def test_a_network_in_training_mode_is_refused(photos):
    model = TinyVGG().train()
    with pytest.raises(ValueError, match="eval mode"):
        transfer(model, TINY_SPEC, *photos, StyleSettings(side=32, steps=1, content_stage=3,
                                                            style_stages=(1,)))  # fmt: skip


# --- naming stages --------------------------------------------------------------------------


def test_vgg16_layer_names_follow_gatys():
    from torchvision.models.vgg import cfgs, make_layers

    class Vgg16Features(nn.Module):  # torchvision's VGG-16 layout without its big classifier
        def __init__(self) -> None:
            super().__init__()
            self.features = make_layers(cfgs["D"])
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Linear(512, 8), nn.ReLU(), nn.Linear(8, 2))

    names = vgg_layer_names(Vgg16Features())
    assert len(names) == 13  # VGG-16: 13 convolutions
    # features: conv1_1 at 0 (its ReLU at 1), conv1_2 at 2, pool at 4, conv2_1 at 5, ...
    assert {k: names[k] for k in ("conv1_1", "conv1_2", "conv2_1", "conv3_1", "conv4_1",
                                  "conv4_2", "conv5_1", "conv5_3")} == {
        "conv1_1": 1, "conv1_2": 3, "conv2_1": 6, "conv3_1": 11, "conv4_1": 18,
        "conv4_2": 20, "conv5_1": 25, "conv5_3": 29,
    }  # fmt: skip
    assert vgg_layer_names(TinyVGG()) == {"conv1_1": 1, "conv1_2": 3, "conv2_1": 6}


def test_stage_names_of_efficientnet(effnet):
    names = stage_names(effnet)
    assert names[:4] == ["conv_stem", "bn1", "blocks.0", "blocks.1"]
    assert names[-3:] == ["conv_head", "bn2", "global_pool"]
    assert vgg_layer_names(effnet) == {}


# --- figures --------------------------------------------------------------------------------


def test_loss_curves_show_the_weighted_terms_on_a_log_axis():
    history = [{"step": s, "content": c, "style": st, "tv": 0.0, "total": c + 10 * st}
               for s, c, st in ((1, 0.0, 5.0), (2, 1.0, 3.0), (3, 2.0, 1.0))]  # fmt: skip
    fig = loss_curves_figure(history, 1.0, 10.0).to_dict()
    names = [t["name"] for t in fig["data"]]
    assert names == ["α · L_content", "β · L_style", "total"]  # TV off: no curve
    assert list(fig["data"][1]["y"]) == [50.0, 30.0, 10.0]
    assert fig["data"][0]["y"][0] is None  # a zero has no place on a log axis
    assert fig["layout"]["yaxis"]["type"] == "log"


def test_gram_figure_shares_one_colour_scale():
    a = np.array([[1.0, -2.0], [-2.0, 4.0]])
    grams = {"photo p": a, "result x": a / 2, "style a": a * 3}
    fig = gram_figure(grams, channels=80, percentile=100).to_dict()
    assert len(fig["data"]) == 3
    assert {(t["zmin"], t["zmax"]) for t in fig["data"]} == {(-12.0, 12.0)}
    clipped = gram_figure(grams, percentile=50).to_dict()  # |entries| 0.5 … 12, median 2
    assert {(t["zmin"], t["zmax"]) for t in clipped["data"]} == {(-2.0, 2.0)}
    assert "channels 0–1 of 80" in fig["layout"]["title"]["text"]
    positive = gram_figure({"a": np.eye(2), "b": 2 * np.eye(2)}, percentile=100).to_dict()
    assert {(t["zmin"], t["zmax"]) for t in positive["data"]} == {(0.0, 2.0)}
    assert relative_gap(a, a) == 0 and relative_gap(2 * a, a) == pytest.approx(1.0)
