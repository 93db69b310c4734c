"""cnnplay.seeding and every training run of the app: same settings and seed, the same numbers
to the last digit, whether the run is alone, beside another run in another thread (two
students pressing Train at once), or beside code that reseeds and drains torch's global
generator."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from cnnplay.data.labelled import stratified_split
from cnnplay.data.shapes import shapes_set
from cnnplay.detection.detector import DetectorConfig, GridDetector
from cnnplay.models.pretrained import body_stages, tunable_stages
from cnnplay.models.small_cnn import SmallCNN
from cnnplay.scenes import SceneConfig, make_scenes
from cnnplay.seeding import (
    Dropout,
    generator,
    same_seed_note,
    seeded,
    seeded_init_,
    use_generator,
)
from cnnplay.segmentation.training import SegTrainSettings, train_unet
from cnnplay.segmentation.unet import UNet, UNetConfig
from cnnplay.text.corpus import make_corpus, split
from cnnplay.text.models import TextCNN, TextCNNConfig, build_model, train_text_model
from cnnplay.text.vocab import Vocabulary
from cnnplay.train import TrainConfig, fit
from cnnplay.transfer.strategies import (
    Augmentation,
    FeatureStore,
    Inputs,
    build_transfer,
    train_scratch,
    train_transfer,
)

ROOT = Path(__file__).resolve().parents[1]


def _global_seed_build(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """The old way (torch.manual_seed, then build), kept to the test, generator restored."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


BUILDS = {
    "U-Net": lambda: UNet(UNetConfig()),
    "U-Net, no skips, bilinear": lambda: UNet(UNetConfig(skips=False, upsample="bilinear")),
    "FCN": lambda: UNet(UNetConfig(decoder="fcn")),
    "detector": lambda: GridDetector(DetectorConfig()),
    "small CNN": lambda: SmallCNN(5, 16),
    "embedding, conv1d, norms, transposed conv": lambda: nn.Sequential(
        nn.Embedding(50, 8, padding_idx=0),
        nn.Conv1d(8, 4, 3),
        nn.BatchNorm1d(4),
        nn.LayerNorm(4),
        nn.ConvTranspose2d(4, 2, 2),
        nn.Linear(3, 2, bias=False),
    ),
}


@pytest.mark.parametrize("name", BUILDS)
def test_seeded_weights_are_those_of_torch_manual_seed_then_build(name):
    """So the shipped U-Nets and detector (trained after torch.manual_seed) are still what
    their scripts make, now that nothing seeds the global generator."""
    build = BUILDS[name]
    for seed in (0, 7):
        old = _global_seed_build(build, seed)
        new = seeded(build, seed)
        assert _same_tensors(old.state_dict(), new.state_dict()), (name, seed)
    other = seeded(build, 1).state_dict()
    assert not _same_tensors(other, seeded(build, 0).state_dict())


def test_a_seeded_build_never_touches_the_global_generator():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    seeded(BUILDS["U-Net"], 0)
    TextCNN(TextCNNConfig(40, seed=2))
    assert torch.equal(torch.rand(3), expected)


def test_text_models_seed_themselves_as_before():
    config = TextCNNConfig(60, 3, seed=4)
    layers = _global_seed_build(
        lambda: nn.ModuleList(
            [
                nn.Embedding(60, config.embed_dim, padding_idx=0),
                *(nn.Conv1d(config.embed_dim, config.filters, h) for h in config.widths),
                nn.Linear(config.filters * len(config.widths), 3),
            ]
        ),
        4,
    )
    model = TextCNN(config)
    mine = [model.embedding, *model.convs, model.fc]
    for old, new in zip(layers, mine, strict=True):
        assert _same_tensors(old.state_dict(), new.state_dict())
    assert torch.all(model.embedding.weight[0] == 0)  # padding


