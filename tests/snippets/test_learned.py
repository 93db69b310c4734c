"""The What a CNN learned snippets against the page's own computations, on the offline
EfficientNet-Lite0 with small images and 1–3 steps: gradient ascent (the same images, scores and
probabilities as ``cnnplay.synthesis.ascent.ascend``, every regulariser on, the jitter drawn
from the same seed), style transfer (the same Gram matrices and losses as
``cnnplay.synthesis.style``, the same image as ``transfer`` with Adam and L-BFGS), the nearest
images (the same features as ``cnnplay.learned.features.embed``, the same ranking as
``cnnplay.learned.retrieval.nearest`` on distinct random images) and DeepDream (the same image,
step-by-step objective and before/after L as ``cnnplay.synthesis.deepdream.dream``, jitter on,
one to three octaves); the stage and feature lines of the torchvision networks against
``body_stages`` (random weights: no download)."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from cnnplay.learned.features import embed, pixel_vectors
from cnnplay.learned.retrieval import nearest
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, body_stages, load_pretrained
from cnnplay.models.stages import feature_stages, truncated
from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.learned import (
    DREAM_FILE,
    dream,
    gallery_file,
    gradient_ascent,
    nearest_images,
    penultimate,
    stage_list,
    style_transfer,
)
from cnnplay.synthesis.ascent import (
    ClassTarget,
    UnitTarget,
    ascend,
    grey_start,
    noise_start,
    photo_start,
)
from cnnplay.synthesis.deepdream import DeepDreamSettings, fit
from cnnplay.synthesis.deepdream import dream as page_dream
from cnnplay.synthesis.regularisers import AscentSettings
from cnnplay.synthesis.style import (
    StyleSettings,
    content_loss,
    fit_images,
    gram_matrix,
    stage_outputs,
    style_loss,
    to_input,
    transfer,
)
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")

NAME = DEFAULT_MODEL
SPEC = REGISTRY[NAME]
# every regulariser on, a blur after every step, so that two steps use them all
SMALL = AscentSettings(
    steps=2, size=64, step_size=8.0, l2=1e-3, blur_sigma=0.8, blur_every=1, jitter=5,
    clip_norm_pct=10.0, clip_contrib_pct=20.0, seed=3,
)  # fmt: skip


@pytest.fixture(scope="module")
def model() -> nn.Module:
    return load_pretrained(NAME)


def pictures(n: int, h: int, w: int, seed: int) -> np.ndarray:
    """(n, h, w, 3) uint8 smooth random pictures (distinct: no ties anywhere)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (n, 3, h // 4 + 1, w // 4 + 1)).astype(np.float32)
    x = torch.nn.functional.interpolate(torch.from_numpy(coarse), size=(h, w), mode="bilinear")
    noise = torch.from_numpy(rng.normal(0, 12, (n, 3, h, w)).astype(np.float32))
    return (x + noise).clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def same_pictures(a: np.ndarray, b: np.ndarray) -> None:
    """The same uint8 pictures, up to a rare last-bit rounding: the snippet's tensors may be
    laid out in memory differently from the page's (a non-square photo), which changes the
    float32 sums in their last bit, so a pixel may round the other way."""
    assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.002, (diff.max(), (diff > 0).mean())


# --- gradient ascent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "start", "settings", "given"),
    [
        (ClassTarget(9), "noise", SMALL, None),
        (UnitTarget(4, 7), "grey", replace(SMALL, jitter=0, l2=0.0, clamp=False), None),
        (ClassTarget(130), "photo", replace(SMALL.plain(), steps=3, blur_sigma=1.2), (1, 60, 90)),
        (UnitTarget(6, 2), "facets", replace(SMALL, blur_every=2, clip_norm_pct=0.0), (2, 48, 48)),
    ],
)
def test_gradient_ascent_makes_the_pages_images(model, target, start, settings, given):
    starts = None if given is None else pictures(*given, seed=1)
    ns = run(gradient_ascent(NAME, target, settings, start, starts, layer="blocks.2"))
    if starts is not None:
        x0 = photo_start(starts, settings.size, SPEC)
    elif start == "grey":
        x0 = grey_start(1, settings.size, SPEC)
    else:
        x0 = noise_start(1, settings.size, SPEC, seed=settings.seed)
    page = ascend(model, SPEC, target, settings, x0)
    assert ns["images"].shape == page.images.shape == (len(x0), settings.size, settings.size, 3)
    same_pictures(ns["images"].numpy(), page.images)
    torch.testing.assert_close(
        ns["final"].double(), torch.from_numpy(page.final_score), rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(ns["probs"], torch.from_numpy(page.probs), rtol=1e-4, atol=1e-6)
    assert not np.array_equal(page.images[0], page.images[0, ::-1])  # something was made
    assert "f went to " in ns["__stdout__"]


def test_the_ascent_follows_the_jitter_seed(model):
    """With jitter, the seed decides the image: the snippet's seed line is the page's seed."""
    other = replace(SMALL, seed=4)
    ns = run(gradient_ascent(NAME, ClassTarget(9), SMALL))
    page = ascend(model, SPEC, ClassTarget(9), other, noise_start(1, 64, SPEC, seed=3))
    assert not np.array_equal(ns["images"].numpy(), page.images)


def test_ascent_code_shows_only_the_regularisers_that_are_on():
    code = gradient_ascent(NAME, ClassTarget(9), replace(SMALL.plain(), clamp=False)).code
    for word in ("l2 =", "blur(", "jitter =", "torch.roll", "clip_below", "low, high"):
        assert word not in code
    assert 'target = 9  # ImageNet class "ostrich"' in code
    code = gradient_ascent(NAME, UnitTarget(6, 3), SMALL, layer="blocks.4").code
    assert "stage, channel = 6, 3" in code and "(blocks.4)" in code
    for word in ("l2 = 0.001", "blur_sigma, blur_every = 0.8, 1", "jitter = 5", "clip_norm = 10"):
        assert word in code


# --- style transfer ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    """A photo-like content image (48 × 72) and a style image (80 × 80), fitted to 64 px."""
    return fit_images(pictures(1, 48, 72, seed=2)[0], pictures(1, 80, 80, seed=3)[0], 64)


def test_the_gram_matrix_and_the_losses_are_the_pages(model, images):
    settings = StyleSettings(steps=1, side=64, tv_weight=3.0)
    ns = run(style_transfer(NAME, settings, *images))
    f = torch.randn(2, 5, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(ns["gram"](f), gram_matrix(f))
    content, style = (to_input(im, SPEC, torch.device("cpu")) for im in images)
    x = content + 0.3 * torch.randn(content.shape, generator=torch.Generator().manual_seed(1))
    body = truncated(model, max(settings.stages_needed))
    at = {k: stage_outputs(body, v, settings.stages_needed) for k, v in
          {"x": x, "p": content, "a": style}.items()}  # fmt: skip
    lc = content_loss(at["x"][5], at["p"][5])
    ls, _ = style_loss([gram_matrix(at["x"][i]) for i in settings.style_stages],
                       [gram_matrix(at["a"][i]) for i in settings.style_stages])  # fmt: skip
    with torch.no_grad():
        total, c, s = ns["losses"](x)
    torch.testing.assert_close(c, lc)
    torch.testing.assert_close(s, ls)
    tv = ns["tv"](x)
    torch.testing.assert_close(total, settings.alpha * lc + settings.beta * ls + 3.0 * tv)
    assert lc > 0 and ls > 0


@pytest.mark.parametrize(
    "settings",
    [
        StyleSettings(steps=3, side=64),
        StyleSettings(
            steps=2,
            side=64,
            alpha=0.0,
            style_stages=(1, 3),
            start="noise",
            optimiser="lbfgs",
            seed=4,
        ),
        StyleSettings(
            steps=2, side=64, beta=0.0, content_stage=3, tv_weight=10.0, lr=0.02, start="noise"
        ),
    ],
)
def test_style_transfer_paints_the_pages_image(model, images, settings):
    ns = run(style_transfer(NAME, settings, *images, {1: "bn1", 3: "blocks.1"}))
    page = transfer(model, SPEC, *images, settings)
    assert ns["image"].shape == page.image.shape == images[0].shape
    same_pictures(ns["image"].numpy(), page.image)
    shown = [(h["content"], h["style"]) for h in page.history]
    np.testing.assert_allclose(ns["history"], shown, rtol=1e-6)
    assert f"Style loss {shown[0][1]:.3g} → {shown[-1][1]:.3g}" in ns["__stdout__"]
    assert not np.array_equal(page.image, images[0])  # the optimisation changed x


def test_style_code_names_the_stages_and_ships_the_images(images):
    snippet = style_transfer(NAME, StyleSettings(side=64), *images, {1: "bn1", 3: "blocks.1"})
    assert "style_stages = [1, 3, 4, 5]  # bn1, blocks.1, stage 4, stage 5" in snippet.code
    assert [name for name, _ in snippet.files] == ["cnnplay_content.png", "cnnplay_style.png"]
    no_style = style_transfer(NAME, StyleSettings(side=64, beta=0.0), *images)
    assert [name for name, _ in no_style.files] == ["cnnplay_content.png"]
    assert "def gram(" not in no_style.code and "style_stages" not in no_style.code


# --- nearest images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "side", "metric", "query"),
    [
        (35, 128, "cosine", 5),  # two batches, no resize
        (24, 40, "euclidean", 0),  # enlarged to 128 px, shrunk to 32 for the pixels
        (20, 28, "cosine", None),  # a photo as the query
    ],
)
def test_nearest_images_are_the_pages(model, count, side, metric, query):
    gallery = pictures(count, side, side, seed=count)
    labels = ["one"] * (count // 2) + ["two"] * (count - count // 2)
    photo = pictures(1, 128, 128, seed=99)[0] if query is None else None
    k = 6
    ns = run(nearest_images(NAME, gallery, labels, k, metric, query, photo))
    feats = embed(model, SPEC, gallery, 128)
    torch.testing.assert_close(ns["feats"], torch.from_numpy(feats))
    pix = pixel_vectors(gallery)
    exclude = None if query is None else np.array([query])
    if query is None:
        q_feat, q_pix = embed(model, SPEC, photo[None], 128), pixel_vectors(photo[None])
    else:
        q_feat, q_pix = feats[query : query + 1], pix[query : query + 1]
    for space, q, vectors in (("", q_feat, feats), ("_pixels", q_pix, pix)):
        page = nearest(q, vectors, k, metric, exclude)
        assert ns[f"nearest{space}"] == page.indices[0].tolist()
        np.testing.assert_allclose(ns[f"distances{space}"].numpy(), page.distances[0],
                                   rtol=1e-4, atol=1e-5)  # fmt: skip
    assert f"#{ns['nearest'][0]} " in ns["__stdout__"]


def test_the_gallery_sheet_holds_every_image_in_order():
    from io import BytesIO

    from PIL import Image

    gallery = pictures(7, 12, 12, seed=0)
    name, png = gallery_file(gallery)
    sheet = np.asarray(Image.open(BytesIO(png)))
    assert name == "cnnplay_gallery.png" and sheet.shape == (3 * 12, 3 * 12, 3)
    tiles = sheet.reshape(3, 12, 3, 12, 3).transpose(0, 2, 1, 3, 4).reshape(-1, 12, 12, 3)
    np.testing.assert_array_equal(tiles[:7], gallery)


# --- DeepDream -------------------------------------------------------------------------------

DREAM = DeepDreamSettings(octaves=2, steps=2, max_side=64, jitter=5, seed=3)


@pytest.fixture(scope="module")
def dream_photo() -> np.ndarray:
    """A photo-like picture of 48 × 72 px: the page shrinks it to 43 × 64 (max_side 64)."""
    return pictures(1, 48, 72, seed=2)[0]


@pytest.mark.parametrize(
    ("stage", "settings"),
    [
        (6, DREAM),  # two octaves (32 × 46, then 43 × 64), jitter on
        (3, replace(DREAM, steps=1, octave_scale=1.2, step_size=5.0, jitter=0)),
        (8, replace(DREAM, octaves=3, jitter=20, seed=1, clamp=False)),  # 32 × 33 px first
    ],
)
def test_deepdream_dreams_the_pages_image(model, dream_photo, stage, settings):
    page = page_dream(model, SPEC, dream_photo, stage, settings)
    photo = fit(dream_photo, settings.max_side)  # as the tab offers it
    ns = run(dream(NAME, stage, settings, photo, "blocks.4"))
    assert ns["image"].shape == page.image.shape == (43, 64, 3)
    same_pictures(ns["image"].numpy(), page.image)
    assert len(ns["curve"]) == settings.octaves * settings.steps
    np.testing.assert_allclose(ns["curve"], page.objective, rtol=1e-6)
    np.testing.assert_allclose([ns["before"], ns["after"]], [page.before, page.after], rtol=1e-6)
    assert (page.image != page.original).mean() > 0.5  # the dream changed the photo
    assert f"L went from {page.before:.3f} to {page.after:.3f}" in ns["__stdout__"]


def test_the_dream_follows_the_jitter_seed(model, dream_photo):
    """With jitter, the seed decides the image: the snippet's seed line is the page's seed."""
    ns = run(dream(NAME, 6, DREAM, fit(dream_photo, 64)))
    page = page_dream(model, SPEC, dream_photo, 6, replace(DREAM, seed=4))
    assert (ns["image"].numpy() != page.image).mean() > 0.1


def test_dream_code_shows_the_settings_and_ships_the_photo(dream_photo):
    photo = fit(dream_photo, 64)
    snippet = dream(NAME, 6, replace(DREAM, octave_scale=1.4000000000000001), photo, "blocks.4")
    code = snippet.code
    assert "stage = 6  # the stage (blocks.4) whose activations" in code
    assert "octaves = 2" in code and "octave_scale = 1.4000000000000001" in code
    assert "steps = 2" in code and "jitter = 5" in code and "seed = 3" in code
    assert "(64×43 px)" in code and "x = x.clamp(low, high)" in code
    assert [name for name, _ in snippet.files] == [DREAM_FILE]
    assert snippet.result_name == "image" and snippet.needs[0] == "pillow"
    plain = dream(NAME, 6, replace(DREAM, jitter=0, clamp=False), photo).code
    for word in ("jitter", "seed", "torch.roll", "low, high"):
        assert word not in plain


def test_dream_settings_without_a_program_are_refused(dream_photo):
    photo = fit(dream_photo, 64)
    with pytest.raises(SnippetError, match="at least one octave"):
        dream(NAME, 6, replace(DREAM, octaves=0), photo)
    with pytest.raises(SnippetError, match="at least one step"):
        dream(NAME, 6, replace(DREAM, steps=0), photo)
    with pytest.raises(SnippetError, match="would enlarge the photo"):
        dream(NAME, 6, replace(DREAM, octave_scale=0.8), photo)
    with pytest.raises(SnippetError, match="a stage is a number"):
        dream(NAME, -1, DREAM, photo)
    with pytest.raises(SnippetError, match="a picture is"):
        dream(NAME, 6, DREAM, photo.astype(np.float32))
    with pytest.raises(SnippetError, match="no network"):
        dream("AlexNet", 6, DREAM, photo)


# --- the other networks' stages ---------------------------------------------------------------


class SmallVgg(nn.Module):
    """VGG-16's feature layout with a small classifier (no 138 M parameters to build)."""

    def __init__(self) -> None:
        from torchvision.models.vgg import cfgs, make_layers

        super().__init__()
        self.features = make_layers(cfgs["D"])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(512, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # as torchvision's VGG
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _builders():
    from torchvision.models import mobilenet_v3_large, resnet18

    return [
        ("ResNet-18 (download 45 MB)", resnet18),
        ("MobileNetV3-Large (download 21 MB)", mobilenet_v3_large),
        ("VGG-16 (download 528 MB)", SmallVgg),
    ]


@pytest.mark.parametrize(("name", "build"), _builders())
def test_stages_and_features_of_the_torchvision_networks(name, build):
    torch.manual_seed(0)
    model = build().eval()
    ns = {"model": model, "torch": torch}
    exec(stage_list(name), ns)  # noqa: S102 (the snippet's own lines)
    body = list(body_stages(model))
    deepest = max(s.index for s in feature_stages(model, side=64))
    assert len(ns["stages"]) > deepest
    assert all(a is b for a, b in zip(ns["stages"], body, strict=False))
    copied = copy.deepcopy(model)
    ns = {"model": copied, "torch": torch}
    exec(penultimate(name), ns)  # noqa: S102
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(copied(x), body_stages(model)(x))
    for snippet in (
        gradient_ascent(name, UnitTarget(deepest, 0), SMALL),
        style_transfer(
            name,
            StyleSettings(side=64, style_stages=(1, 2), content_stage=2),
            *[np.zeros((64, 64, 3), np.uint8)] * 2,
        ),
        nearest_images(name, np.zeros((5, 8, 8, 3), np.uint8), ["a"] * 5, 2, "cosine", 0),
        dream(name, deepest, DeepDreamSettings(), np.zeros((40, 48, 3), np.uint8)),
    ):
        compile(snippet.code, snippet.file_name, "exec")
        assert "torchvision.models.get_model(" in snippet.code and snippet.needs == ("pillow",) * (
            snippet.files != ()
        )


# --- settings that make no program ------------------------------------------------------------


def test_settings_without_a_program_are_refused(images):
    with pytest.raises(SnippetError, match="1,000 ImageNet classes"):
        gradient_ascent(NAME, ClassTarget(1000), SMALL)
    with pytest.raises(SnippetError, match="larger image"):
        gradient_ascent(NAME, ClassTarget(1), replace(SMALL, size=4, blur_sigma=2.0))
    with pytest.raises(SnippetError, match="no network"):
        style_transfer("AlexNet", StyleSettings(side=64), *images)
    with pytest.raises(SnippetError, match="at least 32 px"):
        style_transfer(NAME, StyleSettings(side=64), images[0][:20], images[1])
    gallery = pictures(4, 16, 16, seed=0)
    with pytest.raises(SnippetError, match="3 images to choose from"):
        nearest_images(NAME, gallery, ["a"] * 4, 4, "cosine", 0)
    with pytest.raises(SnippetError, match="no image #4"):
        nearest_images(NAME, gallery, ["a"] * 4, 2, "cosine", 4)
    with pytest.raises(SnippetError, match="no distance"):
        nearest_images(NAME, gallery, ["a"] * 4, 2, "manhattan", 0)
