"""What a text CNN does to one sentence, in readable loops, and which n-grams its filters like.

- :func:`slide_filter`: one filter of height h moving down the sentence's (L, d) embedding
  matrix, one word at a time: y_p = Σ_i Σ_k X[p + i, k] · W[i, k] + b for p = 0 .. L - h
  (seed 001: 9 words, height 2, the filter *moves 8 times*). Tested against ``F.conv1d``.
- :func:`one_max_pool`: keep the largest response and where it was (seed 002's 1-max pooling).
- :func:`explain`: a trained :class:`~cnnplay.text.models.TextCNN` on one sentence: the
  class probabilities and, per filter, the n-gram that won its max-pool, its pooled activation
  m_j, its weight w_cj in the last linear layer and its influence m_j · w_cj on the predicted
  class c. The logit is exactly Σ_j m_j · w_cj + b_c, so influences add up to it.
- :func:`top_ngrams`: across a corpus, the n-grams that win each filter's max-pool most strongly.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from cnnplay.text.models import TextCNN
from cnnplay.text.vocab import PAD_ID, Vocabulary, tokenize


@dataclass(frozen=True)
class SlideTrace:
    """Every step of one filter sliding over a sentence."""

    responses: np.ndarray  # (P,) float64, P = L - h + 1: y_p for window start p
    products: np.ndarray  # (P, h, d) float64: X[p + i, k] · W[i, k], the terms of each sum
    bias: float  # b, added to every y_p
    best: int  # position of the largest y_p (first one on ties)

    @property
    def positions(self) -> int:
        return len(self.responses)

    @property
    def max(self) -> float:
        return float(self.responses[self.best])


def slide_filter(x: np.ndarray, w: np.ndarray, bias: float = 0.0) -> SlideTrace:
    """Slide filter ``w`` (h, d) over sentence ``x`` (L, d) one word at a time, no padding.

    Row i of ``w`` multiplies word p + i. Raises ValueError when the sentence is shorter than
    the filter or the channel counts differ. Equals ``F.conv1d(x.T[None], w.T[None])[0, 0] +
    bias``."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    (length, d), (h, dw) = x.shape, w.shape
    if d != dw:
        raise ValueError(f"the sentence has {d} channels but the filter has {dw}")
    if length < h:
        raise ValueError(f"a {length}-word sentence is shorter than a height-{h} filter")
    positions = length - h + 1  # output length L - h + 1
    products = np.zeros((positions, h, d))
    responses = np.zeros(positions)
    for p in range(positions):
        total = bias
        for i in range(h):
            for k in range(d):
                products[p, i, k] = x[p + i, k] * w[i, k]
                total += products[p, i, k]
        responses[p] = total
    return SlideTrace(responses, products, float(bias), one_max_pool(responses)[1])


def one_max_pool(values: Sequence[float]) -> tuple[float, int]:
    """(max, position) of a feature map, the first position on ties; max over time keeps one
    number per filter whatever the sentence length."""
    best, where = float("-inf"), -1
    for p, v in enumerate(values):
        if v > best:
            best, where = float(v), p
    if where < 0:
        raise ValueError("an empty feature map has no maximum")
    return best, where


def demo_vectors(tokens: Sequence[str], dim: int, seed: int = 0) -> np.ndarray:
    """(L, dim) float64 made-up word vectors, one decimal: the same word always gets the same
    row (seeded by the word), so repeated words are visibly repeated rows."""
    rows = [
        np.random.default_rng([seed, zlib.crc32(t.encode())]).normal(0, 1, dim) for t in tokens
    ]
    return np.round(np.array(rows).reshape(len(tokens), dim), 1)


def demo_filter(height: int, dim: int, seed: int = 0) -> np.ndarray:
    """(height, dim) float64 made-up filter weights in -1..1, one decimal."""
    return np.round(np.random.default_rng([seed, 7, height]).uniform(-1, 1, (height, dim)), 1)


def sentence_ids(model: TextCNN, vocab: Vocabulary, text: str, max_len: int) -> np.ndarray:
    """(1, L) ids of one text, L ≥ the model's widest filter."""
    return vocab.encode_batch([text], max_len, min_len=max(model.config.widths))


@torch.inference_mode()
def embedding_rows(model: TextCNN, ids: np.ndarray) -> np.ndarray:
    """(L, d) float64 trained embedding rows of ``ids`` (1, L) or (L,)."""
    device = model.embedding.weight.device
    flat = torch.as_tensor(np.asarray(ids).reshape(-1), device=device)
    return model.embedding(flat).double().cpu().numpy()


