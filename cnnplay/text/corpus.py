"""Sentiment sentences for the Text CNN page: a generated corpus where word order matters, the
user's own CSV (validated, with messages for the user), and SST-2 downloaded on request.

The generated corpus (:func:`make_corpus`) is deterministic by seed and tags every sentence with
its ``kind``:

- ``plain``: ``"the plot was good"``, ``"the cast was dull and the music was weak"``;
- ``intensifier``: ``"the ending was really brilliant"`` (same polarity, stronger words);
- ``negation``: ``"the film was not good"`` (negative), ``"the acting wasn't bad"`` (positive):
  the same adjectives as the plain sentences with the opposite label. A bag of words cannot
  fit plain and negated sentences together — with weights g (good), a (bad), n (not) and bias b
  it would need b + g > 0, b + a < 0, b + g + n < 0 and b + a + n > 0, so n < 0 and n > 0;
- ``contrast``: ``"the plot was good, but the acting was boring"`` takes the polarity of the
  clause after *but*, and comes in **mirrored pairs**: ``"the plot was boring, but the acting
  was good"`` has exactly the same words and the opposite label. A bag of words sees the two as
  one input, so it gets at most one of each pair right (≤ 50 %); a width-2/3 filter reading
  ``"good , but"`` or ``"good but"`` tells them apart.

Uploads and SST-2 get kinds from :func:`tag_kind` (cue words), so the page can report accuracy per
kind on any data.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnplay.progress import ProgressFn
from cnnplay.text.vocab import Vocabulary, tokenize

CLASSES = ("negative", "positive")  # label 0, label 1 of the generated corpus and SST-2
KINDS = ("plain", "intensifier", "negation", "contrast")  # generated kinds, in table order
WORD_ORDER_KINDS = ("negation", "contrast")  # where the label depends on word order
KIND_SHARES = (0.3, 0.2, 0.25, 0.25)  # share of each kind in a generated corpus

SUBJECTS = (
    "the film", "this movie", "the plot", "the acting", "the story",
    "the ending", "the cast", "the script", "the music", "the dialogue",
)  # fmt: skip
VERBS = ("is", "was", "felt", "seemed")
NEGATED_VERBS = ("is not", "was not", "isn't", "wasn't", "never felt", "never seemed")
POSITIVE = (
    "good", "great", "excellent", "wonderful", "brilliant",
    "superb", "fun", "moving", "charming", "clever",
)  # fmt: skip
NEGATIVE = (
    "bad", "awful", "boring", "dull", "terrible",
    "weak", "poor", "bland", "tedious", "clumsy",
)  # fmt: skip
INTENSIFIERS = ("very", "really", "truly", "so", "incredibly", "extremely")
PREFIXES = ("", "", "", "honestly ,", "i think", "in the end ,", "to be fair ,", "for me ,")
SUFFIXES = ("", "", "", "overall", "if you ask me", "in my view", "to be honest")

# cue words for tag_kind (uploads, SST-2): the first matching kind in this order wins
CONTRAST_CUES = frozenset({"but", "yet", "although", "though", "however", "whereas"})
NEGATION_CUES = frozenset(
    {"not", "no", "never", "nothing", "hardly", "neither", "nor", "without"}
)  # plus every token ending in "n't"
INTENSIFIER_CUES = frozenset({*INTENSIFIERS, "extremely", "totally", "absolutely", "most"})

DATA_DIR = Path(os.environ.get("CNNPLAY_DATA", Path.home() / ".cache" / "cnnplay"))
SST2_DIR = DATA_DIR / "sst2"  # where download_sst2 keeps the zip
SST2_URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"  # GLUE's copy, about 7 MB
SST2_FILE = "SST-2/train.tsv"  # inside the zip: "sentence<TAB>label", 67,349 rows


class TextDataError(Exception):
    """A text data set could not be read or used. ``str(err)`` is shown to the user as is."""


@dataclass(frozen=True)
class SentimentCorpus:
    """Labelled sentences. ``labels[i]`` indexes ``classes``; ``kinds[i]`` is one of KINDS."""

    texts: tuple[str, ...]  # raw sentences
    labels: np.ndarray  # (N,) int64 in 0..len(classes)-1
    classes: tuple[str, ...]  # class names, label order
    kinds: tuple[str, ...]  # (N,) kind of each sentence
    source: str  # where it came from, for captions
    mirror: np.ndarray | None = None  # (N,) index of the same-words opposite-label twin, or -1
    notes: tuple[str, ...] = field(default=())  # what was dropped or changed, for the user

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> np.ndarray:
        """(K,) sentences per class."""
        return np.bincount(self.labels, minlength=len(self.classes))

    def kind_counts(self) -> dict[str, int]:
        """Sentences per kind, kinds in KINDS order (those present)."""
        return {k: self.kinds.count(k) for k in KINDS if k in self.kinds}


# --- the generated corpus -----------------------------------------------------------------


def _clause(rng: np.random.Generator, adjective: str, negated: bool, intensify: bool) -> str:
    """``"the plot was [not] [very] good"``; one in ten is a bare ``"[not] [very] good"``."""
    subject = SUBJECTS[rng.integers(len(SUBJECTS))]
    verb = (NEGATED_VERBS if negated else VERBS)[rng.integers(6 if negated else 4)]
    extra = f"{INTENSIFIERS[rng.integers(len(INTENSIFIERS))]} " if intensify else ""
    if rng.random() < 0.1:
        return f"{'not ' if negated else ''}{extra}{adjective}"
    return f"{subject} {verb} {extra}{adjective}"


def _adjective(rng: np.random.Generator, positive: bool) -> str:
    words = POSITIVE if positive else NEGATIVE
    return words[rng.integers(len(words))]


def _frame(rng: np.random.Generator, core: str) -> str:
    """Optional label-free words around a sentence (the same for every kind and label)."""
    prefix = PREFIXES[rng.integers(len(PREFIXES))]
    suffix = SUFFIXES[rng.integers(len(SUFFIXES))]
    return " ".join(p for p in (prefix, core, suffix) if p)


def _draw(rng: np.random.Generator, kind: str) -> list[tuple[str, int]]:
    """One sentence (or, for contrast, a mirrored pair) of ``kind`` with labels 0/1."""
    positive = bool(rng.integers(2))
    if kind == "plain":
        core = _clause(rng, _adjective(rng, positive), False, False)
        if rng.random() < 0.3:  # a second clause of the same polarity
            core += " and " + _clause(rng, _adjective(rng, positive), False, False)
        return [(_frame(rng, core), int(positive))]
    if kind == "intensifier":
        core = _clause(rng, _adjective(rng, positive), False, True)
        return [(_frame(rng, core), int(positive))]
    if kind == "negation":  # "not <positive word>" is negative and vice versa
        core = _clause(rng, _adjective(rng, positive), True, rng.random() < 0.2)
        return [(_frame(rng, core), int(not positive))]
    if kind == "contrast":  # the clause after "but" decides; the mirror swaps the adjectives
        first, second = _adjective(rng, not positive), _adjective(rng, positive)
        s1, v1 = SUBJECTS[rng.integers(len(SUBJECTS))], VERBS[rng.integers(len(VERBS))]
        s2, v2 = SUBJECTS[rng.integers(len(SUBJECTS))], VERBS[rng.integers(len(VERBS))]
        comma = " ," if rng.random() < 0.6 else ""
        prefix = PREFIXES[rng.integers(len(PREFIXES))]
        suffix = SUFFIXES[rng.integers(len(SUFFIXES))]

        def sentence(a: str, b: str) -> str:
            core = f"{s1} {v1} {a}{comma} but {s2} {v2} {b}"
            return " ".join(p for p in (prefix, core, suffix) if p)

        return [
            (sentence(first, second), int(positive)),
            (sentence(second, first), int(not positive)),
        ]
    raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")


def make_corpus(n: int = 2000, seed: int = 0) -> SentimentCorpus:
    """``n`` distinct generated sentences (fewer only if the templates run out), kinds in the
    shares of KIND_SHARES, labels balanced in expectation, deterministic by ``seed``.

    Contrast sentences come in mirrored pairs (``mirror[i]`` is the twin's index, -1 for the
    other kinds); the order is shuffled, so twins are not neighbours.
    """
    if n < 2:
        raise ValueError("a corpus needs at least 2 sentences")
    rng = np.random.default_rng(seed)
    draws = np.array(KIND_SHARES) / np.array([2 if k == "contrast" else 1 for k in KINDS])
    draws /= draws.sum()  # a contrast draw gives two sentences
    seen: set[str] = set()
    rows: list[tuple[str, int, str, int]] = []  # text, label, kind, pair id (-1: none)
    attempts = 0
    while len(rows) < n and attempts < 50 * n:
        attempts += 1
        kind = KINDS[rng.choice(len(KINDS), p=draws)]
        drawn = _draw(rng, kind)
        if len(rows) + len(drawn) > n or any(t in seen for t, _ in drawn):
            continue
        pair = len(rows) if len(drawn) == 2 else -1
        for text, label in drawn:
            seen.add(text)
            rows.append((text, label, kind, pair))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    where = {}  # pair id -> new positions
    for pos, (_, _, _, pair) in enumerate(rows):
        if pair >= 0:
            where.setdefault(pair, []).append(pos)
    mirror = np.full(len(rows), -1, dtype=np.int64)
    for a, b in where.values():
        mirror[a], mirror[b] = b, a
    return SentimentCorpus(
        texts=tuple(r[0] for r in rows),
        labels=np.array([r[1] for r in rows], dtype=np.int64),
        classes=CLASSES,
        kinds=tuple(r[2] for r in rows),
        source=f"generated corpus (seed {seed})",
        mirror=mirror,
    )


def tag_kind(text: str) -> str:
    """The kind of any sentence by cue words: contrast (but, yet, although, ...), else negation
    (not, never, no, ...n't), else intensifier (very, really, ...), else plain."""
    tokens = set(tokenize(text))
    if tokens & CONTRAST_CUES:
        return "contrast"
    if tokens & NEGATION_CUES or any(t.endswith("n't") for t in tokens):
        return "negation"
    if tokens & INTENSIFIER_CUES:
        return "intensifier"
    return "plain"


# --- the user's CSV -----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLimits:
    max_bytes: int = 5 * 2**20  # largest file accepted (5 MB)
    max_rows: int = 20_000  # most data rows accepted (parsing stops after one more)
    max_columns: int = 50  # most columns (checked on the header before parsing: wide is slow)
    min_per_class: int = 5  # fewest sentences a class may have
    max_classes: int = 20  # more distinct labels than this: probably not a label column
    max_chars: int = 2_000  # longer texts are cut to this many characters


TEXT_NAMES = ("text", "sentence", "review", "comment", "tweet", "content", "body", "phrase")
LABEL_NAMES = ("label", "sentiment", "class", "target", "polarity", "category", "y", "rating")
SAVE_AS_CSV = "Save it as “CSV UTF-8” (in Excel: File › Save As) and upload it again."


def _short(name: object, width: int = 40) -> str:
    """A column name or value for a message: at most ``width`` characters."""
    text = str(name)
    return text if len(text) <= width else text[: width - 1] + "…"


def _check_text_bytes(data: bytes, limits: CsvLimits) -> None:
    """Refuse what is not a small text file before decoding or parsing any of it."""
    if not data.strip():
        raise TextDataError("The file is empty.")
    if len(data) > limits.max_bytes:
        raise TextDataError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is "
            f"{limits.max_bytes / 2**20:.0f} MB. Upload a sample of it."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TextDataError(f"The file is UTF-16 text, not UTF-8. {SAVE_AS_CSV}")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise TextDataError(
            f"This is a spreadsheet (.xlsx/.xls) or another packed file, not a text CSV. "
            f"{SAVE_AS_CSV}"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TextDataError(
            f"The file is not a text CSV: it holds binary data (a NUL byte at position {nul:,}). "
            f"{SAVE_AS_CSV}"
        )


def read_table(data: bytes, limits: CsvLimits = CsvLimits()) -> pd.DataFrame:  # noqa: F821
    """Decode (UTF-8, with or without BOM) and parse a CSV/TSV upload into a frame of strings.
    The delimiter (``, ; TAB |``) is sniffed. Raises TextDataError for empty, too big, binary,
    non-UTF-8, too wide, unparsable or too long files, or fewer than two columns.

    Work is bounded by the limits, not by the file: bytes, NUL bytes and the encoding are
    checked first, the header's columns before parsing, and parsing stops after
    ``max_rows + 1`` rows."""
    import pandas as pd

    _check_text_bytes(data, limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TextDataError(
            f"The file is not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start}). "
            f"{SAVE_AS_CSV}"
        ) from None
    sample, header = text[:4096], text[: text.find("\n")] if "\n" in text else text
    del text  # pandas reads the bytes (a str in a StringIO would be copied at 4 bytes a char)
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    if header.count(sep) + 1 > limits.max_columns:  # quoted separators count too: a bound
        raise TextDataError(
            f"The first line has {header.count(sep) + 1:,} columns; at most "
            f"{limits.max_columns} are allowed. A text CSV needs a text column and a label "
            "column (and a header line naming them)."
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8-sig",
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            nrows=limits.max_rows + 1,  # enough to tell "too many"; the rest is never parsed
        )
    except pd.errors.EmptyDataError:
        raise TextDataError("The file has no rows.") from None
    except pd.errors.ParserError as err:
        raise TextDataError(f"The file could not be read as CSV: {err}".strip()) from None
    if len(frame.columns) < 2:
        raise TextDataError(
            "The file needs at least two columns, a text column and a label column; found only "
            f"“{_short(frame.columns[0])}”. Separate columns with commas (or ; or tabs)."
        )
    if len(frame) == 0:
        raise TextDataError("The file has a header but no data rows.")
    if len(frame) > limits.max_rows:
        raise TextDataError(
            f"The file has more than {limits.max_rows:,} rows, the limit. Upload a sample of it."
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:  # noqa: F821
    """(text column, label column): by name (text, sentence, review, ... / label, sentiment,
    class, ...), else the column with the longest texts and the one with the fewest values."""
    lower = {c.lower(): c for c in frame.columns}
    text = next((lower[n] for n in TEXT_NAMES if n in lower), None)
    label = next((lower[n] for n in LABEL_NAMES if n in lower and lower[n] != text), None)
    if text is None:
        rest = [c for c in frame.columns if c != label]
        text = max(rest, key=lambda c: frame[c].str.len().mean())
    if label is None:
        rest = [c for c in frame.columns if c != text]
        label = min(rest, key=lambda c: frame[c].nunique())
    return text, label


def corpus_from_frame(
    frame: pd.DataFrame,  # noqa: F821
    text_col: str,
    label_col: str,
    limits: CsvLimits = CsvLimits(),
    source: str = "your CSV",
) -> SentimentCorpus:
    """Sentences and labels from two columns. Rows with an empty text or label are dropped (and
    said so in ``notes``). Raises TextDataError for missing or identical columns, no rows left,
    one class only, too many classes, or a class with fewer than ``limits.min_per_class`` rows."""
    for role, col in (("text", text_col), ("label", label_col)):
        if col not in frame.columns:
            names = ", ".join(f"“{_short(c)}”" for c in frame.columns)
            raise TextDataError(
                f"There is no {role} column “{_short(col)}”; the columns are {names}."
            )
    if text_col == label_col:
        raise TextDataError("The text column and the label column must be different columns.")
    texts = frame[text_col].astype(str).str.strip()
    labels = frame[label_col].astype(str).str.strip()
    keep = (texts != "") & (labels != "") & texts.map(lambda t: bool(tokenize(t)))
    notes = []
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} row(s) with an empty text or label were left out.")
    texts, labels = texts[keep], labels[keep]
    if len(texts) == 0:
        raise TextDataError(
            f"Every row has an empty “{_short(text_col)}” or “{_short(label_col)}”."
        )
    long = texts.str.len() > limits.max_chars
    if long.any():
        texts = texts.str.slice(0, limits.max_chars)
        notes.append(f"{int(long.sum())} text(s) longer than {limits.max_chars} characters cut.")
    classes = tuple(sorted(labels.unique(), key=lambda v: (len(v), v)))
    if len(classes) < 2:
        raise TextDataError(
            f"The label column “{_short(label_col)}” has one value only "
            f"(“{_short(classes[0])}”); a classifier needs two or more classes."
        )
    if len(classes) > limits.max_classes:
        raise TextDataError(
            f"The label column “{_short(label_col)}” has {len(classes)} different values (at most "
            f"{limits.max_classes}); is it the right column?"
        )
    index = {c: i for i, c in enumerate(classes)}
    y = labels.map(index).to_numpy(dtype=np.int64)
    counts = np.bincount(y, minlength=len(classes))
    small = [
        f"“{_short(c)}” ({n})"
        for c, n in zip(classes, counts, strict=True)
        if n < limits.min_per_class
    ]
    if small:
        raise TextDataError(
            f"Each class needs at least {limits.min_per_class} rows to train and test on; "
            f"too few: {', '.join(small)}."
        )
    values = tuple(texts)
    return SentimentCorpus(
        texts=values,
        labels=y,
        classes=classes,
        kinds=tuple(tag_kind(t) for t in values),
        source=source,
        notes=tuple(notes),
    )


def read_csv_corpus(
    data: bytes,
    text_col: str | None = None,
    label_col: str | None = None,
    limits: CsvLimits = CsvLimits(),
) -> SentimentCorpus:
    """:func:`read_table` + :func:`corpus_from_frame`; guesses the columns that are None."""
    frame = read_table(data, limits)
    guessed = guess_columns(frame)
    return corpus_from_frame(frame, text_col or guessed[0], label_col or guessed[1], limits)


# --- SST-2, downloaded on request ----------------------------------------------------------


def sst2_available() -> bool:
    """Whether a downloaded SST-2 zip is in the cache."""
    return (SST2_DIR / "SST-2.zip").is_file()


def download_sst2(on_progress: ProgressFn | None = None, url: str = SST2_URL) -> Path:
    """Download the GLUE SST-2 zip (about 7 MB) into :data:`SST2_DIR` with progress
    (``on_progress(bytes, total, {"MB": ...})``). Returns its path. Raises TextDataError, with
    a message for the user, when offline or when the file is not a readable zip."""
    import urllib.error

    from cnnplay.download import download_file

    path = SST2_DIR / "SST-2.zip"
    if not path.is_file():
        try:
            download_file(url, path, on_progress)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            raise TextDataError(
                f"SST-2 could not be downloaded ({err}). This needs an internet connection; "
                "the page keeps the generated corpus."
            ) from err
    try:
        with zipfile.ZipFile(path) as z:
            z.getinfo(SST2_FILE)
    except (zipfile.BadZipFile, KeyError):
        path.unlink(missing_ok=True)
        raise TextDataError("The downloaded SST-2 file is damaged; try again.") from None
    return path


def load_sst2(max_rows: int = 6000, seed: int = 0) -> SentimentCorpus:
    """A seeded sample of ``max_rows`` sentences of SST-2's training split (Socher et al. 2013,
    movie-review phrases, 0 negative / 1 positive), from the cache. Raises TextDataError when
    it has not been downloaded (call :func:`download_sst2` first)."""
    import pandas as pd

    if not sst2_available():
        raise TextDataError("SST-2 is not downloaded yet.")
    with zipfile.ZipFile(SST2_DIR / "SST-2.zip") as z:
        frame = pd.read_csv(
            z.open(SST2_FILE), sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE
        )
    total = len(frame)
    pick = np.sort(np.random.default_rng(seed).permutation(total)[:max_rows])
    frame = frame.iloc[pick]
    texts = tuple(frame["sentence"].str.strip())
    return SentimentCorpus(
        texts=texts,
        labels=frame["label"].astype(int).to_numpy(dtype=np.int64),
        classes=CLASSES,
        kinds=tuple(tag_kind(t) for t in texts),
        source=f"SST-2 (GLUE train split, {len(texts):,} of {total:,} phrases)",
    )


def split(corpus: SentimentCorpus, test_fraction: float = 0.25, seed: int = 0):
    """(train, test) index arrays, stratified by kind × label so every kind is in both.
    Reuses :func:`cnnplay.data.labelled.stratified_split`."""
    from cnnplay.data.labelled import stratified_split

    kind_index = {k: i for i, k in enumerate(KINDS)}
    strata = np.array([kind_index[k] for k in corpus.kinds]) * len(corpus.classes) + corpus.labels
    return stratified_split(strata, test_fraction, seed)


@dataclass(frozen=True)
class PreparedCorpus:
    """A corpus ready to train on: its split, a vocabulary of the training part, and ids."""

    corpus: SentimentCorpus
    train_idx: np.ndarray  # (n_train,) positions into the corpus
    test_idx: np.ndarray  # (n_test,) positions into the corpus
    vocab: Vocabulary  # built from the training sentences only
    ids: np.ndarray  # (N, L) int64 token ids of every sentence, right-padded
    key: str  # identifies the data and split (for matching trained models to it)


def prepare_corpus(
    corpus: SentimentCorpus, test_fraction: float, key: str, max_len: int = 60, min_len: int = 12
) -> PreparedCorpus:
    """Split (:func:`split`, seed 0), build the vocabulary on the training part and encode every
    sentence (cut at ``max_len`` tokens, batch length at least ``min_len``)."""
    train_idx, test_idx = split(corpus, test_fraction, 0)
    vocab = Vocabulary.build(corpus.texts[i] for i in train_idx)
    ids = vocab.encode_batch(corpus.texts, max_len, min_len)  # (N, L)
    return PreparedCorpus(corpus, train_idx, test_idx, vocab, ids, key)
