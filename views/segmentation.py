"""Segmentation (U-Net): a class for every pixel. Encoder, decoder and skip connections; the
U-Net against an encoder-decoder without skips and an FCN with one ×32 upsampling; live
training; feature maps; your own image; semantic vs instance segmentation (seeds 001-003)."""

import time

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnplay.cost import count
from cnnplay.explain import activations, private_copy, strongest_channels
from cnnplay.images import fit_to_multiple
from cnnplay.models.pretrained import PretrainedUnavailable
from cnnplay.ops.conv import conv_transpose2d_naive
from cnnplay.plots.charts import grouped_bar_figure, training_curves_figure
from cnnplay.plots.grids import grid_figure
from cnnplay.plots.images import tile_maps
from cnnplay.scenes import CLASSES, SceneConfig, make_scenes
from cnnplay.segmentation.deeplab import (
    TV_SEG_MODEL,
    load_torchvision_segmenter,
    torchvision_segment,
)
from cnnplay.segmentation.instances import instances_from_semantic
from cnnplay.segmentation.metrics import CLASS_NAMES, score_masks
from cnnplay.segmentation.plots import (
    error_map,
    instance_colours,
    mask_colours,
    mask_overlay,
    unet_diagram,
    upscale,
)
from cnnplay.segmentation.training import SegTrainSettings, train_unet
from cnnplay.segmentation.unet import (
    SHIPPED,
    UNet,
    UNetConfig,
    count_params,
    load_card,
    load_model,
    predict,
    stages,
)
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes

SIZE = 128  # side of the scenes the shipped models were trained and are compared on
COMPARE_SEED = 4  # make_scenes seed of the comparison scenes (training used 1, the cards 3)
COMPARE_N = 24  # comparison scenes
LIVE_VAL_N = 4  # validation scenes whose predictions are redrawn while training
LIVE_VAL_SEED = 5  # their make_scenes seed (and of the scenes scored after every epoch)
MAX_RUNS = 4  # trained models a session keeps (the newest)
SHOW_PX = 192  # on-screen side of one 128-px mask picture
DECODERS = {"U-Net (decoder + skips)": "unet", "FCN (one big upsampling)": "fcn"}
SOURCES = {"A drawing of shapes (generated)": "drawing", "A photo (sample or upload)": "photo"}
UPSAMPLERS = {"transposed conv 2×2, stride 2": "transpose", "bilinear + 1×1 conv": "bilinear"}
DEFAULTS = dict(
    seg_depth=3,
    seg_width=UNetConfig().base_width,
    seg_decoder="U-Net (decoder + skips)",
    seg_upsample="transposed conv 2×2, stride 2",
    seg_skips=True,
    seg_scene=18,  # the no-skip network swallows the triangle into the square here
    seg_train_scenes=SegTrainSettings().train_scenes,
    seg_epochs=SegTrainSettings().epochs,
    seg_lr=SegTrainSettings().lr,
    seg_augment=True,
    seg_fm_stage=0,
    seg_fm_channels=16,
    seg_inst_seed=11,
    seg_draw_seed=2,
    seg_draw_side=256,
    seg_inst_crowd=True,
)
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)


# --- cached, shared, read-only --------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the shipped U-Nets…")
def shipped(name: str) -> UNet:
    """A shipped model for every session: eval mode, frozen, used under inference_mode."""
    return load_model(name)


@st.cache_resource(show_spinner=False)
def scene_set(
    count_: int, seed: int, size: int = SIZE, crowded: bool = False, drawing: bool = False
) -> list:
    """Generated scenes, shared read-only: crowded = up to 8 objects overlapping more; drawing =
    no clutter, no noise."""
    cfg = SceneConfig(size)
    if crowded:
        cfg = SceneConfig(size, max_objects=8, max_overlap=0.6)
    if drawing:
        cfg = SceneConfig(size, clutter=0, noise_std=0.0)
    return make_scenes(count_, seed, cfg)


