"""The trained head as a download: safetensors weights, class names and a card, in one zip."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence

from torch import Tensor, nn

from cnnplay.transfer.strategies import TransferNet

EXPORT_WEIGHTS = "head.safetensors"
EXPORT_CLASSES = "classes.json"
EXPORT_CARD = "model.json"


def export_head(model: nn.Module, classes: Sequence[str], card: dict) -> bytes:
    """A zip of the trained weights (safetensors: the new head, and the fine-tuned stages when
    there are some; the whole small CNN for strategy 1), the class names (JSON, in output order)
    and a card (JSON: strategy, backbone, input side, metrics) that says how to use them."""
    from safetensors.torch import save

    part = model.trainable if isinstance(model, TransferNet) else model
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in part.state_dict().items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_WEIGHTS, save(tensors))
        archive.writestr(EXPORT_CLASSES, json.dumps(list(classes), indent=1))
        archive.writestr(EXPORT_CARD, json.dumps(card, indent=1))
    return buffer.getvalue()


def read_export(data: bytes) -> tuple[dict[str, Tensor], list[str], dict]:
    """Inverse of :func:`export_head`: (state_dict, class names, card)."""
    from safetensors.torch import load

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        weights = load(archive.read(EXPORT_WEIGHTS))
        classes = json.loads(archive.read(EXPORT_CLASSES))
        card = json.loads(archive.read(EXPORT_CARD))
    return weights, classes, card
