"""Scores every page shares: the confusion matrix (classification, and segmentation pixel by pixel)."""

from __future__ import annotations

import numpy as np


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) int64 counts, row = true class, column = predicted class.

    truth, pred: integer class labels of the same shape (any shape: N labels, or (N, H, W)
    pixel maps), values in 0..K-1."""
    truth, pred = np.asarray(truth), np.asarray(pred)
    if truth.shape != pred.shape:
        raise ValueError(f"truth {truth.shape} and prediction {pred.shape} differ in shape")
    index = truth.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)
