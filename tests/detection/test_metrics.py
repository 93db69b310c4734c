"""cnnplay.detection.metrics: matching, precision / recall and AP on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.detection.metrics import average_precision, evaluate, match_detections

GT = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)


def test_match_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], float)
    scores = np.array([0.9, 0.95, 0.3, 0.8])
    labels = np.array([1, 1, 2, 1])
    m = match_detections(boxes, scores, labels, GT, np.array([1, 1]))
    # box 1 (0.95, IoU 0.81) claims gt 0 first; box 0 finds it taken; box 2 has the wrong class
    np.testing.assert_array_equal(m.tp, [False, True, False, False])
    np.testing.assert_array_equal(m.matched_gt, [-1, 0, -1, -1])
    np.testing.assert_array_equal(m.missed, [False, True])


def test_ap_of_a_perfect_and_a_hand_ranking():
    perfect = evaluate([(GT, np.array([0.9, 0.8]), np.array([1, 1]))], [(GT, np.array([1, 1]))])
    assert perfect.mean_ap == 1.0 and perfect.precision == 1.0 and perfect.recall == 1.0
    # ranked: TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    dets = np.array([[0, 0, 10, 10], [40, 40, 50, 50], [20, 20, 30, 30]], float)
    r = evaluate([(dets, np.array([0.9, 0.8, 0.7]), np.ones(3, int))], [(GT, np.ones(2, int))])
    assert r.ap[1] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert (r.tp, r.fp, r.fn) == (2, 1, 0)
    assert r.precision == pytest.approx(2 / 3) and r.recall == 1.0


def test_average_precision_envelope():
    # precision dips then recovers: the envelope takes the later, higher value
    assert average_precision(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 0.75])) == 0.875


def test_no_detections():
    r = evaluate([(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))], [(GT, np.ones(2, int))])
    assert r.mean_ap == 0.0 and r.recall == 0.0 and r.fn == 2
