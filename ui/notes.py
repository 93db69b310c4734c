"""The lecture notes, named for students, and the small "From the notes" line for teachers.

Students meet each set of notes by its topic ("the NTHU CNN slides"), never by its file number:
"seed 002" means nothing to them. The number, and the slide or section title where it is known,
go in one small caption under the passage (:func:`from_the_notes`), so that a teacher can look the
passage up in ``seeds/`` (the files beside DESIGN.md). This module is the one place that names the
notes; pages call :func:`notes_name` instead of spelling a name out, and selectboxes over the
package's presets (whose keys still start with "Seed 00N: ") show them through
:func:`option_label`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class LectureNotes:
    seed: str  # the number of the notes' file in seeds/, "000" … "004"
    name: str  # how pages name the notes to students, with its article: "the NTHU CNN slides"
    title: str  # the notes' own title (author, course), for the teacher's tooltip
    file: str  # the file under seeds/


NOTES: dict[str, LectureNotes] = {
    n.seed: n
    for n in (
        LectureNotes(
            "000",
            "the CNN applications notes",
            "CNNs and their applications in image classification, object detection and image "
            "captioning",
            "000_3528718c3fb72688.txt",
        ),
        LectureNotes(
            "001",
            "the Keras CNN notes",
            "Deep Learning: Convolutional Neural Networks (with Keras listings)",
            "001_a5591d59c1594a09.txt",
        ),
        LectureNotes(
            "002",
            "the NTHU CNN slides",
            "Shan-Hung Wu, Convolutional Neural Networks (National Tsing Hua University, "
            "Machine Learning)",
            "002_051c1e8f5da64038.txt",
        ),
        LectureNotes(
            "003",
            "the MIT vision slides",
            "Convolutional Neural Networks: Computer Vision (slides from the MIT Deep Learning "
            "course)",
            "003_9122d58fbd955f02.txt",
        ),
        LectureNotes(
            "004",
            "the Siena vision & NLP slides",
            "Stefano Melacci, Neural Networks in Computer Vision and NLP (University of Siena)",
            "004_4caca268d76da228.txt",
        ),
    )
}

# "002", or ("002", "Supporting Color Images", ...): the notes' number, then slide titles if known
Ref = str | tuple[str, ...]


def _notes(seed: str) -> LectureNotes:
    try:
        return NOTES[seed]
    except KeyError:
        raise ValueError(f"no lecture notes numbered {seed!r}; known: {', '.join(NOTES)}") from None


def notes_name(seed: str, capital: bool = False) -> str:
    """The students' name of the notes numbered ``seed`` ("002" -> "the NTHU CNN slides");
    ``capital`` starts it with a capital letter, for the start of a sentence."""
    name = _notes(seed).name
    return name[0].upper() + name[1:] if capital else name


def _split(ref: Ref) -> tuple[str, tuple[str, ...]]:
    return (ref, ()) if isinstance(ref, str) else (ref[0], tuple(ref[1:]))


def from_the_notes_text(*refs: Ref) -> str:
    """The caption's text: "From the notes: seed 002, “Supporting Color Images”; seed 004."

    refs: one or more notes numbers, each alone or with the titles of the slides or sections
    (as the notes spell them) where the passage is."""
    if not refs:
        raise ValueError("name at least one set of notes")
    parts = []
    for seed, sections in map(_split, refs):
        _notes(seed)  # an unknown number is a mistake in the page, not a caption
        parts.append(", ".join([f"seed {seed}", *(f"“{t}”" for t in sections)]))
    return "From the notes: " + "; ".join(parts) + "."


def from_the_notes_help(*refs: Ref) -> str:
    """The caption's tooltip: which file in seeds/ each number is, and its title."""
    seeds = dict.fromkeys(seed for seed, _ in map(_split, refs))  # in order, once each
    return "  \n".join(
        f"seed {s} = {NOTES[s].name} ({NOTES[s].title}): seeds/{NOTES[s].file}" for s in seeds
    )


def from_the_notes(*refs: Ref, where: Any = None) -> None:
    """The small "From the notes: seed 002, “…”." line (``st.caption``) under a passage, for
    teachers who want to look it up; its tooltip names the files. ``where``: ``st`` (default),
    a column or a container."""
    (where or st).caption(from_the_notes_text(*refs), help=from_the_notes_help(*refs))


_PRESET = re.compile(r"^[Ss]eed (\d{3})(?::\s*|\s+)(.+)$")  # "Seed 000: 6×6 …", "Seed 004 kernel"
_TRAILING = re.compile(r"\s*\([Ss]eed (\d{3})\)$")  # "Kim CNN: … (seed 002)"


def option_label(name: str) -> str:
    """How a preset named by its notes number is shown to students: "Seed 000: 6×6 with a + and
    an X" -> "6×6 with a + and an X (from the CNN applications notes)", "CNN (seed 001)" -> "CNN
    (from the Keras CNN notes)". Any other name is returned unchanged (use it as a selectbox's
    ``format_func``; the widget's value stays the preset's key)."""
    if (m := _TRAILING.search(name)) and m.group(1) in NOTES:
        return f"{name[: m.start()]} (from {NOTES[m.group(1)].name})"
    if (m := _PRESET.match(name)) and m.group(1) in NOTES:
        rest, source = m.group(2), f"from {NOTES[m.group(1)].name}"
        return f"{rest}, {source}" if rest.endswith(")") else f"{rest} ({source})"
    return name
