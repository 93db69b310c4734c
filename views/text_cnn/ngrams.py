"""The Top n-grams tab: across the test sentences, the n-grams that won each Kim CNN filter's
max-pool most strongly, the most decisive filters first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.text.corpus import PreparedCorpus, SentimentCorpus
from cnnplay.text.explain import class_votes, top_ngrams
from cnnplay.text.models import TextCNN
from ui.figures import show_table
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.text_cnn.common import current


@tab_body
def render(corpus: SentimentCorpus, data: PreparedCorpus) -> None:
    kim = current(data).get("kim")
    if kim is None:
        st.info(
            "Train the Kim CNN first (tab *Train & compare*).", icon=":material/model_training:"
        )
        return
    if kim.ngrams is None:  # once per trained model, kept with it
        with st.spinner("Reading every test sentence…"):
            kim.ngrams = top_ngrams(kim.model, data.ids[data.test_idx], data.vocab, k=3)
    model: TextCNN = kim.model
    weights = model.fc.weight.detach().cpu().numpy()  # (K, F·W)
    votes = class_votes(model)
    spread = weights.max(axis=0) - weights.min(axis=0)  # how much a filter moves the classes
    widths = sorted(set(model.config.widths))
    state = st.session_state
    if "tc_ngram_widths" not in state or not set(state.tc_ngram_widths) <= set(widths):
        state.tc_ngram_widths = widths  # every width of this model
    pick = st.multiselect("Widths", widths, key="tc_ngram_widths", persist_state=KEEP, bind=LINK)
    rows = [
        {
            "filter": j,
            "width": model.width_of(j),
            "votes for": corpus.classes[votes[j]],
            "weight spread": round(float(spread[j]), 2),
            "top n-grams (max activation, sentences)": " · ".join(
                f"{g.ngram} ({g.score:.1f}, {g.count})" for g in kim.ngrams[j]
            ),
        }
        for j in np.argsort(-spread, kind="stable")
        if model.width_of(j) in pick
    ]
    st.markdown(
        f"Across the {len(data.test_idx):,} test sentences: for each filter, the n-grams that won "
        "its max-pool with the highest activation. Filters are sorted by how much their weights "
        "differ between classes (the most decisive first)."
    )
    show_table(
        pd.DataFrame(rows),
        hide_index=True,
        key="tc_ngrams",
        column_config={
            "filter": st.column_config.NumberColumn(width="small"),
            "width": st.column_config.NumberColumn(width="small"),
            "top n-grams (max activation, sentences)": st.column_config.TextColumn(width="large"),
        },
    )