def test_layers_it_cannot_initialise_are_refused():
    with pytest.raises(TypeError, match="PReLU"):
        seeded_init_(nn.Sequential(nn.Linear(2, 2), nn.PReLU()), generator(0))

    class Constant(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("scale", torch.ones(3))

    with pytest.raises(TypeError, match="Constant"):
        seeded(Constant, 0)  # its buffer would come back from the meta device as garbage


def test_dropout_masks_come_from_the_generator_alone():
    layer = Dropout(0.25).train()
    x = torch.ones(4000)
    use_generator(layer, generator(3))
    a = layer(x)
    torch.manual_seed(99)  # the global generator has no say
    use_generator(layer, generator(3))
    b = layer(x)
    assert torch.equal(a, b)
    kept = a != 0
    assert 0.7 < kept.float().mean() < 0.8  # p = 0.25 dropped
    assert torch.allclose(a[kept], torch.full_like(a[kept], 1 / 0.75))
    assert torch.equal(layer.eval()(x), x)
    assert use_generator(nn.Sequential(layer, nn.ReLU(), Dropout(0.1)), None) == 2
    assert layer.generator is None
    layer.train()
    torch.manual_seed(0)
    fallback = layer(x)  # no generator: nn.Dropout's own draws
    torch.manual_seed(0)
    assert torch.equal(fallback, nn.functional.dropout(x, 0.25))
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))


def test_fit_hands_dropout_its_own_stream_and_takes_it_back():
    x = torch.randn(64, 6, generator=generator(0))
    y = (x[:, 0] > 0).long()

    def run(drop: float) -> tuple[list[torch.Tensor], nn.Module]:
        seen: list[torch.Tensor] = []
        model = seeded(lambda: nn.Sequential(nn.Linear(6, 8), Dropout(drop), nn.Linear(8, 2)), 0)

        def loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            seen.append(target.clone())
            return nn.functional.cross_entropy(out, target)

        fit(model, loss, x, y, TrainConfig(epochs=2, batch_size=16, seed=1))
        return seen, model

    a, model_a = run(0.5)
    _, model_b = run(0.5)
    assert _same_tensors(model_a.state_dict(), model_b.state_dict())
    c, model_c = run(0.0)
    # another dropout, the same batches in the same order
    assert all(torch.equal(p, q) for p, q in zip(a, c, strict=True))
    assert not _same_tensors(model_a.state_dict(), model_c.state_dict())
    assert model_a[1].generator is None  # handed back after the run


# --- whole runs, alone and side by side ------------------------------------------------------


def _record(history, model: nn.Module) -> tuple:
    epochs = [tuple(sorted(e.items())) for e in history.epochs]
    return epochs, {k: v.detach().clone() for k, v in model.state_dict().items()}


def _text_run() -> tuple:
    corpus = make_corpus(240, 0)
    train, test = split(corpus, 0.25, 0)
    vocab = Vocabulary.build(corpus.texts[i] for i in train)
    ids = vocab.encode_batch(corpus.texts, 40, 4)
    model = build_model("kim", len(vocab), 2, seed=3, dropout=0.5)
    config = TrainConfig(epochs=3, batch_size=32, lr=3e-3, seed=5)
    history = train_text_model(model, ids, corpus.labels, train, test, config)
    return _record(history, model)


@pytest.fixture(scope="module")
def shapes():
    d = shapes_set(per_class=6, seed=0)
    x = Inputs.from_images(d.images, 32, (0.5,) * 3, (0.5,) * 3)
    tr, va = stratified_split(d.labels, 0.34, 0)
    return x, torch.from_numpy(d.labels), tr, va


def _scratch_run(shapes) -> tuple:
    x, y, tr, va = shapes
    config = TrainConfig(epochs=3, batch_size=8, lr=3e-3, seed=2)
    r = train_scratch(x, y, tr, va, 5, config, Augmentation())
    return _record(r.history, r.model)


@pytest.fixture(scope="module")
def stages():
    backbone = _global_seed_build(resnet18, 0).eval().requires_grad_(False)
    return body_stages(backbone)


def _finetune_run(shapes, stages) -> tuple:
    x, y, tr, va = shapes
    net = build_transfer(stages, tunable_stages(stages)[-1], 5, 512, seed=4)
    config = TrainConfig(epochs=2, batch_size=8, lr=1e-3, seed=4)
    r = train_transfer(net, x, y, tr, va, config, FeatureStore(), "k", Augmentation())
    return _record(r.history, net.trainable)


@pytest.fixture(scope="module")
def scenes():
    small = SceneConfig(size=32)
    return make_scenes(4, 5, small), make_scenes(16, 6, small)


