"""Predict, then reveal: questions about a result, generated from a page's current settings.

A page asks the student to predict what it is about to show (an output size, a feature-map cell,
the winner of a max-pool window, a receptive field, a parameter count, whether NMS keeps a box),
checks the answer, and then explains it with the same worked step the page shows. Every answer
here is computed by the cnnplay function the page itself uses, so the quiz can never disagree
with the page:

=============================  ==============================================================
generator                      answer computed with
=============================  ==============================================================
:func:`output_size_question`   ``cnnplay.ops.conv.conv_output_size``
:func:`feature_cell_question`  ``cnnplay.ops.conv.conv2d_naive`` (+ the page's activation)
:func:`pool_winner_question`   ``cnnplay.ops.pool.pool2d_naive(..., return_indices=True)``
:func:`receptive_field_question`  ``cnnplay.receptive.stack_table``
:func:`param_count_question`   ``cnnplay.cost.count`` (through ``count_stack``)
:func:`model_param_question`   ``cnnplay.cost.count``
:func:`nms_keep_question`      ``cnnplay.ops.boxes.nms`` (``batched_nms`` per class)
:func:`normalised_pixel_question`  the page's own normalised input tensor
:func:`head_params_question`   D · K + K, the page's own feature length D and class count K
:func:`neighbours_question`    the page's own nearest-neighbour counts
=============================  ==============================================================

Where the settings leave a choice (which cell, which layer, which box), a ``random.Random``
makes it, so each student (each session's seed) gets different numbers and the same seed always
the same question. Answers never depend on tie-breaking: tied max-pool cells all count, and an
NMS box whose fate depends on how equal scores are ordered is never asked about.

Numbers are read leniently (:func:`parse_number`: ``"16"``, ``" 16.0 "``, ``"1,024"``,
``"−3"``); text that is not a number gets a message (:func:`unreadable`), never an exception.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from cnnplay import cost, receptive
from cnnplay.ops.activations import ACTIVATIONS
from cnnplay.ops.boxes import batched_nms, box_iou, nms, nms_trace
from cnnplay.ops.conv import conv2d_naive, conv_geometry, conv_output_size, conv_step
from cnnplay.ops.pool import pool2d_naive, pool_geometry
from cnnplay.plots.style import fmt

DECIMALS_TOLERANCE = 0.01  # a non-integer answer counts within this (stated in the prompt)
MAX_CHOICES = 16  # a max-pool window with more cells than this is answered by typing the cell
TIE_NOTE = "If several cells share the max, any of the tied cells counts."


@dataclass(frozen=True)
class Question:
    """One thing to predict, its answer and the worked step that gives it."""

    prompt: str  # markdown: what to predict, with the numbers needed (and the tolerance if > 0)
    answer: int | float | str  # a number, one of ``choices``, or a cell written "(row, col)"
    tolerance: float = 0.0  # absolute, for numbers; 0 = exact (stated in the prompt when > 0)
    choices: tuple[str, ...] | None = None  # multiple choice when given (answer is one of them)
    explanation: str = ""  # markdown: the worked step, e.g. "⌊(32 + 2 − 2 − 1)/2⌋ + 1 = 16"
    unit: str = ""  # what the number counts ("cells", "pixels", "parameters"); "" for none
    also: tuple[str, ...] = ()  # further answers that count as right (tied cells of a max)
    focus: tuple[int, ...] = ()  # what was asked about (a cell, a layer, a box and its NMS
    # step), so a page can point its own step-through at it on the reveal

    @property
    def numeric(self) -> bool:
        """Whether the answer is a number (typed), not a choice or a cell."""
        return not isinstance(self.answer, str)


def question_id(q: Question) -> str:
    """A short hash of everything that defines the question: new numbers, new id."""
    text = repr((q.prompt, q.answer, q.tolerance, q.choices, q.unit, q.also))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


# ------------------------------------------------------------------------- reading answers

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,024 or 12,345.5
_CELL = re.compile(r"-?\d+")


def parse_number(text: object) -> float | None:
    """A finite number from what a student typed, or None.

    Accepts surrounding spaces, a unicode minus (−), thousands separators ("1,024", "1 024",
    "1_024"), a decimal comma ("0,5"), and plain ints and floats ("16", "16.0", "1e3").
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip().replace("\u2212", "-").replace("\u2009", "").replace("\u202f", "")
    s = re.sub(r"(?<=\d)[ _](?=\d{3}\b)", "", s)  # 1 024, 1_024
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    elif s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")  # a decimal comma
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _norm(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def cell_text(row: int, col: int) -> str:
    """How a cell is written in questions and answers: ``"(2, 3)"``."""
    return f"({row}, {col})"


def _is_cell(answer: object) -> bool:
    return isinstance(answer, str) and re.fullmatch(r"\(-?\d+, -?\d+\)", answer) is not None


def parse_cell(text: object) -> str | None:
    """ "2, 3", "(2,3)", "row 2 column 3" -> "(2, 3)"; None unless exactly two whole numbers."""
    numbers = _CELL.findall(str(text or ""))
    return cell_text(int(numbers[0]), int(numbers[1])) if len(numbers) == 2 else None


def unreadable(q: Question, given: object) -> str | None:
    """Why ``given`` cannot be checked (a sentence for the student), or None when it can."""
    if given is None or (isinstance(given, str) and not given.strip()):
        return "Type or choose an answer first (or reveal it without answering)."
    if q.choices is not None:
        if _norm(given) not in {_norm(c) for c in q.choices}:
            return f"Choose one of: {', '.join(q.choices)}."
        return None
    if _is_cell(q.answer):
        if parse_cell(given) is None:
            return f"“{given}” is not a cell: type its row and column, e.g. 2, 3."
        return None
    if parse_number(_strip_unit(q, given)) is None:
        return f"“{given}” is not a number: type digits, e.g. 16, 0.25 or 1,024."
    return None


def _strip_unit(q: Question, given: object) -> object:
    """ "16 cells" -> "16" when the question counts cells."""
    if isinstance(given, str) and q.unit and given.strip().casefold().endswith(q.unit.casefold()):
        return given.strip()[: -len(q.unit)]
    return given


def check(q: Question, given: object) -> bool:
    """Whether ``given`` (what the student typed or chose) answers ``q``; False for anything
    unreadable (never raises). Numbers: within ``q.tolerance`` (exact when 0, up to float
    rounding); choices: the same text, case and spaces aside; cells: the same row and column,
    any of ``q.also`` counting too."""
    if unreadable(q, given) is not None:
        return False
    right = (q.answer, *q.also)
    if q.choices is not None:
        return _norm(given) in {_norm(a) for a in right}
    if _is_cell(q.answer):
        return parse_cell(given) in right
    value = parse_number(_strip_unit(q, given))
    assert value is not None  # unreadable() said it parses
    slack = q.tolerance + 1e-9 * max(1.0, abs(float(q.answer)))
    return any(abs(value - float(a)) <= slack for a in right if not isinstance(a, str))


def answer_text(q: Question) -> str:
    """The answer as a student reads it: thousands separators, the tolerance, the tied cells."""
    if isinstance(q.answer, str):
        return q.answer + (" (or " + ", ".join(q.also) + ": they tie)" if q.also else "")
    value = float(q.answer)
    text = f"{int(value):,}" if value.is_integer() else fmt(value)
    if q.tolerance > 0:
        text += f" (± {fmt(q.tolerance)})"
    return text + (f" {q.unit}" if q.unit else "")


def _tolerance_note(tolerance: float) -> str:
    return f" Answers within **± {fmt(tolerance)}** count." if tolerance > 0 else ""


def _rng(rng: random.Random | None) -> random.Random:
    return rng if rng is not None else random.Random(0)


# ------------------------------------------------------------------------- the generators


def output_size_question(
    n: int, k: int, s: int = 1, p: int = 0, d: int = 1, name: str = "n'"
) -> Question | None:
    """How many output cells along one axis for input n, kernel k, stride s, padding p,
    dilation d (all ints). None when the kernel does not fit (the page explains that case)."""
    out = conv_output_size(n, k, s, p, d)
    if out < 1:
        return None
    top = n + 2 * p - d * (k - 1) - 1
    return Question(
        prompt=(
            f"**Predict the output size.** An input of **n = {n}** cells, a kernel of "
            f"**k = {k}**, stride **s = {s}**, padding **p = {p}** (each side), dilation "
            f"**d = {d}**: how many output cells ({name}) along this axis?"
        ),
        answer=out,
        explanation=(
            f"{name} = ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊({n} + 2·{p} − {d}·({k}−1) − 1) / "
            f"{s}⌋ + 1 = ⌊{top} / {s}⌋ + 1 = **{out}**. The dilated kernel spans "
            f"d(k−1) + 1 = {d * (k - 1) + 1} cells of the padded input ({n + 2 * p} cells); "
            f"it fits at {out} places, {s} cell(s) apart."
        ),
        unit="cells",
    )


def _product_terms(window: np.ndarray, kernel: np.ndarray) -> str:
    return " + ".join(
        f"({fmt(a)})({fmt(b)})" for a, b in zip(window.ravel(), kernel.ravel(), strict=True)
    )


def feature_cell_question(
    x: np.ndarray,
    w: np.ndarray,
    bias: float = 0.0,
    padding: int | str = 0,
    stride: int = 1,
    dilation: int = 1,
    flip: bool = False,
    activation: str = "none",
    cell: tuple[int, int] | None = None,
    rng: random.Random | None = None,
    name: str = "the feature map",
) -> Question:
    """The value of one cell F[i, j] of the feature map of kernel ``w`` on ``x``.

    x: (H, W) or (C, H, W) floats; w: (k, k) or (C, k, k) (one slice per channel); bias, padding
    ("valid", "same" or cells), stride, dilation and flip as in ``conv2d_naive``; activation: a
    key of ``cnnplay.ops.activations.ACTIVATIONS``. ``cell`` (row, col) of the feature map, or
    chosen by ``rng``. Exact when every input, weight and the bias are whole numbers and so is
    the answer; otherwise within ± DECIMALS_TOLERANCE (stated).
    """
    settings = dict(stride=stride, padding=padding, dilation=dilation, flip=flip)
    fmap = ACTIVATIONS[activation](conv2d_naive(x, w, bias=bias, **settings))  # (H', W')
    if cell is None:
        r = _rng(rng)
        cell = (r.randrange(fmap.shape[0]), r.randrange(fmap.shape[1]))
    i, j = cell
    value = float(fmap[i, j])
    step = conv_step(x, w, i, j, bias=bias, **settings)  # the page's step-through of that cell
    geo = conv_geometry(np.shape(x)[-2:], np.shape(w)[-2:], stride, padding, dilation)
    whole = all(
        np.allclose(a, np.round(a)) for a in (np.asarray(x), np.asarray(w), np.asarray(bias))
    )
    exact = whole and value.is_integer()
    tolerance = 0.0 if exact else DECIMALS_TOLERANCE
    rows, cols = step.rows, step.cols
    f = "" if activation == "none" else f", activation f = {activation}"
    how = " The kernel is turned by 180° first (true convolution)." if flip else ""
    partial = " + ".join(f"({fmt(v)})" for v in step.products.sum(axis=(1, 2)))
    channels = step.window.shape[0]
    per_channel = f" = {partial} (one sum per channel)" if channels > 1 else ""
    f_of = f"f({fmt(step.total)}) = " if activation != "none" else ""
    return Question(
        prompt=(
            f"**Predict a feature-map cell.** What is **F[{i}, {j}]** (row {i}, column {j}) "
            f"of {name}? Bias b = {fmt(bias)}{f}.{how} Its window covers rows "
            f"{rows[0]}–{rows[-1]} and columns {cols[0]}–{cols[-1]} of the input"
            + (", counted on the zero-padded input." if any(geo.pads) else ".")
            + _tolerance_note(tolerance)
        ),
        answer=int(value) if exact else round(value, 6),
        tolerance=tolerance,
        explanation=(
            f"Multiply the window by the kernel cell by cell and add, then the bias: "
            f"{_product_terms(step.window, step.kernel)}{per_channel} = "
            f"{fmt(step.total - step.bias)}; plus b = {fmt(bias)} gives {fmt(step.total)}; "
            f"F[{i}, {j}] = {f_of}**{fmt(value)}**. The step-through below shows the same sum."
        ),
        focus=(i, j),
    )


def pool_winner_question(
    x: np.ndarray,
    size: int,
    stride: int | None = None,
    cell: tuple[int, int, int] | None = None,
    rng: random.Random | None = None,
) -> Question:
    """Which input cell wins the max-pool window of one output cell.

    x: (H, W) or (C, H, W); size, stride as in ``pool2d_naive``. ``cell`` (channel, row, col)
    of the pooled map, or chosen by ``rng``. Every cell tied for the max counts as right.
    """
    x3 = np.asarray(x, np.float64)
    x3 = x3[None] if x3.ndim == 2 else x3  # (C, H, W)
    y, idx = pool2d_naive(x3, size, stride, mode="max", return_indices=True)  # (C, H', W')
    geo = pool_geometry(x3.shape[1:], size, stride)
    if cell is None:
        r = _rng(rng)
        cell = (r.randrange(y.shape[0]), r.randrange(y.shape[1]), r.randrange(y.shape[2]))
    c, i, j = cell
    rows, cols = geo.window(i, j)
    window = x3[c, rows.start : rows.stop, cols.start : cols.stop]  # (k, k)
    best = window.max()
    tied = [cell_text(r0, c0) for r0 in rows for c0 in cols if x3[c, r0, c0] == best]
    winner = cell_text(*divmod(int(idx[c, i, j]), x3.shape[2]))
    cells = tuple(cell_text(r0, c0) for r0 in rows for c0 in cols)
    where = f" of channel {c + 1}" if x3.shape[0] > 1 else ""
    values = "; ".join(", ".join(fmt(v) for v in row) for row in window)
    ties = (
        f" **{len(tied)} cells tie** at {fmt(best)}: {', '.join(tied)}; any of the tied cells "
        "counts (which one a library reports is only its tie-breaking rule)."
        if len(tied) > 1
        else ""
    )
    return Question(
        prompt=(
            f"**Predict the winner.** Max pooling, a {size}×{size} window, stride "
            f"{stride or size}: output cell **({i}, {j})**{where} reads input rows "
            f"{rows[0]}–{rows[-1]} and columns {cols[0]}–{cols[-1]}. Which input cell wins "
            f"(holds the max)? Answer as (row, column). {TIE_NOTE}"
        ),
        answer=winner,
        choices=cells if len(cells) <= MAX_CHOICES else None,
        also=tuple(t for t in tied if t != winner),
        explanation=(
            f"The window's values, row by row: {values}. The largest is **{fmt(best)}**, at "
            f"input cell **{winner}**; max pooling keeps {fmt(best)} as output "
            f"({i}, {j}) and forgets the others.{ties}"
        ),
        focus=(c, i, j),
    )


def receptive_field_question(
    layers: Sequence[receptive.LayerSpec],
    input_size: int,
    layer: int | None = None,
    rng: random.Random | None = None,
) -> Question | None:
    """The receptive field (input pixels, one side) of a unit after ``layer`` (1-based) of the
    stack; by default the rng picks one of layers 2 … L (a one-layer stack: layer 1). None for
    an empty stack. Raises ``receptive.LayerError`` for a stack that runs out of pixels."""
    if not layers:
        return None
    rows = receptive.stack_table(layers, input_size)
    if layer is None:
        layer = _rng(rng).randrange(2, len(layers) + 1) if len(layers) > 1 else 1
    row = rows[layer]
    chain = []
    for r in rows[1 : layer + 1]:
        prev = r.prev
        chain.append(
            f"{r.layer}: r = {prev.size} + ({r.kernel}−1)·{r.dilation}·{prev.jump} = {r.size}, "
            f"j = {prev.jump}·{r.stride} = {r.jump}"
        )
    names = ", ".join(r.layer for r in rows[1 : layer + 1])
    return Question(
        prompt=(
            f"**Predict the receptive field.** The stack so far: {names}. How many input "
            f"pixels wide (one side) is the receptive field of one unit after layer {layer}?"
        ),
        answer=row.size,
        explanation=(
            "Start from the input: r₀ = 1, j₀ = 1. Each layer adds (k − 1)·d·j of the layer "
            "below (the jump j: input pixels between neighbouring units), and strides multiply "
            "the jump: " + "; ".join(chain) + f". One unit sees **{row.size}×{row.size}** input "
            "pixels. The table below shows every row."
        ),
        unit="pixels",
        focus=(layer,),
    )


def _spec_text(spec: cost.LayerSpec) -> str:
    if spec.kind == "conv":
        pad = "same padding" if spec.same else "no padding"
        return (
            f"conv, {spec.size} filters of {spec.kernel}×{spec.kernel}, stride {spec.stride}, {pad}"
        )
    if spec.kind == "pool":
        return f"max pool {spec.kernel}×{spec.kernel}, stride {spec.stride}"
    if spec.kind == "dense":
        return f"dense, {spec.size} units"
    return spec.kind


def param_count_question(
    specs: Sequence[cost.LayerSpec],
    channels: int,
    side: int,
    layer: int | None = None,
    rng: random.Random | None = None,
) -> Question | None:
    """The parameters (weights + biases) of one layer of a layer list on a (channels, side,
    side) input; ``layer`` 0-based, or chosen by the rng among the layers that have parameters.
    None when no layer has any. Raises ValueError for a list that cannot be built."""
    report = cost.count_stack(specs, channels, side)  # cost.count of the built stack
    rows = report.rows
    with_params = [n for n, r in enumerate(rows) if r.params > 0]
    if layer is None:
        if not with_params:
            return None
        layer = _rng(rng).choice(with_params)
    spec, row = specs[layer], rows[layer]
    before = rows[layer - 1].output_shape if layer else (channels, side, side)
    weights = row.params - row.biases
    if spec.kind == "conv":
        how = (
            f"K×K×C_in×filters + filters = {spec.kernel}×{spec.kernel}×{before[0]}×{spec.size}"
            f" + {spec.size} = {weights:,} weights + {row.biases:,} biases (one per filter)"
        )
    elif spec.kind == "dense":
        how = (
            f"inputs × units + units = {before[0]:,}×{spec.size} + {spec.size} = "
            f"{weights:,} weights + {row.biases:,} biases"
        )
    else:
        how = "nothing: pooling and flattening have no weights to learn"
    return Question(
        prompt=(
            f"**Predict the parameter count.** Layer {layer + 1} of this list "
            f"({_spec_text(spec)}) gets an input of {' × '.join(map(str, before))}. How many "
            "parameters (weights + biases) does it have?"
        ),
        answer=row.params,
        explanation=f"Layer {layer + 1}: {how} = **{row.params:,}** parameters.",
        unit="parameters",
        focus=(layer,),
    )


def _module_text(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return f"conv {kh}×{kw}, {module.in_channels} → {module.out_channels} channels"
    if isinstance(module, nn.Linear):
        return f"dense {module.in_features:,} → {module.out_features:,}"
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        return f"{'max' if isinstance(module, nn.MaxPool2d) else 'average'} pool {k}×{k}"
    if isinstance(module, nn.Flatten):
        return "flatten"
    return type(module).__name__


def _module_sum(module: nn.Module, params: int) -> str:
    bias = 0 if getattr(module, "bias", None) is None else module.bias.numel()
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        cin = module.in_channels // module.groups
        return f"{kh}·{kw}·{cin}·{module.out_channels} + {bias} = {params:,}"
    if isinstance(module, nn.Linear):
        return f"{module.in_features:,}·{module.out_features:,} + {bias} = {params:,}"
    return f"{params:,}"


def model_param_question(label: str, model: nn.Module, input_shape: tuple[int, ...]) -> Question:
    """How many parameters a whole network has (``cost.count(model, input_shape).params``);
    the prompt lists its layers with their output shapes. ``model`` is never changed."""
    report = cost.count(model, input_shape)
    modules = dict(model.named_modules())
    shown, sums = [], []
    for r in report.rows:
        module = modules.get(r.name)
        if module is None or not (r.params or "Pool" in r.kind or r.kind == "Flatten"):
            continue
        shape = "×".join(map(str, r.output_shape))
        shown.append(f"{_module_text(module)} (→ {shape})")
        if r.params:
            sums.append(f"{_module_text(module)}: {_module_sum(module, r.params)}")
    shape = " × ".join(map(str, input_shape[1:]))
    return Question(
        prompt=(
            f"**Predict the parameter count.** The {label}, on {shape} inputs: "
            + "; ".join(shown)
            + ". How many parameters (weights + biases) does it have in all?"
        ),
        answer=report.params,
        explanation=(
            "A convolution has k·k·C_in·C_out weights and one bias per output channel, "
            "whatever the image size; a dense layer inputs·outputs weights and one bias per "
            "output; pooling, flattening, ReLU and dropout have none. "
            + "; ".join(sums)
            + f". In all: **{report.params:,}**."
        ),
        unit="parameters",
    )


def _nms_keep(boxes: np.ndarray, scores: np.ndarray, thr: float, labels) -> set[int]:
    if labels is None:
        return set(nms(boxes, scores, thr).tolist())
    return set(batched_nms(boxes, scores, labels, thr).tolist())


def _settled(scores: np.ndarray, suppresses: np.ndarray) -> list[int]:
    """Boxes whose NMS fate does not depend on how equal scores are ordered.

    suppresses: (N, N) bool, True where either box of the pair would discard the other
    (IoU above the threshold, same class when per class). A box is kept unless a kept box that
    ranks above it suppresses it, so only the order of suppressing pairs matters: a box is
    settled unless its group of boxes linked by suppressing pairs holds a pair of equal scores.
    """
    n = len(scores)
    group = list(range(n))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    pairs = [(int(a), int(b)) for a, b in zip(*np.nonzero(np.triu(suppresses, 1)), strict=True)]
    for a, b in pairs:
        group[root(a)] = root(b)
    tied = {root(a) for a, b in pairs if scores[a] == scores[b]}
    return [i for i in range(n) if root(i) not in tied]


def nms_keep_question(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    index: int | None = None,
    labels: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    rng: random.Random | None = None,
) -> Question | None:
    """Whether non-maximum suppression keeps box ``index``.

    boxes: (N, 4) xyxy; scores: (N,); labels: (N,) for per-class NMS (a box only suppresses
    boxes of its own label), None for class-agnostic; names: how the page labels each box
    (e.g. "circle 0.72"). Without ``index`` the rng picks a box, preferring one that a
    higher-scoring box overlaps. A box whose fate depends on how equal scores are ordered is
    never picked (ValueError when asked for by ``index``); None when no box is left to ask.
    ``focus`` is (index, NMS step at which it is kept or discarded, 1-based).
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    lab = None if labels is None else np.asarray(labels).reshape(-1)
    n = len(boxes)
    if n == 0:
        return None
    kept = _nms_keep(boxes, scores, iou_threshold, lab)
    iou = box_iou(boxes, boxes)  # (N, N)
    same = np.ones((n, n), bool) if lab is None else lab[:, None] == lab[None, :]  # (N, N)
    settled = _settled(scores, (iou > iou_threshold) & same)

    def rivals(i: int) -> list[int]:
        """Higher-scoring boxes (of its class, per class) that overlap box i, by falling IoU."""
        found = [r for r in range(n) if r != i and scores[r] > scores[i] and same[i, r]]
        return sorted((r for r in found if iou[i, r] > 0), key=lambda r: -iou[i, r])

    if index is None:
        if not settled:
            return None
        contested = [i for i in settled if rivals(i)]
        index = _rng(rng).choice(contested or settled)
    elif index not in settled:
        raise ValueError(f"whether box {index} is kept depends on how equal scores are ordered")
    label = [f"box {i}" + (f" ({names[i]})" if names is not None else "") for i in range(n)]
    trace = nms_trace(boxes, scores, iou_threshold, lab)
    step_of = {}
    for s, event in enumerate(trace.steps, start=1):
        step_of[event.kept] = (s, None, None)
        for b, v in zip(event.suppressed.tolist(), event.suppressed_iou.tolist(), strict=True):
            step_of[b] = (s, event.kept, v)
    step, by, by_iou = step_of[index]
    thr = f"{iou_threshold:g}"
    rule = (
        "per class: a box only suppresses boxes of its own class"
        if lab is not None
        else "class-agnostic: any box can suppress any other"
    )
    over = rivals(index)
    in_class = " of its class" if lab is not None else ""
    listed = (
        f"Boxes{in_class} that score higher and overlap it: "
        + "; ".join(f"{label[r]}, IoU {iou[index, r]:.2f}" for r in over)
        + "."
        if over
        else f"No box{in_class} that scores higher overlaps it."
    )
    if by is not None:
        why = (
            f"It is **discarded** at step {step}: {label[by]}, kept at that step, overlaps it "
            f"with IoU {by_iou:.2f} > {thr}."
        )
    else:
        strong = [r for r in over if iou[index, r] > iou_threshold]
        spared = [
            f"B{label[r][1:]} (IoU {iou[index, r]:.2f}) was itself discarded at step "
            f"{step_of[r][0]}, so it suppresses nothing"
            for r in strong
        ]
        why = (
            f"It is **kept** at step {step}: no box kept before it overlaps it by more than "
            f"IoU {thr}." + (" " + "; ".join(spared) + "." if spared else "")
        )
    return Question(
        prompt=(
            f"**Predict NMS.** Non-maximum suppression at IoU threshold **{thr}** ({rule}): "
            f"is **{label[index]}** kept or discarded? {listed}"
        ),
        answer="kept" if index in kept else "discarded",
        choices=("kept", "discarded"),
        explanation=(
            why + " NMS repeats: keep the highest-scoring box left, discard every remaining "
            f"box whose IoU with it is above {thr}. The step-through below is at that step."
        ),
        focus=(index, step),
    )


def normalised_pixel_question(
    cropped: np.ndarray,
    x: np.ndarray,
    mean: Sequence[float],
    std: Sequence[float],
    rng: random.Random | None = None,
) -> Question:
    """What one colour value of the photo becomes in the network's input: (v / 255 − mean) /
    std. cropped: (S, S, 3) uint8, the crop the network sees; x: (3, S, S) the page's own
    normalised tensor, which gives the answer. The pixel and channel are drawn with ``rng``."""
    r = _rng(rng)
    side = cropped.shape[0]
    i, j, c = r.randrange(side), r.randrange(cropped.shape[1]), r.randrange(3)
    v = int(cropped[i, j, c])
    answer = float(x[c, i, j])
    name = ("red", "green", "blue")[c]
    m, s = float(mean[c]), float(std[c])
    return Question(
        prompt=(
            f"**Predict the network's input.** The pixel at row {i}, column {j} of the "
            f"{side}×{side} crop has {name} value **{v}** (of 0…255). The {name} channel is "
            f"normalised with mean {m:g} and std {s:g}. What number does the network get? "
            f"(within ±{DECIMALS_TOLERANCE:g})"
        ),
        answer=round(answer, 4),
        tolerance=DECIMALS_TOLERANCE,
        explanation=(
            f"Scale to 0…1, subtract the mean, divide by the std: ({v} / 255 − {m:g}) / {s:g} "
            f"= ({v / 255:.4f} − {m:g}) / {s:g} = **{answer:.4f}**. Values sit around 0 with "
            "a spread of about 1, the scale the network was trained on."
        ),
        focus=(i, j, c),
    )


def head_params_question(
    last_shape: Sequence[int], dim: int, classes: int, network: str
) -> Question:
    """How many parameters the new classification head of transfer learning has: the last maps
    (C, h, w) become a vector of ``dim`` numbers (global average pooling: dim = C; VGG and
    MobileNetV3 keep dense layers of their own after it), and a dense layer maps it to
    ``classes`` scores: dim · classes weights + classes biases."""
    c, h, w = (int(v) for v in last_shape)
    if classes < 2:
        raise ValueError("a classifier needs at least two classes")
    params = dim * classes + classes
    pooled = dim == c
    vector = (
        "global average pooling turns them into one vector"
        if pooled
        else f"after pooling, its own dense layers end in a vector of **{dim}** numbers"
    )
    why = (
        f"Average pooling keeps one number per map: a vector of **{c}** (the {h}×{w} "
        "positions are averaged away, so the image size does not matter). "
        if pooled
        else f"The new layer reads the {dim}-number vector. "
    )
    return Question(
        prompt=(
            f"**Predict the parameter count.** {network}'s last feature maps are {c}×{h}×{w}; "
            f"{vector}, and a new dense layer maps it to your **{classes}** classes. How many "
            "parameters (weights + biases) does that new layer have?"
        ),
        answer=params,
        explanation=(
            why + f"A dense layer from {dim} inputs to {classes} outputs has {dim} × {classes} "
            f"weights + {classes} biases = **{params:,}**: all that the frozen-base strategy "
            "trains."
        ),
        unit="parameters",
    )


NEIGHBOUR_CHOICES = ("features", "pixels", "the same number")


def neighbours_question(counts: dict[str, int], k: int, query_class: str) -> Question:
    """Which search finds more images of the query's class among its k nearest: by the
    network's features, by raw pixels, or the same number. counts: {"features": n, "pixels":
    m}, what the page's own search found."""
    f, p = int(counts["features"]), int(counts["pixels"])
    answer = (
        NEIGHBOUR_CHOICES[0] if f > p else NEIGHBOUR_CHOICES[1] if p > f else NEIGHBOUR_CHOICES[2]
    )
    return Question(
        prompt=(
            f"**Predict the search.** Among the **{k}** images nearest to the query (a "
            f"*{query_class}*), which search finds more of the same class: nearest by the "
            "network's features, or nearest by raw pixels?"
        ),
        answer=answer,
        choices=NEIGHBOUR_CHOICES,
        explanation=(
            f"By features **{f}** of {k} share the class, by pixels **{p}**. Pixels compare "
            "colours position by position, so an image of another class with a similar layout "
            "or background is close; the features of a deep layer describe what is in the "
            "image, wherever it sits."
        ),
    )