@st.cache_data(max_entries=8, show_spinner="Segmenting the comparison scenes…")
def shipped_predictions(name: str) -> tuple[np.ndarray, float]:
    """Class maps (N, H, W) of a shipped model on the comparison scenes, and ms per scene."""
    scenes = scene_set(COMPARE_N, COMPARE_SEED)
    images = np.stack([s.image for s in scenes])
    model = shipped(name)
    predict(model, images[:1])  # warm-up
    best = float("inf")
    for _ in range(2):  # the better of two timings: a busy server makes one of them slow
        start = time.perf_counter()
        pred, _ = predict(model, images)
        best = min(best, time.perf_counter() - start)
    return pred, 1000 * best / len(images)


@st.cache_data(max_entries=16, show_spinner=False)
def architecture(config: UNetConfig) -> tuple[list, int, int]:
    """Stages with shapes, parameters and multiply-adds of one configuration (meta device)."""
    report = count(UNet(config), (1, 3, SIZE, SIZE))
    return stages(config, SIZE), report.params, report.macs


# --- per session ----------------------------------------------------------------------------

runs: list[dict] = st.session_state.setdefault("seg_runs", [])  # this session's trained models


def model_choices() -> dict[str, UNet]:
    """Shipped models by their labels, then this session's trained ones (newest first)."""
    out = {f"shipped: {SHIPPED[n].label()}": shipped(n) for n in SHIPPED}
    for r in runs:
        out[f"yours: {r['label']}"] = r["model"]
    return out


def show_masks(items: list[tuple[np.ndarray, str]], where=st) -> None:
    """A row of pictures (nearest-neighbour enlarged) with captions."""
    cols = where.columns(len(items))
    for col, (img, caption) in zip(cols, items, strict=True):
        factor = max(1, SHOW_PX // img.shape[0])
        col.image(upscale(img, factor), caption=caption, width="stretch")


# --- page -----------------------------------------------------------------------------------

st.title("Segmentation (U-Net)")
st.markdown(
    "**Semantic segmentation** gives every pixel a class. Seed 001 builds it from a "
    "classification CNN in three steps: extract features, turn channels into one score per "
    "class with a **1×1 convolution**, then bring the small map back to the input size with a "
    "**transposed convolution** (×32 for ResNet-18). A **U-Net** does the upsampling in steps and "
    "hands each step the encoder's map of the same size through a **skip connection**, so fine "
    "detail lost by pooling comes back. Here the pixels are shape scenes "
    f"({', '.join(CLASSES)} over clutter and noise, {SIZE}×{SIZE} px), so you can train one live."
)

st.subheader("The network")
c1, c2, c3, c4, c5 = st.columns([1, 1, 1.4, 1.5, 0.9])
depth = int(c1.slider("Depth (poolings)", 1, 5, key="seg_depth"))
width = int(c2.selectbox("Base width", [4, 8, 16, 32], key="seg_width"))
decoder = DECODERS[c3.radio("Decoder", list(DECODERS), key="seg_decoder")]
upsample = UPSAMPLERS[
    c4.radio("Upsampling", list(UPSAMPLERS), key="seg_upsample", disabled=decoder == "fcn")
]
skips = c5.toggle("Skip connections", key="seg_skips", disabled=decoder == "fcn")
config = UNetConfig(depth, width, upsample=upsample, skips=skips, decoder=decoder)
arch, n_params, n_macs = architecture(config)

tabs = st.tabs(
    [
        "Architecture",
        "Skips vs no skips vs FCN",
        "Train live",
        "Feature maps",
        "Your image",
        "Semantic vs instance",
    ]
)

# ---------------------------------------------------------------- Architecture
with tabs[0]:
    m1, m2, m3 = st.columns(3)
    m1.metric("Parameters", f"{n_params:,}")
    m2.metric("Multiply-adds per scene", f"{n_macs / 1e6:,.0f} M")
    m3.metric("Smallest map", f"{SIZE // config.factor}×{SIZE // config.factor}")
    st.caption(
        f"**{config.label()}**, input 3×{SIZE}×{SIZE}. Box height grows with the map's side, "
        "width with its channels; hover a box for its shape (channels × height × width)."
    )
    show_figure(unet_diagram(arch, config, SIZE), "seg_diagram", width="stretch")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "stage": s.label,
                    "part": s.part,
                    "channels": s.shape[0],
                    "height": s.shape[1],
                    "width": s.shape[2],
                    "values": s.shape[0] * s.shape[1] * s.shape[2],
                }
                for s in arch
            ]
        ),
        hide_index=True,
        key="seg_stage_table",
    )
    left, right = st.columns(2)
    with left:
        st.markdown(
            "**Encoder** (each level): two 3×3 convolutions with padding 1 keep the size, "
            "2×2 max pooling halves it and the channels double:"
        )
        st.latex(r"C\times H\times W \;\to\; 2C \times \tfrac{H}{2}\times\tfrac{W}{2}")
        st.markdown(
            "**Decoder** (each level): upsample ×2, concatenate the skip (channels add up), two "
            "3×3 convolutions; a final **1×1 convolution** gives one score per class and pixel."
        )
    with right:
        st.markdown(
            "**Transposed convolution** is the upsampler: each input value stamps a scaled "
            "copy of the kernel into the output (seed 001's `trans_conv`). Its output size is"
        )
        st.latex(r"n_\text{out} = (n_\text{in} - 1)\,s - 2p + k")
        st.markdown(
            "so a 2×2 kernel with stride 2 doubles the side, and the FCN's single step uses "
            r"$k = 2f,\ s = f,\ p = f/2$ to multiply it by $f = 2^\text{depth}$ "
            f"(here ×{config.factor}). The [Padding, stride & dilation](padding) page steps "
            "through it stamp by stamp and as a matrix."
        )
    x_small = np.array([[1.0, 2.0], [3.0, 4.0]])
    k_small = np.array([[1.0, 0.5], [0.5, 0.25]])
    g1, g2, g3, g4 = st.columns(4)
    show_figure(grid_figure(x_small, "input 2×2"), "seg_tc_x", g1)
    show_figure(grid_figure(k_small, "kernel 2×2"), "seg_tc_k", g2)
    show_figure(
        grid_figure(conv_transpose2d_naive(x_small, k_small, stride=2), "stride 2 → 4×4"),
        "seg_tc_s2",
        g3,
    )
    show_figure(
        grid_figure(conv_transpose2d_naive(x_small, k_small, stride=1), "stride 1 → 3×3"),
        "seg_tc_s1",
        g4,
    )
    st.caption(
        "With stride 2 the stamps sit side by side (each value becomes a 2×2 block); with "
        "stride 1 they overlap and add up, as in seed 001's example."
    )

