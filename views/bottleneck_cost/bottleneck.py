"""The Bottleneck tab (seed 002): a plain k×k convolution against a 1×1 bottleneck, a depthwise
separable and a grouped block, counted term by term, then measured in torch on the device."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from cnnplay.cost import (
    DESIGNS,
    BlockSettings,
    BlockTiming,
    block_terms,
    time_blocks,
    validate_block,
    validate_groups,
)
from cnnplay.device import device_label, get_device
from cnnplay.plots.charts import grouped_bar_figure
from cnnplay.snippets import cost as cost_code
from ui.code_panel import code_panel
from ui.figures import show_table
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.bottleneck_cost import grouping
from views.bottleneck_cost.common import n, show

DESIGN_NAMES = {
    "plain": "plain k×k",
    "bottleneck": "1×1 bottleneck",
    "separable": "depthwise separable",
    "grouped": "grouped",
}
TIMING_BATCH = 2  # images per timed forward pass: small, so a measurement takes ≲ 2 s on 2 cores
TIMING_REPEATS = 5  # timed passes per design (median shown)
TIMINGS_KEY = "bn_timings"  # session state: {(settings, side): {device: [BlockTiming]}}


@st.cache_data(max_entries=32, show_spinner=False)
def measured(
    s: BlockSettings, side: int, device: str, designs: tuple[str, ...] = DESIGNS
) -> list[BlockTiming]:
    return time_blocks(
        s, designs, batch=TIMING_BATCH, side=side, repeats=TIMING_REPEATS, device=device
    )


def saving_sentence(s: BlockSettings) -> str:
    """What the bottleneck saves with these widths, in both counts (they are the same number:
    bias-free, each weight is used once per output position)."""
    plain = sum(t.weights for t in block_terms("plain", s))
    bott = sum(t.weights for t in block_terms("bottleneck", s))
    return (
        f"With these widths the 1×1 bottleneck needs **{bott:,} weights** instead of "
        f"**{plain:,}** and does **{bott:,} multiply-adds per position** instead of "
        f"**{plain:,}**: **{plain / bott:.1f}× fewer of both**. A bottleneck cuts parameters "
        "and work together; so do the depthwise separable and grouped designs."
    )


def block_settings() -> tuple[BlockSettings, int, str | None] | None:
    """The widths row; (settings, map side, why the groups make no grouped block or None), or
    None (with a message) if the widths make no block at all."""
    c = st.columns(6)
    s = BlockSettings(
        c_in=c[0].number_input(
            "Input channels", 0, 2048, 256, key="bn_cin", persist_state=KEEP, bind=LINK
        ),
        c_out=c[1].number_input(
            "Output channels", 0, 2048, 256, key="bn_cout", persist_state=KEEP, bind=LINK
        ),
        mid=c[2].number_input(
            "Bottleneck width", 0, 2048, 64, key="bn_mid", persist_state=KEEP, bind=LINK
        ),
        kernel=c[3].number_input(
            "Kernel k", 1, 11, 3, step=2, key="bn_k", persist_state=KEEP, bind=LINK
        ),
        groups=c[4].number_input(
            "Groups", 0, 2048, 32, key="bn_groups", persist_state=KEEP, bind=LINK
        ),
    )
    side = c[5].number_input(
        "Map side W = H", 1, 512, 28, key="bn_wh", persist_state=KEEP, bind=LINK
    )
    try:
        validate_block(s)
    except ValueError as err:
        st.error(f"These widths do not make a block: {err}.", icon=":material/block:")
        return None
    try:
        validate_groups(s)
    except ValueError as err:  # only the grouped design is affected: the others still show
        st.error(
            f"Groups: {err}. The grouped row is left out until then; the other designs "
            "are shown below.",
            icon=":material/block:",
        )
        return s, side, str(err)
    return s, side, None


def term_latex(design: str, s: BlockSettings) -> str:
    terms = block_terms(design, s)
    parts = [
        rf"({t.kernel}\times{t.kernel}\times{t.c_in // t.groups})\times{t.c_out}" for t in terms
    ]
    total = sum(t.macs_per_position for t in terms)
    values = " + ".join(n(t.macs_per_position) for t in terms)
    middle = rf" = (W\times H)\times[{values}]" if len(terms) > 1 else ""
    # Two lines: a three-layer block's terms do not fit beside their sum on a laptop screen.
    return (
        rf"\begin{{aligned}}\text{{{design}: }}&(W\times H)\times[{' + '.join(parts)}]\\"
        rf"&{middle} = (W\times H)\times {n(total)}\end{{aligned}}"
    )


@tab_body
def render() -> None:
    st.markdown(
        f"The example of {notes_name('002')}: a 3×3 convolution from 256 to 256 channels, "
        "against a **bottleneck**: a 1×1 convolution down to 64 channels, the 3×3 on 64, and a "
        "1×1 back up to 256. Same input and output shapes; the 1×1 layers *combine the features "
        "at each position* first. Two further steps: a **depthwise separable** convolution (one "
        "k×k filter per channel, then a 1×1) and a **grouped** convolution (each filter sees "
        "c_in / groups channels)."
    )
    from_the_notes(("002", "Bottleneck layer", "Variants of Convolution"))
    settings = block_settings()
    if settings is None:
        return
    s, side, group_error = settings
    designs = tuple(d for d in DESIGNS if d != "grouped" or group_error is None)
    for design in designs:
        st.latex(term_latex(design, s))
    plain = sum(t.macs_per_position for t in block_terms("plain", s))
    rows = []
    for design in DESIGNS:
        if design not in designs:  # flagged, not computed: its groups do not divide the widths
            rows.append(
                {
                    "design": DESIGN_NAMES[design],
                    "layers": f"not a block: {s.groups} groups (see the message above)",
                    "MACs per position": "—",
                    "weights": "—",
                    f"MACs on {side}×{side}": "—",
                    "vs plain": "—",
                }
            )
            continue
        per_pos = sum(t.macs_per_position for t in block_terms(design, s))
        rows.append(
            {
                "design": DESIGN_NAMES[design],
                "layers": " → ".join(t.label for t in block_terms(design, s)),
                "MACs per position": f"{per_pos:,}",
                "weights": f"{per_pos:,}",
                f"MACs on {side}×{side}": f"{per_pos * side * side:,}",
                "vs plain": f"{plain / per_pos:.1f}× fewer" if design != "plain" else "—",
            }
        )
    show_table(pd.DataFrame(rows), hide_index=True, key="bn_block_table")
    st.caption(
        "With bias-free convolutions the weights equal the multiplies at one position: each "
        "weight is used once per output position."
    )
    st.markdown(saving_sentence(s))
    code_panel(lambda: cost_code.bottleneck(s, side, designs), "bn_code_block")
    grouping.render(s)
    measure_section(s, designs)


def measure_section(s: BlockSettings, designs: tuple[str, ...] = DESIGNS) -> None:
    st.subheader("Measured, not only counted")
    device = get_device()
    devices = ["cpu"] + ([str(device)] if device.type != "cpu" else [])
    c1, c2 = st.columns([1, 3])
    side = c1.number_input(
        "Timed map side", 4, 64, 28, key="bn_time_side", persist_state=KEEP, bind=LINK
    )
    c2.markdown(
        f"Builds the {len(designs)} blocks in torch and times a forward pass of a batch of "
        f"{TIMING_BATCH} × {s.c_in} × {side} × {side} (median of {TIMING_REPEATS}) on "
        + " and ".join(device_label(torch.device(d)) for d in devices)
        + "."
    )
    key = (s, side)
    if st.button("Measure the blocks", key="bn_measure"):
        with st.spinner(f"Timing the {len(designs)} blocks…"):
            st.session_state.setdefault(TIMINGS_KEY, {})[key] = {
                d: measured(s, side, d, designs) for d in devices
            }
    results = st.session_state.get(TIMINGS_KEY, {}).get(key)
    if results is None:
        st.info("Press **Measure the blocks** to time them with these settings.")
        return
    for dev, timings in results.items():
        base = timings[0]
        table = pd.DataFrame(
            {
                "design": [DESIGN_NAMES[t.design] for t in timings],
                "MACs": [f"{t.macs:,}" for t in timings],
                "median ms": [round(t.median_ms, 2) for t in timings],
                "count ratio (plain / this)": [round(base.macs / t.macs, 2) for t in timings],
                "time ratio (plain / this)": [
                    round(base.median_ms / t.median_ms, 2) for t in timings
                ],
            }
        )
        st.markdown(f"**{dev.upper()}**")
        left, right = st.columns([3, 2])
        show_table(table, where=left, hide_index=True, key=f"bn_time_table_{dev}")
        show(
            grouped_bar_figure(
                list(table["design"]),
                {
                    "count ratio": list(table["count ratio (plain / this)"]),
                    "time ratio": list(table["time ratio (plain / this)"]),
                },
                f"savings vs plain on {dev.upper()}",
            ),
            f"bn_time_chart_{dev}",
            right,
        )
        sep = next(t for t in timings if t.design == "separable")
        st.markdown(
            f"Counted, the depthwise separable block does **{base.macs / sep.macs:.1f}×** less "
            f"work than the plain one; measured on {dev.upper()} it is "
            f"**{base.median_ms / sep.median_ms:.1f}×** faster. Depthwise and grouped "
            "convolutions do few MACs per byte of memory they read, so they often gain less "
            "time than their counts promise; small maps and batches also leave fixed per-layer "
            "overheads that counts ignore."
        )
