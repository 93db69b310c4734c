"""Re-create the Segmentation page's shipped models in assets/unet/: the U-Net with skip
connections, the same network without skips, and the FCN with one ×32 upsampling
(``cnnplay.segmentation.unet.SHIPPED``), each a state_dict plus a JSON card, and assets/unet/CARD.md.

Run: ``python -m scripts.train_unet`` (all three) or ``--model unet_skips`` (one); about 10-20
minutes per model on a 2-core CPU. Deterministic: fixed seeds for the scenes, the initial weights
and the batch order, one CPU thread, deterministic algorithms.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from cnnplay.scenes import SceneConfig, make_scenes
from cnnplay.segmentation.metrics import CLASS_NAMES, score_model
from cnnplay.segmentation.training import SegTrainSettings, train_unet
from cnnplay.segmentation.unet import ASSET_DIR, SHIPPED, count_params, save_model

VAL_SEED = 2  # make_scenes seed of the scenes watched during training
TEST_SEED = 3  # ... of the held-out scenes the cards report (the page compares on seed 4)


def test_metrics(model, test_scenes) -> dict:
    s, _ = score_model(model, test_scenes)
    return {
        "mean_iou": round(s.mean_iou, 4),
        "mean_dice": round(s.mean_dice, 4),
        "iou": {c: round(float(v), 4) for c, v in zip(CLASS_NAMES, s.iou, strict=True)},
        "dice": {c: round(float(v), 4) for c, v in zip(CLASS_NAMES, s.dice, strict=True)},
        "pixel_accuracy": round(s.pixel_accuracy, 4),
        "boundary_accuracy": round(s.boundary_accuracy, 4),
    }


def write_card(folder: Path) -> Path:
    """assets/unet/CARD.md from the JSON cards of the models in ``folder``."""
    cards = {
        n: json.loads((folder / f"{n}.json").read_text())
        for n in SHIPPED
        if (folder / f"{n}.json").exists()
    }
    scene = SceneConfig()
    lines = [
        "# Segmentation models (assets/unet)",
        "",
        "Three networks for the synthetic shape scenes of `cnnplay.scenes` (background + "
        "circle, square, triangle; 128×128 px, 1-4 objects, clutter, noise "
        f"σ={scene.noise_std}), used by the Segmentation page. Definitions: "
        "`cnnplay.segmentation.unet.UNet` with the `UNetConfig` in each JSON card "
        "(`cnnplay.segmentation.unet.SHIPPED`). All three were trained the same way by "
        "`python -m scripts.train_unet`: the same scenes, loss, optimiser, schedule, "
        "augmentation and seeds; one CPU thread, deterministic algorithms.",
        "",
    ]
    first = next(iter(cards.values()), None)
    if first is not None:
        t = first["training"]
        lines += [
            f"- **Data**: {t['scenes']} for training (every batch randomly flipped / "
            f"transposed); validation make_scenes(50, seed={VAL_SEED}); the scores below on "
            f"{first['test']['scenes']}, never seen in training (the page compares on seed 4, "
            "the tests on seed 77).",
            f"- **Training**: {t['epochs']} epochs, batch {t['batch_size']}, {t['optimizer']} "
            f"peaking at {t['peak_lr']}, loss {t['loss']}, torch seed {t['model_seed']}.",
            "- **Loading**: `cnnplay.segmentation.unet.load_model(name)` (state_dict, "
            "`torch.load(..., weights_only=True)`).",
            "",
            "| model | config | parameters | size | mean IoU | mean Dice | IoU bg / circle / "
            "square / triangle | boundary accuracy (2 px) | training time |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for name, card in cards.items():
        c, m = card["config"], card["test"]
        size = (folder / f"{name}.pt").stat().st_size / 1024
        ious = " / ".join(f"{v:.3f}" for v in m["iou"].values())
        lines.append(
            f"| `{name}.pt` ({card['label']}) | depth {c['depth']}, width {c['base_width']}, "
            + (
                f"1×1 conv + one ×{2 ** c['depth']} transposed conv"
                if c["decoder"] == "fcn"
                else f"{'skips' if c['skips'] else 'no skips'}, {c['upsample']} upsampling"
            )
            + " | "
            f"{card['params']:,} | {size:.0f} KB | **{m['mean_iou']:.3f}** | "
            f"{m['mean_dice']:.3f} | {ious} | {m['boundary_accuracy']:.3f} | "
            f"{card['training']['seconds'] / 60:.1f} min |"
        )
    lines += [
        "",
        "Training times are wall time on a shared 2-core machine ("
        + (first["training"]["machine"] if first else "")
        + "); they depend on what else runs. Validation mean IoU per epoch is in each JSON "
        "card (`training.val_miou_per_epoch`).",
        "",
        "Re-create one: `python -m scripts.train_unet --model unet_skips` (or unet_noskips, "
        "fcn32); all three and this card: `python -m scripts.train_unet`.",
        "",
    ]
    path = folder / "CARD.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=[*SHIPPED, "all"], default="all")
    parser.add_argument("--scenes", type=int, default=2000, help="training scenes")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--test-scenes", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ASSET_DIR, help="output folder")
    parser.add_argument("--card-only", action="store_true", help="only rewrite CARD.md")
    args = parser.parse_args()
    if args.card_only:
        print(f"wrote {write_card(args.out)}")
        return
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    settings = SegTrainSettings(train_scenes=args.scenes, epochs=args.epochs, lr=3e-3)
    train = make_scenes(settings.train_scenes, settings.train_seed)
    val = make_scenes(50, VAL_SEED)
    test = make_scenes(args.test_scenes, TEST_SEED)
    names = list(SHIPPED) if args.model == "all" else [args.model]
    for name in names:
        config = SHIPPED[name]
        start = time.perf_counter()

        def on_progress(step: int, total: int, metrics: dict, name=name, start=start) -> None:
            if "val_miou" in metrics:
                print(
                    f"{name} epoch {metrics['epoch']:.0f}: loss {metrics['train_loss']:.4f}  "
                    f"val mIoU {metrics['val_miou']:.3f}  boundary "
                    f"{metrics['val_boundary_accuracy']:.3f}  "
                    f"({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )

        model, history = train_unet(config, settings, val, on_progress, train_scenes=train)
        seconds = time.perf_counter() - start
        model = model.cpu().eval()
        metrics = test_metrics(model, test)
        path = args.out / f"{name}.pt"
        card = {
            "name": name,
            "label": config.label(),
            "params": count_params(model),
            "test": {"scenes": f"make_scenes({args.test_scenes}, seed={TEST_SEED})", **metrics},
            "training": {
                "scenes": f"make_scenes({settings.train_scenes}, seed={settings.train_seed})",
                "scene_config": SceneConfig().__dict__,
                "epochs": len(history.epochs),
                "batch_size": settings.batch_size,
                "optimizer": "AdamW, weight decay 1e-4, one-cycle lr",
                "peak_lr": settings.lr,
                "augment": "random flips / transposes" if settings.augment else "none",
                "loss": "pixel cross-entropy + soft Dice",
                "model_seed": settings.model_seed,
                "seconds": round(seconds, 1),
                "machine": f"{platform.machine()} CPU, 1 thread, torch {torch.__version__}",
                "val_miou_per_epoch": [round(e["val_miou"], 4) for e in history.epochs],
            },
            "recreate": f"python -m scripts.train_unet --model {name}",
        }
        save_model(model, path, card)
        print(json.dumps(metrics, indent=1))
        print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB) in {seconds:.0f} s", flush=True)
    print(f"wrote {write_card(args.out)}")


if __name__ == "__main__":
    main()