# ---------------------------------------------------------------- Compare shipped models
with tabs[1]:
    st.markdown(
        "Three networks trained the same way on the same scenes (`scripts/train_unet.py`), "
        f"scored on {COMPARE_N} new scenes: the **U-Net**, the same encoder–decoder **without "
        "skips** (the notes' FCN + DeconvNet: everything must pass the 16×16 bottleneck) and an "
        "**FCN** whose 4×4 class map is upsampled ×32 in one transposed convolution. Watch the "
        "edges."
    )
    st.latex(
        r"\text{IoU}_c = \frac{|P_c \cap T_c|}{|P_c \cup T_c|} \qquad "
        r"\text{Dice}_c = \frac{2\,|P_c \cap T_c|}{|P_c| + |T_c|} \qquad "
        r"\text{mean IoU} = \frac{1}{K}\sum_c \text{IoU}_c"
    )
    compare_scenes = scene_set(COMPARE_N, COMPARE_SEED)
    target = np.stack([s.semantic for s in compare_scenes])
    rows, preds, per_class = [], {}, {}
    for name, cfg in SHIPPED.items():
        pred, ms = shipped_predictions(name)
        preds[name] = pred
        sc = score_masks(pred, target, len(CLASS_NAMES))
        per_class[cfg.label()] = sc
        rows.append(
            {
                "model": cfg.label(),
                "mean IoU": sc.mean_iou,
                "mean Dice": sc.mean_dice,
                "boundary accuracy": sc.boundary_accuracy,
                "edge 1 px": sc.edge_accuracy,
                "pixel accuracy": sc.pixel_accuracy,
                "parameters": load_card(name)["params"],
                "ms / scene": round(ms, 1),  # batched on this server's device
            }
        )
    frame = pd.DataFrame(rows)
    three = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(
        frame,
        hide_index=True,
        key="seg_compare_table",
        column_config={
            c: three
            for c in ("mean IoU", "mean Dice", "boundary accuracy", "edge 1 px", "pixel accuracy")
        },
    )
    show_figure(
        grouped_bar_figure(
            list(CLASS_NAMES),
            {label: sc.iou for label, sc in per_class.items()},
            "IoU per class",
            280,
            "{:.2f}",
        ),
        "seg_compare_bars",
        width="stretch",
    )
    with st.expander("IoU and Dice per class, as a table"):
        st.dataframe(
            pd.DataFrame(
                [
                    {"model": label, "class": c, "IoU": sc.iou[k], "Dice": sc.dice[k]}
                    for label, sc in per_class.items()
                    for k, c in enumerate(CLASS_NAMES)
                ]
            ),
            hide_index=True,
            key="seg_compare_classes",
            column_config={"IoU": three, "Dice": three},
        )
    by = {r["model"]: r for r in rows}
    u, e, f = (by[SHIPPED[n].label()] for n in ("unet_skips", "unet_noskips", "fcn32"))
    st.markdown(
        f"**Edges** (pixels within 1 px of a true boundary): U-Net **{100 * u['edge 1 px']:.1f}%** "
        f"right, without skips **{100 * e['edge 1 px']:.1f}%**, FCN ×32 "
        f"**{100 * f['edge 1 px']:.1f}%**. The FCN paints blobs: its 4×4 map cannot say where "
        "a corner is, and ×32 bilinear upsampling rounds everything. The encoder–decoder "
        "without skips gets most of the way back through its 16×16 bottleneck (these shapes are "
        "simple, and its mean IoU is close to the U-Net's), but where objects touch or a corner "
        "is sharp, the skips' full-resolution detail decides — see scene 18."
    )
    k = int(st.slider("Scene", 1, COMPARE_N, key="seg_scene")) - 1
    scene_ = compare_scenes[k]
    show_masks(
        [(scene_.image, "scene"), (mask_colours(scene_.semantic), "ground truth")]
        + [(mask_colours(preds[n][k]), SHIPPED[n].label()) for n in SHIPPED]
    )
    wrong = {n: int((preds[n][k] != scene_.semantic).sum()) for n in SHIPPED}
    show_masks(
        [(scene_.image, "scene"), (mask_overlay(scene_.image, scene_.semantic), "overlay")]
        + [
            (error_map(preds[n][k], scene_.semantic, scene_.image), f"wrong: {wrong[n]} px")
            for n in SHIPPED
        ]
    )
    st.caption(
        "Colours: " + ", ".join(f"{c}" for c in CLASS_NAMES[1:]) + " as in the ground truth "
        "(background dark). Bottom row: wrongly labelled pixels in red."
    )