def _unet_run(scenes) -> tuple:
    val, train = scenes
    config = UNetConfig(depth=2, base_width=4)
    settings = SegTrainSettings(16, 2, batch_size=8, augment=True, model_seed=3, scene_size=32)
    model, history = train_unet(config, settings, val, train_scenes=train)
    return _record(history, model)


def _at_once(runs: list[Callable[[], tuple]]) -> list[tuple]:
    """Start every run in its own thread (as the server runs each session's script) at the
    same moment, beside a thread that reseeds and drains torch's global generator."""
    results: list[tuple | BaseException] = [RuntimeError("did not finish")] * len(runs)
    start = threading.Barrier(len(runs) + 1)
    done = threading.Event()

    def work(k: int) -> None:
        start.wait()
        try:
            results[k] = runs[k]()
        except BaseException as err:  # noqa: BLE001 - reported below
            results[k] = err

    def noise() -> None:
        start.wait()
        for k in range(100_000):
            if done.is_set():
                break
            torch.manual_seed(k)
            torch.rand(64)
            nn.functional.dropout(torch.ones(64), 0.5)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(runs))]
    threads.append(threading.Thread(target=noise))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join(timeout=300)
    done.set()
    threads[-1].join(timeout=30)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]


def _assert_same(a: tuple, b: tuple) -> None:
    assert a[0] == b[0]  # every epoch's loss and metrics, exactly
    assert _same_tensors(a[1], b[1])  # every final weight, exactly


@pytest.mark.parametrize("kind", ["text CNN", "scratch CNN", "fine-tuning", "U-Net"])
def test_a_run_gives_the_same_numbers_alone_and_beside_other_runs(kind, shapes, stages, scenes):
    run = {
        "text CNN": _text_run,
        "scratch CNN": lambda: _scratch_run(shapes),
        "fine-tuning": lambda: _finetune_run(shapes, stages),
        "U-Net": lambda: _unet_run(scenes),
    }[kind]
    alone = run()
    torch.manual_seed(12345)  # whatever state the global generator is in
    torch.rand(1000)
    first, second = _at_once([run, run])
    _assert_same(alone, first)
    _assert_same(alone, second)
    assert alone[0]  # at least one epoch was recorded


def test_two_different_runs_side_by_side_match_their_solo_runs(shapes, scenes):
    text_alone, unet_alone = _text_run(), _unet_run(scenes)
    text, unet = _at_once([_text_run, lambda: _unet_run(scenes)])
    _assert_same(text_alone, text)
    _assert_same(unet_alone, unet)


GLOBAL_SEEDING = re.compile(
    r"torch\.(cuda\.)?manual_seed(_all)?\(|torch\.seed\(|fork_rng\(|np\.random\.seed\("
    r"|random\.seed\(|torch\.set_rng_state\("
)


SNIPPETS = ROOT / "cnnplay" / "snippets"


def test_nothing_seeds_the_global_generators_at_run_time():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("cnnplay", "views", "ui", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if SNIPPETS not in path.parents  # programs for students, written out, never run here
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if GLOBAL_SEEDING.search(line.split("#")[0]) and '"""' not in line and "``" not in line
    ] + [
        f"app.py:{n}"
        for n, line in enumerate((ROOT / "app.py").read_text().splitlines(), 1)
        if GLOBAL_SEEDING.search(line)
    ]
    assert offenders == []
    assert GLOBAL_SEEDING.search("    torch.manual_seed(settings.model_seed)")  # the check works


def test_seeded_builds_work_for_every_text_architecture():
    for name in ("kim", "keras", "bow"):
        a = build_model(name, 80, 2, seed=9)
        b = build_model(name, 80, 2, seed=9)
        assert _same_tensors(a.state_dict(), b.state_dict()), name
        assert all(torch.isfinite(p).all() for p in a.parameters())


def test_the_page_note_shows_the_seed_and_what_it_promises_on_each_device():
    cpu = same_seed_note(3, torch.device("cpu"))
    gpu = same_seed_note(3, torch.device("cuda"))
    assert "Training seed **3**" in cpu and "to the last digit" in cpu and "GPU" not in cpu
    assert "Training seed **3**" in gpu and "on a GPU some kernels" in gpu
