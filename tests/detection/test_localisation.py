"""cnnplay.detection.localisation: the single-object images, the two box losses (IoU against
torchvision, gradients with gradcheck in float64), the two-headed network, seeded training,
the by-size summary and the figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import box_convert, box_iou

from cnnplay.detection import localisation as loc
from cnnplay.ops.boxes import box_iou as loop_box_iou
from cnnplay.scenes import CLASSES, SceneConfig, make_scene

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def random_xyxy(n: int, gen: torch.Generator, scale: float = 50.0) -> torch.Tensor:
    """(n, 4) float64 xyxy boxes with positive sides, some overlapping, some not."""
    corner = torch.rand(n, 2, generator=gen, dtype=torch.float64) * scale
    size = torch.rand(n, 2, generator=gen, dtype=torch.float64) * scale / 2 + 0.5
    return torch.cat([corner, corner + size], dim=1)


# --- boxes and losses -------------------------------------------------------------------------
def test_paired_iou_is_torchvisions_diagonal():
    gen = torch.Generator().manual_seed(0)
    a, b = random_xyxy(300, gen), random_xyxy(300, gen)
    b[:20] = a[:20]  # identical pairs: IoU 1
    b[20:40] = a[20:40] + 1000  # far apart: IoU 0
    nested = a[40:60].clone()
    nested[:, 2:] = (a[40:60, :2] + a[40:60, 2:]) / 2
    b[40:60] = nested  # inside its partner
    b[60:200] = a[60:200] + torch.randn(140, 4, generator=gen, dtype=torch.float64) * 4  # near
    expected = box_iou(a, b).diagonal()
    got = loc.paired_iou(a, b, eps=0.0)
    torch.testing.assert_close(got, expected)
    assert (expected[:20] == 1).all() and (expected[20:40] == 0).all()
    assert ((expected > 0) & (expected < 1)).sum() > 100  # the partial overlaps were tested
    # the default eps changes nothing visible
    torch.testing.assert_close(loc.paired_iou(a, b), expected, rtol=1e-6, atol=1e-6)


def test_box_ious_of_arrays_matches_the_loop_version():
    gen = torch.Generator().manual_seed(1)
    a, b = random_xyxy(50, gen).numpy(), random_xyxy(50, gen).numpy()
    np.testing.assert_allclose(loc.box_ious(a, b), np.diag(loop_box_iou(a, b)), atol=1e-12)


def test_box_conversions_match_torchvision_and_round_trip():
    gen = torch.Generator().manual_seed(2)
    xyxy = random_xyxy(40, gen)
    cxcywh = loc.xyxy_to_cxcywh(xyxy)
    torch.testing.assert_close(cxcywh, box_convert(xyxy, "xyxy", "cxcywh"))
    torch.testing.assert_close(loc.cxcywh_to_xyxy(cxcywh), xyxy)
    np.testing.assert_allclose(loc.to_xyxy(cxcywh[0].numpy()), xyxy[0].numpy())


def overlapping_pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 4) predicted and true cxcywh boxes (float64) that overlap partially: away from the
    kinks of min / max / clamp, where the IoU is smooth."""
    gen = torch.Generator().manual_seed(seed)
    truth = torch.rand(n, 4, generator=gen, dtype=torch.float64) * 0.3 + torch.tensor(
        [0.35, 0.35, 0.2, 0.2], dtype=torch.float64
    )
    shift = (torch.rand(n, 4, generator=gen, dtype=torch.float64) - 0.5) * 0.1
    return truth + shift, truth


def test_iou_loss_gradient_is_right_in_float64():
    pred, truth = overlapping_pairs(6, 3)
    pred.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: loc.iou_loss(p, truth), (pred,))
    a, b = loc.cxcywh_to_xyxy(pred.detach()), loc.cxcywh_to_xyxy(truth)
    a.requires_grad_(True)
    b.requires_grad_(True)
    assert torch.autograd.gradcheck(loc.paired_iou, (a, b))
    assert torch.autograd.gradcheck(loc.l2_box_loss, (pred, truth.clone().requires_grad_(True)))


def test_iou_loss_value_is_one_minus_torchvisions_iou():
    pred, truth = overlapping_pairs(20, 4)
    expected = 1 - box_iou(
        box_convert(pred, "cxcywh", "xyxy"), box_convert(truth, "cxcywh", "xyxy")
    )
    # the loss adds IOU_EPS = 1e-9 to unions of ~0.01 (boxes as fractions): 1e-7 relative
    torch.testing.assert_close(
        loc.iou_loss(pred, truth), expected.diagonal().mean(), rtol=1e-6, atol=0
    )
    far = truth + torch.tensor([5.0, 0, 0, 0], dtype=torch.float64)
    far.requires_grad_(True)
    loss = loc.iou_loss(far, truth)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(1.0) and (far.grad == 0).all()  # no overlap: flat