# ---------------------------------------------------------------- Train live
val_scenes = scene_set(LIVE_VAL_N, LIVE_VAL_SEED)


def keep_run(model: UNet, history_epochs: list[dict], seconds: float, stopped: bool) -> None:
    last = history_epochs[-1] if history_epochs else {}
    runs.insert(
        0,
        {
            "label": f"{config.label()} d{config.depth} w{config.base_width} "
            f"#{len(runs) + 1}",
            "config": config,
            "model": model.eval().requires_grad_(False),
            "epochs": list(history_epochs),
            "seconds": seconds,
            "stopped": stopped,
            "miou": last.get("val_miou", float("nan")),
            "dice": last.get("val_dice", float("nan")),
            "boundary": last.get("val_boundary_accuracy", float("nan")),
            "params": count_params(model),
        },
    )
    del runs[MAX_RUNS:]


def recover_stopped() -> None:
    """A run interrupted by Stop (or any other click) left its model here: keep it."""
    pending = st.session_state.pop("seg_pending", None)
    if pending is None or not pending["epochs"]:
        return
    keep_run(pending["model"], pending["epochs"], time.perf_counter() - pending["start"], True)
    st.info(
        f"Training was stopped after {len(pending['epochs'])} epoch(s); the model is kept.",
        icon=":material/stop_circle:",
    )


