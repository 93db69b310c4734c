"""Copies that share or drop the weights (cnnplay.models.copies), against plain torch."""

from __future__ import annotations

import torch
from torch import nn

from cnnplay.models.copies import meta_copy, random_without_linear, shared_weights_copy
from cnnplay.receptive import effective_field, receptive_field_table


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return unseeded_small_net()


def unseeded_small_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 6 * 6, 5),
    ).eval()


def test_shared_weights_copy_shares_every_tensor_and_keeps_hooks_apart() -> None:
    model = small_net()
    clone = shared_weights_copy(model)
    assert clone is not model and clone[0] is not model[0]
    pairs = zip([*model.parameters(), *model.buffers()], [*clone.parameters(), *clone.buffers()])
    assert all(a is b for a, b in pairs)  # the very same tensors: no weight data copied
    fired: list[str] = []
    clone[4].register_forward_hook(lambda *_: fired.append("copy"))
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x), clone(x))
        model(x)
    assert fired == ["copy"]  # the original's forward pass does not run the copy's hook
    clone[2] = nn.Identity()  # a layer swap in the copy
    assert isinstance(model[2], nn.ReLU)


def test_shared_weights_copy_is_in_eval_mode_without_changing_the_original() -> None:
    model = small_net().train()
    clone = shared_weights_copy(model)
    assert not clone.training and not clone[1].training
    assert model.training and model[1].training


def test_meta_copy_has_the_shapes_and_no_data() -> None:
    model = small_net()
    before = [t.clone() for t in model.parameters()]
    clone = meta_copy(model)
    assert all(p.is_meta for p in [*clone.parameters(), *clone.buffers()])
    assert [p.shape for p in clone.parameters()] == [p.shape for p in model.parameters()]
    assert clone(torch.empty(1, 3, 16, 16, device="meta")).shape == (1, 5)
    assert not any(p.is_meta for p in model.parameters())
    for a, b in zip(before, model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_random_without_linear_keeps_the_effective_field_and_never_builds_the_classifier() -> None:
    """The body gets random weights, the classifier stays on the meta device; with the same
    body weights, a unit's gradient w.r.t. the input is the full network's."""
    dropped = random_without_linear(small_net, seed=3)
    assert dropped[7].weight.is_meta and not dropped[4].weight.is_meta and not dropped.training
    full = small_net()
    full.load_state_dict(
        {k: v for k, v in dropped.state_dict().items() if not v.is_meta}, strict=False
    )
    x = torch.randn(3, 16, 16)
    a = effective_field(full, "4", x, (2, 3))
    b = effective_field(dropped, "4", x, (2, 3))
    torch.testing.assert_close(torch.from_numpy(a.grad), torch.from_numpy(b.grad))
    assert a.grad.max() > 0


def test_random_without_linear_draws_from_its_own_seed_only() -> None:
    """Sessions building at once must not change each other's weights: no global state."""
    from cnnplay.models.zoo import ARCHITECTURES

    torch.manual_seed(123)
    before = torch.get_rng_state()
    random_without_linear(ARCHITECTURES["ResNet-18"])  # torchvision's own init runs on meta
    net = unseeded_small_net
    one, two = random_without_linear(net, 7), random_without_linear(net, 7)
    other = random_without_linear(net, 8)
    assert torch.equal(torch.get_rng_state(), before)
    torch.testing.assert_close(one[0].weight, two[0].weight, rtol=0, atol=0)
    assert not torch.equal(one[0].weight, other[0].weight)
    # He-normal, fan_out: std sqrt(2 / (out_channels * k * k)); biases zero; BN weight 1
    big = random_without_linear(lambda: nn.Sequential(nn.Conv2d(64, 128, 3)), 0)[0]
    assert abs(float(big.weight.detach().std()) / (2 / (128 * 9)) ** 0.5 - 1) < 0.02
    assert not big.bias.any() and torch.equal(one[1].weight, torch.ones(4))


def test_random_without_linear_on_real_networks() -> None:
    """VGG-16 holds its 14.7 M convolution weights, not its 138 M; ConvNeXt's linear layers
    inside its blocks are part of the body and get weights; every zoo network builds."""
    from cnnplay.models.zoo import ARCHITECTURES

    vgg = random_without_linear(ARCHITECTURES["VGG-16"])
    assert sum(p.numel() for p in vgg.parameters() if not p.is_meta) == sum(
        p.numel() for p in vgg.features.parameters()
    ) == 14_714_688
    assert all(p.is_meta for p in vgg.classifier.parameters())
    convnext = random_without_linear(ARCHITECTURES["ConvNeXt-Tiny"])
    assert not convnext.features[1][0].block[3].weight.is_meta  # pwconv1, an nn.Linear
    assert convnext.classifier[2].weight.is_meta
    for build in ARCHITECTURES.values():
        model = random_without_linear(build)
        assert any(not p.is_meta for p in model.parameters())
    try:
        random_without_linear(lambda: nn.Sequential(nn.Conv2d(1, 1, 1), nn.PReLU()))
    except TypeError as err:
        assert "PReLU" in str(err)
    else:
        raise AssertionError("a layer it cannot initialise must be refused")


def test_field_table_of_a_meta_built_network_equals_the_real_one() -> None:
    """The Receptive field page builds its tables on the meta device (no weights)."""
    from cnnplay.models.zoo import ARCHITECTURES

    for name in ("VGG-16", "ResNet-18", "GoogLeNet"):
        with torch.device("meta"):
            shapes = ARCHITECTURES[name]()
        assert all(p.is_meta for p in shapes.parameters())
        torch.manual_seed(0)
        assert receptive_field_table(shapes, 224) == receptive_field_table(
            ARCHITECTURES[name](), 224
        )
