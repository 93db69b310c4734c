"""Copies that share or drop the weights (cnnplay.models.copies), against plain torch."""

from __future__ import annotations

import torch
from torch import nn

from cnnplay.models.copies import drop_linear_weights, meta_copy, shared_weights_copy
from cnnplay.receptive import effective_field, receptive_field_table


def small_net() -> nn.Module:
    torch.manual_seed(0)
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


def test_drop_linear_weights_keeps_the_effective_field() -> None:
    """Dropping the classifier's weights changes no conv unit's gradient w.r.t. the input."""
    full, dropped = small_net(), drop_linear_weights(small_net())
    assert dropped[7].weight.is_meta and not dropped[4].weight.is_meta
    assert sum(p.numel() for p in dropped.parameters() if not p.is_meta) == sum(
        p.numel() for p in full[:5].parameters()
    )
    x = torch.randn(3, 16, 16)
    a = effective_field(full, "4", x, (2, 3))
    b = effective_field(dropped, "4", x, (2, 3))
    torch.testing.assert_close(torch.from_numpy(a.grad), torch.from_numpy(b.grad))
    assert a.grad.max() > 0


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
