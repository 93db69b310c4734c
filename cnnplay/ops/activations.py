"""Element-wise activations applied after a convolution (numpy, any shape)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def relu(z: np.ndarray) -> np.ndarray:
    """max(0, z)."""
    return np.maximum(z, 0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda z: np.asarray(z, dtype=np.float64),
    "ReLU": relu,
    "sigmoid": sigmoid,
}
ACTIVATION_FORMULAS: dict[str, str] = {  # LaTeX for f(z)
    "none": r"f(z) = z",
    "ReLU": r"f(z) = \max(0, z)",
    "sigmoid": r"f(z) = \frac{1}{1 + e^{-z}}",
}
