"""The NMS snippet (torchvision.ops.nms / batched_nms) against the page's NMS
(``cnnplay.ops.boxes``, which the step-by-step view follows): the same boxes kept, in the same
order, with the full numbers or the rounded ones the snippet prefers. Scores are distinct, so
nothing depends on how ties are broken."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.ops.boxes import batched_nms, nms
from cnnplay.snippets.detection import nms as nms_code
from tests.snippets.runner import run


def scene(seed: int, n: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n overlapping boxes in a 128-px scene, distinct scores, three classes."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 90, (n, 2))
    wh = rng.uniform(15, 45, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(dtype)
    scores = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n  # distinct
    return boxes, scores.astype(np.float32), rng.integers(1, 4, n)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7])
@pytest.mark.parametrize("per_class", [False, True])
def test_the_same_boxes_are_kept(seed, threshold, per_class):
    boxes, scores, labels = scene(seed, 12 + 4 * seed)
    ns = run(nms_code(boxes, scores, threshold, labels if per_class else None))
    expected = (
        batched_nms(boxes, scores, labels, threshold)
        if per_class
        else nms(boxes, scores, threshold)
    )
    assert ns["keep"].tolist() == expected.tolist()


def test_rounded_numbers_when_they_keep_the_same_boxes():
    boxes, scores, _ = scene(0, 10)
    code = nms_code(boxes, scores, 0.5).code
    assert "rounded (" in code and "e-" not in code
    assert max(len(line) for line in code.splitlines()) <= 88


def test_full_numbers_when_rounding_would_touch_the_threshold():
    """IoU exactly 0.5 in full precision, and within a rounding of it otherwise: the snippet
    writes every digit (float32 scores read back as float32), and keeps what the page keeps."""
    boxes = np.array([[0, 0, 30, 30], [0, 10, 30, 40], [50, 50, 60 + 1 / 3, 60]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    snippet = nms_code(boxes, scores, 0.5)
    assert "rounded (" not in snippet.code and "dtype=torch.float32).double()" in snippet.code
    assert run(snippet)["keep"].tolist() == nms(boxes, scores, 0.5).tolist() == [0, 1, 2]


def test_no_candidates():
    ns = run(nms_code(np.zeros((0, 4)), np.zeros(0, np.float32), 0.5))
    assert ns["keep"].tolist() == []


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError):
        nms_code(np.zeros((3, 4)), np.zeros(2), 0.5)
    with pytest.raises(ValueError):
        nms_code(np.zeros((3, 4)), np.zeros(3), 0.5, labels=np.zeros(2))
