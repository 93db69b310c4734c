"""cnnplay.text.vocab: the tokenizer's rules and the vocabulary's ids, padding and OOV."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.text.vocab import OOV, OOV_ID, PAD, PAD_ID, Vocabulary, oov_rate, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Plot GOOD, but boring!", ["plot", "good", ",", "but", "boring", "!"]),
        ("isn't it?", ["isn't", "it", "?"]),
        ("  ", []),
        ("", []),
        ("(quoted) \"words\" -- dashes", ["quoted", "words", "dashes"]),
        ("Émile a adoré, 100%", ["émile", "a", "adoré", ",", "100"]),  # any alphabet
        ("snake_case words", ["snake", "case", "words"]),
        ("don't 'quote'", ["don't", "quote"]),
        ("good...", ["good", ".", ".", "."]),
        ("a;b:c", ["a", ";", "b", ":", "c"]),
        ("tab\tand\nnewline", ["tab", "and", "newline"]),
    ],
)
def test_tokenize_rules(text, tokens):
    assert tokenize(text) == tokens


def test_vocabulary_orders_by_frequency_then_alphabet():
    v = Vocabulary.build(["b a b", "c a b"])
    assert v.tokens == (PAD, OOV, "b", "a", "c")
    assert v.index["b"] == 2 and len(v) == 5


def test_vocabulary_max_size_and_min_count():
    v = Vocabulary.build(["x x y z"], max_size=3)
    assert v.tokens == (PAD, OOV, "x")
    v = Vocabulary.build(["x x y z"], min_count=2)
    assert v.tokens == (PAD, OOV, "x")


def test_unknown_words_map_to_oov_and_decode_back():
    v = Vocabulary.build(["good film"])
    assert v.encode("good movie") == [v.index["good"], OOV_ID]
    assert v.decode(v.encode("good movie")) == ["good", OOV]
    assert oov_rate(v, ["good movie"]) == 0.5 and oov_rate(v, [""]) == 0.0


def test_encode_batch_pads_cuts_and_keeps_a_minimum_length():
    v = Vocabulary.build(["a b c d e f"])
    ids = v.encode_batch(["a b c d e f", "a", ""], max_len=4, min_len=2)
    assert ids.dtype == np.int64 and ids.shape == (3, 4)
    assert ids[0].tolist() == v.encode("a b c d")
    assert ids[1].tolist() == [v.index["a"], PAD_ID, PAD_ID, PAD_ID]
    assert (ids[2] == PAD_ID).all()
    assert v.encode_batch(["a"], max_len=10, min_len=5).shape == (1, 5)
    assert v.encode_batch(["a"], max_len=10, fixed=True).shape == (1, 10)
    assert v.encode_batch([], max_len=10).shape == (0, 1)


def test_a_vocabulary_must_start_with_pad_and_unk():
    with pytest.raises(ValueError, match="starts with"):
        Vocabulary(("a", "b"))
