"""cnnplay.quiz: every generator against the cnnplay function its page shows and against cases
worked by hand; lenient reading of answers and garbage that never raises; tied max-pool cells all
count; the rng decides where the settings leave a choice (same seed, same question)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from torch import nn

from cnnplay import cost, receptive
from cnnplay.convnets.models import build
from cnnplay.models.pretrained import REGISTRY, preprocess
from cnnplay.ops.activations import ACTIVATIONS
from cnnplay.ops.boxes import batched_nms, nms
from cnnplay.ops.conv import conv2d_naive, conv_output_size
from cnnplay.ops.pool import pool2d_naive
from cnnplay.quiz import (
    DECIMALS_TOLERANCE,
    NEIGHBOUR_CHOICES,
    Question,
    answer_text,
    check,
    feature_cell_question,
    head_params_question,
    model_param_question,
    neighbours_question,
    nms_keep_question,
    normalised_pixel_question,
    output_size_question,
    param_count_question,
    parse_cell,
    parse_number,
    pool_winner_question,
    question_id,
    receptive_field_question,
    unreadable,
)

SEEDS = range(12)


def number(answer: float, tolerance: float = 0.0, unit: str = "") -> Question:
    return Question("p", answer, tolerance, None, "e", unit)


# ------------------------------------------------------------------------- reading answers


@pytest.mark.parametrize(
    "text, value",
    [
        ("16", 16.0),
        (" 16.0 ", 16.0),
        ("1,024", 1024.0),
        ("1,234,567", 1234567.0),
        ("1 024", 1024.0),
        ("1_024", 1024.0),
        ("−3", -3.0),
        ("-0.25", -0.25),
        ("0,5", 0.5),
        ("1e3", 1000.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_numbers_are_read_leniently(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "sixteen", "1,2,3", "nan", "inf", "--3", "16 16", None, True]
)
def test_garbage_is_not_a_number_and_never_raises(text):
    assert parse_number(text) is None
    q = number(16)
    assert check(q, text) is False
    message = unreadable(q, text)
    assert message and ("not a number" in message or "first" in message)


def test_exact_and_tolerant_numbers():
    q = number(16)
    assert check(q, "16") and check(q, " 16.0 ") and check(q, "16 cells".replace(" cells", ""))
    assert not check(q, "15") and not check(q, "16.01")
    assert check(number(1024), "1,024")
    assert check(number(0.1 + 0.2), "0.3")  # float rounding is not a wrong answer
    tol = number(0.6225, DECIMALS_TOLERANCE)
    assert check(tol, "0.62") and check(tol, "0.63") and not check(tol, "0.6")
    with_unit = number(16, unit="cells")
    assert check(with_unit, "16 cells") and unreadable(with_unit, "16 cells") is None


def test_choices_and_cells():
    q = Question("p", "kept", 0.0, ("kept", "discarded"), "e")
    assert check(q, "kept") and check(q, " Kept ") and not check(q, "discarded")
    assert "Choose one of" in unreadable(q, "maybe") and not check(q, "maybe")
    cell = Question("p", "(2, 3)", also=("(3, 3)",))
    for given in ("(2, 3)", "2,3", "2 3", "row 2, column 3", "(3, 3)"):
        assert check(cell, given), given
    assert not check(cell, "(3, 2)")
    assert "not a cell" in unreadable(cell, "two") and not check(cell, "two")
    assert parse_cell("1, 2, 3") is None and parse_cell("(4,5)") == "(4, 5)"


def test_answer_text_and_ids():
    assert answer_text(number(34826, unit="parameters")) == "34,826 parameters"
    assert answer_text(number(0.6225, 0.01)) == "0.62 (± 0.01)"
    assert answer_text(Question("p", "(0, 1)", also=("(1, 1)",))) == "(0, 1) (or (1, 1): they tie)"
    a, b = number(16), number(17)
    assert question_id(a) == question_id(number(16)) and question_id(a) != question_id(b)


# ------------------------------------------------------------------------- output size


def test_output_size_matches_the_formula_everywhere():
    for n in range(1, 13):
        for k in range(1, 6):
            for s in (1, 2, 3):
                for p in (0, 1, 2):
                    for d in (1, 2):
                        q = output_size_question(n, k, s, p, d)
                        out = conv_output_size(n, k, s, p, d)
                        if out < 1:
                            assert q is None
                        else:
                            assert q.answer == out and q.tolerance == 0
                            assert check(q, str(out)) and not check(q, str(out + 1))


def test_output_size_by_hand():
    q = output_size_question(32, 3, 2, 1, 1, name="H'")
    assert q.answer == 16  # ⌊(32 + 2 − 2 − 1)/2⌋ + 1
    assert "⌊(32 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊31 / 2⌋ + 1 = **16**" in q.explanation
    assert "n = 32" in q.prompt and "H'" in q.prompt
    assert output_size_question(5, 3, 1, 0, 3) is None  # a 7-cell kernel on 5 cells


# ------------------------------------------------------------------------- feature cell


def test_feature_cell_by_hand():
    x = np.array([[1.0, 2.0, 0.0], [3.0, 4.0, 1.0], [0.0, 1.0, 2.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    q = feature_cell_question(x, w, bias=1.0, cell=(0, 0))
    assert q.answer == 6 and q.tolerance == 0  # 1·1 + 4·1 + bias 1
    assert "(1)(1) + (2)(0) + (3)(0) + (4)(1)" in q.explanation and q.focus == (0, 0)
    relu = feature_cell_question(x, -w, bias=0.0, cell=(1, 1), activation="ReLU")
    assert relu.answer == 0  # max(0, −(4 + 2))
    turned = np.array([[1.0, 2.0], [0.0, 0.0]])
    flipped = feature_cell_question(x, turned, cell=(0, 0), flip=True)
    assert flipped.answer == 2 * 3 + 1 * 4  # the kernel turned by 180°: [[0, 0], [2, 1]]


def test_feature_cell_matches_conv2d_naive():
    rng = np.random.default_rng(0)
    for seed in SEEDS:
        channels = 1 + seed % 2
        x = rng.integers(-2, 3, (channels, 6, 5)).astype(float)
        w = rng.integers(-1, 2, (channels, 3, 3)).astype(float)
        bias = float(seed % 3 - 1)
        padding = ("valid", "same")[seed % 2]
        act = list(ACTIVATIONS)[seed % len(ACTIVATIONS)]
        flip = seed % 4 == 3
        q = feature_cell_question(
            x, w, bias, padding, flip=flip, activation=act, rng=random.Random(seed)
        )
        fmap = ACTIVATIONS[act](conv2d_naive(x, w, bias, padding=padding, flip=flip))
        i, j = q.focus
        assert q.answer == pytest.approx(fmap[i, j], abs=1e-6)
        assert check(q, str(fmap[i, j]))
        if act == "sigmoid":
            assert q.tolerance == DECIMALS_TOLERANCE and "± 0.01" in q.prompt
        else:
            assert q.tolerance == 0 and "±" not in q.prompt  # whole numbers: exact


def test_feature_cell_choice_follows_the_seed():
    x = np.arange(64.0).reshape(8, 8) % 5
    w = np.ones((3, 3))
    same = [feature_cell_question(x, w, rng=random.Random(7)) for _ in range(2)]
    assert same[0] == same[1]
    cells = {feature_cell_question(x, w, rng=random.Random(s)).focus for s in SEEDS}
    assert len(cells) > 3  # different students, different cells


# ------------------------------------------------------------------------- pooling


def test_pool_winner_by_hand_and_ties():
    x = np.array([[1.0, 5.0, 2.0, 2.0], [3.0, 0.0, 2.0, 1.0]])
    q = pool_winner_question(x, 2, 2, cell=(0, 0, 0))
    assert q.answer == "(0, 1)" and q.also == ()
    assert q.choices == ("(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)")
    assert check(q, "(0, 1)") and not check(q, "(1, 0)")
    tie = pool_winner_question(x, 2, 2, cell=(0, 0, 1))  # 2, 2 / 2, 1: three cells tie
    assert {tie.answer, *tie.also} == {"(0, 2)", "(0, 3)", "(1, 2)"}
    for cell in ("(0, 2)", "(0, 3)", "(1, 2)"):
        assert check(tie, cell)  # any of the tied cells counts, whatever the tie-break
    assert not check(tie, "(1, 3)")
    assert "any of the tied cells counts" in tie.prompt and "3 cells tie" in tie.explanation


def test_pool_winner_matches_pool2d_naive_and_large_windows_are_typed():
    rng = np.random.default_rng(1)
    for seed in SEEDS:
        x = rng.integers(0, 4, (2, 8, 8)).astype(float)  # many ties
        size, stride = 2 + seed % 3, 1 + seed % 2
        q = pool_winner_question(x, size, stride, rng=random.Random(seed))
        c, i, j = q.focus
        y, idx = pool2d_naive(x, size, stride, return_indices=True)
        assert q.answer == f"({idx[c, i, j] // 8}, {idx[c, i, j] % 8})"
        r0, c0 = i * stride, j * stride
        window = x[c, r0 : r0 + size, c0 : c0 + size]
        tied = {f"({r0 + a}, {c0 + b})" for a, b in zip(*np.nonzero(window == y[c, i, j]))}
        assert {q.answer, *q.also} == tied
    big = pool_winner_question(np.arange(25.0).reshape(5, 5), 5, cell=(0, 0, 0))
    assert big.choices is None and check(big, "4, 4")  # 25 cells: typed, not chosen


def test_pool_winner_choice_follows_the_seed():
    x = np.arange(64.0).reshape(8, 8)
    assert pool_winner_question(x, 2, rng=random.Random(3)) == pool_winner_question(
        x, 2, rng=random.Random(3)
    )
    assert len({pool_winner_question(x, 2, rng=random.Random(s)).focus for s in SEEDS}) > 3


# ------------------------------------------------------------------------- receptive field


def test_receptive_field_by_hand_and_against_stack_table():
    size, layers = receptive.PRESETS["Seed 000: 3×3 conv → 2×2 max pool"]
    q = receptive_field_question(layers, size, rng=random.Random(0))
    assert q.answer == 4 and q.focus == (2,)  # 3×3 conv then 2×2 pool: 4×4 (the notes' 16 px)
    assert "r = 3 + (2−1)·1·1 = 4" in q.explanation
    resnet = receptive.PRESETS["ResNet-18 stem + layer1 (main path)"][1]
    assert receptive_field_question(resnet, 224, layer=2).answer == 11  # 7, then 7 + 2·2
    for name, (side, stack) in receptive.PRESETS.items():
        rows = receptive.stack_table(stack, side)
        for layer in range(1, len(stack) + 1):
            assert receptive_field_question(stack, side, layer=layer).answer == rows[layer].size
    assert receptive_field_question([], 32) is None


def test_receptive_field_layer_follows_the_seed():
    side, stack = receptive.PRESETS["VGG-16, blocks 1–3"]
    layers = {receptive_field_question(stack, side, rng=random.Random(s)).focus for s in SEEDS}
    assert len(layers) > 3 and all(2 <= layer <= len(stack) for (layer,) in layers)
    again = [receptive_field_question(stack, side, rng=random.Random(5)) for _ in range(2)]
    assert again[0] == again[1]


# ------------------------------------------------------------------------- parameter counts


def test_layer_parameters_by_hand_and_against_count():
    specs, channels, side = cost.SEED002_EXERCISE, 3, 256
    first = param_count_question(specs, channels, side, layer=0)
    assert first.answer == 4 * 4 * 3 * 16 + 16 == 784 and "4×4×3×16 + 16" in first.explanation
    assert param_count_question(specs, channels, side, layer=5).answer == 8192 * 10 + 10
    assert param_count_question(specs, channels, side, layer=1).answer == 0  # a pool
    rows = cost.count_stack(specs, channels, side).rows
    asked = set()
    for s in SEEDS:
        q = param_count_question(specs, channels, side, rng=random.Random(s))
        assert q.answer == rows[q.focus[0]].params > 0  # only layers with parameters
        asked.add(q.focus)
    assert len(asked) > 1
    only_pool = [cost.LayerSpec("pool", 0, 2, 2)]
    assert param_count_question(only_pool, 1, 8, rng=random.Random(0)) is None


def test_network_parameters_by_hand_and_against_count():
    cnn = model_param_question("CNN", build("cnn"), (1, 1, 28, 28))
    assert cnn.answer == (9 * 32 + 32) + (9 * 32 * 64 + 64) + (1600 * 10 + 10) == 34_826
    assert "3·3·32·64 + 64 = 18,496" in cnn.explanation and check(cnn, "34,826")
    for name in ("mlp", "cnn", "fcn"):
        model = build(name, hidden=64)
        q = model_param_question(name, model, (1, 1, 28, 28))
        assert q.answer == cost.count(model, (1, 1, 28, 28)).params
    assert model_param_question("MLP", build("mlp", hidden=16), (1, 1, 28, 28)).answer == (
        784 * 16 + 16 + 16 * 10 + 10
    )


# ------------------------------------------------------------------------- NMS

BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [2, 2, 12, 12], [30, 30, 40, 40]], float)
SCORES = np.array([0.9, 0.8, 0.7, 0.6])


def test_nms_by_hand():
    answers = [nms_keep_question(BOXES, SCORES, 0.5, index=i).answer for i in range(4)]
    # box 1 overlaps box 0 (IoU 0.68) and goes; box 2 overlaps box 1 (0.68) but box 1 is gone,
    # and box 0 only by 0.47: kept
    assert answers == ["kept", "discarded", "kept", "kept"]
    q = nms_keep_question(BOXES, SCORES, 0.5, index=2)
    assert "Box 1 (IoU 0.68) was itself discarded at step 1" in q.explanation
    assert q.focus == (2, 2) and q.choices == ("kept", "discarded")
    assert nms_keep_question(BOXES, SCORES, 0.5, index=1).focus == (1, 1)  # gone at step 1
    assert nms_keep_question(BOXES, SCORES, 0.4, index=2).answer == "discarded"  # 0.47 > 0.4


def test_nms_per_class_and_against_nms():
    labels = np.array([1, 2, 1, 1])
    assert nms_keep_question(BOXES, SCORES, 0.5, index=1, labels=labels).answer == "kept"
    assert nms_keep_question(BOXES, SCORES, 0.5, index=2, labels=labels).answer == "kept"
    rng = np.random.default_rng(2)
    for seed in SEEDS:
        xy = rng.uniform(0, 40, (8, 2))
        boxes = np.hstack([xy, xy + rng.uniform(5, 20, (8, 2))])
        scores = rng.uniform(0, 1, 8)
        labels = rng.integers(1, 3, 8) if seed % 2 else None
        q = nms_keep_question(boxes, scores, 0.3, labels=labels, rng=random.Random(seed))
        if labels is None:
            kept = nms(boxes, scores, 0.3)
        else:
            kept = batched_nms(boxes, scores, labels, 0.3)
        index = q.focus[0]
        assert q.answer == ("kept" if index in kept else "discarded")


def test_nms_never_asks_about_a_box_whose_fate_hangs_on_a_tie():
    tied = np.array([0.9, 0.9, 0.7, 0.6])  # boxes 0 and 1 overlap with equal scores
    for i in (0, 1, 2):  # box 2's fate depends on which of 0 and 1 goes first
        with pytest.raises(ValueError, match="equal scores"):
            nms_keep_question(BOXES, tied, 0.5, index=i)
    for s in SEEDS:
        assert nms_keep_question(BOXES, tied, 0.5, rng=random.Random(s)).focus[0] == 3
    assert nms_keep_question(BOXES[:2], tied[:2], 0.5, rng=random.Random(0)) is None
    assert nms_keep_question(np.zeros((0, 4)), np.zeros(0), 0.5) is None


def test_nms_box_follows_the_seed_and_prefers_contested_boxes():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 60, (12, 2))
    boxes = np.hstack([xy, xy + 15])
    scores = rng.uniform(0, 1, 12)
    picks = [nms_keep_question(boxes, scores, 0.3, rng=random.Random(s)).focus[0] for s in SEEDS]
    assert len(set(picks)) > 2
    assert nms_keep_question(boxes, scores, 0.3, rng=random.Random(4)) == nms_keep_question(
        boxes, scores, 0.3, rng=random.Random(4)
    )
    for index in picks:  # a higher-scoring box overlaps each picked box
        assert "overlap it:" in nms_keep_question(boxes, scores, 0.3, index=index).prompt


def test_normalised_pixel_by_hand_and_against_the_pages_tensor():
    rng = np.random.default_rng(2)
    photo = rng.integers(0, 256, (300, 260, 3), dtype=np.uint8)
    for name in ("EfficientNet-Lite0 (offline)", "ResNet-18 (download 45 MB)"):
        spec = REGISTRY[name]
        prep = preprocess(photo, spec)
        x = prep.tensor.numpy()
        for seed in range(5):
            q = normalised_pixel_question(prep.cropped, x, spec.mean, spec.std, random.Random(seed))
            i, j, c = q.focus
            v = int(prep.cropped[i, j, c])
            by_hand = (v / 255 - spec.mean[c]) / spec.std[c]
            assert abs(q.answer - by_hand) < 1e-4 and f"**{v}**" in q.prompt
            assert check(q, f"{by_hand + 0.009:.4f}") and not check(q, f"{by_hand + 0.02:.4f}")
            assert "±0.01" in q.prompt
    picks = {
        normalised_pixel_question(prep.cropped, x, spec.mean, spec.std, random.Random(s)).focus
        for s in range(6)
    }
    assert len(picks) > 1  # the seed chooses the pixel: each student gets their own


def test_head_parameters_by_hand_and_against_a_linear_layer():
    q = head_params_question((1280, 7, 7), 1280, 5, "EfficientNet-Lite0")
    assert q.answer == 1280 * 5 + 5 == sum(p.numel() for p in nn.Linear(1280, 5).parameters())
    assert "global average pooling" in q.prompt and "**6,405**" in q.explanation
    vgg = head_params_question((512, 7, 7), 4096, 3, "VGG-16")  # dense layers after the maps
    assert vgg.answer == 4096 * 3 + 3 and "vector of **4096** numbers" in vgg.prompt
    assert check(vgg, "12,291") and not check(vgg, str(512 * 3 + 3))
    with pytest.raises(ValueError):
        head_params_question((8, 2, 2), 8, 1, "x")


@pytest.mark.parametrize(
    "features, pixels, answer",
    [(5, 2, "features"), (1, 4, "pixels"), (3, 3, "the same number")],
)
def test_neighbours_question_follows_the_counts(features, pixels, answer):
    q = neighbours_question({"features": features, "pixels": pixels}, 6, "cat")
    assert q.answer == answer and q.choices == NEIGHBOUR_CHOICES
    assert check(q, answer) and not check(q, next(c for c in q.choices if c != answer))
    assert f"**{features}** of 6" in q.explanation and f"pixels **{pixels}**" in q.explanation
