"""cnnplay.segmentation.unet: shapes of every variant, the stage table against real forward hooks,
the FCN's bilinear initialisation against F.interpolate, saving/loading, the shipped weights."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.cost import count
from cnnplay.scenes import make_scenes
from cnnplay.segmentation.metrics import score_masks
from cnnplay.segmentation.unet import (
    ASSET_DIR,
    NUM_CLASSES,
    SHIPPED,
    UNet,
    UNetConfig,
    bilinear_kernel,
    count_params,
    load_card,
    load_model,
    predict,
    save_model,
    stages,
)

VARIANTS = [
    UNetConfig(depth=d, base_width=w, upsample=u, skips=s, decoder=dec)
    for d, w, u, s, dec in itertools.product(
        [1, 2, 3, 5], [4, 8], ["transpose", "bilinear"], [True, False], ["unet", "fcn"]
    )
    if not (dec == "fcn" and (u == "bilinear" or not s))  # the FCN has neither setting
]


def _name(c: UNetConfig) -> str:
    return f"{c.decoder}-d{c.depth}-w{c.base_width}-{c.upsample}-{'skip' if c.skips else 'noskip'}"


@pytest.mark.parametrize("config", VARIANTS, ids=_name)
def test_output_is_one_score_per_class_and_pixel(config: UNetConfig) -> None:
    torch.manual_seed(0)
    model = UNet(config).eval()
    side = max(32, config.factor)
    x = torch.rand(2, 3, side, 2 * side)
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, NUM_CLASSES, side, 2 * side)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("config", VARIANTS[::3], ids=_name)
def test_stage_shapes_match_a_real_forward_pass(config: UNetConfig) -> None:
    model = UNet(config).eval()
    side = max(64, config.factor)
    seen: dict[str, tuple[int, ...]] = {}
    handles = [
        model.get_submodule(s.name).register_forward_hook(
            lambda _m, _i, out, n=s.name: seen.__setitem__(n, tuple(out.shape[1:]))
        )
        for s in stages(config, side)
    ]
    with torch.no_grad():
        model(torch.rand(1, 3, side, side))
    for h in handles:
        h.remove()
    table = stages(config, side)
    assert {s.name: s.shape for s in table} == seen
    assert table[-1].shape == (NUM_CLASSES, side, side)
    for s in table:
        if s.part in ("encoder", "decoder", "bottleneck"):
            assert s.shape[1] == side // 2**s.level
    encoders = [s for s in table if s.part == "encoder"]
    assert [s.shape[0] for s in encoders] == [config.width(i) for i in range(config.depth)]


def test_skips_double_the_decoder_input_channels() -> None:
    with_skips, without = UNet(UNetConfig(skips=True)), UNet(UNetConfig(skips=False))
    for i in range(3):
        assert with_skips.decoders[i][0].in_channels == 2 * without.decoders[i][0].in_channels
    assert count_params(with_skips) > count_params(without)


def test_parameter_count_agrees_with_cost_count() -> None:
    for config in (UNetConfig(), UNetConfig(skips=False), SHIPPED["fcn32"]):
        assert count(UNet(config), (1, 3, 64, 64)).params == count_params(UNet(config))


def test_sides_that_are_not_multiples_are_refused() -> None:
    model = UNet(UNetConfig(depth=3))
    with pytest.raises(ValueError, match="multiples of 8"):
        model(torch.rand(1, 3, 60, 64))


@pytest.mark.parametrize("bad", [dict(depth=0), dict(depth=6), dict(base_width=0),
                                 dict(upsample="nearest"), dict(decoder="segnet")])
def test_nonsense_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        UNetConfig(**bad)


@pytest.mark.parametrize("factor", [2, 4, 8, 32])
def test_bilinear_kernel_is_bilinear_interpolation(factor: int) -> None:
    """The FCN's ×f transposed convolution (k = 2f, s = f, p = f/2) with this kernel equals
    bilinear interpolation away from the borders."""
    x = torch.rand(1, 3, 5, 6, dtype=torch.float64)
    w = bilinear_kernel(3, 2 * factor).double()
    y = F.conv_transpose2d(x, w, stride=factor, padding=factor // 2)
    ref = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    assert y.shape == ref.shape
    torch.testing.assert_close(y[..., factor:-factor, factor:-factor],
                               ref[..., factor:-factor, factor:-factor])


def test_fcn_starts_as_bilinear_upsampling_of_its_class_map() -> None:
    model = UNet(UNetConfig(depth=2, base_width=4, decoder="fcn")).eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        coarse = model.head(model.bottleneck(model.pool(model.encoders[1](
            model.pool(model.encoders[0]((x - 0.5) / 0.25))))))
        out = model(x)
    ref = F.interpolate(coarse, scale_factor=4, mode="bilinear", align_corners=False)
    torch.testing.assert_close(out[..., 4:-4, 4:-4], ref[..., 4:-4, 4:-4])


def test_shipped_fcn_upsamples_with_a_learned_transposed_convolution() -> None:
    """The comparison tab says so: one ConvTranspose2d, 64×64 kernel, stride 32, started as
    bilinear interpolation and moved away from it in training (not fixed bilinear)."""
    model = load_model("fcn32", torch.device("cpu"))
    up = model.upsample
    assert isinstance(up, torch.nn.ConvTranspose2d)
    assert up.kernel_size == (64, 64) and up.stride == (32, 32)
    start = bilinear_kernel(NUM_CLASSES, 64)
    assert float((up.weight - start).norm() / start.norm()) > 0.1


def test_save_and_load_round_trip(tmp_path) -> None:
    torch.manual_seed(1)
    model = UNet(UNetConfig(depth=2, base_width=4, skips=False)).eval()
    save_model(model, tmp_path / "mine.pt", {"note": "test"})
    card = json.loads((tmp_path / "mine.json").read_text())
    assert card["config"]["skips"] is False and card["note"] == "test"
    again = load_model("mine", torch.device("cpu"), folder=tmp_path)
    assert again.config == model.config
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x))
    assert not any(p.requires_grad for p in again.parameters())


# --- shipped weights ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_scenes():
    return make_scenes(24, seed=77)  # never used for training (1), validation (2) or cards (3)


@pytest.fixture(scope="module")
def shipped_scores(fresh_scenes):
    images = np.stack([s.image for s in fresh_scenes])
    target = np.stack([s.semantic for s in fresh_scenes])
    out = {}
    for name in SHIPPED:
        pred, probs = predict(load_model(name, torch.device("cpu")), images)
        assert probs.shape == (len(images), NUM_CLASSES, 128, 128)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
        out[name] = score_masks(pred, target, NUM_CLASSES)
    return out


@pytest.mark.parametrize("name", list(SHIPPED))
def test_shipped_weights_have_a_card_and_load(name: str) -> None:
    path = ASSET_DIR / f"{name}.pt"
    assert path.stat().st_size < 5 * 2**20
    card = load_card(name)
    assert UNetConfig(**card["config"]) == SHIPPED[name]
    model = load_model(name, torch.device("cpu"))
    assert card["params"] == count_params(model)
    assert card["test"]["mean_iou"] > 0.5


@pytest.mark.parametrize("name", list(SHIPPED))
def test_shipped_weights_score_on_new_scenes_as_their_card_says(name, shipped_scores) -> None:
    card = load_card(name)
    s = shipped_scores[name]
    assert s.mean_iou == pytest.approx(card["test"]["mean_iou"], abs=0.06)


def test_skips_buy_edges_and_the_fcn_loses_them(shipped_scores) -> None:
    """The page's claims on new scenes: the U-Net labels the pixels at the edges better than the
    same network without skips, and both leave the FCN's single ×32 upsampling far behind."""
    unet, plain, fcn = (shipped_scores[n] for n in ("unet_skips", "unet_noskips", "fcn32"))
    assert unet.edge_accuracy > plain.edge_accuracy + 0.01
    for s in (unet, plain):
        assert s.mean_iou > fcn.mean_iou + 0.1 and s.edge_accuracy > fcn.edge_accuracy + 0.1
