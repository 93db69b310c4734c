"""Re-create assets/detector/detector.pt and its card: the tiny grid detector of the Detection page.

Run: ``python -m scripts.train_detector`` (about 5-10 minutes on a 2-core CPU). Deterministic:
fixed seeds for the scenes, the initial weights and the batch order, and one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from cnnplay.detection.detector import (
    CARD_PATH,
    WEIGHTS_PATH,
    DetectorConfig,
    DihedralAugment,
    GridDetector,
    detection_loss,
    evaluate_on_scenes,
    scene_tensors,
)
from cnnplay.scenes import CLASSES, SceneConfig, make_scenes
from cnnplay.seeding import seeded
from cnnplay.train import TrainConfig, fit

TRAIN_SEED = 1  # make_scenes seed of the training set
VAL_SEED = 2  # ... of the validation set watched during training
TEST_SEED = 3  # ... of the held-out scenes the card reports (tests use other seeds)
MODEL_SEED = 0  # torch seed of the initial weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=4000, help="training scenes")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--test-scenes", type=int, default=500)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH.parent, help="output folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg = DetectorConfig()
    model = seeded(lambda: GridDetector(cfg), MODEL_SEED)  # = torch.manual_seed, then build
    start = time.perf_counter()
    train = make_scenes(args.scenes, seed=TRAIN_SEED)
    val = make_scenes(100, seed=VAL_SEED)
    x, y = scene_tensors(train, cfg)
    print(f"{len(train)} training scenes in {time.perf_counter() - start:.0f} s", flush=True)
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=64, lr=3e-3, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train_cfg.lr, weight_decay=1e-4)
    per_epoch = (len(x) + train_cfg.batch_size - 1) // train_cfg.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=train_cfg.lr, total_steps=per_epoch * args.epochs, pct_start=0.15
    )

    augment = DihedralAugment()

    def loss_fn(out, target):
        return detection_loss(out, augment.targets(target), cfg)

    def on_progress(step: int, total: int, metrics: dict) -> None:
        schedule.step()
        if "val_ap50" in metrics:
            print(
                f"epoch {metrics['epoch']:.0f}: loss {metrics['train_loss']:.4f}  "
                f"val AP@0.5 {metrics['val_ap50']:.3f}  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )

    def evaluate(m):
        return {"val_ap50": evaluate_on_scenes(m, val)[0].mean_ap}

    history = fit(
        model,
        loss_fn,
        x,
        y,
        train_cfg,
        optimizer=optimizer,
        augment=augment,
        evaluate=evaluate,
        on_progress=on_progress,
    )
    seconds = time.perf_counter() - start
    model.eval()
    test = make_scenes(args.test_scenes, seed=TEST_SEED)
    result, _ = evaluate_on_scenes(model, test)
    at_default, _ = evaluate_on_scenes(model, test, score_threshold=0.3)
    weights_path, card_path = args.out / WEIGHTS_PATH.name, args.out / CARD_PATH.name
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), weights_path)
    size_kb = weights_path.stat().st_size / 1024
    params = sum(p.numel() for p in model.parameters())
    metrics = {
        "ap50": round(result.mean_ap, 4),
        "ap50_per_class": {CLASSES[c - 1]: round(v, 4) for c, v in result.ap.items()},
        "precision_at_0.3": round(at_default.precision, 4),
        "recall_at_0.3": round(at_default.recall, 4),
    }
    print(json.dumps(metrics, indent=1))
    scene = SceneConfig()
    card_path.write_text(
        f"""# Tiny grid detector (detector.pt)

A YOLO-style single-shot detector for the synthetic shape scenes of `cnnplay.scenes`
(classes: {", ".join(CLASSES)}), used by the Detection page. Architecture:
`cnnplay.detection.detector.GridDetector` — 6 conv layers (stride 16), a 1×1 head giving
S×S×(B×5+C) = S×S×({cfg.boxes_per_cell}×5+{cfg.classes}) outputs, anchors {list(cfg.anchors)} px.

- **Data**: {args.scenes} training scenes `make_scenes({args.scenes}, seed={TRAIN_SEED})`
  ({scene.size}×{scene.size} px, {scene.min_objects}-{scene.max_objects} objects, clutter,
  noise σ={scene.noise_std}); validation `make_scenes(100, seed={VAL_SEED})`; every batch
  randomly flipped / transposed (the 8 symmetries of the square, applied to images and targets
  alike: `DihedralAugment`).
- **Training**: `cnnplay.train.fit`, {len(history.epochs)} epochs, batch {train_cfg.batch_size},
  AdamW (weight decay 1e-4) with a one-cycle learning rate peaking at {train_cfg.lr}, torch seed
  {MODEL_SEED}, one CPU thread, deterministic algorithms. Loss: objectness BCE (positives ×5) +
  2 × smooth-L1 on the box corrections + class cross-entropy.
- **Held-out test** (`make_scenes({args.test_scenes}, seed={TEST_SEED})`, never seen in training):
  **AP@0.5 = {result.mean_ap:.3f}** (mean over classes:
  {", ".join(f"{CLASSES[c - 1]} {v:.3f}" for c, v in result.ap.items())}; score threshold 0.05,
  per-class NMS at IoU 0.5). At the page's default score threshold 0.3: precision
  {at_default.precision:.3f}, recall {at_default.recall:.3f}.
- **Size**: {params:,} parameters, {size_kb:.0f} KB state_dict
  (load with `torch.load(..., weights_only=True)`).
- **Time**: {seconds / 60:.1f} min on {platform.machine()} CPU ({platform.processor() or "?"}),
  one thread, torch {torch.__version__} (wall time depends on what else the machine runs).
- **Re-create**: `python -m scripts.train_detector`.

```json
{json.dumps(metrics, indent=1)}
```
"""
    )
    print(f"saved {weights_path} ({size_kb:.0f} KB) and {card_path} in {seconds:.0f} s")


if __name__ == "__main__":
    main()
