"""The bag-of-words negation claim of the Text CNN page, checked by linear programming (scipy's
linprog) and by brute force over small integer weights."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cnnplay.text.negation import NEGATION_CASES, WORDS, bow_score, satisfied

linprog = pytest.importorskip("scipy.optimize").linprog


def feasible(cases) -> bool:
    """Is there (bias, w_good, w_bad, w_not) with sign · score ≥ 1 for every case? (Strict > 0
    scales to ≥ 1, so this is exactly "some weights give every wanted sign".)"""
    rows, rhs = [], []
    for text, sign in cases:
        x = [1.0] + [float(text.split().count(w)) for w in WORDS]  # (bias, good, bad, not)
        rows.append([-sign * v for v in x])  # −sign · (x · θ) ≤ −1
        rhs.append(-1.0)
    res = linprog(np.zeros(4), A_ub=rows, b_ub=rhs, bounds=[(None, None)] * 4, method="highs")
    return res.status == 0


def test_all_four_sentences_are_infeasible_for_a_bag_of_words():
    assert not feasible(NEGATION_CASES)


@pytest.mark.parametrize("drop", range(4))
def test_any_three_of_the_four_are_feasible(drop):
    assert feasible([c for i, c in enumerate(NEGATION_CASES) if i != drop])


def test_the_pages_counterexample_without_bad_negative():
    weights = {"good": 1.0, "not": -2.0, "bad": 3.0}
    assert satisfied(weights, 0.0) == [True, False, True, True]  # only "bad" comes out wrong
    assert bow_score(weights, 0.0, "bad not") == bow_score(weights, 0.0, "not bad")


def test_brute_force_over_small_integer_weights():
    grid = np.arange(-4, 5)
    hits = [
        all(satisfied({"good": g, "bad": d, "not": n}, b))
        for b, g, d, n in itertools.product(grid, repeat=4)
    ]
    assert not any(hits)