def test_l2_box_loss_is_the_summed_squares_averaged_over_boxes():
    pred, truth = overlapping_pairs(7, 5)
    loop = sum(
        sum((float(p) - float(t)) ** 2 for p, t in zip(pr, tr)) for pr, tr in zip(pred, truth)
    )
    assert float(loc.l2_box_loss(pred, truth)) == pytest.approx(loop / 7, rel=1e-12)


@pytest.mark.parametrize("error", [(4, 0, 0, 0), (-3, 2, 5, -1), (0, 0, 0, 0), (30, 0, 0, 0)])
def test_losses_of_box_for_a_small_and_a_large_box(error):
    err = np.asarray(error, np.float64)
    results = {}
    for side in (8.0, 40.0):
        truth = np.array([32.0, 32.0, side, side])
        pred = truth + err
        got = loc.losses_of_box(pred, truth)
        assert got.l2 == pytest.approx(float((err**2).sum()))  # pixels, not sizes
        np.testing.assert_allclose(got.l2_grad, 2 * err)
        expected = loop_box_iou(loc.to_xyxy(pred), loc.to_xyxy(truth))[0, 0]
        assert got.iou == pytest.approx(expected, abs=1e-9)
        # the gradient against a central difference of the IoU of the loop version
        for k in range(4):
            step = np.zeros(4)
            step[k] = 1e-5
            up = loop_box_iou(loc.to_xyxy(pred + step), loc.to_xyxy(truth))[0, 0]
            down = loop_box_iou(loc.to_xyxy(pred - step), loc.to_xyxy(truth))[0, 0]
            assert got.iou_grad[k] == pytest.approx(-(up - down) / 2e-5, abs=1e-6)
        results[side] = got
    small, large = results[8.0], results[40.0]
    assert small.l2 == large.l2
    if 0 < error[0] < 8:  # the same shift costs the small box more: a relative error
        assert 1 - small.iou > 1 - large.iou
        assert abs(small.iou_grad[0]) > abs(large.iou_grad[0])


# --- data -------------------------------------------------------------------------------------
def test_single_object_images_are_make_scene_and_deterministic():
    data = loc.make_single_objects(12, seed=5)
    assert data.images.shape == (12, 64, 64, 3) and data.images.dtype == np.uint8
    assert data.boxes.shape == (12, 4) and data.labels.shape == (12,)
    for i in (0, 7, 11):
        scene = make_scene(5 * 1_000_003 + i, loc.SINGLE)
        np.testing.assert_array_equal(data.images[i], scene.image)
        np.testing.assert_array_equal(data.boxes[i], scene.boxes[0])
        assert data.labels[i] == scene.labels[0] - 1 and len(scene.boxes) == 1
    again = loc.make_single_objects(12, seed=5)
    np.testing.assert_array_equal(again.images, data.images)
    other = loc.make_single_objects(12, seed=6)
    assert not np.array_equal(other.images, data.images)
    assert set(data.labels.tolist()) <= set(range(len(CLASSES)))
    b = data.boxes.astype(np.float64)
    np.testing.assert_allclose(data.sizes(), np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])))


def test_the_sizes_span_small_to_large_objects():
    sizes = loc.make_single_objects(300, seed=1).sizes()
    assert sizes.min() < 10 and sizes.max() > 40


def test_tensors_hold_the_class_and_the_box_as_fractions():
    data = loc.make_single_objects(5, seed=3)
    x, y = data.tensors()
    assert x.shape == (5, 3, 64, 64) and x.dtype == torch.uint8
    np.testing.assert_array_equal(x.permute(0, 2, 3, 1).numpy(), data.images)
    np.testing.assert_array_equal(y[:, 0].long().numpy(), data.labels)
    back = box_convert(y[:, 1:].double() * 64, "cxcywh", "xyxy").numpy()
    np.testing.assert_allclose(back, data.boxes, atol=1e-4)


def test_a_config_with_several_objects_is_refused():
    with pytest.raises(ValueError, match="single-object"):
        loc.make_single_objects(3, 0, SceneConfig(size=64))
    with pytest.raises(ValueError, match="at least one"):
        loc.make_single_objects(0, 0)


