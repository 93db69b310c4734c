"""cnnplay.text.models: shapes, 1-max pooling against torch, padding invariance, the Keras
stack, the bag-of-words baseline, and training on the generated corpus (CNN beats BoW on word
order)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.text.corpus import KINDS, make_corpus, split
from cnnplay.text.models import (
    ARCHITECTURES,
    BagOfWords,
    KerasStack,
    KerasStackConfig,
    TextCNN,
    TextCNNConfig,
    accuracy_by_kind,
    build_model,
    predict_probs,
    train_text_model,
    valid_positions,
)
from cnnplay.text.vocab import PAD_ID, Vocabulary
from cnnplay.train import TrainConfig


def ids_batch(n: int = 4, length: int = 9, vocab: int = 30, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(2, vocab, (n, length), generator=g)


@pytest.mark.parametrize("widths", [(2,), (1, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("classes", [2, 5])
def test_text_cnn_shapes(widths, classes):
    model = TextCNN(TextCNNConfig(30, classes, embed_dim=8, widths=widths, filters=3)).eval()
    x = ids_batch()
    assert model(x).shape == (4, classes)
    maps = model.responses(x)
    assert [m.shape for m in maps] == [(4, 3, 9 - h + 1) for h in widths]
    values, positions = model.pool(x)
    assert values.shape == positions.shape == (4, 3 * len(widths))
    expected = [h for h in widths for _ in range(3)]
    assert [model.width_of(j) for j in range(3 * len(widths))] == expected


def test_responses_equal_the_conv1d_modules_in_float64():
    model = TextCNN(TextCNNConfig(30, embed_dim=5, widths=(1, 2, 4), filters=3)).double()
    x = ids_batch(3, 8)
    emb = model.embed(x)  # (N, d, L)
    for conv, got in zip(model.convs, model.responses(x), strict=True):
        torch.testing.assert_close(got, conv(emb))  # no padding in x: every window valid


def test_pooling_is_relu_of_torch_max_over_conv1d_in_float64():
    model = TextCNN(TextCNNConfig(30, embed_dim=6, widths=(2, 3), filters=4)).double().eval()
    x = ids_batch()
    emb = model.embedding(x).transpose(1, 2)  # (N, d, L)
    values, positions = model.pool(x)
    expected = []
    for conv in model.convs:
        y = F.conv1d(emb, conv.weight, conv.bias)  # (N, F, L - h + 1)
        expected.append(torch.max(y, dim=2))
        # every maximum is unique by a wide margin (no repeated n-gram in these ids), so the
        # positions below cannot depend on which of tied windows torch's max would pick
        top2 = y.topk(2, dim=2).values
        assert (top2[..., 0] - top2[..., 1]).min() > 1e-3
    torch.testing.assert_close(values, torch.relu(torch.cat([e.values for e in expected], 1)))
    assert torch.equal(positions, torch.cat([e.indices for e in expected], 1))


def test_padding_never_wins_so_a_sentence_scores_the_same_alone_or_padded():
    model = TextCNN(TextCNNConfig(30, embed_dim=6, widths=(2, 4), filters=5, seed=3)).eval()
    short = ids_batch(1, 5)
    padded = torch.cat([short, torch.full((1, 7), PAD_ID)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(model(short), model(padded))
        _, pos = model.pool(padded)
    widths = torch.tensor([model.width_of(j) for j in range(pos.shape[1])])
    assert (pos + widths <= 5).all()  # every winning window inside the 5 words


def test_valid_positions_and_sentences_shorter_than_the_filter():
    ids = torch.tensor([[5, 6, 7, 0, 0], [5, 0, 0, 0, 0]])
    expected = [[True, True, False, False], [True, False, False, False]]
    assert valid_positions(ids, 2).tolist() == expected
    model = TextCNN(TextCNNConfig(30, embed_dim=4, widths=(3,), filters=2)).eval()
    with torch.no_grad():
        out = model(torch.tensor([[5]]))  # padded up to the widest filter inside
    assert out.shape == (1, 2) and torch.isfinite(out).all()


def test_the_filter_weights_view_matches_conv1d():
    model = TextCNN(TextCNNConfig(30, embed_dim=3, widths=(2, 3), filters=2))
    w, b = model.filter_weights(3)  # second filter of width 3
    assert w.shape == (3, 3)
    np.testing.assert_allclose(w, model.convs[1].weight[1].detach().double().numpy().T)
    assert b == pytest.approx(float(model.convs[1].bias[1].detach()))


def test_seeded_weights_are_reproducible_and_leave_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = TextCNN(TextCNNConfig(30, seed=1))
    after = torch.rand(1)
    b = TextCNN(TextCNNConfig(30, seed=1))
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_keras_stack_is_seed_001s_layer_order_and_takes_any_length():
    model = KerasStack(KerasStackConfig(30, 3, embed_dim=8, filters=6, width=3, max_len=20)).eval()
    names = [type(m).__name__ for m in model.features] + [type(m).__name__ for m in model.head]
    assert names == [
        "Dropout", "Conv1d", "ReLU", "MaxPool1d", "Conv1d", "ReLU", "MaxPool1d", "Flatten",
        "Linear", "Dropout", "ReLU", "Linear",
    ]  # fmt: skip
    assert model(ids_batch(2, 7)).shape == (2, 3) and model(ids_batch(2, 40)).shape == (2, 3)
    with pytest.raises(ValueError, match="too short"):
        KerasStack(KerasStackConfig(30, max_len=8))


def test_bag_of_words_counts_ignore_padding_and_order():
    model = BagOfWords(10, 2)
    x = torch.tensor([[3, 4, 3, 0, 0], [4, 3, 3, 0, 0]])
    counts = model.counts(x)
    assert counts[0].tolist() == [0, 0, 0, 2, 1, 0, 0, 0, 0, 0]
    torch.testing.assert_close(model(x)[0], model(x)[1])  # same words, same output


def test_registry_builds_every_architecture():
    for name in ARCHITECTURES:
        model = build_model(name, 30, 2, widths=(2,), filters=4, embed_dim=8, max_len=16)
        assert model(ids_batch(2, 16).to(next(model.parameters()).device)).shape == (2, 2)


def test_predict_probs_in_batches_and_on_nothing():
    model = build_model("kim", 30, 3, widths=(2,), filters=4)
    ids = ids_batch(5, 6)
    probs = predict_probs(model, ids, batch=2)
    assert probs.shape == (5, 3) and np.allclose(probs.sum(1), 1, atol=1e-6)
    np.testing.assert_allclose(probs, predict_probs(model, ids), atol=1e-6)
    assert predict_probs(model, ids[:0]).shape == (0, 3)


def test_accuracy_by_kind():
    pred = np.array([1, 0, 1, 1])
    labels = np.array([1, 1, 1, 0])
    kinds = ["plain", "plain", "contrast", "negation"]
    out = accuracy_by_kind(pred, labels, kinds, KINDS)
    assert out == {"plain": (2, 0.5), "negation": (1, 0.0), "contrast": (1, 1.0), "all": (4, 0.5)}
    groups = {"word order": ("negation", "contrast"), "none": ("intensifier",)}
    out = accuracy_by_kind(pred, labels, kinds, ("plain",), groups)
    assert out == {"plain": (2, 0.5), "word order": (2, 0.5), "all": (4, 0.5)}


@pytest.fixture(scope="module")
def trained(one_thread):
    corpus = make_corpus(1200, 0)
    train, test = split(corpus, 0.25, 0)
    vocab = Vocabulary.build(corpus.texts[i] for i in train)
    ids = vocab.encode_batch(corpus.texts, 60, 12)
    kinds = [corpus.kinds[i] for i in test]
    out = {}
    for name, config in (
        ("kim", TrainConfig(epochs=10, batch_size=32, lr=3e-3)),
        ("bow", TrainConfig(epochs=15, batch_size=256, lr=0.2)),  # as the page
    ):
        model = build_model(name, len(vocab), 2)
        history = train_text_model(model, ids, corpus.labels, train, test, config)
        pred = predict_probs(model, ids[test]).argmax(1)
        out[name] = (history, accuracy_by_kind(pred, corpus.labels[test], kinds, KINDS))
    return out


def test_the_cnn_learns_word_order_and_the_bag_of_words_cannot(trained):
    history, cnn = trained["kim"]
    _, bow = trained["bow"]
    assert len(history.epochs) == 10
    assert history.series("val_accuracy")[-1] == pytest.approx(cnn["all"][1], abs=1e-6)
    # 0.913 with training seed 0 (dropout masks from the run's own generator, see
    # cnnplay.seeding); earlier, with global dropout seeds 0-9, the same run gave 0.85-0.92
    assert cnn["all"][1] >= 0.9
    assert bow["contrast"][1] <= 0.6  # mirrored pairs: at most one of each right
    for kind in ("negation", "contrast"):
        assert cnn[kind][1] - bow[kind][1] >= 0.25, (kind, cnn, bow)
    assert bow["plain"][1] >= 0.75  # it does well where word order does not matter


def test_training_stops_when_asked(one_thread):
    corpus = make_corpus(200, 0)
    vocab = Vocabulary.build(corpus.texts)
    ids = vocab.encode_batch(corpus.texts, 60, 4)
    model = build_model("kim", len(vocab), 2)
    idx = np.arange(200)
    calls = []
    history = train_text_model(
        model, ids, corpus.labels, idx[:150], idx[150:], TrainConfig(epochs=5),
        should_stop=lambda: calls.append(1) or len(calls) > 3,
    )  # fmt: skip
    assert history.stopped and len(history.epochs) == 1
