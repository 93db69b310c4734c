"""Quiz mode, app-wide: "predict, then reveal".

One sidebar switch (:func:`quiz_switch`, in app.py) turns it on for the whole app; a link that
ends in ``?quiz=1`` turns it on when a session starts (a teacher hands the class that link).
Off by default: every page then shows its results as it always did.

A page asks before it shows a result::

    if not predict_then_reveal("pd_size", lambda rng: output_size_question(**axis)):
        return  # the question is on screen; the result stays hidden until it is answered

With quiz mode on, the student sees the question (a number to type, or choices), "Check" and
"Reveal without answering"; the page's result stays hidden until then. The reveal says right or
wrong, gives the answer and its worked step (the page's own step-through follows, pointed at
what was asked where the page passes ``on_reveal``) and, where the settings leave a choice,
offers "Another question". A question is identified by its key and a hash of its content, so
new settings make a new question; each one counts once in the session's score (right / asked,
in the sidebar under the switch; a question revealed without an answer counts as asked).

Session state (all keys start with ``quiz_``), bounded: the switch, this session's random seed,
the score, the round of each page key's question, the input of each page key, and at most
:data:`MAX_ANSWERS` recorded answers (the oldest forgotten first; the score keeps counting).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from cnnplay.quiz import Question, answer_text, check, question_id, unreadable
from ui.links import LINK
from ui.page import KEEP

MODE_KEY = "quiz_mode"  # the sidebar switch (its widget key)
LINK_PARAM = "quiz"  # ?quiz=1 in the URL turns quiz mode on when the session starts
LINK_SEEN_KEY = "quiz_link_seen"  # the link's setting was applied once this session
SEED_KEY = "quiz_seed"  # this session's random seed: each student gets different numbers
SCORE_KEY = "quiz_score"  # (right, asked) this session
ROUND_KEY = "quiz_round"  # {page key: round}: "Another question" moves to the next round
ASKED_KEY = "quiz_asked"  # {page key: question id} of the question on screen (resets its input)
ANSWERS_KEY = "quiz_answers"  # {page key:question id: Answer}, oldest first
MAX_ANSWERS = 200  # answers remembered per session (so a question is counted once)
ON_WORDS = ("1", "true", "on", "yes")  # ?quiz=... values that mean "on"
SWITCH_LABEL = "Quiz mode: predict, then reveal"
ROUNDS_AHEAD = 5  # "Another question" looks this many rounds ahead for a question that differs

QuestionSource = Question | Callable[[random.Random], Question | None] | None


@dataclass(frozen=True)
class Answer:
    """What the student did with one question."""

    given: str | None  # what they typed or chose; None: revealed without answering
    right: bool


def quiz_on() -> bool:
    """Whether quiz mode is on in this session."""
    return bool(st.session_state.get(MODE_KEY, False))


def score() -> tuple[int, int]:
    """(right, asked) in this session."""
    right, asked = st.session_state.get(SCORE_KEY, (0, 0))
    return int(right), int(asked)


def score_text() -> str:
    right, asked = score()
    return f"**Score this session:** {right} right of {asked} asked"


def quiz_switch() -> None:
    """The sidebar switch (on for the whole app, kept for the session) and, while it is on, the
    session's score under it. A ``?quiz=1`` link sets it once when the session starts
    (``?quiz=0`` sets it off); after that the student's own choice holds."""
    link = st.query_params.get(LINK_PARAM)
    if link is not None and not st.session_state.get(LINK_SEEN_KEY):
        st.session_state[LINK_SEEN_KEY] = True
        st.session_state[MODE_KEY] = link.strip().casefold() in ON_WORDS
    on = st.sidebar.toggle(
        SWITCH_LABEL,
        key=MODE_KEY,
        persist_state=KEEP,
        bind=LINK,
        help="Before a page shows some results, it asks you to predict them: type or choose "
        "your answer, check it, then read how it is worked out. A link ending in ?quiz=1 "
        "turns this on for a whole class.",
    )
    if on:
        st.sidebar.caption(":material/quiz: " + score_text())


def rng_for(seed: int, key: str, round_: int = 0) -> random.Random:
    """The random choices of page key ``key``'s question in a session with this seed and round."""
    return random.Random(f"{seed}:{key}:{round_}")


def session_rng(key: str, round_: int = 0) -> random.Random:
    """The random choices of page key ``key``'s question: this session's seed, the key and the
    round (the same in every rerun, different for each student and each "Another question")."""
    return rng_for(st.session_state.setdefault(SEED_KEY, secrets.randbits(32)), key, round_)


def _make(source: QuestionSource, key: str, round_: int) -> Question | None:
    return source(session_rng(key, round_)) if callable(source) else source


