"""The gradient of a shared weight is a sum over positions: the per-position terms add up to
autograd's gradient of the real model (a float64 copy, backward through its own forward), each
term is the upstream gradient times the pixel the weight multiplied (a loop here), the upstream
gradient is the real model's, and the model is left as it was."""

from __future__ import annotations

import copy
import functools

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnplay.convnets.models import build, normalise
from cnnplay.convnets.shared_gradient import signed_map_figure, weight_gradient
from cnnplay.seeding import generator
from tests.convnets.helpers import fashion_split, quick_models

TOL64 = {"rtol": 1e-9, "atol": 1e-12}


@functools.cache
def trained():
    split = fashion_split(n_train=400, n_test=16)
    models, _ = quick_models(split, names=("cnn",))
    return models["cnn"], split


def fresh():
    return build("cnn", 10, seed=7).eval()


def batch(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = generator(seed)
    x = torch.randint(0, 256, (n, 1, 28, 28), generator=gen, dtype=torch.uint8)
    return x, torch.randint(0, 10, (n,), generator=gen)


def reference(cnn, images, labels, c, u, v):
    """Autograd on a float64 copy of the whole model through its own forward pass: dL/dw[c,0,u,v]
    and dL/dz (the first conv's output, captured by a hook on the copy)."""
    model = copy.deepcopy(cnn).double().eval()
    captured = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        captured["z"] = output

    handle = model.features[0].register_forward_hook(keep)
    try:
        loss = F.cross_entropy(model(normalise(images).double()), labels)
        loss.backward()
    finally:
        handle.remove()
    return model.features[0].weight.grad[c, 0, u, v].item(), captured["z"].grad[:, c], loss.item()


@pytest.mark.parametrize("which", ["fresh", "trained"])
@pytest.mark.parametrize("n,c,u,v", [(1, 0, 0, 0), (1, 31, 2, 1), (3, 5, 1, 2), (2, 17, 2, 2)])
def test_terms_sum_to_autograds_gradient(which, n, c, u, v):
    if which == "fresh":
        cnn = fresh()
        images, labels = batch(n, seed=c)
    else:
        cnn, split = trained()
        images, labels = split.x_test[c % 8 : c % 8 + n], split.y_test[c % 8 : c % 8 + n]
    g = weight_gradient(cnn, images, labels, c, (u, v))
    want, upstream, loss = reference(cnn, images, labels, c, u, v)
    assert g.contributions.shape == (n, 26, 26) and g.positions == n * 676
    assert_close(g.total, want, **TOL64)
    assert_close(g.autograd, want, **TOL64)
    assert_close(torch.from_numpy(g.upstream), upstream, **TOL64)
    assert g.loss == pytest.approx(loss, rel=1e-12)
    assert abs(want) > 0  # a real gradient, not two zeros that agree
    x = normalise(images).double()
    for k in range(n):  # each term, by a loop over positions
        for i in range(0, 26, 5):
            for j in range(0, 26, 3):
                term = upstream[k, i, j] * x[k, 0, i + u, j + v]
                assert g.contributions[k, i, j] == pytest.approx(term.item(), rel=1e-12, abs=0)


def test_model_is_left_as_it_was():
    cnn, split = trained()
    before = copy.deepcopy(cnn.state_dict())
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in cnn.named_parameters()}
    weight_gradient(cnn, split.x_test[:2], split.y_test[:2], 3, (1, 1))
    assert not cnn.training
    for name, p in cnn.named_parameters():
        assert torch.equal(p, before[name]) and p.dtype == torch.float32
        assert (p.grad is None) == (grads[name] is None)  # no gradient written or changed
        assert p.grad is None or torch.equal(p.grad, grads[name])


def test_bad_choices_are_refused():
    cnn = fresh()
    x, y = batch(1)
    with pytest.raises(ValueError, match="eval mode"):
        weight_gradient(build("cnn", 10, seed=7), x, y, 0, (0, 0))  # fresh builds train
    with pytest.raises(ValueError, match="no weight"):
        weight_gradient(cnn, x, y, 32, (0, 0))
    with pytest.raises(ValueError, match="no weight"):
        weight_gradient(cnn, x, y, 0, (0, 3))


def test_signed_map_is_centred_at_zero():
    fig = signed_map_figure(torch.tensor([[-2.0, 1.0], [0.5, 0.0]]).numpy(), "t", "term")
    trace = fig.data[0]
    assert (trace.zmin, trace.zmax, trace.zmid) == (-2.0, 2.0, 0)
    assert trace.colorbar.title.text == "term" and fig.layout.xaxis.title.text == "position j"
