"""What the tabs of the Inside a pretrained CNN page share: constants, the photo and prediction
chosen above the tabs (:class:`Seen`), this session's private copy of the model for hooks, and
the cached computations (keyed by model name and the photo's content hash)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st
import torch

from cnnplay.explain import (
    Occlusion,
    activations,
    fgsm,
    flip_epsilon,
    grad_cam,
    guided_backprop,
    guided_model,
    layer_table,
    occlusion,
    predict,
    saliency,
)
from cnnplay.models.copies import shared_weights_copy
from cnnplay.models.pretrained import (
    REGISTRY,
    Preprocessed,
    PretrainedSpec,
    grey,
    imagenet_categories,
    pixel_bounds,
    preprocess,
)
from cnnplay.progress import ProgressFn, StopFn
from ui.figures import show_figure
from ui.inputs import PickedImage

TOP_K = 5
PRIVATE_KEY = "pt_private"  # session state: (model name, this session's module tree for hooks)

show = partial(show_figure, width="stretch")


@dataclass(frozen=True)
class Seen:
    """The network, the photo and what the network said about it: chosen and computed above
    the tabs (a change reruns the page), read by every tab."""

    name: str  # REGISTRY key of the network in use (the offline one if a download failed)
    model: torch.nn.Module  # ui.models.shared_pretrained(name): shared, read-only, no hooks
    picked: PickedImage  # the photo, (H, W, 3) uint8
    digest: str  # content hash of the photo: the cache key of everything computed from it
    prep: Preprocessed  # the resized, cropped and normalised photo
    cats: list[str]  # the 1000 ImageNet class names
    probs: np.ndarray  # (TOP_K,) softmax probabilities, best first
    idx: np.ndarray  # (TOP_K,) their class indices

    @property
    def spec(self) -> PretrainedSpec:
        return REGISTRY[self.name]

    @property
    def x(self) -> torch.Tensor:
        """(3, S, S) float32, normalised as the network expects."""
        return self.prep.tensor

    @property
    def top(self) -> int:
        return int(self.idx[0])

    @property
    def classes(self) -> list[int]:
        """Every class, the top-k first (best first), then the rest by index."""
        ranked = [int(i) for i in self.idx]
        return ranked + sorted(set(range(len(self.cats))) - set(ranked))

    def class_label(self, i: int) -> str:
        ranked = [int(j) for j in self.idx]
        return f"{self.cats[i]} (#{ranked.index(i) + 1})" if i in ranked else self.cats[i]


def session_copy(name: str, model: torch.nn.Module) -> torch.nn.Module:
    """This session's own copy of the module tree, for functions that register hooks (never on
    the shared model); it shares the shared model's weights, so it costs kilobytes, not the
    20 MB of a deep copy. Made when a tab that needs it is first opened."""
    held = st.session_state.get(PRIVATE_KEY)
    if held is None or held[0] != name:
        held = (name, shared_weights_copy(model))
        st.session_state[PRIVATE_KEY] = held
    return held[1]


@st.cache_data(max_entries=8, show_spinner=False)
def categories() -> list[str]:
    return imagenet_categories()


@st.cache_data(max_entries=16, show_spinner=False)
def stages(name: str, digest: str, _pixels: np.ndarray) -> Preprocessed:
    return preprocess(_pixels, REGISTRY[name])


@st.cache_data(max_entries=32, show_spinner="Classifying…")
def top_classes(name: str, digest: str, _model, _x) -> tuple[np.ndarray, np.ndarray]:
    return predict(_model, _x, TOP_K)


@st.cache_resource(max_entries=2, show_spinner=False)
def guided_copy(name: str, _model) -> torch.nn.Module:
    """The model with guided ReLUs, built once per model and shared read-only like the model:
    guided backprop only takes gradients with respect to the input."""
    return guided_model(_model)


@st.cache_data(max_entries=8, show_spinner="Listing the layers…")
def layers(name: str, _model) -> list:
    return layer_table(_model)


@st.cache_data(max_entries=32, show_spinner="Computing the feature maps…")
def feature_maps(name: str, layer: str, digest: str, _model, _x) -> np.ndarray:
    return activations(_model, layer, _x)


@st.cache_data(max_entries=32, show_spinner=False)
def explanations(name: str, layer: str, target: int, digest: str, _model, _copy, _x) -> dict:
    return {
        "saliency": saliency(_model, _x, target),
        "guided": guided_backprop(_model, _x, target, guided=guided_copy(name, _model)),
        "cam": grad_cam(_copy, layer, _x, target),
    }


def occlusion_map(
    name: str,
    target: int,
    patch: int,
    stride: int,
    model: torch.nn.Module,
    x: torch.Tensor,
    on_progress: ProgressFn,
    should_stop: StopFn,
) -> Occlusion | None:
    """cnnplay.explain.occlusion with the network's grey patch; None when stopped. Not cached:
    the tab keeps its last result in session state and runs only on a button press."""
    fill = grey(REGISTRY[name])
    return occlusion(
        model, x, target, patch, stride, fill=fill, on_progress=on_progress, should_stop=should_stop
    )


@st.cache_data(max_entries=32, show_spinner=False)
def attack(name: str, target: int, eps: float, digest: str, _model, _x):
    spec = REGISTRY[name]
    return fgsm(_model, _x, eps, target, spec.std, pixel_bounds(spec))


@st.cache_data(max_entries=16, show_spinner=False)
def needed_epsilon(name: str, target: int, digest: str, _model, _x) -> float | None:
    spec = REGISTRY[name]
    return flip_epsilon(_model, _x, target, spec.std, pixel_bounds(spec))
