"""cnnplay.learned.features: a gallery's penultimate features (what the last linear layer
reads), batched and read-only, and the pixel vectors they are compared with."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnplay.learned.features import embed, pixel_vectors, resized, to_input
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, PretrainedSpec, load_pretrained

pytestmark = pytest.mark.usefixtures("one_thread")
SPEC = PretrainedSpec(build=lambda _: None, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5),
                      offline=True, about="")  # fmt: skip


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (7, 24, 24, 3), dtype=np.uint8)


def test_to_input_normalises_with_the_specs_mean_and_std():
    white = np.full((1, 8, 8, 3), 255, np.uint8)
    x = to_input(white, 8, SPEC)
    assert x.shape == (1, 3, 8, 8) and x.dtype == torch.float32
    expected = torch.tensor([(1 - 0.5) / 0.2, (1 - 0.4) / 0.25, (1 - 0.3) / 0.5])
    torch.testing.assert_close(x[0, :, 3, 3], expected)
    assert to_input(white, 16, SPEC, dtype=torch.float64).shape == (1, 3, 16, 16)


def test_embed_is_the_pooled_vector_before_the_last_linear_layer(tiny, images):
    f = embed(tiny, SPEC, images, 32, batch=3)
    assert f.shape == (7, 5) and f.dtype == np.float32
    with torch.no_grad():
        x = to_input(images, 32, SPEC)
        logits = tiny(x)
    # the classifier's last layer on these features gives the network's own output
    torch.testing.assert_close(tiny.fc(torch.from_numpy(f)), logits, rtol=1e-5, atol=1e-5)


def test_embed_does_not_depend_on_the_batch_size(tiny, images):
    one = embed(tiny, SPEC, images, 32, batch=1)
    all_ = embed(tiny, SPEC, images, 32, batch=7)
    np.testing.assert_allclose(one, all_, rtol=1e-5, atol=1e-6)


def test_embed_reports_progress_and_stops_between_batches(tiny, images):
    calls = []
    embed(tiny, SPEC, images, 32, batch=3, on_progress=lambda s, t, m: calls.append((s, t)))
    assert calls == [(3, 7), (6, 7), (7, 7)]
    done = []
    partial = embed(
        tiny, SPEC, images, 32, batch=3,
        on_progress=lambda s, t, m: done.append(s), should_stop=lambda: len(done) >= 2,
    )  # fmt: skip
    assert partial.shape == (6, 5)
    assert embed(tiny, SPEC, images, 32, should_stop=lambda: True).shape == (0, 5)


def test_embed_leaves_the_shared_model_as_it_was(tiny, images):
    before = {k: v.clone() for k, v in tiny.state_dict().items()}
    embed(tiny, SPEC, images, 32)
    assert not tiny.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in tiny.modules())
    for k, v in tiny.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)


def test_embed_on_efficientnet_gives_1280_features_that_classify_like_the_model():
    model = load_pretrained(DEFAULT_MODEL)
    spec = REGISTRY[DEFAULT_MODEL]
    pictures = np.random.default_rng(1).integers(0, 256, (2, 40, 40, 3), dtype=np.uint8)
    f = embed(model, spec, pictures, 64)
    assert f.shape == (2, 1280)
    with torch.inference_mode():
        logits = model(to_input(pictures, 64, spec))
        torch.testing.assert_close(
            model.classifier(torch.from_numpy(f)), logits, rtol=1e-4, atol=1e-4
        )


def test_pixel_vectors_flatten_the_shrunk_image_in_0_to_1():
    rng = np.random.default_rng(2)
    small = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    v = pixel_vectors(small)  # already 32×32: no resize, row by row, RGB last
    assert v.shape == (3, 3072) and v.dtype == np.float32
    np.testing.assert_allclose(v, small.reshape(3, -1) / 255, rtol=1e-6)
    grey = np.full((2, 96, 96, 3), 51, np.uint8)
    np.testing.assert_allclose(pixel_vectors(grey), 0.2, rtol=1e-5)
    assert pixel_vectors(grey, side=8).shape == (2, 192)


def test_resized_is_what_the_network_sees():
    rng = np.random.default_rng(3)
    pictures = rng.integers(0, 256, (2, 20, 20, 3), dtype=np.uint8)
    np.testing.assert_array_equal(resized(pictures, 20), pictures)
    big = resized(pictures, 40)
    assert big.shape == (2, 40, 40, 3) and big.dtype == np.uint8
    x = to_input(pictures, 40, SPEC)  # the normalised input, back to pixels
    mean = torch.tensor(SPEC.mean).view(1, 3, 1, 1)
    std = torch.tensor(SPEC.std).view(1, 3, 1, 1)
    back = ((x * std + mean) * 255).round().permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(big, back, atol=1)
