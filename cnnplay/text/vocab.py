"""Text to integer ids: a simple documented tokenizer and a vocabulary with padding and OOV.

The rules, all of them:

- **lower-casing**: ``"Good"`` and ``"good"`` are one word;
- **words** are runs of letters and digits (any alphabet: ``"très"``, ``"émile"``), with an
  inner apostrophe kept (``"isn't"``, ``"don't"`` are one token each);
- **punctuation**: ``. , ! ? ; :`` are tokens of their own (a comma before *but* matters to a
  width-3 filter); every other character (quotes, brackets, dashes, emoji, ...) separates words;
- **padding** ``<pad>`` has id 0 (its embedding is kept at zero), **out-of-vocabulary** ``<unk>``
  has id 1: a word the vocabulary did not see while it was built maps there;
- **maximum length**: :meth:`Vocabulary.encode_batch` cuts sentences after ``max_len`` tokens
  and pads them on the right to one length, never shorter than ``min_len`` (a width-h filter
  needs at least h positions).

Seed 000: texts are *1D images*: each "pixel" is a word, and the channels are the dimensions of
the word embeddings. These ids are what the embedding layer turns into that image.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

PAD = "<pad>"  # id 0: fills sentences up to the batch length; its embedding stays zero
OOV = "<unk>"  # id 1: any word the vocabulary does not know
PAD_ID = 0
OOV_ID = 1
PUNCTUATION = ".,!?;:"  # characters that become tokens of their own
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,!?;:]")  # letters/digits (no _), or punctuation


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case tokens by the rules in the module docstring.

    >>> tokenize("The plot was GOOD, but boring!")
    ['the', 'plot', 'was', 'good', ',', 'but', 'boring', '!']
    """
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id. ``tokens[0]`` is ``<pad>``, ``tokens[1]`` is ``<unk>``, then the words
    by falling frequency (ties alphabetically), so the ids are deterministic."""

    tokens: tuple[str, ...]  # id -> token
    index: dict[str, int] = field(default_factory=dict, compare=False)  # token -> id

    def __post_init__(self) -> None:
        if self.tokens[:2] != (PAD, OOV):
            raise ValueError("a vocabulary starts with <pad>, <unk>")
        if not self.index:
            object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(
        cls, texts: Iterable[str], max_size: int = 20_000, min_count: int = 1
    ) -> Vocabulary:
        """The ``max_size`` most frequent tokens (pad and unk included) seen at least
        ``min_count`` times in ``texts``."""
        counts = Counter(t for text in texts for t in tokenize(text))
        kept = (w for w, c in counts.items() if c >= min_count)
        ranked = sorted(kept, key=lambda w: (-counts[w], w))
        return cls((PAD, OOV, *ranked[: max(0, max_size - 2)]))

    def __len__(self) -> int:
        return len(self.tokens)

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """Ids of tokens; unknown ones become ``OOV_ID``."""
        return [self.index.get(t, OOV_ID) for t in tokens]

    def encode(self, text: str, max_len: int | None = None) -> list[int]:
        """Token ids of one text, cut after ``max_len`` tokens, no padding."""
        return self.ids(tokenize(text)[:max_len])

    def encode_batch(
        self, texts: Sequence[str], max_len: int = 60, min_len: int = 1, fixed: bool = False
    ) -> np.ndarray:
        """(N, L) int64 ids, right-padded with ``PAD_ID``. L is the longest text's token count
        cut to ``max_len`` (or exactly ``max_len`` when ``fixed``), at least ``min_len``."""
        rows = [self.encode(t, max_len) for t in texts]
        longest = max_len if fixed else max((len(r) for r in rows), default=0)
        length = max(longest, min_len, 1)
        out = np.full((len(rows), length), PAD_ID, dtype=np.int64)  # (N, L)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ids (padding included, as ``<pad>``)."""
        return [self.tokens[int(i)] for i in ids]


def oov_rate(vocab: Vocabulary, texts: Sequence[str]) -> float:
    """Share of tokens in ``texts`` that ``vocab`` does not know, in 0..1 (0 for no tokens)."""
    ids = [i for t in texts for i in vocab.encode(t)]
    return sum(i == OOV_ID for i in ids) / len(ids) if ids else 0.0