with tabs[2]:
    st.markdown(
        f"Trains the network chosen above (**{config.label()}**, {n_params:,} parameters) from "
        "random weights on freshly generated scenes: cross-entropy per pixel plus a soft Dice "
        f"term, AdamW with a one-cycle learning rate. After every epoch it is scored on "
        f"{LIVE_VAL_N} held-out scenes, whose predictions you watch improve."
    )
    st.latex(
        r"\mathcal{L} = -\frac{1}{HW}\sum_{i} \log p_{i, y_i} \;+\; "
        r"1 - \frac{1}{K}\sum_c \frac{2\sum_i p_{i,c}\,[y_i = c] + 1}"
        r"{\sum_i p_{i,c} + \sum_i [y_i = c] + 1}"
    )
    t1, t2, t3, t4 = st.columns(4)
    n_train = int(t1.select_slider("Training scenes", [100, 200, 400, 600, 1000, 2000],
                                   key="seg_train_scenes"))
    epochs = int(t2.slider("Epochs", 1, 30, key="seg_epochs"))
    lr = float(t3.select_slider("Peak learning rate", [1e-3, 2e-3, 3e-3, 5e-3, 1e-2],
                                key="seg_lr"))
    augment = t4.toggle("Flips / rotations", key="seg_augment")
    settings = SegTrainSettings(n_train, epochs, lr=lr, augment=augment)
    recover_stopped()
    b1, b2 = st.columns([1, 1])
    go_train = b1.button("Train", key="seg_train", type="primary", icon=":material/play_arrow:")
    b2.button(
        "Stop",
        key="seg_stop",
        icon=":material/stop:",
        on_click=lambda: st.session_state.update(seg_stop_flag=True),
    )
    if go_train:
        st.session_state.seg_stop_flag = False
        torch.manual_seed(settings.model_seed)
        model = UNet(config)
        epochs_done: list[dict] = []
        st.session_state.seg_pending = {
            "model": model,
            "epochs": epochs_done,
            "start": time.perf_counter(),
        }
        bar = st.progress(0.0, text="Generating the training scenes…")
        curves = st.empty()
        live = st.empty()  # the masks redrawn while training; cleared at the end
        val_images = np.stack([s.image for s in val_scenes])

        def redraw(step: int) -> None:
            was_training = model.training
            model.eval()
            pred, _ = predict(model, val_images)
            model.train(was_training)
            with live.container():
                show_masks(
                    [(mask_colours(s.semantic), "truth") for s in val_scenes[:2]]
                    + [(mask_colours(p), f"step {step}") for p in pred[:2]]
                )

        def on_progress(step: int, total: int, metrics: dict) -> None:
            text = f"epoch {metrics['epoch']:.1f} of {epochs}, loss {metrics['loss']:.3f}"
            if "val_miou" in metrics:
                epochs_done.append(dict(metrics))
                text += f", val mean IoU {metrics['val_miou']:.3f}"
                show_figure(
                    training_curves_figure(
                        {"live": epochs_done},
                        {"live": config.label()},
                        240,
                        metric="val_miou",
                        metric_title="val mean IoU",
                        loss_title="loss (CE + Dice)",
                    ),
                    f"seg_live_curve_{len(epochs_done)}",
                    curves,
                    width="stretch",
                )
            bar.progress(min(1.0, step / total), text=text)
            if step % 10 == 0 or "val_miou" in metrics:
                redraw(step)

        model, history = train_unet(
            config,
            settings,
            val_scenes,
            on_progress,
            lambda: bool(st.session_state.get("seg_stop_flag")),
            model=model,
            train_scenes=scene_set(settings.train_scenes, settings.train_seed),
        )
        st.session_state.pop("seg_pending", None)
        bar.empty()
        curves.empty()
        live.empty()
        keep_run(model, history.epochs, history.seconds, history.stopped)
        st.session_state.seg_stop_flag = False
    if runs:
        latest = runs[0]
        r1, r2, r3 = st.columns(3)
        r1.metric("Val mean IoU", f"{latest['miou']:.3f}")
        r2.metric("Val boundary accuracy", f"{100 * latest['boundary']:.1f}%")
        r3.metric("Training time", f"{latest['seconds']:.1f} s")
        show_figure(
            training_curves_figure(
                {f"run{i}": r["epochs"] for i, r in enumerate(runs)},
                {f"run{i}": r["label"] for i, r in enumerate(runs)},
                280,
                metric="val_miou",
                metric_title="val mean IoU",
                loss_title="loss (CE + Dice)",
                colours={f"run{i}": c for i, c in enumerate(
                    ["#1f77b4", "#ff8c00", "#2ca02c", "#7f7f7f"])},
            ),
            "seg_curves",
            width="stretch",
        )
        pred, _ = predict(latest["model"], np.stack([s.image for s in val_scenes]))
        show_masks(
            [(s.image, "scene") for s in val_scenes[:2]]
            + [(mask_colours(p), f"{latest['label']}") for p in pred[:2]]
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "model": r["label"],
                        "epochs": len(r["epochs"]),
                        "val mean IoU": r["miou"],
                        "val mean Dice": r["dice"],
                        "boundary accuracy": r["boundary"],
                        "seconds": round(r["seconds"], 1),
                        "parameters": r["params"],
                        "stopped": "yes" if r["stopped"] else "",
                    }
                    for r in runs
                ]
            ),
            hide_index=True,
            key="seg_runs_table",
        )
        st.caption(
            "Your models stay in this browser session only (the newest "
            f"{MAX_RUNS}); the Feature maps and Your image tabs can use them."
        )
    else:
        st.caption("Nothing trained yet in this session: press Train.")

