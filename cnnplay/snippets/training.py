"""PyTorch code for the Train a CNN page: the MLP, the notes' CNN and its all-convolutional twin
trained side by side with the Train tab's settings, and (Dense = convolution tab) the trained
CNN's dense head rewritten as a convolution and run over a larger canvas.

The models register the same layers in the same order as ``cnnplay.convnets.models`` (``MLP``,
``Seed001CNN``, ``Seed001FCN``): the same parameter counts, and a page model's state_dict loads
into them. The training program is written plainly (a loop over epochs and mini-batches,
``loss.backward()``, ``optimizer.step()``), yet it draws its random numbers exactly as
:func:`cnnplay.convnets.training.train_side_by_side` does (first weights from the seed, one
batch-order seed per epoch, dropout masks from that seed + 2³², the cosine learning rate, the
same augmentation), so on the same images it trains the page's models to the same weights
(tested). It runs offline on a random stand-in of the data's shape (``shape_only``); for
Fashion-MNIST and MNIST one flag switches to the real images through torchvision, drawn as the
page draws its subsets."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import torch

from cnnplay.convnets.data import SIDE, SOURCES, TEST_ORDER_SEED, available_sizes
from cnnplay.convnets.dense_to_conv import HEAD_INPUT
from cnnplay.convnets.models import MEAN, STD
from cnnplay.convnets.training import EVAL_BATCH, SideBySideSettings
from cnnplay.snippets.common import Snippet, SnippetError, number, program
from cnnplay.train import DROPOUT_STREAM

WEIGHTS_FILE = "cnn_and_canvas.pt"  # the Dense = convolution program's file: weights + canvas
TORCHVISION_SETS = {"fashion": "FashionMNIST", "mnist": "MNIST"}  # source -> torchvision class
DATA_NOTES = {  # source -> what the images are (a comment line of the program)
    "fashion": "Fashion-MNIST: 28×28 grey photos of 10 kinds of clothing",
    "mnist": "MNIST: 28×28 grey handwritten digits",
    "digits": "scikit-learn's 8×8 digits, enlarged to 28×28 like MNIST",
}


def _pooled(side: int) -> int:
    """Side of the (64, s, s) map after the two conv/pool stages: 5 for 28."""
    return ((side - 2) // 2 - 2) // 2


def _models(side: int = SIDE) -> dict[str, str]:
    """The models' source, by part ("mlp", "conv_pool", "cnn", "fcn"), reading ``channels``,
    ``num_classes`` and (the MLP) ``side`` and ``hidden`` from the program's settings; the
    shape comments are for ``side`` × ``side`` images."""
    s1 = side - 2
    s2 = s1 // 2
    s3 = s2 - 2
    s4 = s3 // 2
    return {
        "mlp": f'''\
class MLP(nn.Module):
    """The image flattened to a list of numbers (where each pixel was is forgotten), one
    hidden ReLU layer, dropout, a dense layer to the classes."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(channels * side * side, hidden)
        self.dropout = nn.Dropout(0.5)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x):  # (N, 1, {side}, {side})
        h = torch.relu(self.hidden(self.flatten(x)))  # (N, hidden)
        return self.out(self.dropout(h))  # (N, num_classes) logits
''',
        "conv_pool": f'''\
def conv_pool():
    """Two 3×3 convolutions with max pooling: the same small kernels slide over the
    whole image (weight sharing), so they need few weights."""
    return [
        nn.Conv2d(channels, 32, 3),  # (N, 32, {s1}, {s1})
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, {s2}, {s2})
        nn.Conv2d(32, 64, 3),  # (N, 64, {s3}, {s3})
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 64, {s4}, {s4})
    ]
''',
        "cnn": f'''\
