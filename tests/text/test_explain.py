"""cnnplay.text.explain: the sliding loop against F.conv1d, 1-max pooling against torch.max,
explanations that add up to the logit, and top n-grams over a corpus."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.text.explain import (
    class_votes,
    demo_filter,
    demo_vectors,
    embedding_rows,
    explain,
    one_max_pool,
    sentence_ids,
    slide_filter,
    top_ngrams,
)
from cnnplay.text.models import TextCNN, TextCNNConfig
from cnnplay.text.vocab import PAD_ID, Vocabulary, tokenize

NINE = "the plot was good but the acting was boring"


@pytest.mark.parametrize(("length", "h", "d"), [(9, 2, 4), (9, 1, 3), (5, 5, 2), (12, 3, 7)])
def test_slide_filter_equals_conv1d_in_float64(length, h, d):
    rng = np.random.default_rng(length * 100 + h * 10 + d)
    x, w, b = rng.normal(size=(length, d)), rng.normal(size=(h, d)), float(rng.normal())
    trace = slide_filter(x, w, b)
    expected = F.conv1d(torch.from_numpy(x.T[None]), torch.from_numpy(w.T[None]))[0, 0] + b
    torch.testing.assert_close(torch.from_numpy(trace.responses), expected)
    assert trace.positions == length - h + 1 and trace.products.shape == (length - h + 1, h, d)
    np.testing.assert_allclose(trace.products.sum(axis=(1, 2)) + b, trace.responses)
    value, index = torch.max(expected, dim=0)
    assert trace.best == int(index) and trace.max == pytest.approx(float(value))


def test_seed_001s_example_nine_words_height_two_eight_moves():
    tokens = tokenize(NINE)
    trace = slide_filter(demo_vectors(tokens, 4), demo_filter(2, 4))
    assert len(tokens) == 9 and trace.positions == 8


def test_slide_filter_rejects_short_sentences_and_channel_mismatch():
    with pytest.raises(ValueError, match="shorter"):
        slide_filter(np.zeros((1, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="channels"):
        slide_filter(np.zeros((4, 3)), np.zeros((2, 2)))


def test_one_max_pool_matches_torch_max_and_takes_the_first_tie():
    values = np.random.default_rng(0).normal(size=17)
    value, index = torch.max(torch.from_numpy(values), dim=0)
    assert one_max_pool(values) == (float(value), int(index))
    assert one_max_pool([1.0, 3.0, 3.0]) == (3.0, 1)
    with pytest.raises(ValueError):
        one_max_pool([])


def test_demo_vectors_repeat_for_repeated_words():
    x = demo_vectors(tokenize(NINE), 5)
    assert x.shape == (9, 5)
    np.testing.assert_array_equal(x[0], x[5])  # "the" twice
    np.testing.assert_array_equal(x[2], x[7])  # "was" twice
    assert not np.array_equal(x[0], x[1])
    assert np.array_equal(x, np.round(x, 1))
    f = demo_filter(3, 5)
    assert f.shape == (3, 5) and np.abs(f).max() <= 1


@pytest.fixture(scope="module")
def model_and_vocab():
    vocab = Vocabulary.build([NINE, "not good at all", "a fine film"])
    model = TextCNN(TextCNNConfig(len(vocab), 3, embed_dim=6, widths=(1, 2, 3), filters=4)).eval()
    return model, vocab


def test_influences_add_up_to_the_logit(model_and_vocab):
    model, vocab = model_and_vocab
    e = explain(model, vocab, NINE)
    with torch.no_grad():
        logits = model(torch.as_tensor(sentence_ids(model, vocab, NINE, 60)))[0].double()
    assert e.predicted == int(logits.argmax())
    np.testing.assert_allclose(e.probs, torch.softmax(logits, 0).numpy(), rtol=1e-5)
    assert e.logit == pytest.approx(float(logits[e.predicted]), abs=1e-5)
    assert sum(f.influence for f in e.filters) + e.bias == pytest.approx(e.logit)
    assert len(e.filters) == 12 and sorted(f.index for f in e.filters) == list(range(12))
    influences = [abs(f.influence) for f in e.filters]
    assert influences == sorted(influences, reverse=True)


# Float32 (the model's pooling) against float64 (the loop): a window counts as a maximum when its
# response is within TOL of the largest, and the maximum is unique when the runner-up is more
# than MARGIN below it. Exact ties are common here (a width-1 filter on a repeated word, two
# unknown words, zero padding) and torch's max picks any of the tied windows, depending on the
# CPU's kernels and thread count, so only a unique maximum pins the start to slide_filter's.
TOL, MARGIN = 1e-5, 1e-4


def assert_start_wins(responses: np.ndarray, start: int) -> bool:
    """``start`` is a valid window whose response is the maximum (within TOL); where the maximum
    is unique (margin MARGIN) it must be exactly that window. Returns whether it was unique."""
    responses = np.asarray(responses, np.float64)
    assert 0 <= start < len(responses), (start, len(responses))
    top = float(responses.max())
    assert responses[start] >= top - TOL, (start, responses)
    runner_up = np.partition(responses, -2)[-2] if len(responses) > 1 else -np.inf
    unique = top - runner_up > MARGIN
    if unique:
        assert start == int(np.argmax(responses)), (start, responses)
    return unique


def test_the_winning_window_check_rejects_wrong_starts():
    assert assert_start_wins(np.array([0.0, 2.0, 1.0]), 1)
    assert not assert_start_wins(np.array([2.0, 0.0, 2.0]), 2)  # a tie: either end wins
    for responses, start in (([0.0, 2.0, 1.0], 2), ([0.0, 2.0, 2.0 - 1e-3], 2), ([1.0], 1)):
        with pytest.raises(AssertionError):
            assert_start_wins(np.array(responses), start)


def test_each_winning_ngram_is_the_argmax_window(model_and_vocab):
    model, vocab = model_and_vocab
    e = explain(model, vocab, NINE)
    x = embedding_rows(model, sentence_ids(model, vocab, NINE, 60))
    assert len(x) == len(e.tokens) == 9  # no padding: every window is a real n-gram
    unique = 0
    for f in e.filters:
        w, b = model.filter_weights(f.index)
        trace = slide_filter(x, w, b)
        assert f.width == w.shape[0]
        unique += assert_start_wins(trace.responses, f.start)
        assert f.ngram == tuple(e.tokens[f.start : f.start + f.width])
        assert f.activation == pytest.approx(max(trace.max, 0.0), abs=TOL)
    assert unique == 11  # filter 2 (width 1) ties on "the" (0 and 5); the 11 others are exact


def test_short_sentences_and_unknown_words(model_and_vocab):
    model, vocab = model_and_vocab
    e = explain(model, vocab, "Zebra!")
    assert e.tokens == ("zebra", "!")
    ids = sentence_ids(model, vocab, "Zebra!", 60)
    assert ids.tolist() == [[1, 1, PAD_ID]]  # both unknown, padded up to the widest filter
    x = embedding_rows(model, ids[:, :2])  # the two real words (padding never wins)
    for f in e.filters:
        w, b = model.filter_weights(f.index)
        assert len(f.ngram) <= 2 and f.ngram == e.tokens[f.start : f.start + f.width]
        if f.width == 1:  # two identical <unk> rows: an exact tie, either word may win
            trace = slide_filter(x, w, b)
            assert trace.positions == 2 and trace.responses[0] == trace.responses[1]
            assert not assert_start_wins(trace.responses, f.start)
        else:  # only the window at 0 starts inside the sentence
            assert f.start == 0


def test_top_ngrams_over_a_corpus(model_and_vocab):
    model, vocab = model_and_vocab
    texts = [NINE, "not good at all", "a fine film", NINE]
    ids = vocab.encode_batch(texts, 60, 3)
    tops = top_ngrams(model, ids, vocab, k=3, batch=2)
    assert set(tops) == set(range(12))
    for j, grams in tops.items():
        assert len(grams) <= 3 and all(len(g.ngram.split()) <= model.width_of(j) for g in grams)
        assert [g.score for g in grams] == sorted((g.score for g in grams), reverse=True)
        assert all(g.score > 0 and 1 <= g.count <= 4 for g in grams)
    assert class_votes(model).shape == (12,)