# ---------------------------------------------------------------- Feature maps
with tabs[3]:
    choices = model_choices()
    f1, f2, f3, f4 = st.columns([2, 1, 1.4, 1])
    chosen = f1.selectbox("Model", list(choices), key="seg_fm_model")
    fm_model = choices[chosen]
    fm_scene_k = int(f2.number_input("Scene", 1, COMPARE_N, value=1, key="seg_fm_scene")) - 1
    fm_stages = stages(fm_model.config, SIZE)
    labels = [f"{s.label} ({s.shape[0]}×{s.shape[1]}×{s.shape[2]})" for s in fm_stages]
    if st.session_state.seg_fm_stage >= len(labels):
        st.session_state.seg_fm_stage = 0
    stage_i = f3.selectbox(
        "Stage", range(len(labels)), format_func=lambda i: labels[i], key="seg_fm_stage"
    )
    n_ch = int(f4.select_slider("Channels", [4, 8, 16, 32], key="seg_fm_channels"))
    stage = fm_stages[stage_i]
    fm_scene = compare_scenes[fm_scene_k]
    x = torch.from_numpy(fm_scene.image).permute(2, 0, 1).float().div(255)  # (3, H, W)
    # (C, h, w); the hook goes on a private copy, never on a model other sessions use
    maps = activations(private_copy(fm_model), stage.name, x)
    top = strongest_channels(maps, n_ch)
    scale = max(1, 96 // maps.shape[1])
    left, right = st.columns([1, 3])
    left.image(upscale(fm_scene.image, 2), caption="scene", width="stretch")
    right.image(
        tile_maps(maps[top], cols=8, upscale=scale),
        caption=f"{stage.label}: the {len(top)} strongest of {maps.shape[0]} channels, "
        f"{maps.shape[1]}×{maps.shape[2]} each (bright = strong)",
        width="stretch",
    )
    st.caption(
        "Encoder maps get coarser and more abstract going down; decoder maps grow back and, "
        "with skips, regain sharp edges. Compare the same stage with and without skips."
    )

# ---------------------------------------------------------------- Your image
with tabs[4]:
    st.warning(
        "The shipped models learned from synthetic scenes only: flat-coloured circles, squares "
        "and triangles over lines, specks and noise. On a drawing of such shapes they work; on "
        "a photo they label whatever looks like a flat blob, which is a lesson in itself: a "
        "network knows only what it was trained on.",
        icon=":material/info:",
    )
    source = st.radio("Image", list(SOURCES), horizontal=True, key="seg_own_source")
    if SOURCES[source] == "drawing":
        d1, d2 = st.columns(2)
        draw_seed = int(d1.number_input("Drawing number", 0, 10**6, key="seg_draw_seed"))
        draw_side = int(d2.select_slider("Side (px)", [128, 192, 256], key="seg_draw_side"))
        drawing = scene_set(1, draw_seed, draw_side, drawing=True)[0]
        picked_pixels, picked_label = drawing.image, f"drawing {draw_seed}, {draw_side} px"
        st.caption(
            "Shapes drawn with no clutter and no noise, at a size the networks never trained "
            "on: they are fully convolutional, so any side that is a multiple of 32 works."
        )
    else:
        picked = image_picker("seg_photo", max_side=512, default="coffee")
        show_notes(picked)
        picked_pixels, picked_label = picked.pixels, picked.label
    choices = model_choices()
    own_model_name = st.selectbox("Model", list(choices), key="seg_own_model")
    own_model = choices[own_model_name]
    image, note = fit_to_multiple(picked_pixels, 32, max_side=256)
    if note:
        st.caption(note)
    pred, probs = predict(own_model, image)
    shares = np.bincount(pred[0].ravel(), minlength=len(CLASS_NAMES)) / pred[0].size
    show_masks(
        [
            (image, picked_label),
            (mask_colours(pred[0]), "predicted classes"),
            (mask_overlay(image, pred[0]), "overlay"),
        ]
    )
    st.caption(
        "Share of pixels: "
        + ", ".join(f"{c} {100 * s:.1f}%" for c, s in zip(CLASS_NAMES, shares, strict=True))
        + f"; mean confidence {probs[0].max(axis=0).mean():.2f}."
    )
    st.markdown("**A real segmentation network** (optional, needs the internet once)")
    if st.button(f"Run torchvision's {TV_SEG_MODEL} (21 VOC classes)", key="seg_tv"):
        bar = st.progress(0.0, text="Downloading the weights…")
        try:
            tv_model = load_torchvision_segmenter(
                lambda s, t, m: bar.progress(min(1.0, s / max(t, 1)), text="Downloading…")
            )
        except PretrainedUnavailable as err:
            st.error(f"{err}", icon=":material/cloud_off:")
        else:
            tv = torchvision_segment(tv_model, picked_pixels)
            overlay = mask_overlay(picked_pixels, tv.labels, colours=instance_colours(tv.labels))
            st.image(overlay, caption="DeepLabV3: " + ", ".join(tv.found), width=400)
        finally:
            bar.empty()

# ---------------------------------------------------------------- Semantic vs instance
with tabs[5]:
    st.markdown(
        "**Semantic** segmentation says *what* each pixel is; **instance** segmentation also "
        "says *which object*. From a semantic mask, the simplest instances are the connected "
        "pieces of each class — which fails exactly where two objects of one class touch."
    )
    i1, i2 = st.columns([1, 1])
    inst_seed = int(i1.number_input("Scene number", 0, 10**6, key="seg_inst_seed"))
    crowded = i2.toggle("Crowded scenes (up to 8 objects, more overlap)", key="seg_inst_crowd")
    inst_scene = scene_set(1, inst_seed, SIZE, crowded)[0]
    pred_sem = predict(shipped("unet_skips"), inst_scene.image)[0][0]
    found = instances_from_semantic(pred_sem, min_area=20)
    truth = instances_from_semantic(inst_scene.semantic)
    show_masks(
        [
            (inst_scene.image, "scene"),
            (mask_colours(inst_scene.semantic), "semantic (truth)"),
            (instance_colours(inst_scene.instances), "instances (truth)"),
            (mask_colours(pred_sem), "semantic (U-Net)"),
            (instance_colours(found.ids), "connected pieces"),
        ]
    )
    table = []
    for c, name in enumerate(CLASS_NAMES[1:], start=1):
        table.append(
            {
                "class": name,
                "objects (truth)": int((inst_scene.labels == c).sum()),
                "connected pieces (truth mask)": int((truth.classes == c).sum()),
                "connected pieces (U-Net mask)": int((found.classes == c).sum()),
            }
        )
    st.dataframe(pd.DataFrame(table), hide_index=True, key="seg_inst_table")
    merged = [
        r["class"] for r in table if r["connected pieces (truth mask)"] < r["objects (truth)"]
    ]
    if merged:
        st.markdown(
            f"Touching objects merge: the true mask has fewer pieces than objects for "
            f"**{', '.join(merged)}**. Instance methods (Mask R-CNN: a mask per detected box) "
            "exist for this."
        )
    else:
        st.caption(
            "No same-class objects touch here; try another scene number with crowded scenes on."
        )
