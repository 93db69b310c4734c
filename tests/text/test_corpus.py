"""cnnplay.text.corpus: the generated corpus (determinism, kinds, mirrored contrast pairs a
bag of words cannot separate), CSV validation messages (hostile files too: a million rows,
binary junk, a 10 MB line, a NUL byte, a header of a million columns), kind tags and the SST-2 loader offline."""

from __future__ import annotations

import io
import time
import tracemalloc
import urllib.error
import zipfile
from collections import Counter

import numpy as np
import pytest

from cnnplay.text import corpus as sentiment
from cnnplay.text.corpus import (
    KINDS,
    CsvLimits,
    TextDataError,
    make_corpus,
    read_csv_corpus,
    split,
    tag_kind,
)
from cnnplay.text.vocab import tokenize


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(1000, 0)


def test_corpus_is_deterministic_by_seed(corpus):
    again = make_corpus(1000, 0)
    assert again.texts == corpus.texts and np.array_equal(again.labels, corpus.labels)
    assert again.kinds == corpus.kinds
    assert make_corpus(1000, 1).texts != corpus.texts


def test_corpus_has_every_kind_balanced_labels_and_no_duplicates(corpus):
    assert len(corpus) == 1000 and len(set(corpus.texts)) == 1000
    counts = corpus.kind_counts()
    assert list(counts) == list(KINDS)
    for kind, share in zip(KINDS, sentiment.KIND_SHARES, strict=True):
        assert abs(counts[kind] / 1000 - share) < 0.08, (kind, counts)
    assert 0.4 < corpus.labels.mean() < 0.6
    assert corpus.classes == ("negative", "positive")


def test_contrast_sentences_come_in_mirrored_pairs_a_bag_of_words_cannot_separate(corpus):
    contrast = [i for i, k in enumerate(corpus.kinds) if k == "contrast"]
    assert contrast and all(corpus.mirror[i] >= 0 for i in contrast)
    others = [i for i, k in enumerate(corpus.kinds) if k != "contrast"]
    assert all(corpus.mirror[i] == -1 for i in others)
    for i in contrast:
        j = corpus.mirror[i]
        assert corpus.mirror[j] == i and corpus.kinds[j] == "contrast"
        # identical word counts, opposite labels: any function of the counts gets one wrong
        assert Counter(tokenize(corpus.texts[i])) == Counter(tokenize(corpus.texts[j]))
        assert corpus.labels[i] != corpus.labels[j]
        assert "but" in tokenize(corpus.texts[i])


def test_negation_flips_the_adjectives_polarity(corpus):
    for text, label, kind in zip(corpus.texts, corpus.labels, corpus.kinds, strict=True):
        tokens = set(tokenize(text))
        pos, neg = tokens & set(sentiment.POSITIVE), tokens & set(sentiment.NEGATIVE)
        if kind in ("plain", "intensifier"):
            assert (pos and label == 1 and not neg) or (neg and label == 0 and not pos), text
        if kind == "negation":
            assert tokens & {"not", "isn't", "wasn't", "never"}, text
            assert (pos and label == 0) or (neg and label == 1), text


def test_split_is_stratified_by_kind_and_label(corpus):
    train, test = split(corpus, 0.25, 0)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(corpus)
    for kind in KINDS:
        in_test = sum(corpus.kinds[i] == kind for i in test)
        assert abs(in_test - 0.25 * corpus.kind_counts()[kind]) <= 2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Good, but too long", "contrast"),
        ("It wasn't funny", "negation"),
        ("not my taste", "negation"),
        ("really great", "intensifier"),
        ("a fine film", "plain"),
    ],
)
def test_tag_kind(text, kind):
    assert tag_kind(text) == kind


def csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


GOOD = "text,label\n" + "".join(f"nice film {i},pos\nawful film {i},neg\n" for i in range(5))


