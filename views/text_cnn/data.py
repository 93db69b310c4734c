"""The sentences every tab learns from (above the tabs: a change reruns the page): the generated
corpus, your CSV or SST-2, with a message and the generated corpus on any problem."""

from __future__ import annotations

import streamlit as st

from cnnplay.text.corpus import (
    PreparedCorpus,
    SentimentCorpus,
    TextDataError,
    corpus_from_frame,
    download_sst2,
    guess_columns,
    sst2_available,
)
from ui.hosting import profile
from ui.links import LINK
from ui.page import KEEP
from ui.progress import megabytes, progress_bar
from views.text_cnn.common import (
    LIMITS,
    MAX_LEN,
    SOURCES,
    builtin,
    digest_of,
    prepare,
    sst2,
    uploaded_table,
)


def choose() -> tuple[SentimentCorpus, PreparedCorpus]:
    """The data expander: the chosen corpus (the generated one on any problem) and its split."""
    with st.expander("Data: which sentences to learn from", expanded=False):
        source = st.radio(
            "Sentences", SOURCES, key="tc_source", horizontal=True, persist_state=KEEP, bind=LINK
        )
        if source == SOURCES[1]:
            corpus = csv_data() or builtin()
        elif source == SOURCES[2]:
            corpus = sst2_data() or builtin()
        else:
            c1, c2 = st.columns(2)
            c1.slider(
                "Sentences",
                500,
                profile().max_sentences,
                step=500,
                key="tc_n",
                persist_state=KEEP,
                bind=LINK,
            )
            c2.number_input("Corpus seed", 0, 10_000, key="tc_seed", persist_state=KEEP, bind=LINK)
            corpus = builtin()
        test_share = st.slider(
            "Test share", 0.1, 0.5, step=0.05, key="tc_test", persist_state=KEEP, bind=LINK
        )
    return corpus, prepare(digest_of(corpus), float(test_share), corpus)


def csv_data() -> SentimentCorpus | None:
    upload = st.file_uploader(
        f"A CSV with a text column and a label column (UTF-8, ≤ {LIMITS.max_bytes // 2**20} MB, "
        f"≤ {LIMITS.max_rows:,} rows)",
        type=["csv", "tsv", "txt"],
        key="tc_csv",
    )
    if upload is None:
        st.info("No file yet: the generated corpus is used meanwhile.", icon=":material/upload:")
        return None
    try:
        frame = uploaded_table(upload.getvalue())
        columns = list(frame.columns)
        state = st.session_state
        for key, guess in zip(("tc_text_col", "tc_label_col"), guess_columns(frame), strict=True):
            if state.get(key) not in columns:  # a new file: start from the guessed columns
                state[key] = guess
        c1, c2 = st.columns(2)
        text_col = c1.selectbox(
            "Text column", columns, key="tc_text_col", persist_state=KEEP, bind=LINK
        )
        label_col = c2.selectbox(
            "Label column", columns, key="tc_label_col", persist_state=KEEP, bind=LINK
        )
        corpus = corpus_from_frame(frame, text_col, label_col, LIMITS, f"your file {upload.name}")
    except TextDataError as err:
        st.error(f"{err} The generated corpus is used instead.", icon=":material/error:")
        return None
    for note in corpus.notes:
        st.info(note, icon=":material/info:")
    return corpus


def sst2_data() -> SentimentCorpus | None:
    rows = st.slider(
        "SST-2 sentences to use",
        1000,
        10_000,
        step=1000,
        key="tc_sst_rows",
        persist_state=KEEP,
        bind=LINK,
    )
    if not sst2_available():
        st.warning(
            "SST-2 (Socher et al. 2013, movie-review phrases labelled positive/negative) is not "
            "on this server yet. It can be downloaded (about 7 MB) if the server has internet "
            "access; meanwhile the generated corpus is used.",
            icon=":material/cloud_off:",
        )
        if st.button("Download SST-2", key="tc_download"):
            try:
                with progress_bar("Downloading SST-2…", megabytes) as on_progress:
                    download_sst2(on_progress)
            except TextDataError as err:
                st.error(str(err), icon=":material/cloud_off:")
                return None
            st.rerun()
        return None
    try:
        return sst2(int(rows), True)
    except TextDataError as err:
        st.error(str(err), icon=":material/error:")
        return None


def summary(corpus: SentimentCorpus, data: PreparedCorpus) -> None:
    """One paragraph: the corpus, its classes, the split, the vocabulary and the kinds."""
    kinds = corpus.kind_counts()
    st.markdown(
        f"**{len(corpus):,} sentences** from *{corpus.source}*, classes "
        + ", ".join(f"*{c}* ({n:,})" for c, n in zip(corpus.classes, corpus.counts(), strict=True))
        + f": {len(data.train_idx):,} for training, {len(data.test_idx):,} for testing. "
        f"Vocabulary: **{len(data.vocab):,} tokens** from the training part (with `<pad>` = 0 "
        f"and `<unk>` = 1); sentences are cut at {MAX_LEN} tokens, batches padded to "
        f"{data.ids.shape[1]}. Kinds: " + ", ".join(f"{k} {n:,}" for k, n in kinds.items()) + "."
    )
