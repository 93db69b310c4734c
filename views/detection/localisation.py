"""The Classify + localise tab (the notes' seed 002): one object per image, a network with a class
head and a box head, and two box losses — L2 on the coordinates and 1 − IoU. First a panel where the
student sets a predicted box against a small and a large true box and reads both losses (no
training), then the same network trained once with each loss, compared by object size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.cost import count
from cnnplay.detection.localisation import (
    BOX_LOSSES,
    EXAMPLES,
    LOSS_COLOURS,
    SINGLE,
    TEST_SEED,
    LocSettings,
    ObjectImages,
    Predictions,
    box_ious,
    boxes_legend_figure,
    build_localiser,
    by_size,
    example_indices,
    examples_figure,
    losses_of_box,
    make_single_objects,
    predict,
    score,
    size_figure,
    to_xyxy,
    train_localiser,
)
from cnnplay.plots.charts import training_curves_figure
from cnnplay.scenes import CLASSES
from cnnplay.seeding import same_seed_note
from ui.figures import show_figure
from ui.hosting import profile
from ui.inputs import seed_input
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.run_limit import train_stop_row, training_slot

CANVAS = SINGLE.size  # the panel's canvas and the training images: 64×64 px
NAMES = {k: b.label for k, b in BOX_LOSSES.items()}  # "L2 on coordinates", "1 − IoU"
ORDER = ("l2", "iou")  # the order of the two runs
TEST_N = LocSettings().test_images  # test images (make_single_objects(TEST_N, TEST_SEED)), fixed
IMAGE_CHOICES = (100, 300, 600, 1000, 2000)  # training images offered
L2_WEIGHTS = (1.0, 3.0, 10.0, 30.0, 100.0)  # λ of the L2 box loss offered
RESULT_KEY = "det_loc_result"  # session state: the last complete comparison (one per session)
PENDING_KEY = "det_loc_pending"  # session state: the comparison while it trains
STOP_KEY = "det_loc_stop_flag"  # session state: Stop was pressed during the current run
STOPPED_KEY = "det_loc_stopped"  # session state: the message about a stopped run, shown once
DEFAULTS = {
    "det_loc_dx": 4,  # the predicted box's errors in pixels: centre x, centre y, width, height
    "det_loc_dy": 0,
    "det_loc_dw": 0,
    "det_loc_dh": 0,
    "det_loc_small": 8,  # the sides of the small and the large true box, pixels
    "det_loc_large": 40,
    "det_loc_images": 1000,
    "det_loc_epochs": 12,
    "det_loc_l2_weight": BOX_LOSSES["l2"].weight,
    "det_loc_seed": 0,
    "det_loc_show": "sizes",
}


def set_defaults() -> None:
    """The tab's starting values where the student has not set them (also after a Reset)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


# ---------------------------------------------------------------- the box panel (no training)
def _panel_row(name: str, side: int, error: np.ndarray) -> dict:
    """One true box of ``side`` px centred on the canvas, the prediction = truth + error
    (cx, cy, w, h; widths and heights below 0 taken as 0) and both losses."""
    truth = np.array([CANVAS / 2, CANVAS / 2, side, side], np.float64)
    pred = truth + error
    pred[2:] = np.maximum(pred[2:], 0.0)
    losses = losses_of_box(pred, truth)
    return {"name": name, "side": side, "truth": truth, "pred": pred, "losses": losses}


def thousands(value: float) -> str:
    """A whole number with thousands separators for LaTeX ("1{,}600")."""
    return f"{value:,.0f}".replace(",", "{,}")


