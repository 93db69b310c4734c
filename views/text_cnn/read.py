"""The Read a sentence tab: every model trained on this data classifies a sentence you type; the
Kim CNN's logit is split into its filters' influences, each shown on the n-gram that won that
filter's max-pool."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.plots.charts import topk_figure
from cnnplay.text.corpus import PreparedCorpus, SentimentCorpus
from cnnplay.text.explain import explain
from cnnplay.text.models import predict_probs
from cnnplay.text.plots import influence_figure
from cnnplay.text.vocab import OOV_ID, tokenize
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.text_cnn.common import LABELS, MAX_LEN, MIN_LEN, current


def highlighted(tokens: tuple[str, ...], start: int, width: int) -> str:
    """The sentence with the n-gram at start..start+width-1 highlighted (Streamlit markdown)."""
    before, gram, after = tokens[:start], tokens[start : start + width], tokens[start + width :]
    return " ".join([*before, f":orange-background[**{' '.join(gram)}**]", *after])


def predictions(corpus: SentimentCorpus, data: PreparedCorpus, sentence: str) -> None:
    """Each model's answer and its class probabilities, side by side."""
    trained = current(data)
    ids = data.vocab.encode_batch([sentence], MAX_LEN, MIN_LEN)
    cols = st.columns(len(trained))
    for col, (key, run) in zip(cols, trained.items(), strict=True):
        probs = predict_probs(run.model, ids)[0]
        order = np.argsort(probs)[::-1]
        best = corpus.classes[order[0]]
        col.markdown(f"**{LABELS[key]}** says **{best}** ({100 * probs[order[0]]:.1f}%)")
        show_figure(
            topk_figure([corpus.classes[i] for i in order], probs[order]),
            f"tc_probs_{key}",
            col,
            width="stretch",
        )


def influences(corpus: SentimentCorpus, data: PreparedCorpus, sentence: str) -> None:
    """The Kim CNN's logit as the sum of its filters' influences, the strongest first."""
    kim = current(data).get("kim")
    if kim is None:
        st.caption("The n-gram view needs the Kim CNN (1-max pooling per filter): train it too.")
        return
    explanation = explain(kim.model, data.vocab, sentence, MAX_LEN)
    c = corpus.classes[explanation.predicted]
    st.latex(
        r"z_c = \sum_j m_j\, w_{cj} + b_c, \qquad \text{influence}_j = m_j\, w_{cj}, \qquad "
        r"m_j = \max_p\, \mathrm{ReLU}(y_{j,p})"
    )
    top = st.slider("Filters to show", 3, 12, key="tc_top_filters", persist_state=KEEP, bind=LINK)
    shown = explanation.filters[: int(top)]
    rest = explanation.logit - explanation.bias - sum(f.influence for f in shown)
    st.markdown(
        f"For *{c}*: z = {' + '.join(f'({f.influence:+.2f})' for f in shown)} + "
        f"(others {rest:+.2f}) + (b {explanation.bias:+.2f}) = **{explanation.logit:.2f}**. "
        f"The {len(shown)} most influential of {len(explanation.filters)} filters, and the "
        "n-gram that won each one's max-pool:"
    )
    for f in shown:
        sign = "supports" if f.influence >= 0 else "opposes"
        st.markdown(
            f"- {highlighted(explanation.tokens, f.start, f.width)} — filter {f.index} "
            f"(width {f.width}): m = {f.activation:.2f}, w = {f.weight:+.2f}, "
            f"influence **{f.influence:+.2f}** ({sign} *{c}*)"
        )
    show_figure(
        influence_figure(
            [f"{f.index}: {' '.join(f.ngram)}" for f in shown], [f.influence for f in shown]
        ),
        "tc_influence",
        width="stretch",
    )


@tab_body
def render(corpus: SentimentCorpus, data: PreparedCorpus) -> None:
    trained = current(data)
    if not trained or list(trained) == ["bow"]:
        st.info("Train a CNN first (tab *Train & compare*).", icon=":material/model_training:")
        return
    sentence = st.text_input(
        "Type a sentence", key="tc_read", max_chars=500, persist_state=KEEP, bind=LINK
    )
    tokens = tokenize(sentence)
    if not tokens:
        st.warning("No words in that sentence.", icon=":material/short_text:")
        return
    if corpus.mirror is not None:
        st.caption(
            "The generated corpus has a few templates: plain, intensified and negated clauses, and "
            "“X, but Y” where Y decides. A model learns what its sentences show: try those, then "
            "a sentence it never saw the like of (a negation inside a contrast, say)."
        )
    unknown = sorted({t for t in tokens if data.vocab.index.get(t, OOV_ID) == OOV_ID})
    if unknown:
        st.caption(f"Not in the vocabulary (read as `<unk>`): {', '.join(unknown)}.")
    predictions(corpus, data, sentence)
    influences(corpus, data, sentence)