class CNN(nn.Module):
    """The notes' Keras CNN: conv/pool, conv/pool, flatten, dropout, one dense layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*conv_pool())
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * {s4} * {s4}, num_classes)
        )

    def forward(self, x):  # (N, 1, {side}, {side})
        return self.head(self.features(x))  # (N, num_classes) logits
''',
        "fcn": f'''\
class FCN(nn.Module):
    """All-convolutional: the dense head replaced by a third 3×3 convolution and a
    1×1 convolution to the classes, a softmax at every position, then global average
    pooling."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*conv_pool(), nn.Conv2d(64, 128, 3), nn.ReLU())
        self.classes = nn.Conv2d(128, num_classes, 1)  # a dense layer at every position

    def forward(self, x):  # (N, 1, H, W), H and W at least {side}
        scores = self.classes(self.features(x))  # (N, num_classes, H', W')
        probs = torch.softmax(scores, dim=1)  # class probabilities at every position
        probs = probs.mean(dim=(2, 3))  # (N, num_classes): the positions' average
        return torch.log(probs.clamp_min(1e-12))  # cross-entropy takes these as logits
''',
    }


NORMALISE = f'''\
def normalise(pixels):
    """(N, 1, H, W) uint8 pixels 0..255 -> floats in [-1, 1]."""
    return (pixels.float() / 255 - {number(MEAN)}) / {number(STD)}
'''

BATCHES = '''\
def batches(x, y, generator):
    """Mini-batches in a random order drawn from ``generator`` (what a DataLoader with
    shuffle=True does)."""
    order = torch.randperm(len(x), generator=generator)
    for start in range(0, len(x), batch_size):
        picked = order[start : start + batch_size]
        yield x[picked], y[picked]
'''

EVALUATE = f'''\
def test_accuracy(model):
    """The share of the test images the model classifies right (dropout off)."""
    model.eval()
    with torch.no_grad():
        starts = range(0, len(x_test), {EVAL_BATCH})  # {EVAL_BATCH} test images at a time
        logits = torch.cat([model(normalise(x_test[i : i + {EVAL_BATCH}])) for i in starts])
    model.train()
    return (logits.argmax(dim=1) == y_test).float().mean().item()
'''


def _augment(s: SideBySideSettings) -> str:
    """The augmentation of the settings, drawing its amounts as cnnplay's ``random_affine``."""
    shift, degrees, scale = s.max_shift, number(s.max_degrees), number(s.max_scale)
    return f'''\
def augment(xb, generator):
    """Each image moved by whole pixels (±{shift}), turned (±{degrees}°) and scaled
    (1 ± {scale}) by its own random amounts: new views of the same object. Black fills
    what moves in."""
    n = len(xb)
    shifts = torch.randint(-{shift}, {shift + 1}, (n, 2), generator=generator).double()  # px
    angles = (torch.rand(n, generator=generator) * 2 - 1) * {degrees}  # degrees
    scales = 1 + (torch.rand(n, generator=generator) * 2 - 1) * {scale}
    turn = torch.deg2rad(angles.double())
    cos, sin = turn.cos() / scales.double(), turn.sin() / scales.double()
    tx, ty = (shifts * 2 / side).unbind(dim=1)  # the shifts in half image widths
    # affine_grid wants the inverse map: where in the input each output pixel comes from
    theta = torch.stack(
        [
            torch.stack([cos, -sin, -(cos * tx - sin * ty)], dim=1),
            torch.stack([sin, cos, -(sin * tx + cos * ty)], dim=1),
        ],
        dim=1,
    ).float()  # (n, 2, 3)
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)  # (n, H, W, 2)
    return F.grid_sample(xb + 1, grid, align_corners=False) - 1  # -1 is black
