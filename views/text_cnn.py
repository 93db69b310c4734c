"""Text CNN: a sentence as a 1D image, one filter sliding over its words, 1-max pooling, a
Kim-style CNN trained live beside a bag-of-words baseline, and the n-grams its filters pick
(seeds 000, 001, 002).

The data (which sentences, the test share) is shared by every tab, so it sits above the tabs (a
change reruns the page); each tab is a module of views/text_cnn/ and runs only while it is open.
The trained models stay in this session's state (views/text_cnn/common.py)."""

import streamlit as st

from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.text_cnn import common, data, image, ngrams, read, train

frame = PageFrame("tc", title="Text CNN")
frame.header()
common.set_defaults()
st.markdown(
    f"{notes_name('000', capital=True)}: CNNs can also be applied to texts, *viewed as 1D "
    "images. Each “pixel” is a word. The channels of the input 1D image are the dimensions of "
    f"the word embeddings.* {notes_name('001', capital=True)} follow Yoon Kim (2014) on IMDB "
    "reviews — *each word is a vector*, and a filter of height 2 *moves 8 times* over a 9-word "
    f"sentence — and {notes_name('002')} sum it up: *1D convolution of words, multiple filters "
    "of different sizes (K = 2, …, D) for 2-gram, …, D-gram, 1-max pooling.*"
)
from_the_notes(
    ("000", "NLP with CNNs and Transformers"),
    ("001", "1D Convolutional Networks for text classification"),
    ("002", "CNNs for Non-Image Tasks"),
)

corpus, prepared = data.choose()
common.recover_stopped(prepared)  # a training run stopped by a click elsewhere keeps its model
data.summary(corpus, prepared)

frame.tabs(
    {
        "Sentence as a 1D image": lambda: image.render(prepared),
        "Train & compare": lambda: train.render(corpus, prepared),
        "Read a sentence": lambda: read.render(corpus, prepared),
        "Top n-grams": lambda: ngrams.render(corpus, prepared),
    }
)
