"""What several tabs of the Pooling page share: the pooling modes, the widgets' defaults, the
grid chosen in the "Pool a grid" tab (the Backprop tab reads it), the note on tied maxima and
the message for a window that does not fit."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.pool import POOL_GRIDS

MODES = {"max": "max pooling", "avg": "average pooling", "global": "global average pooling"}
DEFAULTS = {  # session-state defaults (set when absent; the widgets pass no default)
    "pl_mode": "max",  # the radio above the tabs
    "pl_size": 2,  # window size k
    "pl_stride": 2,  # stride s
    "pl_source": next(iter(POOL_GRIDS)),  # the grid of the "Pool a grid" tab
    "pl_sel": (0, 0, 0),  # (channel, row, col) of the selected output cell
    "pl_version": 0,  # bumped on every click: a fresh chart key for the next click
    "pl_animate": False,  # "Watch the window slide" (Pool a grid)
    "pl_inv_dx": 1,  # Invariance: shift right by
    "pl_inv_dy": 0,  # Invariance: shift down by
    "pl_inv_k": 3,  # Invariance: max-pool window
    "pl_eq_dx": 1,  # Invariance, equivariance check: shift g right by
    "pl_eq_dy": 1,  # Invariance, equivariance check: shift g down by
    "pl_sv_side": 64,  # Saving work: input side (pixels)
    "pl_sv_pool": 2,  # Saving work: pool window (= stride)
}  # the radios and selectboxes inside the tabs start at their first option
TIES = (  # what the page says about tied maxima (our rule vs torch's, which is not documented)
    "this page's rule picks the first in row-major order; torch documents no order for ties, "
    "so on a tied window its choice may differ"
)


def set_defaults() -> None:
    """Give the page's settings their defaults unless the student has set them."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def cells_of(indices: np.ndarray, width: int) -> list[tuple[int, int]]:
    """Flattened per-plane indices (H', W') -> distinct (row, col) input cells."""
    return sorted({divmod(int(n), width) for n in np.ravel(indices)})


def editor_key(source: str, channel: int) -> str:
    """Key of the "Type exact values" editor of one channel of a preset grid."""
    return f"pl_ed_{source}_{channel}"


def preset_grid(source: str) -> np.ndarray:
    """The preset grid ``source`` as (C, H, W) float64."""
    base = POOL_GRIDS[source]()
    return base[None] if base.ndim == 2 else base


def chosen_grid() -> np.ndarray:
    """The grid the "Pool a grid" tab pools, (C, H, W), with the student's typed edits (kept by
    ui.inputs.matrix_editor under ``editor_key(...) + "_kept"``), without drawing anything."""
    source = st.session_state["pl_source"]
    base = preset_grid(source)
    planes = []
    for c, plane in enumerate(base):
        kept = st.session_state.get(f"{editor_key(source, c)}_kept")
        planes.append(kept if kept is not None and kept.shape == plane.shape else plane)
    return np.stack(planes)


def explain_error(err: ValueError, shape: tuple[int, int], size: int, stride: int) -> None:
    fix = "Choose a smaller window." if "larger" in str(err) else "Choose a stride of at least 1."
    st.error(
        f"A {size}×{size} window with stride {stride} cannot pool this "
        f"{shape[0]}×{shape[1]} input: {err}. {fix}",
        icon=":material/block:",
    )