def test_a_good_csv_becomes_a_corpus_with_guessed_columns():
    c = read_csv_corpus(csv(GOOD))
    assert len(c) == 10 and c.classes == ("neg", "pos")
    assert c.labels.tolist()[:2] == [1, 0] and c.kinds[0] == "plain"


def test_utf8_with_bom_semicolons_and_unnamed_columns_are_read():
    body = "review;stars\n" + "".join(f"très bon {i};5\nnul {i};1\n" for i in range(5))
    c = read_csv_corpus(csv(body, "utf-8-sig"))
    assert len(c) == 10 and c.classes == ("1", "5") and c.texts[0].startswith("très")
    rows = (f"a long sentence number {i},x\nanother long one {i},y\n" for i in range(5))
    body = "a,b\n" + "".join(rows)
    c = read_csv_corpus(csv(body))  # columns guessed: longest texts, fewest values
    assert c.classes == ("x", "y") and c.texts[0].startswith("a long")


def test_empty_rows_are_dropped_with_a_note():
    c = read_csv_corpus(csv(GOOD + ",pos\nsome text,\n"))
    assert len(c) == 10 and "2 row(s)" in c.notes[0]


@pytest.mark.parametrize(
    ("data", "columns", "limits", "message"),
    [
        (b"", (None, None), CsvLimits(), "The file is empty."),
        (GOOD.encode(), (None, None), CsvLimits(max_bytes=50), "the limit is 0 MB"),
        ("text,label\ncaf\xe9,x\n".encode("latin-1"), (None, None), CsvLimits(), "not UTF-8"),
        (b"just one column\nrow\n", (None, None), CsvLimits(), "at least two columns"),
        (b"text,label\n", (None, None), CsvLimits(), "no data rows"),
        (GOOD.encode(), (None, None), CsvLimits(max_rows=5), "more than 5 rows, the limit"),
        (GOOD.encode(), ("review", None), CsvLimits(), "no text column “review”"),
        (GOOD.encode(), ("text", "text"), CsvLimits(), "must be different"),
        (b"text,label\n,a\n,b\n", (None, None), CsvLimits(), "Every row has an empty"),
        (b"text,label\n" + b"good,pos\n" * 6, (None, None), CsvLimits(), "one value only"),
        (GOOD.encode(), (None, None), CsvLimits(min_per_class=6), "few: “neg” (5), “pos” (5)"),
        (
            b"text,label\n" + b"".join(b"t %d,%d\n" % (i, i) for i in range(30)),
            (None, None),
            CsvLimits(min_per_class=1),
            "30 different values",
        ),
        (b'text,label\n"unclosed,x\n', (None, None), CsvLimits(), "could not be read as CSV"),
        ("text,label\nok,x\n".encode("utf-16"), (None, None), CsvLimits(), "UTF-16 text"),
        (b"PK\x03\x04" + bytes(40), (None, None), CsvLimits(), "is a spreadsheet (.xlsx/.xls)"),
    ],
)
def test_bad_csvs_get_a_clear_message(data, columns, limits, message):
    with pytest.raises(TextDataError, match=None) as err:
        read_csv_corpus(data, *columns, limits=limits)
    assert message in str(err.value)


def test_sst2_offline_gives_a_clear_message(monkeypatch, tmp_path):
    from cnnplay.models import pretrained

    monkeypatch.setattr(sentiment, "SST2_DIR", tmp_path / "sst2")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    assert not sentiment.sst2_available()
    with pytest.raises(TextDataError, match="could not be downloaded.*internet connection"):
        sentiment.download_sst2()
    with pytest.raises(TextDataError, match="not downloaded"):
        sentiment.load_sst2()