# --- the network and training -----------------------------------------------------------------
def test_the_network_has_a_class_head_and_a_box_head():
    model = loc.build_localiser(0)
    logits, boxes = model(torch.rand(3, 3, 64, 64))
    assert logits.shape == (3, len(CLASSES)) and boxes.shape == (3, 4)
    assert ((boxes > 0) & (boxes < 1)).all()
    same, other = loc.build_localiser(0), loc.build_localiser(1)
    for p, q in zip(model.parameters(), same.parameters(), strict=True):
        assert torch.equal(p, q)
    assert any(
        not torch.equal(p, q) for p, q in zip(model.parameters(), other.parameters(), strict=True)
    )


@pytest.mark.parametrize("box", ["l2", "iou"])
def test_the_training_loss_is_cross_entropy_plus_the_weighted_box_loss(box):
    gen = torch.Generator().manual_seed(7)
    logits = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    pred, truth = overlapping_pairs(6, 8)
    target = torch.cat([torch.tensor([0, 1, 2, 2, 1, 0.0], dtype=torch.float64)[:, None], truth], 1)
    ce = F.cross_entropy(logits, target[:, 0].long())
    if box == "l2":
        box_term = ((pred - truth) ** 2).sum(1).mean()
    else:
        xyxy = box_convert(pred, "cxcywh", "xyxy"), box_convert(truth, "cxcywh", "xyxy")
        box_term = (1 - box_iou(*xyxy).diagonal()).mean()
    for weight in (None, 3.0):
        lam = loc.BOX_LOSSES[box].weight if weight is None else weight
        got = loc.localisation_loss(box, weight)((logits, pred), target)
        torch.testing.assert_close(got, ce + lam * box_term)


@pytest.fixture(scope="module")
def tiny() -> tuple[loc.LocSettings, loc.ObjectImages, loc.ObjectImages]:
    settings = loc.LocSettings(train_images=64, test_images=24, epochs=2, batch_size=16)
    train = loc.make_single_objects(settings.train_images, settings.data_seed)
    test = loc.make_single_objects(settings.test_images, loc.TEST_SEED)
    return settings, train, test


def test_training_reports_progress_and_scores_every_epoch(tiny):
    settings, train, test = tiny
    calls = []
    model, history = loc.train_localiser(
        "iou", settings, train, test, lambda s, t, m: calls.append((s, t, m))
    )
    assert [c[0] for c in calls] == list(range(1, 9)) and {c[1] for c in calls} == {8}
    assert [e["epoch"] for e in history.epochs] == [1, 2] and not history.stopped
    pred = loc.predict(model, test.images)
    last = history.epochs[-1]
    scores = loc.score(pred, test)
    assert last["test_miou"] == pytest.approx(scores.mean_iou)
    assert last["test_accuracy"] == pytest.approx(scores.accuracy)
    assert not model.training


def test_the_same_seed_trains_the_same_model_and_the_losses_differ(tiny):
    settings, train, test = tiny
    runs = {}
    for box in ("l2", "iou", "l2"):
        model, history = loc.train_localiser(box, settings, train, test)
        pred = loc.predict(model, test.images)
        if box in runs:
            assert history.epochs == runs[box][0]  # every number again
            np.testing.assert_array_equal(pred.boxes, runs[box][1])
        runs[box] = (history.epochs, pred.boxes)
    assert not np.array_equal(runs["l2"][1], runs["iou"][1])  # same start, other loss


def test_stop_ends_training_early(tiny):
    settings, train, test = tiny
    steps = []
    _, history = loc.train_localiser(
        "l2", settings, train, test, lambda s, t, m: steps.append(s), lambda: len(steps) >= 3
    )
    assert history.stopped and max(steps) == 3  # (the cut epoch's record repeats step 3)
    assert len(history.epochs) == 1 and history.epochs[0]["epoch"] == 1
    with pytest.raises(ValueError, match="unknown box loss"):
        loc.train_localiser("l1", settings, train, test)


def test_predict_gives_pixels_and_the_argmax_class(tiny):
    _, _, test = tiny
    model = loc.build_localiser(3).eval()
    pred = loc.predict(model, test.images, batch=5)
    x = torch.from_numpy(test.images).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        logits, boxes = model(x)
    top2 = logits.topk(2, dim=1).values
    clear = (top2[:, 0] - top2[:, 1] > 1e-4).numpy()  # not a near tie: batch sizes add alike
    assert clear.sum() >= len(clear) // 2
    np.testing.assert_array_equal(pred.labels[clear], logits.argmax(1).numpy()[clear])
    expected = box_convert(boxes.double() * 64, "cxcywh", "xyxy").numpy()
    np.testing.assert_allclose(pred.boxes, expected, rtol=1e-5, atol=1e-4)
    s = loc.score(pred, test)
    assert s.accuracy == pytest.approx(np.mean(pred.labels == test.labels))
    assert s.mean_px_error == pytest.approx(np.abs(pred.boxes - test.boxes).mean(), rel=1e-6)


