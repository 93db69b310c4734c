"""Students read the notes' names, not their file numbers; teachers get the number in the small
"From the notes" caption (ui/notes.py). And no module or script path is shown on a page.

The scans read the source of views/ and ui/ with the ast module: every string constant (f-string
parts included) that is not a docstring counts as shown. Comments are not in the tree, so they and
docstrings may keep their seed numbers. Allowed on purpose: ui/notes.py (it builds the caption),
the catalogue's ``seeds=`` fields (the home page's "Lecture notes: …" line), a trailing "(seed
00N)" after each example of the catalogue's ``examples=``, and the keys of the package's preset
registries (their names still start with "Seed 00N: "; the pages show them through
``ui.notes.option_label``, checked below).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

from ui.notes import NOTES, from_the_notes_help, from_the_notes_text, notes_name, option_label

ROOT = Path(__file__).resolve().parents[2]
SEED = re.compile(r"\bseeds?\s*0\d\d", re.IGNORECASE)  # "seed 002", "Seeds 000, 001", "seed001"
CODE_PATH = re.compile(r"\bcnnplay\.[a-z_]|`scripts/|\b(cnnplay|scripts|views|ui)/[\w/]+\.py\b")
TRAILING_SEEDS = re.compile(r"\s*\(seeds? 0\d\d(?:, 0\d\d)*\)(?=,|$)")  # catalogue examples=

# Files allowed to show "seed 00N" or a module path to students: none since the sweep.
LEFT_FOR_LATER: tuple[str, ...] = ()
NOT_SHOWN = ("ui/notes.py",)  # builds the "From the notes: seed 00N" caption itself


def registry_keys() -> set[str]:
    """Preset names of the package that still carry a notes number (shown via option_label)."""
    from cnnplay.grids import GRID_PRESETS
    from cnnplay.kernels import PATTERN_KERNELS
    from cnnplay.ops.pool import POOL_GRIDS
    from cnnplay.receptive import PRESETS

    return {k for reg in (GRID_PRESETS, PATTERN_KERNELS, POOL_GRIDS, PRESETS) for k in reg}


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def catalogue_fields(tree: ast.AST) -> dict[int, str]:
    """ids of the string constants given as a ``path=`` / ``seeds=`` / ``examples=`` argument of
    PageInfo (by keyword, or by position: PageInfo(title, icon, teaches, path, seeds)) -> the
    field's name."""
    fields: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PageInfo":
            for at, name in ((3, "path"), (4, "seeds")):
                if len(node.args) > at:
                    fields[id(node.args[at])] = name
            for kw in node.keywords:
                if kw.arg in ("path", "seeds", "examples"):
                    fields[id(kw.value)] = kw.arg
    return fields


