"""Continuous 1D convolution of piecewise-linear functions, computed exactly (seed 004).

``(f * g)(x) = ∫ f(t) g(x - t) dt``: flip g around 0, shift it by x, multiply with f, integrate.
Between two neighbouring breakpoints of f and of the flipped-shifted g, both are linear, so the
product is a quadratic and Simpson's rule integrates it exactly: :func:`conv1d_at` is exact up
to rounding. ``tests/ops/test_conv1d.py`` checks it against ``np.convolve`` on a fine grid.

Seed 004 asks for (f * g)(11.5) and answers 0.875. Its f and g are drawn, not written; we read
them as :data:`SEED004_F` (a box of height 1 on [10, 12]) and :data:`SEED004_G` (the unit
triangle, symmetric around 0, so flipping it changes nothing, as the notes say), which give
exactly 0.875 at x = 11.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PiecewiseLinear:
    """A function that joins the points (t[i], v[i]) with straight lines and is 0 outside
    [t[0], t[-1]]. t: (n,) increasing (a repeated t makes a jump); v: (n,)."""

    t: tuple[float, ...]  # breakpoints, non-decreasing
    v: tuple[float, ...]  # the function's value at each breakpoint

    def __post_init__(self) -> None:
        if len(self.t) != len(self.v) or len(self.t) < 2:
            raise ValueError("need at least two (t, v) points, as many t as v")
        if np.any(np.diff(self.t) < 0):
            raise ValueError("breakpoints t must not decrease")

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """Values at x (any shape); 0 outside the support. At a jump, the right-hand value."""
        t, v = np.asarray(self.t, dtype=np.float64), np.asarray(self.v, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        idx = np.clip(np.searchsorted(t, x, side="right"), 1, len(t) - 1)  # segment [t0, t1)
        t0, t1, v0, v1 = t[idx - 1], t[idx], v[idx - 1], v[idx]
        width = np.where(t1 > t0, t1 - t0, 1.0)
        y = v0 + (v1 - v0) * np.clip((x - t0) / width, 0.0, 1.0)
        y = np.where(t1 > t0, y, v1)  # on a jump (t0 == t1): the value after it
        inside = (x >= t[0]) & (x <= t[-1])
        return np.where(inside, y, 0.0)

    def flipped_shifted(self, x: float) -> PiecewiseLinear:
        """t -> g(x - t): g flipped around 0, then moved right by x."""
        return PiecewiseLinear(tuple(x - s for s in reversed(self.t)), tuple(reversed(self.v)))

    @property
    def support(self) -> tuple[float, float]:
        return float(self.t[0]), float(self.t[-1])


SEED004_F = PiecewiseLinear((10.0, 10.0, 12.0, 12.0), (0.0, 1.0, 1.0, 0.0))  # box on [10, 12]
SEED004_G = PiecewiseLinear((-1.0, 0.0, 1.0), (0.0, 1.0, 0.0))  # unit triangle, area 1
SEED004_X = 11.5  # the notes' point: (f * g)(11.5) = 0.875


def product_pieces(f: PiecewiseLinear, g: PiecewiseLinear, x: float) -> np.ndarray:
    """The breakpoints (m,) of t -> f(t) g(x - t) inside the overlap of the supports, sorted;
    between two neighbours the product is a quadratic. Empty when the supports do not meet."""
    h = g.flipped_shifted(x)
    lo, hi = max(f.support[0], h.support[0]), min(f.support[1], h.support[1])
    if lo >= hi:
        return np.empty(0)
    knots = np.concatenate([f.t, h.t, [lo, hi]])
    return np.unique(knots[(knots >= lo) & (knots <= hi)])


def conv1d_at(f: PiecewiseLinear, g: PiecewiseLinear, x: float) -> float:
    """(f * g)(x) = ∫ f(t) g(x - t) dt, exactly: Simpson's rule on each quadratic piece."""
    knots = product_pieces(f, g, x)
    if knots.size < 2:
        return 0.0
    h = g.flipped_shifted(x)
    a, b = knots[:-1], knots[1:]  # (m-1,) pieces
    eps = 1e-12 * np.maximum(1.0, np.abs(b - a))  # stay inside a piece at jumps

    def prod(s: np.ndarray) -> np.ndarray:
        return f(s) * h(s)

    left, right = prod(a + eps), prod(b - eps)  # one-sided values at the piece's ends
    mid = prod((a + b) / 2)
    return float(np.sum((b - a) / 6 * (left + 4 * mid + right)))


def conv1d_curve(f: PiecewiseLinear, g: PiecewiseLinear, xs: np.ndarray) -> np.ndarray:
    """(f * g)(x) for every x in xs (n,) -> (n,) float64."""
    return np.array([conv1d_at(f, g, float(x)) for x in np.ravel(xs)])


def conv1d_support(f: PiecewiseLinear, g: PiecewiseLinear) -> tuple[float, float]:
    """Where f * g can be non-zero: the sum of the supports."""
    return f.support[0] + g.support[0], f.support[1] + g.support[1]


# --- seed 002, "why is it called convolution": a noisy GPS track smoothed by a weighting w ----


def noisy_track(n: int = 120, noise: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A car's position y(t) (metres, t = 0..n-1 seconds) and noisy GPS readings x(t) of it.

    Returns (truth (n,), readings (n,)) float64; deterministic for a seed."""
    t = np.arange(n, dtype=np.float64)
    truth = 0.6 * t + 4.0 * np.sin(t / 9.0)  # drives on, speeding up and slowing down
    rng = np.random.default_rng(seed)
    return truth, truth + noise * rng.standard_normal(n)


def causal_weights(width: int) -> np.ndarray:
    """The weighting function w of seed 002: w[k] for the reading k steps ago, k = 0..width-1,
    falling linearly, summing to 1 (∑ w = 1), and 0 for the future (the notes' footnote).
    Returns (width,) float64."""
    if width < 1:
        raise ValueError("the width must be at least 1")
    w = np.arange(width, 0, -1, dtype=np.float64)  # newest reading weighs most
    return w / w.sum()


def convolve_discrete(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(x * w)(t) = ∑_s x(s) w(t - s), for t = 0..len(x)+len(w)-2 (the full convolution).

    x: (n,), w: (m,) -> (n + m - 1,) float64. Loop version of ``np.convolve(x, w)``;
    swapping the arguments gives ∑_s w(s) x(t - s), the same numbers (convolution commutes)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    out = np.zeros(x.size + w.size - 1)
    for t in range(out.size):
        for s in range(max(0, t - w.size + 1), min(t, x.size - 1) + 1):
            out[t] += x[s] * w[t - s]
    return out
