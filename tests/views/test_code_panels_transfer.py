"""The "PyTorch code for what is on screen" panel of the Transfer learning page's Train & compare
tab: closed, it sends no code; open (before anything is trained, on the built-in images), its
program runs on stand-in images of the page's size and its parameter counts per strategy are
the page's — the new head's count in the text above, then, once trained, the results table and
the strategies' captions; more unfrozen blocks and augmentation make it follow."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from cnnplay.transfer.strategies import STRATEGIES
from tests.views.apptest_utils import joined, texts
from tests.views.test_code_panels import open_panel, page, rerun_code

KEY = "tl_code_train"


def small(at: AppTest) -> AppTest:
    """Few images (10 per class), 64 px, one epoch per strategy: a fast program and training."""
    at.slider(key="tl_per_class").set_value(10)
    at.select_slider(key="tl_side").set_value(64)
    for key in ("tl_ep_scratch", "tl_ep_head", "tl_ep_ft"):
        at.number_input(key=key).set_value(1)
    return at.run()


def table(at: AppTest) -> list[tuple[str, int, int]]:
    """The results table's rows, newest first: (strategy, trainable, all parameters)."""
    df = next(d.value for d in at.dataframe if "strategy" in d.value.columns)
    return list(zip(df["strategy"], df["trainable params"], df["all params"], strict=True))


def captions(at: AppTest) -> list[tuple[int, int]]:
    """The strategies' "T of A parameters trained" captions, in the page's column order."""
    found = [re.search(r"([\d,]+) of ([\d,]+) parameters trained", c) for c in texts(at, "caption")]
    return [(int(m[1].replace(",", "")), int(m[2].replace(",", ""))) for m in found if m]


def test_the_panel_counts_the_pages_parameters_and_follows_the_settings():
    at = small(page("transfer_learning"))
    assert "Nothing trained yet" in joined(at)
    ns = open_panel(at, KEY)  # before any training
    counts = ns["counts"]
    assert list(counts) == list(STRATEGIES)
    new = re.search(r"= \*\*([\d,]+)\*\* new parameters", joined(at))[1]
    assert counts["head"][0] == int(new.replace(",", ""))  # the new head: D × K + K
    assert counts["head"][1] == counts["finetune"][1] > counts["finetune"][0] > counts["head"][0]
    n_train = int(re.search(r"(\d+) for training", joined(at))[1])
    assert tuple(ns["pixels"].shape) == (n_train, 3, 64, 64)  # the page's images and side
    assert int(ns["labels"].max()) + 1 == 10  # Fashion-MNIST's classes
    assert "stand-in" in " ".join(texts(at, "caption"))

    at.button(key="tl_train_all").click().run()
    assert not at.exception
    assert table(at) == [(STRATEGIES[k], *counts[k]) for k in reversed(STRATEGIES)]
    assert captions(at) == [counts[k] for k in STRATEGIES]
    assert rerun_code(at)["counts"] == counts  # the open panel, unchanged by training

    at.slider(key="tl_blocks").set_value(1)
    at.toggle(key="tl_aug_on").set_value(True).run()
    ns = rerun_code(at)
    assert "augment" in ns and len(ns["head_data"]) == 3 * n_train  # 2 copies per image
    assert ns["counts"]["finetune"][0] < counts["finetune"][0]  # one block fewer trained
    assert ns["counts"]["head"] == counts["head"]
    at.button(key="tl_train_finetune").click().run()
    assert table(at)[0] == (STRATEGIES["finetune"], *ns["counts"]["finetune"])