'''


def _settings(s: SideBySideSettings, source: str, n_train: int, n_test: int, k: int) -> str:
    lr_note = (
        "the first epoch's, then a cosine down towards 0" if s.anneal else "the same in every epoch"
    )
    return (
        f"# {DATA_NOTES[source]}\n"
        f"channels, side, num_classes = 1, {SIDE}, {k}\n"
        f"n_train, n_test = {n_train:_}, {n_test:_}  # training and test images\n"
        f"epochs, batch_size = {s.epochs}, {s.batch_size}\n"
        f"lr = {number(s.lr)}  # Adam's learning rate: {lr_note}\n"
        f"hidden = {s.hidden}  # the MLP's hidden units\n"
        f"seed = {s.seed}  # first weights, batch order, dropout masks"
        + (", augmentation" if s.augment else "")
        + "\n"
    )


def _data(source: str, n_train: int, n_test: int, seed: int) -> str:
    """The images: a random stand-in, or (Fashion-MNIST, MNIST) the real ones behind a flag,
    drawn as cnnplay.convnets.data draws the page's subsets."""
    stand_in = (
        "x_train = torch.randint(0, 256, (n_train, channels, side, side), dtype=torch.uint8)\n"
        "y_train = torch.randint(0, num_classes, (n_train,))\n"
        "x_test = torch.randint(0, 256, (n_test, channels, side, side), dtype=torch.uint8)\n"
        "y_test = torch.randint(0, num_classes, (n_test,))\n"
    )
    if source not in TORCHVISION_SETS:
        return (
            "# A random stand-in of the images' shape and type (uint8 pixels 0..255, white on\n"
            "# black), so that the program runs offline. The page's 8×8 digits come from\n"
            "# scikit-learn's load_digits, scaled by 255/16, enlarged to 20×20 (bilinear) and\n"
            "# centred on a black 28×28 canvas.\n"
            "torch.manual_seed(seed)\n" + stand_in
        )
    all_train, all_test = available_sizes(source)
    name = TORCHVISION_SETS[source]
    if n_train >= all_train:
        train_lines = (
            f"    x_train, y_train = train.data.unsqueeze(1), train.targets  # all {all_train:,}\n"
        )
    else:
        train_lines = (
            f"    pick = np.random.default_rng(seed).permutation({all_train:_})[:n_train]"
            "  # drawn by the seed\n"
            "    x_train, y_train = train.data[pick].unsqueeze(1), train.targets[pick]\n"
        )
    return (
        f"real_data = False  # True: the real images (torchvision downloads them once)\n"
        "if real_data:\n"
        "    from torchvision import datasets\n"
        "\n"
        f'    train = datasets.{name}("data", train=True, download=True)\n'
        f'    test = datasets.{name}("data", train=False, download=True)\n'
        + train_lines
        + f"    pick = np.random.default_rng({TEST_ORDER_SEED:_}).permutation({all_test:_})"
        "[:n_test]\n"
        "    x_test, y_test = test.data[pick].unsqueeze(1), test.targets[pick]  # a fixed subset\n"
        "else:  # a random stand-in of the same shape and type, so that the program runs offline\n"
        "    torch.manual_seed(seed)\n"
        + "".join("    " + line + "\n" for line in stand_in.splitlines())
    )


def _training(s: SideBySideSettings) -> str:
    schedule = (
        "    # the rate follows a cosine from lr down towards 0 (1, ¾, ¼ of lr in 3 epochs)\n"
        "    schedule = torch.optim.lr_scheduler.LambdaLR(\n"
        "        optimizer, lambda epoch: 0.5 * (1 + math.cos(math.pi * epoch / epochs))\n"
        "    )\n"
        if s.anneal
        else ""
    )
    augment = (
        "            xb = augment(xb, generator)  # new random moves every batch\n" * s.augment
    )
    step = "        schedule.step()\n" if s.anneal else ""
    return (
        "models = {}\n"
        'for name, Model in [("mlp", MLP), ("cnn", CNN), ("fcn", FCN)]:\n'
        "    torch.manual_seed(seed)  # each model's first weights: drawn from the seed\n"
        "    models[name] = Model()\n"
        "\n"
        "# one seed per epoch: epoch e of every model sees the same batches in the same order\n"
        "epoch_seeds = torch.randint(\n"
        "    0, 2**62, (epochs,), generator=torch.Generator().manual_seed(seed)\n"
        ").tolist()\n"
        "history = {}  # per model, per epoch: mean training loss and test accuracy\n"
        "for name, model in models.items():\n"
        "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
        + schedule
        + "    history[name] = []\n"
        "    for epoch in range(epochs):\n"
        "        generator = torch.Generator().manual_seed(epoch_seeds[epoch])  # batch order\n"
        f"        torch.manual_seed(epoch_seeds[epoch] + 2**{int(math.log2(DROPOUT_STREAM))})"
        "  # dropout masks\n"
        "        model.train()\n"
        "        losses = []\n"
        "        for xb, yb in batches(x_train, y_train, generator):\n"
        "            xb = normalise(xb)  # (B, 1, 28, 28) floats in [-1, 1]\n"
        + augment
        + "            loss = F.cross_entropy(model(xb), yb)  # mean -log p(true class)\n"
        "            optimizer.zero_grad()\n"
        "            loss.backward()  # the gradient of the loss for every weight\n"
        "            optimizer.step()  # one small step downhill\n"
        "            losses.append(loss.item())\n"
        + step
        + "        train_loss, acc = sum(losses) / len(losses), test_accuracy(model)\n"
        '        history[name].append({"train_loss": train_loss, "test_accuracy": acc})\n'
        '        print(f"{name}, epoch {epoch + 1}: loss {train_loss:.3f}, "\n'
        '              f"test accuracy {100 * acc:.1f}%")\n'
    )


RESULTS = """\
# what the page shows: test accuracies (after the last epoch) and parameter counts
accuracy = {name: h[-1]["test_accuracy"] for name, h in history.items()}
params = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
for name in models:
    print(f"{name}: {params[name]:,} parameters, "
          f"test accuracy {100 * accuracy[name]:.1f}%")
"""


def side_by_side(
    settings: SideBySideSettings,
    source: str = "fashion",
    n_train: int = 60_000,
    n_test: int = 10_000,
    num_classes: int = 10,
) -> Snippet:
    """The Train tab's run as a program: the three models, ``settings`` (epochs, batch size,
    Adam's learning rate and its cosine, the MLP's width, seed, augmentation), the data's shape
    (1 × 28 × 28 images of ``source``, ``num_classes`` classes; ``n_train`` and ``n_test``
    taken up to what the source holds) and the training loop with the test accuracy after
    every epoch. Results: ``accuracy`` (model name -> final test accuracy 0..1, what the tab's
    metrics show), ``params`` (model name -> parameter count), ``history``, ``models``.

    The data are a random stand-in (``shape_only``); for Fashion-MNIST and MNIST
    ``real_data = True`` loads the page's images through torchvision. Raises SnippetError for
    settings that train nothing."""
    s = settings
    if source not in SOURCES:
        raise SnippetError(f"unknown data set {source!r}")
    if s.epochs < 1 or s.batch_size < 1 or s.hidden < 1 or min(n_train, n_test) < 1:
        raise SnippetError("epochs, batch size, hidden units and image counts must be ≥ 1")
    if not (math.isfinite(s.lr) and s.lr > 0):
        raise SnippetError(f"the learning rate must be a positive number, not {s.lr!r}")
    if s.augment and s.max_degrees == 0 and s.max_scale == 0:
        raise SnippetError(
            "augmentation by shifts alone is not written out (the page turns and scales)"
        )
    all_train, all_test = available_sizes(source)
    n_train, n_test = min(n_train, all_train), min(n_test, all_test)
    real = source in TORCHVISION_SETS
    imports = "import math\n\n" + ("import numpy as np\n" if real else "")
    return Snippet(
        program(
            imports + "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n",
            _settings(s, source, n_train, n_test, num_classes),
            _data(source, n_train, n_test, s.seed),
            *_models().values(),
            NORMALISE,
            BATCHES,
            _augment(s) if s.augment else "",
            EVALUATE,
            _training(s),
            RESULTS,
        ),
        "accuracy",
        "train_cnn.py",
        shape_only=True,
    )


def dense_to_conv(cnn_state: Mapping[str, torch.Tensor], canvas: np.ndarray) -> Snippet:
    """The Dense = convolution tab as a program: the trained CNN (its ``cnn_state`` state_dict,
    saved with the canvas in a file beside the program), its dense head rewritten as a
    ``Conv2d(64, K, kernel_size=5)`` with the same numbers, and the convolutional twin run once
    over ``canvas`` ((H, W) uint8, H, W ≥ 26). Result ``probs``: (K, H', W') class probabilities
    at every position, the tab's class map; ``same`` (the largest difference of the two nets'
    logits on the canvas's first 28×28 window) and ``params`` (dense, conv) are left too."""
    pixels = np.asarray(canvas)
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise SnippetError("the canvas must be one (H, W) uint8 image")
    if min(pixels.shape) < SIDE:
        raise SnippetError(f"the canvas must be at least {SIDE}×{SIDE} pixels")
    weight = cnn_state.get("head.2.weight")
    c, h, w = HEAD_INPUT
    if weight is None or weight.shape[1] != c * h * w:
        raise SnippetError("these weights are not the CNN's")
    k = int(weight.shape[0])
    buffer = io.BytesIO()
    torch.save(
        {
            "cnn": {name: t.detach().cpu() for name, t in cnn_state.items()},
            "canvas": torch.from_numpy(np.ascontiguousarray(pixels)),
        },
        buffer,
    )
    use = (
        f'saved = torch.load("{WEIGHTS_FILE}", weights_only=True)  # the CNN and canvas shown\n'
        "cnn = CNN()\n"
        'cnn.load_state_dict(saved["cnn"])\n'
        "cnn.eval()  # no dropout\n"
        f'canvas = saved["canvas"]  # {pixels.shape}: test images side by side, uint8\n'
        "\n"
        f"# The dense layer reads the flattened ({c}, {h}, {w}) map: y = W·x + b with W of shape\n"
        f"# (num_classes, {c * h * w}). Reshaped to (num_classes, {c}, {h}, {w}), W is one kernel "
        "per class\n"
        "# as large as the map: a convolution that fits a 28×28 image exactly once.\n"
        "dense = cnn.head[2]\n"
        f"conv = nn.Conv2d({c}, num_classes, kernel_size={h})\n"
        "with torch.no_grad():\n"
        f"    conv.weight.copy_(dense.weight.reshape(num_classes, {c}, {h}, {w}))\n"
        "    conv.bias.copy_(dense.bias)\n"
        "params = [sum(p.numel() for p in layer.parameters()) for layer in (dense, conv)]\n"
        "fully_conv = nn.Sequential(cnn.features, conv)  # takes images of any size ≥ 26\n"
        "\n"
        "x = normalise(canvas[None, None])  # (1, 1, H, W)\n"
        "with torch.no_grad():\n"
        f"    window = x[..., :{SIDE}, :{SIDE}]  # the first image of the canvas\n"
        "    same = (cnn(window) - fully_conv(window).flatten(1)).abs().max().item()\n"
        "    # one forward pass over the whole canvas: class scores at every position\n"
        "    probs = fully_conv(x)[0].softmax(dim=0)  # (num_classes, H', W')\n"
        'print(f"{params[0]:,} numbers in both layers; largest difference {same:.1e}")\n'
        'print(f"class map {tuple(probs.shape[1:])}: top classes\\n{probs.argmax(dim=0)}")\n'
    )
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            f"channels, num_classes = 1, {k}\n",
            _models()["conv_pool"],
            _models()["cnn"],
            NORMALISE,
            use,
        ),
        "probs",
        "dense_to_conv.py",
        files=((WEIGHTS_FILE, buffer.getvalue()),),
    )
