"""AP@0.5 of cnnplay.detection.metrics against torchmetrics' MeanAveragePrecision (pycocotools
backend) on generated detections.

Ours is PASCAL VOC 2010+ *all-point* AP: the exact area under the monotone precision envelope.
COCO (and so torchmetrics) samples that envelope at 101 recall thresholds 0, 0.01, ..., 1 and
averages; torchmetrics has no VOC mode, so the two numbers differ by design. Two honest checks:

1. COCO's own 101-point AP from our (recall, precision) curves equals torchmetrics' per-class AP:
   the matching, the ranking and the curves agree.
2. Exact all-point AP through COCO: every true positive raises recall by 1/G (G ground-truth
   boxes of the class), so the all-point area is the mean of the envelope at recalls
   1/G, 2/G, ..., 1. Giving COCO the recall thresholds (k - 1/2)/G, one per step, makes its mean
   exactly that; run per class (the thresholds depend on G), it must equal our AP.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pycocotools")  # dev-only: requirements-dev.txt
mean_ap = pytest.importorskip("torchmetrics.detection.mean_ap")

from cnnplay.detection.metrics import evaluate  # noqa: E402

CLASSES = 3
IMAGES = 5

Detections = list[tuple[np.ndarray, np.ndarray, np.ndarray]]
Truth = list[tuple[np.ndarray, np.ndarray]]


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 4) float64 xyxy boxes inside a 200×200 image, sides 10..60."""
    xy = rng.uniform(0, 140, (n, 2))
    wh = rng.uniform(10, 60, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def scenes(seed: int) -> tuple[Detections, Truth]:
    """A few images, several classes: jittered copies of ground-truth boxes (some good, some
    poor matches, some with the wrong class), plus random false positives; random scores."""
    rng = np.random.default_rng(seed)
    dets: Detections = []
    gts: Truth = []
    for _ in range(IMAGES):
        g = int(rng.integers(1, 7))
        gt_boxes = _random_boxes(rng, g)
        gt_labels = rng.integers(0, CLASSES, g)
        copies = rng.integers(0, 3, g)  # 0, 1 or 2 detections per ground-truth box
        src = np.repeat(np.arange(g), copies)
        jitter = rng.normal(0, 1, (len(src), 4)) * rng.choice([0.5, 3.0, 12.0], (len(src), 1))
        boxes = gt_boxes[src] + jitter
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1.0)  # keep x2 > x1, y2 > y1
        labels = np.where(rng.random(len(src)) < 0.15, rng.integers(0, CLASSES, len(src)),
                          gt_labels[src])
        extra = int(rng.integers(0, 4))
        boxes = np.concatenate([boxes, _random_boxes(rng, extra)])
        labels = np.concatenate([labels, rng.integers(0, CLASSES, extra)])
        scores = rng.uniform(0.05, 1.0, len(boxes))
        dets.append((boxes, scores, labels.astype(np.int64)))
        gts.append((gt_boxes, gt_labels.astype(np.int64)))
    return dets, gts


def _tm_inputs(dets: Detections, gts: Truth, cls: int | None = None) -> tuple[list, list]:
    """torchmetrics' per-image dicts, optionally only class ``cls``."""
    preds, target = [], []
    for (b, s, lab), (gb, gl) in zip(dets, gts, strict=True):
        keep, gkeep = (lab == cls, gl == cls) if cls is not None else (lab >= 0, gl >= 0)
        preds.append(
            {
                "boxes": torch.tensor(b[keep], dtype=torch.float64),
                "scores": torch.tensor(s[keep], dtype=torch.float64),
                "labels": torch.tensor(lab[keep]),
            }
        )
        target.append({"boxes": torch.tensor(gb[gkeep], dtype=torch.float64),
                       "labels": torch.tensor(gl[gkeep])})
    return preds, target


def coco_101(recall: np.ndarray, precision: np.ndarray) -> float:
    """COCO's AP from a curve (T,) / (T,): the precision envelope at the first cut reaching each
    recall threshold 0, 0.01, ..., 1 (0 where never reached), averaged (pycocotools'
    accumulate, written out)."""
    env = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
    thresholds = np.linspace(0.0, 1.0, 101)
    idx = np.searchsorted(recall, thresholds, side="left")
    return float(np.mean([env[i] if i < len(env) else 0.0 for i in idx]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_coco_101_point_ap_matches_torchmetrics(seed: int) -> None:
    dets, gts = scenes(seed)
    ours = evaluate(dets, gts, iou_threshold=0.5)
    metric = mean_ap.MeanAveragePrecision(
        iou_type="bbox",
        iou_thresholds=[0.5],
        # pycocotools' own 101 thresholds, in float64: torchmetrics' default comes from a
        # float32 torch.linspace, whose 0.6 is 0.6000000238 > 3/5, so a recall of exactly 3/5
        # would not count as reaching 0.6 (it changed AP by 0.007 on seed 0)
        rec_thresholds=np.linspace(0.0, 1.0, 101).tolist(),
        class_metrics=True,
        backend="pycocotools",
    )
    metric.update(*_tm_inputs(dets, gts))
    out = metric.compute()
    theirs = dict(zip(out["classes"].tolist(), out["map_per_class"].tolist(), strict=True))
    assert set(ours.ap) <= set(theirs)
    for c in ours.ap:
        assert coco_101(*ours.curves[c]) == pytest.approx(theirs[c], abs=1e-6), c
    assert 0.05 < ours.mean_ap < 0.95  # a mixed case: neither all hits nor all misses


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_all_point_ap_matches_coco_at_every_recall_step(seed: int) -> None:
    dets, gts = scenes(seed)
    ours = evaluate(dets, gts, iou_threshold=0.5)
    differs = False
    for c, ap in ours.ap.items():
        n_gt = sum(int((gl == c).sum()) for _, gl in gts)
        steps = [(k - 0.5) / n_gt for k in range(1, n_gt + 1)]  # one threshold per recall step
        metric = mean_ap.MeanAveragePrecision(
            iou_type="bbox", iou_thresholds=[0.5], rec_thresholds=steps, backend="pycocotools"
        )
        metric.update(*_tm_inputs(dets, gts, cls=c))
        assert ap == pytest.approx(float(metric.compute()["map"]), abs=1e-6), c
        differs |= abs(ap - coco_101(*ours.curves[c])) > 1e-4
    assert differs  # the two interpolations really differ here: check 2 is not check 1 again
