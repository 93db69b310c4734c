"""Why a bag of words cannot learn negation: the four sentences *good*, *bad*, *not good* and
*not bad*, and the linear inequalities a bag of words would have to meet on them.

A bag of words (logistic regression on word counts, :class:`cnnplay.text.models.BagOfWords`)
calls a sentence positive when its score ``s = b + Σ_words w_word · count`` is > 0. Asking

    good > 0:      b + g     > 0        bad < 0:      b + d     < 0
    not good < 0:  b + n + g < 0        not bad > 0:  b + n + d > 0

is impossible: the two "> 0" lines add up to ``2b + g + n + d > 0``, the two "< 0" lines to
``2b + g + n + d < 0``. Drop *bad < 0* and weights exist (b = 0, good = 1, not = −2, bad = 3),
but they call *bad* alone positive.
"""

from __future__ import annotations

NEGATION_CASES: tuple[tuple[str, int], ...] = (  # (sentence, wanted sign: +1 positive, −1 negative)
    ("good", 1),
    ("bad", -1),
    ("not good", -1),
    ("not bad", 1),
)
WORDS: tuple[str, ...] = ("good", "bad", "not")  # the words the four sentences use


def bow_score(weights: dict[str, float], bias: float, sentence: str) -> float:
    """The bag of words' score of ``sentence``: ``bias + Σ weights[word]`` over its words
    (word order ignored); > 0 means positive."""
    return bias + sum(weights.get(word, 0.0) for word in sentence.split())


def satisfied(weights: dict[str, float], bias: float, cases=NEGATION_CASES) -> list[bool]:
    """For each (sentence, sign) of ``cases``: does the score have the wanted (strict) sign?"""
    return [sign * bow_score(weights, bias, text) > 0 for text, sign in cases]