@dataclass(frozen=True)
class FilterWin:
    """One filter's 1-max pooling on one sentence, and what it did to the prediction."""

    index: int  # j, position in the pooled vector (0 .. F·W - 1)
    width: int  # h, the filter's height in words
    start: int  # window start p* that won the max-pool; the n-gram is tokens[p* : p* + h]
    ngram: tuple[str, ...]  # those words (padding left out)
    activation: float  # m_j = ReLU(max_p y_p) ≥ 0
    weight: float  # w_cj, its weight for the predicted class c in the last linear layer
    influence: float  # m_j · w_cj, its share of the class's logit


@dataclass(frozen=True)
class Explanation:
    tokens: tuple[str, ...]  # the sentence's tokens (cut to max_len)
    probs: np.ndarray  # (K,) float64 class probabilities
    predicted: int  # c, argmax of probs
    logit: float  # the predicted class's logit z_c = Σ_j m_j · w_cj + b_c
    bias: float  # b_c
    filters: tuple[FilterWin, ...]  # every filter, by falling |influence|


@torch.inference_mode()
def explain(model: TextCNN, vocab: Vocabulary, text: str, max_len: int = 60) -> Explanation:
    """Classify ``text`` and attribute the predicted class's logit to the filters."""
    model.eval()
    ids = sentence_ids(model, vocab, text, max_len)  # (1, L)
    device = model.embedding.weight.device
    values, starts = model.pool(torch.as_tensor(ids, device=device))  # (1, F·W) each
    m = values[0].double().cpu().numpy()  # (F·W,)
    weights = model.fc.weight.double().cpu().numpy()  # (K, F·W)
    biases = model.fc.bias.double().cpu().numpy()  # (K,)
    logits = weights @ m + biases  # (K,)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    c = int(np.argmax(probs))
    tokens = tuple(tokenize(text)[:max_len])
    wins = []
    for j, p in enumerate(starts[0].tolist()):
        h = model.width_of(j)
        wins.append(
            FilterWin(j, h, p, tuple(tokens[p : p + h]), m[j], weights[c, j], m[j] * weights[c, j])
        )
    wins.sort(key=lambda f: -abs(f.influence))
    return Explanation(tokens, probs, c, float(logits[c]), float(biases[c]), tuple(wins))


def class_votes(model: TextCNN) -> np.ndarray:
    """(F·W,) the class each filter's weight favours most (argmax of the last layer's column)."""
    return model.fc.weight.detach().cpu().numpy().argmax(axis=0)


@dataclass(frozen=True)
class NgramScore:
    ngram: str  # the words, space-separated
    score: float  # the highest pooled activation it reached in the corpus
    count: int  # in how many sentences it won this filter's max-pool


@torch.inference_mode()
def top_ngrams(
    model: TextCNN, ids: np.ndarray, vocab: Vocabulary, k: int = 5, batch: int = 1024
) -> dict[int, list[NgramScore]]:
    """Per filter j, the ``k`` n-grams that won its max-pool with the highest activation over
    the sentences ``ids`` (N, L); sentences where the filter stays at 0 do not count."""
    model.eval()
    device = model.embedding.weight.device
    best: dict[tuple[int, tuple[int, ...]], list] = {}  # (filter, n-gram ids) -> [score, count]
    for s in range(0, len(ids), batch):
        chunk = np.asarray(ids[s : s + batch])
        values, starts = model.pool(torch.as_tensor(chunk, device=device))  # (n, F·W) each
        values, starts = values.cpu().numpy(), starts.cpu().numpy()
        for j in range(values.shape[1]):
            h = model.width_of(j)
            for n in np.flatnonzero(values[:, j] > 0):
                window = chunk[n, starts[n, j] : starts[n, j] + h]
                gram = tuple(int(t) for t in window if t != PAD_ID)
                entry = best.setdefault((j, gram), [0.0, 0])
                entry[0] = max(entry[0], float(values[n, j]))
                entry[1] += 1
    out: dict[int, list[NgramScore]] = {j: [] for j in range(len(model.fc.weight[0]))}
    for (j, gram), (score, count) in best.items():
        out[j].append(NgramScore(" ".join(vocab.decode(gram)), score, count))
    for j in out:
        out[j] = sorted(out[j], key=lambda g: (-g.score, -g.count, g.ngram))[:k]
    return out
