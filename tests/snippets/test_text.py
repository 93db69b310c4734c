"""The Text CNN snippets against the page's models (``TextCNN``, ``KerasStack``): the same
parameter count and, with the page model's weights, the same logits for a sentence."""

from __future__ import annotations

import pytest
import torch

from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.text import keras_stack, text_cnn
from cnnplay.text.models import KerasStack, KerasStackConfig, TextCNN, TextCNNConfig
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")


def same_model(ns: dict, page: torch.nn.Module) -> None:
    page.eval()
    assert ns["params"] == sum(p.numel() for p in page.parameters())
    ns["model"].load_state_dict(page.state_dict())  # the same names, in the same order
    with torch.no_grad():
        torch.testing.assert_close(ns["model"](ns["ids"]), page(ns["ids"]))
        assert ns["logits"].shape == (1, page(ns["ids"]).shape[1])


@pytest.mark.parametrize(
    "config",
    [
        TextCNNConfig(50),
        TextCNNConfig(300, 3, embed_dim=8, widths=(1, 5), filters=4, dropout=0.0, seed=3),
        TextCNNConfig(40, 2, embed_dim=64, widths=(2, 3, 4, 5), filters=12, dropout=0.6),
    ],
)
@pytest.mark.parametrize("length", [5, 9])
def test_kim_cnn(config, length):
    same_model(run(text_cnn(config, length)), TextCNN(config))


@pytest.mark.parametrize(
    "config",
    [
        KerasStackConfig(50),
        KerasStackConfig(80, 3, embed_dim=8, filters=4, width=3, hidden=16, max_len=12),
        KerasStackConfig(60, 2, embed_dim=16, filters=8, width=2, hidden=8, max_len=30),
    ],
)
def test_keras_stack(config):
    same_model(run(keras_stack(config)), KerasStack(config))


def test_models_that_cannot_be_built_are_refused():
    with pytest.raises(SnippetError):
        text_cnn(TextCNNConfig(50, widths=()))
    with pytest.raises(SnippetError):
        keras_stack(KerasStackConfig(50, max_len=8))