def shown_strings(rel: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of the file that a page may show: docstrings and
    the catalogue's path= and seeds= fields left out (a page link's file; the home page's
    "Lecture notes: …" line), its examples= without their trailing (seed 00N)."""
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), filename=rel)
    skip, fields = docstrings(tree), catalogue_fields(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skip or fields.get(id(node)) in ("path", "seeds"):
            continue
        text = node.value
        if fields.get(id(node)) == "examples":
            text = TRAILING_SEEDS.sub("", text)
        yield node.lineno, text


def swept_files() -> list[str]:
    files = sorted(
        p.relative_to(ROOT).as_posix()
        for p in [*(ROOT / "views").rglob("*.py"), *(ROOT / "ui").glob("*.py")]
    )
    return [f for f in files if not any(fnmatch(f, pat) for pat in LEFT_FOR_LATER + NOT_SHOWN)]


def offenders(pattern: re.Pattern, allowed: set[str]) -> list[str]:
    """ "file:line: 'text'" of each shown string that matches ``pattern`` and is not allowed."""
    return [
        f"{rel}:{line}: {text!r}"
        for rel in swept_files()
        for line, text in sorted(shown_strings(rel))
        if pattern.search(text) and text not in allowed
    ]


def test_pages_name_the_notes_not_their_seed_numbers():
    found = offenders(SEED, registry_keys())
    assert not found, (
        "Students do not know what 'seed 00N' means: name the notes (ui.notes.notes_name) and "
        "put the number in ui.notes.from_the_notes:\n" + "\n".join(found)
    )


def test_pages_show_no_module_or_script_paths():
    found = offenders(CODE_PATH, set())
    assert not found, "Say it in plain words, not as a code path:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path, monkeypatch):
    """The scan itself: a shown string is found, a docstring, a seeds= field and a trailing
    (seed 00N) in examples= are not (so the tests above can fail)."""
    src = tmp_path / "views" / "page.py"
    src.parent.mkdir()
    src.write_text(
        '"""Docstring: seed 000."""\n'
        "import streamlit as st\n"
        'def f():\n    """seed 001 in a docstring."""\n'
        '    st.markdown("Seed 002: the naive idea")\n'
        '    st.caption(f"see `cnnplay.scenes` ({1})")\n'
        '    st.caption("scored by cnnplay.cost.count, weights from scripts/train_unet.py")\n'
        'PageInfo("t", "i", "teaches", "views/x.py", "seeds 000, 001",\n'
        '         examples="the 6×6 example (seed 001), the 9×9 X (seed 003)")\n'
        'PageInfo("t", "i", "teaches", examples="seed 004\'s kernel")\n',
        encoding="utf-8",
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert offenders(SEED, set()) == [
        "views/page.py:5: 'Seed 002: the naive idea'",
        'views/page.py:10: "seed 004\'s kernel"',
    ]
    assert offenders(CODE_PATH, set()) == [
        "views/page.py:6: 'see `cnnplay.scenes` ('",
        "views/page.py:7: 'scored by cnnplay.cost.count, weights from scripts/train_unet.py'",
    ]


@pytest.mark.parametrize("key", sorted(k for k in registry_keys() if SEED.search(k)))
def test_preset_names_are_shown_by_topic(key):
    shown = option_label(key)
    assert not SEED.search(shown), shown
    number = SEED.search(key).group(0)[-3:]
    assert notes_name(number) in shown


def test_option_label_forms():
    assert option_label("Seed 000: 6×6 with a + and an X") == (
        "6×6 with a + and an X (from the CNN applications notes)"
    )
    assert option_label("Seed 004 kernel (3×3)") == (
        "kernel (3×3), from the Siena vision & NLP slides"
    )
    assert option_label("Kim CNN: 1-max pooling (seed 002)") == (
        "Kim CNN: 1-max pooling (from the NTHU CNN slides)"
    )
    assert option_label("VGG-16, blocks 1–3") == "VGG-16, blocks 1–3"
    assert option_label("Seed 009: none such") == "Seed 009: none such"  # no such notes


def test_from_the_notes_line():
    assert from_the_notes_text(("002", "Supporting Color Images"), "004") == (
        "From the notes: seed 002, “Supporting Color Images”; seed 004."
    )
    assert from_the_notes_text(("000", "A", "B")) == "From the notes: seed 000, “A”, “B”."
    tip = from_the_notes_help(("002", "X"), "002", "004")
    assert tip.count("seed 002") == 1 and NOTES["004"].file in tip
    with pytest.raises(ValueError):
        from_the_notes_text("007")
    with pytest.raises(ValueError):
        from_the_notes_text()


def test_every_notes_file_exists_and_has_one_name():
    seeds_dir = ROOT.parent / "shared" / "seeds"
    names = [n.name for n in NOTES.values()]
    assert len(set(names)) == len(names) == 5
    assert all(n.file.startswith(n.seed + "_") for n in NOTES.values())
    if seeds_dir.is_dir():  # the notes live beside DESIGN.md, outside the repository
        assert sorted(p.name for p in seeds_dir.glob("*.txt")) == sorted(
            n.file for n in NOTES.values()
        )