def test_sst2_reads_a_cached_zip_and_rejects_a_damaged_one(monkeypatch, tmp_path):
    monkeypatch.setattr(sentiment, "SST2_DIR", tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        rows = "".join(f"a fine movie {i} \t1\nnot good , but {i} \t0\n" for i in range(10))
        z.writestr("SST-2/train.tsv", "sentence\tlabel\n" + rows)
    (tmp_path / "SST-2.zip").write_bytes(buf.getvalue())
    assert sentiment.download_sst2() == tmp_path / "SST-2.zip"  # cached: no network needed
    c = sentiment.load_sst2(max_rows=8, seed=0)
    assert len(c) == 8 and set(c.labels.tolist()) <= {0, 1} and "SST-2" in c.source
    assert {"plain", "contrast"} >= set(c.kinds)
    (tmp_path / "SST-2.zip").write_bytes(b"not a zip")
    with pytest.raises(TextDataError, match="damaged"):
        sentiment.download_sst2()
    assert not sentiment.sst2_available()


# --- hostile CSVs: a clear message, within seconds, in bounded memory ---------------------

GUARD_S = 10.0  # a guard against hangs, not a speed test
LIMITS = CsvLimits()


def refused(data: bytes) -> tuple[str, float, int]:
    """(the TextDataError's message, seconds, tracemalloc peak in bytes) of reading ``data``."""
    read_csv_corpus(GOOD.encode())  # pandas' lazy imports and first-call set-up: not measured
    tracemalloc.start()
    start = time.perf_counter()
    try:
        read_csv_corpus(data, limits=LIMITS)
    except TextDataError as err:
        message = str(err)
    else:
        message = ""
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{seconds:.3f} s, peak {peak / 2**20:.2f} MB")  # shown with pytest -s
    assert message, "the file was accepted"
    assert seconds < GUARD_S
    return message, seconds, peak


def test_a_million_rows_stop_at_the_row_limit_without_parsing_them_all():
    data = b"text,label\n" + b"a,b\n" * 1_000_000  # 4 MB: under the byte limit
    assert len(data) < LIMITS.max_bytes
    message, _, peak = refused(data)
    assert message == "The file has more than 20,000 rows, the limit. Upload a sample of it."
    assert peak < 3 * LIMITS.max_bytes  # parsing all of it as strings takes about 40 MB


def test_binary_junk_is_not_a_text_csv():
    junk = np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes()
    message, _, peak = refused(junk)
    assert message.startswith("The file is not a text CSV: it holds binary data (a NUL byte")
    assert "Save it as “CSV UTF-8”" in message and peak < 2**20
    high = bytes(range(128, 256)) * 800  # no NUL, still not text
    message, _, _ = refused(high)
    assert message.startswith("The file is not UTF-8 text (byte 0x80 at position 0)")


def test_a_nul_byte_in_an_otherwise_good_csv_is_named():
    data = GOOD.replace("nice film 3", "nice\0film 3").encode()
    message, _, _ = refused(data)
    assert f"binary data (a NUL byte at position {data.index(0)})" in message


def test_a_10_mb_single_line_is_refused_by_its_size():
    message, _, peak = refused(b"x" * (10 * 2**20))
    assert message == "The file is 10.0 MB; the limit is 5 MB. Upload a sample of it."
    assert peak < 2**20  # refused before decoding


def test_a_line_just_under_the_byte_limit_gives_a_short_message():
    message, _, peak = refused(b"x" * (LIMITS.max_bytes - 1))  # no newline, no separator
    assert message.startswith("The file needs at least two columns")
    assert "found only “xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…”" in message
    assert len(message) < 300  # not the 5 MB "column name"
    assert peak < 5 * LIMITS.max_bytes  # the decoded line and pandas' copies of it


def test_a_header_of_a_million_columns_is_refused_before_parsing():
    wide = b",".join([b"ab"] * (LIMITS.max_bytes // 3 - 10)) + b"\nx,y\n"  # 1.7 million
    message, _, peak = refused(wide)
    assert message.startswith("The first line has 1,747,616 columns; at most 50 are allowed")
    assert peak < 3 * LIMITS.max_bytes
