"""Random flips and transposes (the 8 symmetries of the square) of a training batch, applied
alike to the images and to their targets. The scene shapes keep their class under all of them.

Use as ``fit(..., augment=aug)`` with ``loss_fn(out, y) = loss(out, aug.targets(y))``: the call on
the images records each sample's symmetry, ``targets`` applies the same ones to the targets of
that batch. The base class transforms dense (N, H, W, ...) targets such as per-pixel masks;
:class:`cnnplay.detection.detector.DihedralAugment` overrides ``targets`` for grid box targets.
"""

from __future__ import annotations

import torch
from torch import Tensor


class Dihedral:
    def __init__(self) -> None:
        self.codes: Tensor | None = None  # (N,) int symmetry of each sample of the last batch

    @staticmethod
    def _apply(t: Tensor, code: int, rows: int, cols: int) -> Tensor:
        """Bit 4: transpose, bit 1: flip columns, bit 2: flip rows (dims ``rows``/``cols``)."""
        if code & 4:
            t = t.transpose(rows, cols)
        if code & 1:
            t = t.flip(cols)
        if code & 2:
            t = t.flip(rows)
        return t

    def __call__(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """x: (N, C, H, W) with H = W -> the batch with each sample transformed."""
        self.codes = torch.randint(0, 8, (len(x),), generator=generator)
        out = torch.empty_like(x)
        for code in self.codes.unique().tolist():
            sel = (self.codes == code).to(x.device)
            out[sel] = self._apply(x[sel], code, 2, 3)
        return out

    def targets(self, y: Tensor) -> Tensor:
        """(N, H, W, ...) targets of the last batch, each transformed like its image."""
        if self.codes is None:
            return y
        out = torch.empty_like(y)
        for code in self.codes.unique().tolist():
            sel = (self.codes == code).to(y.device)
            out[sel] = self._target(y[sel], code)
        return out

    def _target(self, t: Tensor, code: int) -> Tensor:
        """One symmetry on (n, H, W, ...) targets: dense maps move like the pixels. Targets
        whose values also change (box offsets) override this."""
        return self._apply(t, code, 1, 2)