def _record(qid: str, answer: Answer) -> None:
    answers = st.session_state.setdefault(ANSWERS_KEY, {})
    if qid in answers:  # counted already (e.g. two clicks in one rerun)
        return
    answers[qid] = answer
    while len(answers) > MAX_ANSWERS:
        del answers[next(iter(answers))]
    right, asked = score()
    st.session_state[SCORE_KEY] = (right + answer.right, asked + 1)


def predict_then_reveal(
    key: str,
    question: QuestionSource,
    on_reveal: Callable[[Question], None] | None = None,
) -> bool:
    """Ask ``question`` before the page shows its result; True when the page may show it.

    key: the page's key for this question (its prefix, e.g. "pd_size"). question: a Question,
    or a function of a ``random.Random`` that makes one (only called in quiz mode, so a page
    pays nothing otherwise, and "Another question" can draw a new one); None (or a function that
    returns None: the settings leave nothing to ask) shows the result at once. on_reveal: called
    with the question when it is checked or revealed, before the rerun that shows the result,
    so a page can point its own step-through at the cell, layer or box that was asked about
    (it may set the session state of widgets drawn after this call).

    Quiz mode off: returns True at once and draws nothing. On: draws the question and returns
    False until it is answered or revealed, then the verdict, the answer and its explanation,
    and returns True."""
    if not quiz_on():
        return True
    rounds = st.session_state.setdefault(ROUND_KEY, {})
    round_ = rounds.get(key, 0)
    q = _make(question, key, round_)
    if q is None:
        return True
    qid = f"{key}:{question_id(q)}"
    done = st.session_state.get(ANSWERS_KEY, {}).get(qid)
    with st.container(border=True):
        st.markdown(":material/quiz: " + q.prompt)
        if done is None:
            return _ask(key, qid, q, on_reveal)
        _verdict(q, done)
        if callable(question):
            _another(key, question, round_, qid)
    return True


def _ask(key: str, qid: str, q: Question, on_reveal) -> bool:
    """The input, Check and Reveal; False (the result stays hidden) until one of them acts."""
    input_key = f"quiz_in_{key}"
    asked = st.session_state.setdefault(ASKED_KEY, {})
    if asked.get(key) != qid:  # a new question: an empty input
        asked[key] = qid
        st.session_state.pop(input_key, None)
    if q.choices is not None:
        given = st.radio(
            "Your answer",
            q.choices,
            index=None,
            horizontal=True,
            key=input_key,
            persist_state=KEEP,
            bind=None,  # an answer never goes in a link
        )
    else:
        hint = "row, column — e.g. 2, 3" if not q.numeric else "a number — e.g. 16 or 0.25"
        given = st.text_input(
            "Your answer" + (f" ({q.unit})" if q.unit else ""),
            key=input_key,
            placeholder=hint,
            persist_state=KEEP,
            bind=None,  # an answer never goes in a link
        )
    c_check, c_reveal, _ = st.columns([1, 2, 3])
    checked = c_check.button("Check", key=f"quiz_check_{key}", type="primary")
    revealed = c_reveal.button("Reveal without answering", key=f"quiz_reveal_{key}")
    if checked:
        problem = unreadable(q, given)
        if problem is not None:
            st.warning(problem, icon=":material/edit:")
        else:
            _finish(qid, q, Answer(str(given).strip(), check(q, given)), on_reveal)
    elif revealed:
        _finish(qid, q, Answer(None, False), on_reveal)
    st.caption("The result is hidden until you check your answer or reveal it.")
    return False


def _finish(qid: str, q: Question, answer: Answer, on_reveal) -> None:
    """Count the answer, let the page point its step-through, and rerun the whole app (the
    score in the sidebar is outside this tab's fragment)."""
    _record(qid, answer)
    if on_reveal is not None:
        on_reveal(q)
    st.rerun()


def _verdict(q: Question, done: Answer) -> None:
    if done.given is None:
        st.info(f"The answer: **{answer_text(q)}**.", icon=":material/visibility:")
    elif done.right:
        st.success(
            f"Right: you said {done.given}; the answer is **{answer_text(q)}**.",
            icon=":material/check_circle:",
        )
    else:
        st.error(
            f"Not quite: you said {done.given}; the answer is **{answer_text(q)}**.",
            icon=":material/cancel:",
        )
    st.markdown(q.explanation)
    st.caption(score_text())


def _another(key: str, source: Callable, round_: int, qid: str) -> None:
    """ "Another question" where the settings leave a choice (a later round differs)."""
    for ahead in range(1, ROUNDS_AHEAD + 1):
        nxt = _make(source, key, round_ + ahead)
        if nxt is not None and f"{key}:{question_id(nxt)}" != qid:
            break
    else:
        return
    if st.button("Another question", key=f"quiz_next_{key}", icon=":material/refresh:"):
        st.session_state[ROUND_KEY][key] = round_ + ahead
        st.rerun()
