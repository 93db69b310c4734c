"""cnnplay.learned.deconvnet: the three rules through a ReLU by hand, the rule copies, the
explicit DeconvNet against autograd (float64, a sweep of small stacks), the notes' max-unpooling
example, receptive fields that bound every projection, the hand-set network's channels, and the
pretrained default (copies leave it alone; without max pooling the DeconvNet ignores the
photo); plus the figures' small helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from cnnplay.learned.deconvnet import (
    RULES,
    GuidedReLU,
    RuleReLU,
    backward_signal,
    deconvnet_ignores_photo,
    deconvnet_prefix,
    deconvnet_steps,
    edge_bar_net,
    project,
    project_map,
    project_through,
    rule_model,
    stage_maps,
    step_fields,
    strongest_units,
    unit_box,
    unpool,
)
from cnnplay.learned.deconvnet_plots import (
    box_inside,
    channels_figure,
    crop_box,
    draw_box,
    signed_picture,
    steps_figure,
    view_steps,
)
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained, preprocess
from cnnplay.models.stages import truncated
from cnnplay.ops.pool import SEED002_UNPOOL, max_unpool2d
from cnnplay.seeding import generator

pytestmark = pytest.mark.usefixtures("one_thread")


def grads(layer: nn.Module, x: list[float], g: list[float]) -> torch.Tensor:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(xt), xt, torch.tensor(g, dtype=torch.float64))
    return grad


# --- the three rules -----------------------------------------------------------------------


def test_the_three_rules_through_a_relu_by_hand():
    x, g = [-1.0, 2.0, 7.0, 3.0], [1.0, -2.0, 3.0, 4.0]
    expected = {  # forward on for 2, 7, 3 (not -1)
        "backprop": [0.0, -2.0, 3.0, 4.0],  # g where x > 0
        "deconvnet": [1.0, 0.0, 3.0, 4.0],  # max(g, 0), whatever x was
        "guided": [0.0, 0.0, 3.0, 4.0],  # both
    }
    for rule, want in expected.items():
        layer = RuleReLU(rule)
        assert layer(torch.tensor(x)).tolist() == [0.0, 2.0, 7.0, 3.0]
        assert grads(layer, x, g).tolist() == want


def test_relu6_counts_a_clipped_unit_as_off():
    x, g = [-1.0, 2.0, 7.0, 3.0], [1.0, -2.0, 3.0, 4.0]
    expected = {  # 7 is clipped at 6: no gradient passes it, like -1
        "backprop": [0.0, -2.0, 0.0, 4.0],
        "deconvnet": [1.0, 0.0, 3.0, 4.0],  # the rule ignores the forward pass, clip included
        "guided": [0.0, 0.0, 0.0, 4.0],
    }
    for rule, want in expected.items():
        layer = RuleReLU(rule, 6.0)
        assert layer(torch.tensor(x)).tolist() == [0.0, 2.0, 6.0, 3.0]
        assert grads(layer, x, g).tolist() == want
    plain = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (want,) = torch.autograd.grad(F.relu6(plain), plain, torch.tensor(g, dtype=torch.float64))
    assert grads(RuleReLU("backprop", 6.0), x, g).tolist() == want.tolist()


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown rule"):
        RuleReLU("saliency")
    with pytest.raises(ValueError, match="unknown rule"):
        rule_model(nn.ReLU(), "saliency")


def randomise(net: nn.Sequential, gen: torch.Generator) -> nn.Sequential:
    """Normal weights of std 1.2 / sqrt(fan in) and biases of std 0.1 (few ReLU6 clip), float64,
    eval mode, frozen."""
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 1.2 / fan_in**0.5)
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
    return net.double().eval().requires_grad_(False)


def small_stack(seed: int = 0) -> nn.Sequential:
    """conv 3×3 → ReLU → max pool 2 → conv 3×3 → ReLU6 → conv 1×1: (N, 3, H, W) -> (N, 4, ...)."""
    return randomise(nn.Sequential(
        nn.Conv2d(3, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(5, 6, 3), nn.ReLU6(), nn.Conv2d(6, 4, 1),
    ), generator(seed))  # fmt: skip


def test_rule_model_swaps_the_relus_of_a_copy_and_shares_the_weights():
    net = small_stack()
    before = [type(m) for m in net]
    for rule in RULES:
        copy = rule_model(net, rule)
        assert [type(m) for m in net] == before  # the original keeps its ReLUs
        assert isinstance(copy[1], RuleReLU) and copy[1].rule == rule and copy[1].upper == math.inf
        assert isinstance(copy[4], RuleReLU) and copy[4].upper == 6.0
        assert copy[0] is not net[0] and copy[0].weight is net[0].weight  # nothing copied
        assert not copy.training
    assert type(rule_model(net, "guided")[1]) is GuidedReLU  # cnnplay.explain's name for it


def test_the_backprop_copy_gives_the_plain_gradient():
    net, x = small_stack(1), torch.randn(3, 12, 12, dtype=torch.float64, generator=generator(2))
    for position in [(0, 0), (2, 3), None]:
        plain = project_through(net, x, 1, position)
        assert_close(project_through(rule_model(net, "backprop"), x, 1, position), plain)
        assert plain.abs().sum() > 0


# --- the explicit DeconvNet ------------------------------------------------------------------

STACKS = [  # (conv1: k, stride, padding, dilation), (pool: k, stride, padding), conv2 k, side
    ((3, 1, 1, 1), (2, 2, 0), 3, 16),
    ((5, 1, 2, 1), (2, 2, 0), 3, 17),  # odd sides: the pools drop a row
    ((3, 2, 1, 1), (2, 2, 0), 3, 19),  # a strided conv: output_padding at work
    ((3, 1, 0, 2), (3, 2, 1), 2, 21),  # dilation, and overlapping, padded pools
    ((4, 2, 1, 1), (3, 3, 0), 1, 24),
    ((1, 1, 0, 1), (3, 1, 1), 3, 10),  # stride-1 pools overlap everywhere
]


def stack_from(spec: tuple, seed: int) -> tuple[nn.Sequential, torch.Tensor]:
    (k, s, p, d), (pk, ps, pp), k2, side = spec
    gen = generator(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 4, k, stride=s, padding=p, dilation=d), nn.ReLU(),
        nn.MaxPool2d(pk, ps, pp), nn.Conv2d(4, 5, k2, padding=k2 // 2), nn.ReLU6(),
        nn.MaxPool2d(2), nn.Conv2d(5, 3, 1),
    )  # fmt: skip
    x = torch.randn(3, side, side, generator=gen)
    return randomise(net, gen), x.double()


@pytest.mark.parametrize("spec", STACKS)
@pytest.mark.parametrize("rule", RULES)
def test_the_explicit_deconvnet_is_autograd_with_the_rule(spec, rule):
    net, x = stack_from(spec, seed=len(rule) + spec[-1])
    out = net(x[None])[0]  # (3, h, w)
    h, w = out.shape[1:]
    first, second = (u.channel for u in strongest_units(out.numpy(), 2))
    ruled = rule_model(net, rule)
    nonzero = []
    for channel, position, whole in [(first, None, False), (second, (h - 1, w // 2), False),
                                     (second, None, True)]:  # fmt: skip
        steps = deconvnet_steps(net, x, channel, position, rule, whole)
        assert len(steps) == len(net) + 1 and steps[-1].signal.shape == x.shape
        assert_close(steps[-1].signal, project_through(ruled, x, channel, position, whole))
        nonzero.append(bool(steps[-1].signal.abs().sum() > 0))
    assert any(nonzero)  # the comparison is not only between zeros
    kinds = [s.kind for s in deconvnet_steps(net, x, 0, None, rule)]
    assert kinds == ["start", "transposed conv", "unpool", "relu", "transposed conv", "unpool",
                     "relu", "transposed conv"]  # fmt: skip


def test_with_the_masks_the_loop_is_the_plain_gradient():
    net, x = stack_from(STACKS[3], seed=5)
    xb = x[None].clone().requires_grad_(True)
    out = net(xb)
    (grad,) = torch.autograd.grad(out, xb, backward_signal(out, 1, (1, 1)))
    assert_close(deconvnet_steps(net, x, 1, (1, 1), "backprop")[-1].signal, grad[0])


def test_unpooling_puts_the_notes_values_on_the_switches():
    x = torch.tensor(SEED002_UNPOOL)[None, None]  # the notes' 4×4: maxima 5, 6, 7, 8
    _, switches = F.max_pool2d(x, 2, return_indices=True)
    later = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)[None, None]
    out = unpool(later, switches, (4, 4))[0, 0]
    assert out.tolist() == [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]  # the notes
    assert_close(out, F.max_unpool2d(later, switches, 2)[0, 0])
    assert_close(out.numpy(), max_unpool2d(later[0, 0].numpy(), switches[0, 0].numpy(), (4, 4)))


def test_overlapping_windows_that_share_a_winner_add_up():
    x = torch.tensor([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    _, switches = F.max_pool2d(x, 2, stride=1, return_indices=True)  # 9 wins all four windows
    out = unpool(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), switches, (3, 3))
    assert out[0, 0, 1, 1] == 10 and out.sum() == 10


def test_deconvnet_and_guided_signals_are_never_negative_after_a_relu():
    net, x = stack_from(STACKS[1], seed=7)
    negative_after_relu = {}
    for rule in RULES:
        steps = deconvnet_steps(net, x, 0, None, rule)
        after = [s.signal for s in steps if s.kind == "relu"]
        assert len(after) == 2
        negative_after_relu[rule] = any(bool((s < 0).any()) for s in after)
    assert negative_after_relu == {"backprop": True, "deconvnet": False, "guided": False}


def test_a_network_that_starts_with_a_relu_projects_to_nonnegative_pixels():
    gen = generator(3)
    net = nn.Sequential(nn.ReLU(), nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    x = torch.rand(3, 9, 9, dtype=torch.float64, generator=gen) + 0.1  # all on
    pictures = {rule: project_through(rule_model(net, rule), x, 0, (2, 2)) for rule in RULES}
    assert (pictures["deconvnet"] >= 0).all() and (pictures["guided"] >= 0).all()
    assert (pictures["backprop"] < 0).any()
    assert pictures["deconvnet"].abs().sum() > 0


def test_guided_is_the_backprop_signal_with_its_negative_part_removed():
    net, x = stack_from(STACKS[0], seed=11)
    channel = strongest_units(net(x[None])[0].numpy(), 1)[0].channel
    back = deconvnet_steps(net, x, channel, None, "backprop", whole_map=True)
    guided = deconvnet_steps(net, x, channel, None, "guided", whole_map=True)
    # up to the first ReLU on the way back the two are the same signal; there guided keeps
    # only its positive part
    first = next(i for i, s in enumerate(back) if s.kind == "relu")
    assert_close(guided[first - 1].signal, back[first - 1].signal)
    assert_close(guided[first].signal, back[first].signal.clamp_min(0))
    assert (back[first].signal < 0).any()


def test_only_plain_stacks_can_be_undone_explicitly():
    with pytest.raises(TypeError, match="BatchNorm2d"):
        deconvnet_steps(nn.Sequential(nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2)),
                        torch.zeros(3, 8, 8), 0)  # fmt: skip
    with pytest.raises(TypeError, match="zero padding"):
        deconvnet_steps(nn.Sequential(nn.Conv2d(3, 2, 3, padding="same")), torch.zeros(3, 8, 8), 0)


# --- receptive fields ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", STACKS)
def test_a_projection_is_zero_outside_the_units_field_and_fills_it(spec):
    net, x = stack_from(spec, seed=13)
    side = x.shape[-1]
    h, w = net(x[None]).shape[2:]
    for position in [(0, 0), (h // 2, w // 2), (h - 1, w - 1)]:
        (r0, r1), (c0, c1) = unit_box(net, side, position)
        for rule in RULES:
            picture = project_through(rule_model(net, rule), x, 0, position).abs().sum(0)
            outside = picture.clone()
            outside[max(r0, 0) : r1 + 1, max(c0, 0) : c1 + 1] = 0
            assert (outside == 0).all(), (rule, position)
    # the box is tight: with positive weights, a positive photo, ReLUs that are all on and
    # average instead of max pooling (no switches), the gradient reaches the field's edges
    dense = nn.Sequential(*[
        nn.AvgPool2d(m.kernel_size, m.stride, m.padding) if isinstance(m, nn.MaxPool2d)
        else nn.ReLU() if isinstance(m, nn.ReLU6) else m for m in net
    ])  # fmt: skip
    dense = randomise(dense, generator(14)).apply(
        lambda m: m.weight.abs_() if isinstance(m, nn.Conv2d) else None
    )
    x = x.abs() + 0.01
    for position in [(0, 0), (h // 2, w // 2), (h - 1, w - 1)]:
        (r0, r1), (c0, c1) = unit_box(dense, side, position)
        seen = (project_through(dense, x, 0, position).abs().sum(0) > 0).numpy()
        rows, cols = np.nonzero(seen.any(1))[0], np.nonzero(seen.any(0))[0]
        assert (rows[0], rows[-1]) == (max(r0, 0), min(r1, side - 1))
        assert (cols[0], cols[-1]) == (max(c0, 0), min(c1, side - 1))


def test_every_step_stays_inside_the_units_field_at_its_layer():
    net, x = stack_from(STACKS[2], seed=17)
    steps = deconvnet_steps(net, x, 1, (1, 0), "deconvnet")
    boxes = step_fields(net, steps, (1, 0))
    assert boxes[0] == ((1, 1), (0, 0)) and len(boxes) == len(steps)
    for step, ((r0, r1), (c0, c1)) in zip(steps, boxes, strict=True):
        outside = step.signal.abs().sum(0).clone()
        outside[max(r0, 0) : r1 + 1, max(c0, 0) : c1 + 1] = 0
        assert (outside == 0).all(), step.label
    assert boxes[-1] == unit_box(net, x.shape[-1], (1, 0))
    assert steps[-1].signal.abs().sum() > 0


# --- the hand-set network --------------------------------------------------------------------


def strongest_part(image: torch.Tensor) -> tuple[str, int, int]:
    teaching = edge_bar_net()
    unit = strongest_units(teaching.net(image[None])[0].numpy(), 1)[0]
    return teaching.parts[unit.channel], unit.row, unit.col


def test_the_hand_set_channels_find_what_they_are_named_after():
    side = 68  # 68 -> 64 -> 32 -> 28 -> 14
    bright_vertical = torch.full((3, side, side), 0.2)
    bright_vertical[:, :, 33:36] = 0.9
    assert strongest_part(bright_vertical)[0] == "bright line |"
    dark_horizontal = torch.full((3, side, side), 0.8)
    dark_horizontal[:, 30:33, :] = 0.1
    assert strongest_part(dark_horizontal)[0] == "dark line —"
    square = torch.full((3, side, side), 0.1)
    square[:, 20:50, 20:50] = 0.9  # corners at pixels (20, 20) ... (49, 49)
    teaching = edge_bar_net()
    top = teaching.net(square[None])[0]  # (12, 14, 14): a unit sees pixels 4i ... 4i + 15
    for name, (row, col) in {"corner ⌜": (20, 20), "corner ⌝": (20, 49),
                             "corner ⌞": (49, 20), "corner ⌟": (49, 49)}.items():  # fmt: skip
        plane = top[teaching.parts.index(name)]
        i, j = divmod(int(plane.argmax()), plane.shape[1])
        assert abs(4 * i + 7.5 - row) <= 6 and abs(4 * j + 7.5 - col) <= 6, name
    assert edge_bar_net().net[0].weight.requires_grad is False


def test_deconvnet_prefix_takes_vggs_first_blocks_only():
    from torchvision.models import vgg16

    from cnnplay.models.copies import random_without_linear

    vgg = random_without_linear(vgg16)
    prefix = deconvnet_prefix(vgg)
    assert prefix is not None and len(prefix) == 10
    assert all(a is b for a, b in zip(prefix, vgg.features, strict=False))  # its own modules
    assert [type(m).__name__ for m in prefix].count("MaxPool2d") == 2
    assert deconvnet_prefix(nn.Sequential(nn.Conv2d(3, 2, 3))) is None  # no family known


# --- units and the pretrained default ---------------------------------------------------------


def test_strongest_units_rank_channels_by_their_peak():
    maps = np.zeros((3, 2, 3), np.float32)
    maps[0, 1, 2] = 2.0
    maps[1, 0, 1] = 5.0
    maps[2] = -1.0
    maps[2, 1, 0] = 3.0
    units = strongest_units(maps, 2)
    assert [(u.channel, u.row, u.col, u.value) for u in units] == [(1, 0, 1, 5.0), (2, 1, 0, 3.0)]


@pytest.fixture(scope="module")
def lite0() -> nn.Module:
    return load_pretrained(DEFAULT_MODEL)


def photo(seed: int, side: int = 96) -> torch.Tensor:
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return preprocess(pixels, REGISTRY[DEFAULT_MODEL]).tensor  # (3, 224, 224)


def test_the_pretrained_network_keeps_its_relus_and_projects_inside_the_field(lite0):
    relus = sum(isinstance(m, nn.ReLU6) for m in lite0.modules())
    copy = rule_model(lite0, "deconvnet")
    assert sum(isinstance(m, nn.ReLU6) for m in lite0.modules()) == relus == 33
    assert sum(isinstance(m, RuleReLU) and m.upper == 6.0 for m in copy.modules()) == relus
    assert all(a is b for a, b in zip(lite0.parameters(), copy.parameters(), strict=True))
    x = photo(0)
    stage = 4  # 40 maps of 28×28, a field of 67 pixels
    unit = strongest_units(stage_maps(lite0, stage, x), 1)[0]
    (r0, r1), (c0, c1) = unit_box(truncated(lite0, stage), 224, (unit.row, unit.col))
    assert r1 - r0 + 1 == 67
    for rule in RULES:
        picture = np.abs(project(lite0, stage, unit.channel, x, rule, (unit.row, unit.col)))
        assert picture.shape == (3, 224, 224) and picture.sum() > 0
        outside = picture.sum(0)
        outside[max(r0, 0) : r1 + 1, max(c0, 0) : c1 + 1] = 0
        assert not outside.any(), rule
    whole = project_map(lite0, stage, unit.channel, x, "guided", ruled=rule_model(lite0, "guided"))
    assert whole.shape == (3, 224, 224) and np.abs(whole).sum() > 0


def test_without_max_pooling_the_deconvnet_ignores_the_photo(lite0):
    assert deconvnet_ignores_photo(lite0)
    assert not deconvnet_ignores_photo(small_stack())  # max pooling: switches
    stage, x1, x2 = 4, photo(1), photo(2)
    both = np.minimum(stage_maps(lite0, stage, x1), stage_maps(lite0, stage, x2))  # (C, h, w)
    channel, row, col = np.unravel_index(int(both.argmax()), both.shape)  # a unit both fire
    channel, where = int(channel), (int(row), int(col))
    copy = rule_model(lite0, "deconvnet")
    pictures = []
    for x in (x1, x2):
        value = float(stage_maps(lite0, stage, x)[channel, where[0], where[1]])
        assert value > 0
        pictures.append(project(lite0, stage, channel, x, "deconvnet", where, copy) / value)
    assert_close(pictures[0], pictures[1], rtol=1e-4, atol=1e-6 * np.abs(pictures[0]).max())
    assert np.abs(pictures[0]).sum() > 0
    # the gradient does depend on the photo
    back = rule_model(lite0, "backprop")
    assert not np.allclose(project(lite0, stage, channel, x1, "backprop", where, back),
                           project(lite0, stage, channel, x2, "backprop", where, back))  # fmt: skip


@pytest.mark.filterwarnings("ignore:Setting backward hooks on ReLU", "ignore:Input Tensor 0 did")
def test_the_rules_agree_with_captums_deconvolution_and_guided_backprop():
    captum_attr = pytest.importorskip("captum.attr")
    net = nn.Sequential(*list(small_stack(4))[:5], nn.Flatten(1))  # ReLU6 -> ReLU below
    net[4] = nn.ReLU()
    x = torch.randn(1, 3, 10, 10, dtype=torch.float64, generator=generator(9))
    out = net(x)[0]  # (6 · 3 · 3,): the (6, 3, 3) maps, flattened
    target = int(out.argmax())  # the strongest unit
    value = float(out[target])
    channel, (row, col) = target // 9, divmod(target % 9, 3)
    for rule, method in (("deconvnet", captum_attr.Deconvolution),
                         ("guided", captum_attr.GuidedBackprop)):  # fmt: skip
        theirs = method(net).attribute(x.clone(), target=target)[0]
        ours = project_through(rule_model(net[:5], rule), x[0], channel, (row, col)) / value
        assert_close(ours, theirs)
        assert ours.abs().sum() > 0


# --- the figures' helpers --------------------------------------------------------------------


def test_pictures_boxes_and_crops():
    zero = signed_picture(np.zeros((3, 4, 5)))
    assert zero.shape == (4, 5, 3) and (zero == 128).all()  # grey is 0
    signed = signed_picture(np.array([[-1.0, 0.0, 1.0]]))
    assert signed[0, 0, 0] == 0 and signed[0, 2, 0] == 255
    image = np.zeros((10, 10, 3), np.uint8)
    boxed = draw_box(image, (2, 6), (-3, 4), width=1)
    assert not image.any()  # the original is untouched
    lit = boxed.any(axis=2)  # (10, 10): where the box is drawn
    assert lit[2, 0:5].all() and lit[6, 0:5].all() and lit[2:7, 4].all()
    assert tuple(boxed[2, 0]) == (0xE6, 0x9F, 0x00)  # the field's orange
    assert not boxed[3:6, 0].any()  # the left side lies in the padding: not drawn
    assert not boxed[3:6, 1:4].any()
    assert box_inside((12, 14), (0, 3), 10, 10) is None
    assert crop_box(np.arange(300).reshape(10, 10, 3).astype(np.uint8), (2, 3), (4, 7), 8).shape \
        == (4, 8, 3)  # fmt: skip


def test_the_step_figures_show_each_step_around_its_field():
    net, x = stack_from(STACKS[0], seed=19)
    steps = deconvnet_steps(net, x, 0, (1, 1))
    views = view_steps(steps, step_fields(net, steps, (1, 1)), limit=4)
    assert views[0].total.shape == (4, 4) and views[0].origin == (0, 0)  # cell 1 ± 2, clipped
    assert len(views[-1].which) == 3 and views[-1].shape == (3, 16, 16)
    assert len(views[1].which) == 4 and views[1].shape[0] == 5  # the 4 strongest of 5
    fig = steps_figure(views, [v.kind for v in views])
    assert len(fig.data) == len(steps) and fig.data[-1].type == "image"
    panels = channels_figure(views[1], [f"c{k}" for k in range(5)])
    assert [a.text for a in panels.layout.annotations] == [f"c{k}" for k in views[1].which]
