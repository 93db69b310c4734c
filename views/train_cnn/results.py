"""The Results tab: the three trained models side by side — test accuracy, parameters,
multiply-adds per image and training time — and one model's per-class confusion matrix, whose
cells open the test images behind them."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from cnnplay.convnets.models import MODELS
from cnnplay.quiz import Question, model_param_question
from ui.confusion import confusion_explorer
from ui.figures import show_table
from ui.links import LINK
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.train_cnn.common import TrainedRun, need_training, trained


def results_table(run: TrainedRun) -> pd.DataFrame:
    """One row per trained model; counts as text with thousands separators."""
    rows = []
    for name, r in run.results.items():
        rows.append(
            {
                "model": MODELS[name],
                "test accuracy": f"{100 * r.test_accuracy:.2f}%",
                "parameters": f"{r.params:,}",
                "multiply-adds per image": f"{r.macs:,}",
                "epochs": f"{len(r.history.epochs):,}" + (" (stopped)" if run.stopped else ""),
                "training time": f"{r.seconds:,.1f} s",
            }
        )
    return pd.DataFrame(rows)


def params_question(run: TrainedRun, rng: random.Random) -> Question:
    """Quiz mode: the parameter count of one of the trained models (the rng picks which)."""
    name = rng.choice([n for n in run.results if n in run.models])
    shape = (1, *run.split.x_test.shape[1:])  # one image, e.g. (1, 1, 28, 28)
    return model_param_question(MODELS[name], run.models[name], shape)


def verdict(run: TrainedRun) -> str:
    """A sentence comparing the CNN with the MLP, from the table's numbers."""
    res = run.results
    if "cnn" not in res or "mlp" not in res:
        return ""
    cnn, mlp = res["cnn"], res["mlp"]
    gap = 100 * (cnn.test_accuracy - mlp.test_accuracy)
    return (
        f"CNN − MLP: **{gap:+.1f} points** of test accuracy. The CNN has "
        f"**{mlp.params / cnn.params:.1f}×** fewer parameters ({cnn.params:,} against "
        f"{mlp.params:,}) but does **{cnn.macs / mlp.macs:.0f}×** the multiply-adds per image: "
        "each of its few weights is used at every position of the image (weight sharing)."
    )


@tab_body
def render() -> None:
    run = trained()
    if run is None or not run.results:
        need_training()
        return
    split = run.split
    st.markdown(
        f"**{split.source}.** Every model was scored on the same {len(split.y_test):,} test "
        f"images, never seen in training; training seed {run.seed}"
        + (", with augmentation." if run.augmented else ".")
    )
    if not predict_then_reveal("cv_params", lambda rng: params_question(run, rng)):
        return  # quiz mode: the table (parameters among it) waits for the answer
    show_table(results_table(run), key="cv_results_table")
    st.caption(
        "Multiply-adds: one multiplication and one addition, counted for the convolution and "
        "dense layers of one 28×28 image (as on the Bottleneck & cost page); training time: "
        "each model's own epochs, its scoring on the test images after each epoch included."
    )
    if text := verdict(run):
        st.markdown(text)
    st.markdown("#### Which classes are mixed up")
    names = list(run.results)
    if st.session_state.get("cv_cm_model") not in names:
        st.session_state.cv_cm_model = "cnn" if "cnn" in names else names[0]
    name = st.radio(
        "Model",
        names,
        format_func=MODELS.get,
        key="cv_cm_model",
        horizontal=True,
        persist_state=KEEP,
        bind=LINK,
    )
    r = run.results[name]
    st.markdown(
        f"{MODELS[name]}: **{100 * r.test_accuracy:.1f}%** of {len(split.y_test):,} test "
        "images right (the diagonal). Click a cell, or choose it beside the matrix, to see the "
        "images behind it."
    )
    confusion_explorer(
        "cv_cm",
        split.y_test.cpu().numpy(),
        r.test_pred,
        split.classes,
        split.x_test[:, 0].cpu().numpy(),  # (M, 28, 28) uint8
    )
