"""One student's heaviest visit, in memory: every page with its heavy actions, in one process.

The pages run as AppTests in this process (the same code, caches and session state as under a
server, without the websocket), in the order of a lesson, each with the actions that cost the
most memory: the Receptive field page's real networks (VGG-16's table and effective field),
Inside a pretrained CNN's saliency and occlusion, What a CNN learned's gallery maps, a style
transfer and a DeepDream run, all three Transfer learning trainings, a
U-Net training, the Text CNN's training and Detection's sliding windows. After each step it
prints the process's RSS and its peak (``/proc/self/status``: VmRSS, VmHWM); at the end, the
RSS after every page's session is dropped and the garbage collected.

    python -m benchmarks.memory_tour
    python -m benchmarks.memory_tour --repo ../old-checkout   # the same tour of another tree

Every step is bounded (an AppTest timeout each); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_S = 600


def status_mb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024


def tab(at, prefix: str, label: str):
    at.session_state[f"{prefix}_tab"] = label
    return at.run()


def press(at, key: str):
    at.button(key=key).click()
    return at.run()


def receptive(at) -> None:
    tab(at, "rf", "Real network")
    at.selectbox(key="rf_net").set_value("VGG-16").run()
    tab(at, "rf", "On an image")
    press(at, "rf_erf_btn")  # VGG-16's effective field (random weights)


def pretrained(at) -> None:
    tab(at, "pt", "Feature maps")
    tab(at, "pt", "Saliency")
    tab(at, "pt", "Occlusion")
    press(at, "pt_occlude")


def transfer(at) -> None:
    tab(at, "tl", "Train & compare")
    press(at, "tl_train_all")
    tab(at, "tl", "Confusion matrix")


def segmentation(at) -> None:
    tab(at, "seg", "Train live")
    press(at, "seg_train")
    tab(at, "seg", "Feature maps")


def text_cnn(at) -> None:
    tab(at, "tc", "Train & compare")
    press(at, "tc_train")


def detection(at) -> None:
    tab(at, "det", "Your photo")
    press(at, "det_sw_run")


def learned(at) -> None:
    tab(at, "wl", "Map of images")  # the gallery's features and both t-SNE maps
    tab(at, "wl", "Top patches")
    tab(at, "wl", "DeconvNet")
    tab(at, "wl", "Style transfer")
    press(at, "wl_style_run")  # 100 steps at 256 px, the page's defaults
    tab(at, "wl", "DeepDream")
    press(at, "wl_dream_run")


TOUR: list[tuple[str, Callable | None]] = [
    ("kernels", None),
    ("padding", None),
    ("pooling", None),
    ("receptive_field", receptive),
    ("bottleneck_cost", None),
    ("pretrained", pretrained),
    ("learned", learned),
    ("transfer_learning", transfer),
    ("detection", detection),
    ("segmentation", segmentation),
    ("text_cnn", text_cnn),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="the checkout to tour")
    args = parser.parse_args()
    repo = args.repo.resolve()
    os.chdir(repo)
    sys.path.insert(0, str(repo))
    logging.disable(logging.WARNING)  # AppTest's bare-mode warnings
    from streamlit.testing.v1 import AppTest

    from ui.server import prepare_process

    prepare_process()
    print(f"== Memory tour of {repo}")
    print(f"{'step':<22}{'seconds':>8}{'RSS MB':>9}{'peak MB':>9}  shown")
    print(f"{'start (imports)':<22}{'':>8}{status_mb('VmRSS'):9.0f}{status_mb('VmHWM'):9.0f}")
    sessions = []
    for path, actions in TOUR:
        start = time.perf_counter()
        at = AppTest.from_file(str(repo / "views" / f"{path}.py"), default_timeout=STEP_TIMEOUT_S)
        at.run()
        if actions is not None:
            actions(at)
        sessions.append(at)  # a student's sessions stay open during the lesson
        problem = f"EXCEPTION {at.exception[0].message[:60]}" if at.exception else "ok"
        print(
            f"{path:<22}{time.perf_counter() - start:8.1f}{status_mb('VmRSS'):9.0f}"
            f"{status_mb('VmHWM'):9.0f}  {problem}",
            flush=True,
        )
    sessions.clear()
    gc.collect()
    time.sleep(1)
    print(f"{'sessions dropped':<22}{'':>8}{status_mb('VmRSS'):9.0f}{status_mb('VmHWM'):9.0f}")


if __name__ == "__main__":
    main()
