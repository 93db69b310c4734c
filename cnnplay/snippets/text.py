"""PyTorch code for the Text CNN page's models: Kim's CNN (filters of several widths in parallel,
1-max pooling over time) and the Keras notes' conv → pool → conv → pool → dense stack, as
self-contained modules with the page's settings.

Each registers the same layers in the same order as its model in ``cnnplay.text.models``, so it
has the same parameter count and, given the same weights, the same output for a sentence
without padding (tested)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnplay.snippets.common import Snippet, SnippetError, number, program

if TYPE_CHECKING:  # the configurations' types only
    from cnnplay.text.models import KerasStackConfig, TextCNNConfig

KIM = '''\
class TextCNN(nn.Module):
    """Kim (2014): embedding → Conv1d of each width in parallel → 1-max pooling over time
    → ReLU → concatenation → dropout → linear."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)  # id 0: padding
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, filters, h) for h in widths)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(widths), num_classes)

    def forward(self, ids):  # (N, L) token ids, L at least the widest filter
        x = self.embedding(ids).transpose(1, 2)  # (N, embed_dim, L): a 1D image
        pooled = [conv(x).max(dim=2).values for conv in self.convs]  # (N, filters) each
        features = torch.relu(torch.cat(pooled, dim=1))  # (N, filters · len(widths))
        return self.fc(self.dropout(features))  # (N, num_classes) logits
'''

KERAS = '''\
class KerasStack(nn.Module):
    """The Keras notes' model: Embedding, Dropout, Conv1D, MaxPooling1D(2), Conv1D,
    MaxPooling1D(2), Flatten, Dense, Dropout, ReLU, Dense (K classes)."""

    def __init__(self):
        super().__init__()
        after = ((max_len - width + 1) // 2 - width + 1) // 2  # length after the 2nd pool
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)  # id 0: padding
        self.features = nn.Sequential(
            nn.Dropout(dropout),
            nn.Conv1d(embed_dim, filters, width),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(filters, filters, width),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(filters * after, hidden),
            nn.Dropout(dropout),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, ids):  # (N, L) token ids, cut or padded to max_len
        ids = F.pad(ids[:, :max_len], (0, max(0, max_len - ids.shape[1])))  # pads with id 0
        x = self.embedding(ids).transpose(1, 2)  # (N, embed_dim, max_len): a 1D image
        return self.head(self.features(x))  # (N, num_classes) logits
'''


def _run(name: str, length: int, vocab_size: int) -> str:
    return (
        f"model = {name}().eval()  # eval: no dropout\n"
        "params = sum(p.numel() for p in model.parameters())\n"
        f"# one {length}-word sentence as token ids (0 is padding, 1 an unknown word); for real\n"
        "# text, look each word up in the vocabulary the model was trained with\n"
        f"ids = torch.randint(2, {vocab_size}, (1, {length}))\n"
        "with torch.no_grad():\n"
        "    logits = model(ids)  # (1, num_classes)\n"
        'print(f"{params:,} parameters; class probabilities {logits.softmax(dim=1).tolist()}")\n'
    )


def text_cnn(config: TextCNNConfig, length: int = 9) -> Snippet:
    """Kim's CNN with ``config``'s sizes, run (untrained) on one random sentence of ``length``
    words. The result ``params`` is the model's parameter count; ``logits`` (1, K) is left too."""
    c = config
    if not c.widths or min(c.widths) < 1:
        raise SnippetError("a TextCNN needs at least one filter width, each ≥ 1")
    if c.vocab_size < 3:
        raise SnippetError("the vocabulary needs more than padding and the unknown word")
    length = max(length, max(c.widths))
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            f"vocab_size, num_classes, embed_dim = {c.vocab_size}, {c.num_classes}, {c.embed_dim}\n"
            f"widths = {tuple(c.widths)}  # filter heights in words: 2-grams, 3-grams, …\n"
            f"filters, dropout = {c.filters}, {number(c.dropout)}  # filters per width\n",
            KIM,
            _run("TextCNN", length, c.vocab_size),
        ),
        "params",
        "text_cnn.py",
    )


def keras_stack(config: KerasStackConfig, length: int = 9) -> Snippet:
    """The Keras notes' stack with ``config``'s sizes, run (untrained) on one random sentence.
    The result ``params`` is the model's parameter count; ``logits`` (1, K) is left too."""
    c = config
    after = ((c.max_len - c.width + 1) // 2 - c.width + 1) // 2
    if after < 1:
        raise SnippetError(f"max_len {c.max_len} is too short for two width-{c.width} convs")
    if c.vocab_size < 3:
        raise SnippetError("the vocabulary needs more than padding and the unknown word")
    return Snippet(
        program(
            "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n",
            f"vocab_size, num_classes, embed_dim = {c.vocab_size}, {c.num_classes}, {c.embed_dim}\n"
            f"filters, width, hidden = {c.filters}, {c.width}, {c.hidden}\n"
            f"max_len, dropout = {c.max_len}, {number(c.dropout)}  # words per sentence (cut or"
            " padded)\n",
            KERAS,
            _run("KerasStack", length, c.vocab_size),
        ),
        "params",
        "keras_stack.py",
    )
