"""PyTorch code for non-maximum suppression with ``torchvision.ops``: the boxes and scores the
Detection page's NMS step starts from, written out, and the call that keeps some of them."""

from __future__ import annotations

import numpy as np

from cnnplay.ops.boxes import batched_nms, box_iou
from cnnplay.ops.boxes import nms as nms_reference
from cnnplay.snippets.common import Snippet, SnippetError, number, program, tensor_line

MARGIN = 1e-6  # rounded boxes are used only if no IoU comes this close to the threshold


def _keep(boxes: np.ndarray, scores: np.ndarray, thr: float, labels: np.ndarray | None):
    if labels is None:
        return nms_reference(boxes, scores, thr)
    return batched_nms(boxes, scores, labels, thr)


def _rounded(
    boxes: np.ndarray, scores: np.ndarray, thr: float, labels: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The fewest decimals (1 to 4 for the boxes, 4 for the scores) that keep the same boxes, with
    no new tie of scores and no IoU within MARGIN of the threshold (so that any correct NMS keeps
    the same boxes), or None: the full numbers are needed."""
    keep = _keep(boxes, scores, thr, labels)
    s = np.round(scores.astype(np.float64), 4)
    if len(np.unique(s)) != len(np.unique(scores)):
        return None
    for decimals in (1, 2, 3, 4):
        b = np.round(boxes.astype(np.float64), decimals)
        iou = box_iou(b, b)
        if np.any(np.abs(iou - thr) <= MARGIN):
            continue
        if np.array_equal(_keep(b, s, thr, labels), keep):
            return b, s, decimals
    return None


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    labels: np.ndarray | None = None,
) -> Snippet:
    """``torchvision.ops.nms`` (class-agnostic) or ``batched_nms`` (per class, when ``labels``
    is given) on the page's candidate boxes.

    boxes: (N, 4) xyxy pixels; scores: (N,); labels: (N,) class ids or None. The result
    ``keep`` is an int64 tensor of kept indices into ``boxes``, by falling score, as the page's
    pipeline (and ``cnnplay.ops.boxes.nms`` / ``batched_nms``) keeps them."""
    boxes, scores = np.asarray(boxes), np.asarray(scores)
    if boxes.ndim != 2 or boxes.shape[1] != 4 or scores.shape != (len(boxes),):
        raise SnippetError(f"need (N, 4) boxes and (N,) scores, got {boxes.shape}, {scores.shape}")
    n = len(boxes)
    labels = None if labels is None else np.asarray(labels)
    if labels is not None and labels.shape != (n,):
        raise SnippetError(f"need (N,) labels, got {labels.shape}")
    boxes_word = "box" if n == 1 else "boxes"
    head = f"# {n} candidate {boxes_word} (x0, y0, x1, y1 in pixels) and their scores"
    short = _rounded(boxes, scores, float(iou_threshold), labels) if n else None
    if short is not None:
        boxes, scores, decimals = short
        head += (
            f"\n# rounded (boxes to {decimals} decimal{'s' if decimals > 1 else ''}, scores to 4):"
            " NMS keeps the same boxes"
        )
    kind = "float32→64" if short is None and scores.dtype == np.float32 else "float64"
    parts = [
        "import torch\nimport torchvision\n",
        head
        + "\n"
        + tensor_line("boxes", boxes.reshape(-1, 4), "float64", comment=f"({n}, 4)")
        + tensor_line("scores", scores, kind, comment=f"({n},)"),
    ]
    thr = number(iou_threshold)
    if labels is None:
        call = (
            "# keep the best box, drop every box whose IoU with it is > the threshold, repeat\n"
            f"keep = torchvision.ops.nms(boxes, scores, iou_threshold={thr})\n"
        )
    else:
        parts[-1] += tensor_line("labels", labels, comment=f"({n},) class ids", integer=True)
        call = (
            "# per class: a box only suppresses boxes of its own class\n"
            f"keep = torchvision.ops.batched_nms(boxes, scores, labels, iou_threshold={thr})\n"
        )
    parts.append(call + 'print("kept boxes:", keep.tolist())\nprint(boxes[keep])\n')
    return Snippet(program(*parts), "keep", "nms.py")