@tab_body
def box_panel() -> None:
    """Sliders for the predicted box's error, the two boxes drawn, both losses with their
    numbers and gradients. A fragment: a slider reruns only this panel."""
    st.markdown(
        "**Your predicted box.** Move the prediction away from the true box (the same error "
        f"in pixels for both objects, on a {CANVAS}×{CANVAS} image like the training images "
        "below) and read both losses."
    )
    c = st.columns(6)
    labels = ("Centre x error x̂ − x", "Centre y error ŷ − y", "Width error ŵ − w",
              "Height error ĥ − h")  # fmt: skip
    errors = [
        where.slider(f"{label} (px)", -20, 20, key=key, persist_state=KEEP, bind=LINK)
        for where, label, key in zip(
            c[:4], labels, ("det_loc_dx", "det_loc_dy", "det_loc_dw", "det_loc_dh"), strict=True
        )
    ]
    small = c[4].slider(
        "Small object side (px)", 4, 24, key="det_loc_small", persist_state=KEEP, bind=LINK
    )
    large = c[5].slider(
        "Large object side (px)", 24, 60, key="det_loc_large", persist_state=KEEP, bind=LINK
    )
    error = np.asarray(errors, np.float64)
    rows = [_panel_row("small", small, error), _panel_row("large", large, error)]
    if any((r["truth"][2:] + error[2:] < 0).any() for r in rows):
        st.info("A box cannot be narrower than 0 px: that width or height is taken as 0.")
    figs = st.columns(2)
    for where, row in zip(figs, rows, strict=True):
        fig = boxes_legend_figure(
            None,
            to_xyxy(row["truth"]),
            {"pred": to_xyxy(row["pred"])},
            {"pred": "predicted box"},
            title=f"{row['name']} object: {row['side']}×{row['side']} px, IoU "
            f"{row['losses'].iou:.3f}",
            size=(CANVAS, CANVAS),
            px=300,
        )
        fig.layout.xaxis.showgrid = True
        fig.layout.yaxis.showgrid = True
        show_figure(fig, f"det_loc_panel_{row['name']}", where)
    for row in rows:
        lo, (x, y, w, h), (tx, ty, tw, th) = row["losses"], row["pred"], row["truth"]
        st.latex(
            rf"\text{{{row['name']}: }} \|[{x:g}, {y:g}, {w:g}, {h:g}] - "
            rf"[{tx:g}, {ty:g}, {tw:g}, {th:g}]\|_2^2 = {thousands(lo.l2)}\ \text{{px}}^2,"
            rf"\qquad 1 - \mathrm{{IoU}} = 1 - {lo.iou:.3f} = {1 - lo.iou:.3f}"
        )
    table = pd.DataFrame(
        [
            {
                "object": f"{r['name']} ({r['side']}×{r['side']} px)",
                "L2 (px²)": r["losses"].l2,
                "1 − IoU": 1 - r["losses"].iou,
                "∂L2/∂x̂ (per px)": r["losses"].l2_grad[0],
                "∂(1 − IoU)/∂x̂ (per px)": r["losses"].iou_grad[0],
            }
            for r in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        key="det_loc_panel_table",
        column_config={
            "L2 (px²)": st.column_config.NumberColumn(format="%,.0f"),
            "1 − IoU": st.column_config.NumberColumn(format="%.3f"),
            "∂L2/∂x̂ (per px)": st.column_config.NumberColumn(format="%.1f"),
            "∂(1 − IoU)/∂x̂ (per px)": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    ratio = (1 - rows[0]["losses"].iou) / max(1 - rows[1]["losses"].iou, 1e-12)
    text = (
        f"The squared error is **{rows[0]['losses'].l2:,.0f} px²** for both objects: it "
        "counts pixels, whatever the box's size. "
    )
    if rows[0]["losses"].l2 == 0:
        text = "Both boxes sit exactly on their true boxes: every loss is 0. "
    elif rows[1]["losses"].iou < 1:
        text += (
            f"1 − IoU divides by the size: the same error costs the small box "
            f"**{ratio:.1f}×** what it costs the large one (a relative error). "
        )
    if any(r["losses"].iou == 0 for r in rows) and rows[0]["losses"].l2 > 0:
        text += (
            "Where the boxes do not overlap at all, IoU is 0 however far apart they are: "
            "1 − IoU is flat there and its gradient is 0, so it cannot pull the box back "
            "(the L2 loss still can)."
        )
    st.markdown(text)
    st.caption(
        "The gradients say how hard each loss pulls the predicted centre back: ∂L2/∂x̂ = "
        "2 (x̂ − x) is the same for both boxes; ∂(1 − IoU)/∂x̂ is larger on a smaller box (while "
        "the boxes overlap). In "
        f"training the coordinates are fractions of the image side, so L2 there is this "
        f"number ÷ {CANVAS}² = {CANVAS**2:,}, times the weight λ; 1 − IoU has no units."
    )


# ---------------------------------------------------------------- data and settings
@st.cache_data(max_entries=1, show_spinner="Drawing the test images…")
def test_set() -> ObjectImages:
    """The fixed test images (5 MB), the same for every run and session."""
    return make_single_objects(TEST_N, TEST_SEED)


@st.cache_data(max_entries=4, show_spinner=False)
def network_size(width: int) -> tuple[int, int]:
    """(parameters, multiply-accumulates per image) of the localiser."""
    report = count(build_localiser(0, width), (1, 3, CANVAS, CANVAS))
    return report.params, report.macs


def chosen() -> tuple[LocSettings, float]:
    """The training settings and the L2 weight λ from session state."""
    state = st.session_state
    settings = LocSettings(
        train_images=int(state.det_loc_images),
        test_images=TEST_N,
        epochs=int(state.det_loc_epochs),
        seed=int(state.det_loc_seed),
    )
    return settings, float(state.det_loc_l2_weight)


@tab_body
def settings_row() -> None:
    """The training settings: a fragment, so changing one reruns only this row (the Train
    button reads them from session state)."""
    c1, c2, c3, c4 = st.columns(4)
    c1.select_slider(
        "Training images",
        IMAGE_CHOICES,
        key="det_loc_images",
        persist_state=KEEP,
        bind=LINK,
        format_func=lambda n: f"{n:,}",
    )
    c2.slider("Epochs", 1, 30, key="det_loc_epochs", persist_state=KEEP, bind=LINK)
    c3.select_slider(
        "L2 weight λ",
        L2_WEIGHTS,
        key="det_loc_l2_weight",
        persist_state=KEEP,
        bind=LINK,
        format_func=lambda v: f"{v:g}",
        help="The box term's weight in CE + λ·L2 (coordinates as fractions of the image side, "
        "so a 4-px slip is (4/64)² ≈ 0.004). 1 − IoU always has λ = 1: it has no units.",
    )
    seed = seed_input("det_loc_seed", "and the batch order (the same for both losses)", c4)
    st.caption(same_seed_note(seed))


# ---------------------------------------------------------------- training
def train_both(settings: LocSettings, l2_weight: float, where) -> dict | None:
    """Train the same network (same seed, same batches) with each box loss, with a progress
    bar and live curves in ``where``; returns the comparison, or None when stopped (the
    message is then in session state). While it runs, its progress is in session state, so a
    Stop that interrupts this script can be reported on the next run."""
    st.session_state[STOP_KEY] = False
    bar = where.progress(0.0, text="Drawing the training images…")
    curves = where.empty()
    train = make_single_objects(settings.train_images, settings.data_seed)
    test = test_set()
    histories: dict[str, list[dict]] = {}
    pending = {"box": ORDER[0], "epochs": 0, "total": settings.epochs}
    st.session_state[PENDING_KEY] = pending
    preds: dict[str, Predictions] = {}
    seconds = {}
    for n, box in enumerate(ORDER):
        epochs: list[dict] = []
        histories[box] = epochs
        pending.update(box=box, epochs=0)

        def on_progress(step: int, total: int, metrics: dict, box=box, epochs=epochs, n=n) -> None:
            if "train_loss" in metrics:  # the end of an epoch
                epochs.append(dict(metrics))
                pending["epochs"] = len(epochs)
                show_figure(
                    curves_figure(histories),
                    f"det_loc_live_{box}_{len(epochs)}",
                    curves,
                    width="stretch",
                )
            text = (
                f"Run {n + 1} of 2, {NAMES[box]}: epoch {metrics['epoch']:.1f} of "
                f"{settings.epochs}, loss {metrics['loss']:.3f}"
            )
            if epochs:
                text += f", test mean IoU {epochs[-1]['test_miou']:.3f}"
            bar.progress(min(1.0, (n + step / total) / 2), text=text)

        spec = BOX_LOSSES[box]
        weight = l2_weight if box == "l2" else spec.weight
        model, history = train_localiser(
            box,
            settings,
            train,
            test,
            on_progress,
            lambda: bool(st.session_state.get(STOP_KEY)),
            box_weight=weight,
        )
        if history.stopped:
            st.session_state.pop(PENDING_KEY, None)
            st.session_state[STOPPED_KEY] = stopped_text(box, len(history.epochs), settings.epochs)
            bar.empty()
            curves.empty()
            st.session_state[STOP_KEY] = False
            return None
        preds[box] = predict(model, test.images)
        seconds[box] = history.seconds
    st.session_state.pop(PENDING_KEY, None)
    bar.empty()
    curves.empty()
    return {
        "settings": settings,
        "l2_weight": l2_weight,
        "histories": histories,
        "preds": preds,
        "seconds": seconds,
    }


def stopped_text(box: str, done: int, total: int) -> str:
    return (
        f"Training was stopped during the **{NAMES[box]}** run, after {done} of {total} "
        "epoch(s). The comparison needs both runs, so nothing new is shown: press Train again."
    )


def recover_stopped() -> None:
    """A run interrupted by a click (Stop, or any other) left its progress in session state:
    turn it into the message shown once."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is not None:
        st.session_state[STOPPED_KEY] = stopped_text(
            pending["box"], pending["epochs"], pending["total"]
        )
        st.session_state[STOP_KEY] = False


def curves_figure(histories: dict[str, list[dict]], height: int = 260):
    return training_curves_figure(
        histories,
        NAMES,
        height,
        metric="test_miou",
        metric_title="test mean IoU",
        loss_title="training loss (CE + box term)",
        colours=LOSS_COLOURS,
    )


# ---------------------------------------------------------------- results
def verdict(bins) -> str:
    """What the chart by size shows, in words, from its numbers (whichever way they go)."""
    first, last = 0, len(bins.labels) - 1
    iou = bins.mean_iou
    low = min(float(np.nanmin(bins.mean_px[k])) for k in ORDER)
    high = max(float(np.nanmax(bins.mean_px[k])) for k in ORDER)
    if high <= 2 * low:
        text = f"Both networks miss the corners by about **{low:.1f}–{high:.1f} px** at every size"
    else:
        text = f"The corner errors range from **{low:.1f} to {high:.1f} px** across the sizes"
    if all(iou[k][last] > iou[k][first] for k in ORDER):
        text += (
            f" (right){', yet' if high <= 2 * low else ';'} the small objects get the lower IoU "
            "(left): a pixel of error is a larger share of a small box. That is the relative "
            "error IoU measures and L2 does not see."
        )
    else:
        text += " (right)."
    parts = []
    for k, where in ((first, "smallest"), (last, "largest")):
        if not bins.counts[k]:
            continue
        a, b = iou["l2"][k], iou["iou"][k]
        ahead = "1 − IoU ahead" if b > a else "L2 ahead" if a > b else "a tie"
        parts.append(
            f"**{where}** objects ({bins.labels[k]}, {int(bins.counts[k])} test images): "
            f"L2 **{a:.3f}**, 1 − IoU **{b:.3f}** ({ahead})"
        )
    return (
        text + " Mean IoU by size — " + "; ".join(parts) + ". 1 − IoU pulls harder on small "
        "boxes (see the gradients above) but is flat where a box misses its object entirely; "
        "train with another seed to see how much of a gap between the two losses is luck."
    )


@tab_body
def examples(result: dict) -> None:
    """Test images with their true and predicted boxes: a fragment (its picker reruns it)."""
    test = test_set()
    preds: dict[str, Predictions] = result["preds"]
    kind = st.selectbox(
        "Test images to draw",
        list(EXAMPLES),
        format_func=EXAMPLES.get,
        key="det_loc_show",
        persist_state=KEEP,
        bind=LINK,
    )
    ious = {k: box_ious(p.boxes, test.boxes) for k, p in preds.items()}
    index = example_indices(kind, test.sizes(), ious)
    show_figure(examples_figure(test, index, preds, NAMES), "det_loc_examples")
    st.caption(
        "True box dotted green; predicted boxes in the loss's colour. Under each image: the IoU "
        "of each loss's box, ✓ when its class is right, ✗ when not "
        f"(true classes: {', '.join(CLASSES[int(c)] for c in test.labels[index])})."
    )


def results(result: dict) -> None:
    test = test_set()
    settings: LocSettings = result["settings"]
    preds: dict[str, Predictions] = result["preds"]
    st.markdown(
        f"**Results** — {settings.train_images:,} training images, {settings.epochs} epoch(s), "
        f"seed {settings.seed}, L2 weight λ = {result['l2_weight']:g}; scored on the same "
        f"{len(test):,} test images."
    )
    cols = st.columns(2)
    for where, box in zip(cols, ORDER, strict=True):
        s = score(preds[box], test)
        where.markdown(f"**CE + {NAMES[box]}**")
        m1, m2, m3 = where.columns(3)
        m1.metric("Test accuracy", f"{100 * s.accuracy:.1f}%")
        m2.metric("Mean IoU", f"{s.mean_iou:.3f}")
        m3.metric("Mean corner error", f"{s.mean_px_error:.2f} px")
        where.caption(f"trained in {result['seconds'][box]:.1f} s")
    show_figure(curves_figure(result["histories"], 280), "det_loc_curves", width="stretch")
    st.caption(
        "The two training losses are on different scales (a squared error in image units × λ "
        "against 1 − IoU): compare their test mean IoU, not their loss."
    )
    bins = by_size(test.sizes(), test.boxes.astype(np.float64), {k: preds[k].boxes for k in ORDER})
    show_figure(size_figure(bins, NAMES), "det_loc_sizes", width="stretch")
    st.dataframe(
        pd.DataFrame(
            {
                "object size": bins.labels,
                "test images": bins.counts,
                **{f"mean IoU, {NAMES[k]}": bins.mean_iou[k] for k in ORDER},
                **{f"corner error (px), {NAMES[k]}": bins.mean_px[k] for k in ORDER},
            }
        ),
        hide_index=True,
        key="det_loc_size_table",
        column_config={
            c: st.column_config.NumberColumn(format="%.3f" if "IoU" in c else "%.2f")
            for k in ORDER
            for c in (f"mean IoU, {NAMES[k]}", f"corner error (px), {NAMES[k]}")
        },
    )
    st.markdown(verdict(bins))
    examples(result)


# ---------------------------------------------------------------- the tab
def render() -> None:
    """The tab's body. Not a fragment as a whole: Train and Stop must rerun the app, because a
    click inside a fragment never interrupts a running script (it waits), so Stop inside a
    fragment would only act after the training had finished (see views/text_cnn/train.py)."""
    set_defaults()
    st.markdown(
        "**Classification + localisation**: when an image holds one object, one network can "
        "say *what* it is and *where*: a shared CNN with two heads, a **class head** (C "
        "scores) and a **box head** (4 numbers: centre x, y, width, height). Training adds "
        f"two losses ({notes_name('002')}): a classification loss and a regression loss on "
        "the box, either the squared error on the coordinates or 1 − IoU — “IoU takes the "
        "size of the region into account and gives a relative error”."
    )
    from_the_notes(("002", "Classification + Localization"))
    st.latex(
        r"\mathcal{L} = \underbrace{\ell(\hat y, y)}_{\text{cross-entropy}} + \lambda\,"
        r"\ell_{\text{box}}, \qquad \ell_{\text{box}} = "
        r"\|[\hat x, \hat y, \hat w, \hat h] - [x, y, w, h]\|_2^2 \quad \text{or} \quad "
        r"1 - \mathrm{IoU}(\hat b, b) = 1 - \frac{|\hat b \cap b|}{|\hat b \cup b|}"
    )
    box_panel()
    st.subheader("Train the same network with each loss")
    settings, l2_weight = chosen()
    params, macs = network_size(settings.width)
    st.markdown(
        "A small CNN (four conv–BN–ReLU blocks, the first with stride 2 and the others with "
        f"2×2 max pooling, then a 128-unit layer; {params:,} "
        f"parameters, {macs:,} multiply-accumulates per image) with a class head "
        f"({len(CLASSES)} classes: {', '.join(CLASSES)}) and a box head (a sigmoid: "
        f"coordinates as fractions of the side), trained on generated {CANVAS}×{CANVAS} "
        "images with one shape each (its box 7 to 63 px across). **Train** trains it twice "
        "from the same initial weights on the same batches — once with CE + λ·L2, once with "
        f"CE + (1 − IoU) — and scores both on the same {TEST_N} test images."
    )
    settings_row()
    recover_stopped()
    if (message := st.session_state.pop(STOPPED_KEY, None)) is not None:
        st.info(message, icon=":material/stop_circle:")
    pressed = train_stop_row(
        "Train with both losses", "det_loc_train", "det_loc_stop", STOP_KEY, stop_label="Stop"
    )
    if pressed:
        where = st.container()
        with training_slot("Detection: classify + localise (L2 and 1 − IoU)", where):
            result = train_both(settings, l2_weight, where)
        if result is not None:
            st.session_state[RESULT_KEY] = result
        elif (message := st.session_state.pop(STOPPED_KEY, None)) is not None:
            st.info(message, icon=":material/stop_circle:")
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        st.caption("Nothing trained yet in this session: press **Train with both losses**.")
        return
    results(result)