# --- by size, examples, figures ---------------------------------------------------------------
def test_by_size_averages_each_bin_like_a_loop():
    gen = np.random.default_rng(0)
    sizes = np.concatenate([gen.uniform(1, 63, 60), [0.0, 12.0, 64.0]])  # edges included
    truth = np.tile([10.0, 10.0, 30.0, 30.0], (len(sizes), 1))
    preds = {"a": truth + gen.normal(0, 3, truth.shape), "b": truth + gen.normal(0, 5, truth.shape)}
    edges = loc.SIZE_EDGES
    bins = loc.by_size(sizes, truth, preds, edges)
    for k in range(len(edges) - 1):
        last = k == len(edges) - 2
        members = [
            i
            for i, s in enumerate(sizes)
            if edges[k] <= s < edges[k + 1] or (last and s == edges[-1])
        ]
        assert bins.counts[k] == len(members)
        for name, boxes in preds.items():
            ious = [loop_box_iou(boxes[i], truth[i])[0, 0] for i in members]
            errs = [np.mean(np.abs(boxes[i] - truth[i])) for i in members]
            assert bins.mean_iou[name][k] == pytest.approx(np.mean(ious))
            assert bins.mean_px[name][k] == pytest.approx(np.mean(errs))
    assert bins.counts.sum() == len(sizes)
    assert bins.labels[0] == "0–12 px"


def test_example_indices():
    sizes = np.array([30.0, 5.0, 50.0, 12.0, 8.0, 40.0, 20.0, 9.0, 33.0, 60.0])
    ious = {"l2": np.linspace(1, 0, 10), "iou": np.arange(10) / 10}
    spread = loc.example_indices("sizes", sizes, ious, k=4)
    assert list(sizes[spread]) == sorted(sizes[spread]) and sizes[spread[0]] == 5.0
    assert sizes[spread[-1]] == 60.0
    assert sorted(sizes[loc.example_indices("small", sizes, ious, k=3)]) == [5.0, 8.0, 9.0]
    assert list(loc.example_indices("worst_l2", sizes, ious, k=2)) == [9, 8]
    assert list(loc.example_indices("worst_iou", sizes, ious, k=2)) == [0, 1]
    assert len(loc.example_indices("sizes", sizes, ious, k=20)) == 10
    with pytest.raises(ValueError):
        loc.example_indices("best", sizes, ious)


def test_mosaic_places_every_tile():
    images = np.stack([np.full((4, 5, 3), v, np.uint8) for v in (10, 20, 30)])
    out, offsets = loc.mosaic(images, cols=2, gap=1, strip=2)
    assert out.shape == (2 * (4 + 2 + 1) - 1, 2 * (5 + 1) - 1, 3)
    for img, (x, y) in zip(images, offsets.astype(int), strict=True):
        np.testing.assert_array_equal(out[y : y + 4, x : x + 5], img)
    assert (out[4:6] == 255).all()  # the text strip under the first row


def test_figures_have_titles_and_legends(tiny):
    _, _, test = tiny
    rng = np.random.default_rng(1)
    preds = {
        k: loc.Predictions(
            rng.integers(0, 3, len(test)), test.boxes + rng.normal(0, 2, (len(test), 4))
        )
        for k in ("l2", "iou")
    }
    names = {k: b.label for k, b in loc.BOX_LOSSES.items()}
    bins = loc.by_size(
        test.sizes(), test.boxes.astype(float), {k: p.boxes for k, p in preds.items()}
    )
    fig = loc.size_figure(bins, names).to_plotly_json()
    layout = fig["layout"]
    assert (
        layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"] == "mean IoU (test)"
    )
    assert layout["yaxis2"]["title"]["text"] == "mean corner error (px)"
    assert {t["name"] for t in fig["data"] if t.get("showlegend")} == set(names.values())
    index = np.arange(8)
    ex = loc.examples_figure(test, index, preds, names).to_plotly_json()
    legend = [t["name"] for t in ex["data"] if t.get("showlegend")]
    assert legend == ["true box", *names.values()] and ex["layout"]["showlegend"]
    texts = [t for t in ex["data"] if t.get("mode") == "text"]
    assert len(texts) == 2 and all(len(t["text"]) == 8 for t in texts)
    expected = loc.box_ious(preds["l2"].boxes[:8], test.boxes[:8])
    right = preds["l2"].labels[:8] == test.labels[:8]
    assert texts[0]["text"] == [f"{v:.2f} {'✓' if ok else '✗'}" for v, ok in zip(expected, right)]
