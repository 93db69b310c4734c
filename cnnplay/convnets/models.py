"""The three classifiers the Train a CNN page trains side by side (seed 001's argument).

All take (N, 1, 28, 28) float pixels (normalised as :func:`normalise` does) and return
(N, K) log-probabilities-or-logits usable with ``F.cross_entropy`` (the FCN returns the log of
averaged class probabilities, which cross-entropy's log-softmax leaves unchanged).

- :class:`MLP`: flatten → dense (hidden) → ReLU → dropout → dense K. Sees the pixels as a list:
  any fixed permutation of them is the same problem to it.
- :class:`Seed001CNN`: seed 001's Keras listing, layer for layer::

      Conv2D(32, 3×3, relu)  (32, 26, 26)
      MaxPooling2D(2×2)      (32, 13, 13)
      Conv2D(64, 3×3, relu)  (64, 11, 11)
      MaxPooling2D(2×2)      (64, 5, 5)
      Flatten                (1600,)
      Dropout(0.5)
      Dense(K, softmax)      (K,)

- :class:`Seed001FCN`: the same with the dense head replaced (seed 001, "Fully Convolutional
  Networks"): Conv2D(128, 3×3, relu) (128, 3, 3) → Conv2D(K, 1×1, softmax) (K, 3, 3) →
  GlobalAveragePooling2D (K,). Keras puts the softmax before the average ("winner takes all"),
  so we do too: the output is the log of the mean of per-position class probabilities.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.seeding import Dropout, seeded

SIDE = 28  # input side every model here is built for (the FCN also takes larger inputs)
MEAN, STD = 0.5, 0.5  # pixels in [0, 1] -> [-1, 1]


def normalise(pixels: Tensor) -> Tensor:
    """(N, 1, H, W) uint8 0..255 or float 0..1 -> float32 (N, 1, H, W) in [-1, 1]."""
    x = pixels.float()
    if pixels.dtype == torch.uint8:
        x = x / 255.0
    return (x - MEAN) / STD


class MLP(nn.Module):
    """(N, 1, S, S) -> logits (N, K): flatten, one hidden ReLU layer of ``hidden`` units,
    dropout, a dense layer to the classes."""

    def __init__(self, num_classes: int = 10, hidden: int = 128, side: int = SIDE) -> None:
        super().__init__()
        self.side = side
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(side * side, hidden)
        self.dropout = Dropout(0.5)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(self.hidden(self.flatten(x)))  # (N, hidden)
        return self.out(self.dropout(h))  # (N, K)


def conv_pool_stack() -> list[nn.Module]:
    """The notes' two conv/pool stages, shared by both seed 001 models (same layer indices, so
    the same state_dict keys): (N, 1, 28, 28) -> (N, 64, 5, 5)."""
    return [
        nn.Conv2d(1, 32, 3),  # (N, 32, 26, 26)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, 13, 13)
        nn.Conv2d(32, 64, 3),  # (N, 64, 11, 11)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 64, 5, 5)
    ]


class Seed001CNN(nn.Module):
    """(N, 1, 28, 28) -> logits (N, K); seed 001's Keras model, layer for layer (see the module
    docstring). ``features`` is the conv/pool stack, ``head`` the dropout + dense layer."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(*conv_pool_stack())  # (N, 64, 5, 5)
        self.head = nn.Sequential(nn.Flatten(), Dropout(0.5), nn.Linear(64 * 5 * 5, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (N, K)


class Seed001FCN(nn.Module):
    """(N, 1, H, W), H, W ≥ 28 -> (N, K) log of mean class probabilities; seed 001's fully
    convolutional model. :meth:`class_map` gives the per-position probabilities before the
    average: (N, K, H', W') with H' = ((H - 2) // 2 - 2) // 2 - 2 (3 for H = 28)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *conv_pool_stack(),  # (N, 64, 5, 5)
            nn.Conv2d(64, 128, 3),  # (N, 128, 3, 3)
            nn.ReLU(),
        )
        self.classes = nn.Conv2d(128, num_classes, 1)  # (N, K, 3, 3)

    def class_map(self, x: Tensor) -> Tensor:
        """(N, 1, H, W) -> (N, K, H', W') class probabilities at every position (sum 1 over K)."""
        return torch.softmax(self.classes(self.features(x)), dim=1)

    def forward(self, x: Tensor) -> Tensor:
        probs = self.class_map(x).mean(dim=(2, 3))  # (N, K): global average pooling
        return torch.log(probs.clamp_min(1e-12))  # cross-entropy's log-softmax keeps this as is


MODELS: dict[str, str] = {  # registry key -> the name pages show
    "mlp": "MLP",
    "cnn": "CNN (Keras notes)",
    "fcn": "All-convolutional (1×1 conv + GAP)",
}

KERAS_LISTING: dict[str, str] = {  # seed 001's listings, as the notes print them
    "cnn": """model = keras.Sequential([
    keras.Input(shape=input_shape),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
])""",
    "fcn": """model = keras.Sequential([
    keras.Input(shape=input_shape),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
    layers.Conv2D(num_classes, kernel_size=(1, 1), activation="softmax"),
    layers.GlobalAveragePooling2D(),
])""",
}


def build(name: str, num_classes: int = 10, seed: int = 0, hidden: int = 128) -> nn.Module:
    """A fresh model of registry ``name`` ("mlp", "cnn", "fcn") on the CPU, its initial
    weights drawn from ``seed`` alone (see :func:`cnnplay.seeding.seeded`). ``hidden`` is the
    MLP's hidden width."""
    builders: dict[str, Callable[[], nn.Module]] = {
        "mlp": lambda: MLP(num_classes, hidden),
        "cnn": lambda: Seed001CNN(num_classes),
        "fcn": lambda: Seed001FCN(num_classes),
    }
    if name not in builders:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(builders)}")
    return seeded(builders[name], seed)
