"""What every code snippet shares: the :class:`Snippet` record and the writers of numbers,
arrays and argument lists as readable Python source.

A snippet is a short program a student can paste into a notebook: it imports only ``torch``,
``torchvision``, ``numpy`` and ``math`` (plus the modules of the PyPI packages it names in
:attr:`Snippet.needs`, e.g. timm for a pretrained network), builds what a page shows, and leaves its result in one
variable (:attr:`Snippet.result_name`). Arrays a page shows as grids go into the code as literal
nested lists, written so that Python reads back exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

LINE = 88  # longest line a snippet writes where it can choose
MAX_LITERAL = 1024  # arrays with more values than this are not written out as literals
ALLOWED_IMPORTS = ("torch", "torchvision", "numpy", "math")  # what a snippet may import


@dataclass(frozen=True)
class Snippet:
    """Runnable PyTorch code for what a page shows."""

    code: str  # the program, ending with a newline; imports only ALLOWED_IMPORTS
    result_name: str  # the variable the program leaves its result in, e.g. "y"
    file_name: str = "cnnplay_code.py"  # name offered when the code is downloaded
    shape_only: bool = False  # True: the input is a stand-in (e.g. a random "photo"), so the
    # result matches the page's in shape only, not in its numbers
    needs: tuple[str, ...] = ()  # PyPI packages beyond torch, torchvision and numpy that the
    # program imports (e.g. "timm" for the offline EfficientNet-Lite0), named on the panel
    files: tuple[tuple[str, bytes], ...] = ()  # (file name, content) the program reads from
    # its own folder (e.g. the photo the page's model sees), offered as downloads beside it


class SnippetError(ValueError):
    """Settings that make no runnable program (e.g. a non-finite number)."""


def number(value: float, dtype: str = "float64") -> str:
    """One number as Python source that reads back exactly: whole numbers without a decimal
    point ("-1", "3"), others as the shortest repr of their dtype ("0.1"; float32 values as
    float32's shortest repr, to be read back with ``dtype=torch.float32``)."""
    v = float(value)
    if not np.isfinite(v):
        raise SnippetError(f"{value!r} is not a finite number")
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if dtype == "float32":
        return str(np.float32(v))
    return repr(v)


def nested_list(a: np.ndarray, dtype: str = "float64", indent: int = 0) -> str:
    """An array as a nested list literal; the innermost rows on one line each, numbers right-
    aligned so that a grid reads as a grid."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a, dtype)
    cells = [number(v, dtype) for v in a.ravel()]
    width = max((len(c) for c in cells), default=1)
    return _nest(np.array(cells, dtype=object).reshape(a.shape), width, indent)


def _nest(cells: np.ndarray, width: int, indent: int) -> str:
    """Cells (strings) as a list literal whose first line starts where the caller puts it and
    whose closing bracket sits ``indent`` spaces in."""
    if cells.ndim == 1:
        line = "[" + ", ".join(c.rjust(width) for c in cells) + "]"
        room = LINE - 40 if indent == 0 else LINE - indent - 6  # top level: beside the name
        if len(line) <= room:
            return line
        per_line = max(1, (LINE - indent - 4) // (width + 2))  # a long row: several lines
        rows = [cells[i : i + per_line] for i in range(0, len(cells), per_line)]
        pad = " " * (indent + 4)
        body = "".join(pad + ", ".join(c.rjust(width) for c in row) + ",\n" for row in rows)
        return "[\n" + body + " " * indent + "]"
    pad = " " * (indent + 4)
    inner = ",\n".join(pad + _nest(sub, width, indent + 4) for sub in cells)
    return "[\n" + inner + ",\n" + " " * indent + "]"


def tensor_line(
    name: str, a: np.ndarray, dtype: str = "float64", comment: str = "", integer: bool = False
) -> str:
    """``name = torch.tensor([...], dtype=torch.<dtype>)  # comment`` (several lines for 2D+).

    float32 arrays are written with float32's shortest repr and read back as float32, then
    turned into float64 (``.double()``) when ``dtype`` is "float32→64": the same numbers as
    the page's float32 values, computed in float64 as the page does."""
    a = np.asarray(a)
    if a.size > MAX_LITERAL:
        raise SnippetError(f"{name} has {a.size} values: too many to write out")
    note = f"  # {comment}" if comment else ""
    if a.size == 0:  # nothing to write out: an empty tensor of the right shape
        kind = "int64" if integer else dtype.replace("float32→64", "float64")
        dims = ", ".join(str(n) for n in a.shape)
        return f"{name} = torch.zeros({dims}, dtype=torch.{kind}){note}\n"
    if integer:
        body = nested_list(a.astype(np.int64), "float64")
        tail = ")"
    elif dtype == "float32→64":
        body = nested_list(a, "float32")
        tail = ", dtype=torch.float32).double()"
    else:
        body = nested_list(a, dtype)
        tail = f", dtype=torch.{dtype})"
    if "\n" not in body:
        return f"{name} = torch.tensor({body}{tail}{note}\n"
    # the comment goes on the first line, where the reader starts
    first, rest = body.split("\n", 1)
    return f"{name} = torch.tensor({first}{note}\n{rest}{tail}\n"


def pair_source(value: int | Sequence[int]) -> str:
    """``2`` or ``(2, 2)`` -> "2"; ``(1, 2)`` -> "(1, 2)"."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    a, b = (int(v) for v in value)
    return str(a) if a == b else f"({a}, {b})"


def pair_of(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    a, b = (int(v) for v in value)
    return a, b


def shape_text(shape: Iterable[int]) -> str:
    """(1, 2, 4, 4) -> "(1, 2, 4, 4)"; (5,) -> "(5,)"."""
    return str(tuple(int(n) for n in shape))


def keyword_args(pairs: Iterable[tuple[str, str | None]]) -> str:
    """", stride=2, padding=1" from (name, source) pairs; pairs with source None are left out
    (the argument keeps torch's default)."""
    return "".join(f", {k}={v}" for k, v in pairs if v is not None)


def call_line(name: str, func: str, args: str, indent: str = "") -> str:
    """``name = func(args)`` on one line, or with the arguments on lines of their own (filled up
    to 88 characters) when it would be longer."""
    line = f"{indent}{name} = {func}({args})\n"
    if len(line) <= 89:
        return line
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(args):  # split at the commas outside brackets
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            pieces.append(args[start:i].strip())
            start = i + 1
    pieces.append(args[start:].strip())
    lines, current = [], ""
    for piece in pieces:
        candidate = f"{current} {piece}," if current else f"{piece},"
        if current and len(indent) + 4 + len(candidate) > 88:
            lines.append(current)
            candidate = f"{piece},"
        current = candidate
    lines.append(current)
    body = "".join(f"{indent}    {text}\n" for text in lines)
    return f"{indent}{name} = {func}(\n{body}{indent})\n"


def program(*parts: str) -> str:
    """Join parts (each a block of lines) with a blank line between them, two around top-level
    functions and classes (PEP 8); one final newline."""
    blocks = [p.strip("\n") + "\n" for p in parts if p.strip()]
    out = ""
    for n, block in enumerate(blocks):
        if n:
            defines = block.startswith(("def ", "class ")) or blocks[n - 1].startswith(
                ("def ", "class ")
            )
            out += "\n\n" if defines else "\n"
        out += block
    return out
