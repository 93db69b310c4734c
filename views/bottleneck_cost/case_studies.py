"""The Case studies tab (seed 002): LeNet-5 to DenseNet-121, each with the idea it introduced,
its parameters and multiply-adds, and the theoretical receptive field of one output unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.models.zoo import INPUT_SIDE
from ui.figures import show_table
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from views.bottleneck_cost.common import field_of, model_cost

CASE_STUDIES = {  # model -> (year, the idea it introduced; seed 002's case studies)
    "LeNet-5": ("1998", "Conv → pool → conv → pool → dense: the template of CNNs."),
    "AlexNet": ("2012", "Scales LeNet up: ReLU, dropout, trained on GPUs, on ImageNet."),
    "VGG-16": ("2014", "Only 3×3 kernels, stacked: a large field from small, cheap filters."),
    "GoogLeNet": ("2015", "Inception modules (1×1, 3×3, 5×5 side by side); 1×1 bottlenecks."),
    "ResNet-50": ("2016", "Shortcuts past two or three layers (bottleneck blocks), very deep."),
    "DenseNet-121": (
        "2017",
        "Each layer sees the feature maps of all earlier layers in its block.",
    ),
}


@tab_body
def render() -> None:
    st.markdown(
        f"The case studies of {notes_name('002')}, each with its own numbers: parameters and "
        "multiply-adds counted layer by layer in one forward pass, and the theoretical "
        "receptive field of one output unit (pixels, one side), worked out from the kernels, "
        "strides and dilations (it can exceed the image: the field is the span the weights "
        "could reach, padding included)."
    )
    from_the_notes(("002", "Case Study"))
    rows = []
    with st.spinner("Counting the case studies…"):
        for name, (year, idea) in CASE_STUDIES.items():
            report = model_cost(name, INPUT_SIDE[name])
            try:
                rf = f"{field_of(name):,}"
            except Exception as err:  # noqa: BLE001 - one model's failure must not hide the rest
                rf = f"n/a ({type(err).__name__})"
            side = INPUT_SIDE[name]
            rows.append(
                {
                    "network": f"{name} ({year})",
                    "idea": idea,
                    "parameters": f"{report.params:,}",
                    "MACs": f"{report.macs:,}",
                    "receptive field": rf,
                    "layers": sum(
                        r.kind.startswith("Conv") or r.kind == "Linear" for r in report.rows
                    ),
                    "input": f"{side}×{side}",
                }
            )
    show_table(
        pd.DataFrame(rows),
        hide_index=True,
        key="bn_case_table",
        column_config={
            "idea": st.column_config.TextColumn(width="large"),
            "receptive field": st.column_config.TextColumn(help="pixels, one side"),
            "layers": st.column_config.NumberColumn(help="convolution and linear layers"),
        },
    )
    st.caption(
        "LeNet-5 is built by the app itself, as the 1998 paper describes it (32×32 grayscale "
        "digits); the others are torchvision's definitions."
    )
