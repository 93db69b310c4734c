"""The exact 1D convolution of piecewise-linear functions against np.convolve on a fine grid."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.ops.conv1d import (
    SEED004_F,
    SEED004_G,
    SEED004_X,
    PiecewiseLinear,
    conv1d_at,
    conv1d_curve,
    conv1d_support,
)

DT = 1e-3  # grid step of the numpy reference


def numpy_reference(f: PiecewiseLinear, g: PiecewiseLinear, xs: np.ndarray) -> np.ndarray:
    """(f * g)(x) by np.convolve of samples on a grid of step DT (a Riemann sum)."""
    tf = np.arange(f.support[0], f.support[1] + DT / 2, DT)  # (nf,)
    tg = np.arange(g.support[0], g.support[1] + DT / 2, DT)  # (ng,)
    full = np.convolve(f(tf), g(tg)) * DT  # (nf + ng - 1,), sample k at tf[0] + tg[0] + k·DT
    grid = tf[0] + tg[0] + DT * np.arange(full.size)
    return np.interp(xs, grid, full, left=0.0, right=0.0)


def test_seed004_value_is_exact():
    assert conv1d_at(SEED004_F, SEED004_G, SEED004_X) == pytest.approx(0.875, abs=1e-12)
    assert conv1d_at(SEED004_F, SEED004_G, 11.0) == pytest.approx(1.0, abs=1e-12)  # all inside
    assert conv1d_at(SEED004_F, SEED004_G, 8.9) == 0.0  # no overlap
    np.testing.assert_allclose(
        numpy_reference(SEED004_F, SEED004_G, np.array([SEED004_X])), [0.875], atol=2e-3
    )


CASES = {
    "seed004": (SEED004_F, SEED004_G),
    "triangle * ramp": (
        PiecewiseLinear((0.0, 1.0, 3.0), (0.0, 2.0, 0.5)),
        PiecewiseLinear((-0.5, 0.0, 0.7), (1.0, -1.0, 0.3)),
    ),
    "box * box": (
        PiecewiseLinear((2.0, 2.0, 4.0, 4.0), (0.0, 1.0, 1.0, 0.0)),
        PiecewiseLinear((-1.0, -1.0, 0.5, 0.5), (0.0, 3.0, 3.0, 0.0)),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_numpy_convolve_on_a_fine_grid(name):
    f, g = CASES[name]
    lo, hi = conv1d_support(f, g)
    xs = np.linspace(lo - 0.5, hi + 0.5, 97)
    np.testing.assert_allclose(conv1d_curve(f, g, xs), numpy_reference(f, g, xs), atol=1e-2)


@pytest.mark.parametrize("name", list(CASES))
def test_commutative(name):
    f, g = CASES[name]
    xs = np.linspace(*conv1d_support(f, g), 41)
    np.testing.assert_allclose(conv1d_curve(f, g, xs), conv1d_curve(g, f, xs), atol=1e-12)


def test_flipped_shifted_and_bad_input():
    h = PiecewiseLinear((0.0, 1.0, 3.0), (1.0, 2.0, 0.0)).flipped_shifted(5.0)
    assert h.t == (2.0, 4.0, 5.0) and h.v == (0.0, 2.0, 1.0)
    np.testing.assert_allclose(h(np.array([1.0, 3.0, 4.5])), [0.0, 1.0, 1.5])
    np.testing.assert_array_equal(SEED004_F(np.array([9.99, 10.0, 11.0, 12.0])), [0, 1, 1, 0])
    with pytest.raises(ValueError):
        PiecewiseLinear((1.0, 0.0), (0.0, 1.0))
    with pytest.raises(ValueError):
        PiecewiseLinear((1.0,), (0.0,))


@pytest.mark.parametrize("n,m", [(1, 1), (7, 3), (3, 7), (50, 9)])
def test_convolve_discrete_matches_numpy_and_commutes(n, m):
    from cnnplay.ops.conv1d import convolve_discrete

    rng = np.random.default_rng(n * 100 + m)
    x, w = rng.standard_normal(n), rng.standard_normal(m)
    np.testing.assert_allclose(convolve_discrete(x, w), np.convolve(x, w), atol=1e-12)
    np.testing.assert_allclose(convolve_discrete(x, w), convolve_discrete(w, x), atol=1e-12)


def test_gps_track_and_weights():
    from cnnplay.ops.conv1d import causal_weights, convolve_discrete, noisy_track

    truth, readings = noisy_track(200, noise=2.0)
    assert truth.shape == readings.shape == (200,)
    np.testing.assert_array_equal(readings, noisy_track(200, noise=2.0)[1])  # deterministic
    w = causal_weights(8)
    assert w.sum() == pytest.approx(1.0) and np.all(np.diff(w) < 0)
    smooth = convolve_discrete(readings, w)[:200]  # y(t) ≈ (x * w)(t), causal
    tail = slice(20, 200)  # past the start-up, where w overlaps missing readings
    lag = np.sum(np.arange(8) * w)  # the weighted average lags the truth by this many steps
    shifted_truth = np.interp(np.arange(200) - lag, np.arange(200), truth)
    assert np.std((smooth - shifted_truth)[tail]) < 0.6 * np.std((readings - truth)[tail])
    with pytest.raises(ValueError):
        causal_weights(0)
