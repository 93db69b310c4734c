"""The Sentence as a 1D image tab: a sentence's (L, d) matrix of word vectors, one filter of
height h sliding over it (L - h + 1 positions), the dot product at one position, the feature map
and its 1-max pooling. Made-up vectors by default; the trained Kim CNN's once there is one."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.plots.style import fmt
from cnnplay.text.corpus import PreparedCorpus
from cnnplay.text.explain import demo_filter, demo_vectors, embedding_rows, slide_filter
from cnnplay.text.models import TextCNN
from cnnplay.text.plots import feature_map_figure, filter_figure, sentence_matrix_figure
from cnnplay.text.vocab import OOV_ID, tokenize
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes
from ui.page import KEEP, tab_body
from views.text_cnn.common import MAX_LEN, trained_kim


def dot_product_latex(trace, x: np.ndarray, w: np.ndarray, tokens: list[str], p: int) -> str:
    """y_p as the window · filter sum: every product for d ≤ 6 (one line per word of the
    window), else one sum per word, named by the word."""
    h, d = w.shape
    lines = [
        rf"y_{{{p}}} &= \sum_{{i=0}}^{{h-1}} \sum_{{k=0}}^{{d-1}} X_{{{p}+i,\,k}}\, W_{{i,k}} + b"
    ]
    if d <= 6:
        for i in range(h):
            terms = " + ".join(f"({fmt(x[p + i, k])})({fmt(w[i, k])})" for k in range(d))
            lead = "&= " if i == 0 else r"&\quad + "
            lines.append(lead + terms + rf"\quad \text{{{tokens[p + i]}}}")
    else:
        sums = trace.products[p].sum(axis=1)  # (h,) one word's share each
        parts = " + ".join(
            rf"\underbrace{{({sums[i]:.2f})}}_{{\text{{{tokens[p + i]}}}}}" for i in range(h)
        )
        lines.append(f"&= {parts}")
    lines.append(rf"&\quad + ({fmt(round(trace.bias, 3))}) = {trace.responses[p]:.3f}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def learned(model: TextCNN, data: PreparedCorpus, tokens: list[str], c1, c2):
    """The trained model's word vectors and one of its filters (chosen in ``c1``)."""
    n_filters = model.fc.in_features
    if st.session_state.tc_filter >= n_filters:  # a model with fewer filters since
        st.session_state.tc_filter = 0
    j = c1.selectbox(
        "Filter",
        range(n_filters),
        format_func=lambda j: f"filter {j} (height {model.width_of(j)})",
        key="tc_filter",
        persist_state=KEEP,
        bind=LINK,
    )
    w, b = model.filter_weights(int(j))
    ids = data.vocab.ids(tokens)
    x = embedding_rows(model, np.array(ids, dtype=np.int64)) if tokens else np.zeros((0, 1))
    unknown = [t for t, i in zip(tokens, ids, strict=True) if i == OOV_ID]
    c2.caption(
        f"Learned {x.shape[1]}-channel word vectors."
        + (f" Unknown words (rows of `<unk>`): {', '.join(unknown)}." if unknown else "")
    )
    return x, w, b


def made_up(tokens: list[str], c1, c2, c3):
    """Made-up word vectors and filter of the height and channels chosen in ``c1``, ``c2``."""
    height = c1.slider(
        "Filter height h (words)", 1, 5, key="tc_height", persist_state=KEEP, bind=LINK
    )
    dim = c2.slider(
        "Channels d (embedding size)", 2, 8, key="tc_dim", persist_state=KEEP, bind=LINK
    )
    c3.caption(
        "Made-up word vectors (one decimal) and filter: the same word always gets the same "
        "vector. Train a model to see learned ones."
    )
    return demo_vectors(tokens, int(dim)), demo_filter(int(height), int(dim)), 0.0


@tab_body
def render(data: PreparedCorpus) -> None:
    sentence = st.text_input(
        "Sentence", key="tc_sentence", max_chars=300, persist_state=KEEP, bind=LINK
    )
    tokens = tokenize(sentence)[:MAX_LEN]
    model = trained_kim(data)
    c1, c2, c3 = st.columns(3)
    use_trained = c3.toggle(
        "Learned vectors and filter",
        key="tc_use_trained",
        disabled=model is None,
        help="Use the trained Kim CNN's word vectors and one of its filters (train it in the "
        "tab Train & compare first).",
        persist_state=KEEP,
        bind=LINK,
    )
    if use_trained and model is not None:
        x, w, b = learned(model, data, tokens, c1, c2)
    else:
        x, w, b = made_up(tokens, c1, c2, c3)
    height, length = w.shape[0], len(tokens)
    if length < height:
        st.warning(
            f"The sentence has {length} word(s); a height-{height} filter needs at least {height}.",
            icon=":material/short_text:",
        )
        return
    positions = length - height + 1
    st.latex(
        rf"\text{{output length}} = L - h + 1 = {length} - {height} + 1 = {positions}"
        + r"\ \text{positions}"
    )
    seed_001 = (length, height) == (9, 2)
    st.markdown(
        f"This sentence is made up of **{length} words**; each word is a vector of "
        f"{x.shape[1]} numbers (a row below). The filter covers **{height}** word(s) at once, "
        f"so it moves **{positions} times** to scan the sentence"
        + (" — the notes' example: 9 words, height 2, 8 moves." if seed_001 else ".")
    )
    if seed_001:
        from_the_notes(("001", "1D CONVOLUTIONAL - EXAMPLE"))
    trace = slide_filter(x, w, b)
    st.session_state.tc_pos = min(st.session_state.tc_pos, positions - 1)
    p = st.slider(
        "Filter position p",
        0,
        max(positions - 1, 1),
        key="tc_pos",
        disabled=positions == 1,
        persist_state=KEEP,
        bind=LINK,
    )
    p = min(int(p), positions - 1)
    left, right = st.columns([3, 2])
    matrix = sentence_matrix_figure(tokens, x, p, height, f"sentence X ({length}×{x.shape[1]})")
    show_figure(matrix, "tc_matrix", left)
    show_figure(filter_figure(w, b), "tc_filter_fig", right)
    st.latex(dot_product_latex(trace, x, w, tokens, p))
    st.caption(
        f"The response at position {p} is the dot product of the {height}×{x.shape[1]} window "
        f"(words {p}–{p + height - 1}: “{' '.join(tokens[p : p + height])}”) with the filter, "
        "plus the bias — the same sum as a 2D convolution, with the kernel as wide as the image."
    )
    best = trace.best
    show_figure(
        feature_map_figure(tokens, trace.responses, height, p, best),
        "tc_feature_map",
        width="stretch",
    )
    st.latex(rf"m = \max_{{0 \le p \le L-h}} y_p = y_{{{best}}} = {trace.max:.3f}")
    st.markdown(
        f"**1-max pooling** keeps one number per filter, **{trace.max:.3f}**, from the n-gram "
        f"“**{' '.join(tokens[best : best + height])}**” (position {best}, purple bar); the "
        f"other {positions - 1} responses are dropped. Whatever the sentence length, each filter "
        "gives one feature: *does my n-gram occur anywhere, and how strongly?*"
    )
