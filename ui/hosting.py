"""Where the app runs: a class server (the default) or a small free host (the hosted profile).

A public demo on Streamlit Community Cloud has about 2.7 GB of memory and two small cores for
everyone who opens it. One setting switches the app to what such a host can carry:

    CNNPLAY_PROFILE=hosted        (environment variable, or a top-level key of the app's
                                   secrets on Community Cloud: ``CNNPLAY_PROFILE = "hosted"``)

What the hosted profile changes (:data:`HOSTED`), and nothing else:

- **one training run at a time** for the whole server (the others queue, see ui/run_limit.py),
  whatever ``CNNPLAY_TRAINING_RUNS`` says;
- **smaller training sizes**: fewer default images, scenes and sentences, and lower maxima, so a
  run takes seconds, not minutes, and holds less memory while it goes;
- **the memory-hungry options hidden**: VGG-16 on the Receptive field page (its effective field,
  a backward pass through the largest network the app runs with gradients, is the heaviest
  single request a student can make);
- **smaller uploads**: at most 200 images of one's own classes.

Read once per call (an environment lookup), so tests can switch it; an unknown value raises
ValueError (a typo must not silently give a free host the class server's limits).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import streamlit as st

PROFILE_ENV = "CNNPLAY_PROFILE"


@dataclass(frozen=True)
class Profile:
    name: str  # "class" or "hosted"
    training_runs: int | None  # runs at once for the server; None: ui.run_limit's own setting
    max_upload_images: int  # Transfer learning: one's own classes, all images together
    max_per_class: int  # Transfer learning: built-in images per class (the slider's top)
    train_scene_choices: tuple[int, ...]  # Segmentation: training scenes offered
    max_sentences: int  # Text CNN: generated sentences (the slider's top)
    hidden_networks: frozenset[str] = frozenset()  # Receptive field: networks not offered
    defaults: Mapping[str, object] = field(default_factory=dict)  # session-state defaults

    def page_defaults(self, defaults: Mapping[str, object]) -> dict[str, object]:
        """A page's session-state defaults with this profile's own values for its keys."""
        return {key: self.defaults.get(key, value) for key, value in defaults.items()}


CLASS = Profile(
    name="class",
    training_runs=None,
    max_upload_images=400,
    max_per_class=60,
    train_scene_choices=(100, 200, 400, 600, 1000, 2000),
    max_sentences=5000,
)
HOSTED = Profile(
    name="hosted",
    training_runs=1,
    max_upload_images=200,
    max_per_class=40,
    train_scene_choices=(100, 200, 400),
    max_sentences=2000,
    hidden_networks=frozenset({"VGG-16"}),
    defaults={
        "tl_per_class": 20,  # Transfer learning: 30 on a class server
        "seg_train_scenes": 200,  # Segmentation: 600
        "seg_epochs": 5,  # 8
        "tc_n": 1000,  # Text CNN: 2,000 sentences
        "cv_n_train": 10_000,  # Train a CNN: all 60,000 Fashion-MNIST images
        "cv_kp_faces": 1000,  # Train a CNN, keypoints: 2,000 faces
        "det_loc_images": 600,  # Detection, classify + localise: 1,000 images
        "wl_ga_steps": 120,  # What a CNN learned, gradient ascent: 200 steps
        "wl_ga_size": 160,  # ... at 160 px: 224
        "wl_dream_size": 256,  # DeepDream: a 384 px photo
    },
)
PROFILES = {p.name: p for p in (CLASS, HOSTED)}


def secret(name: str) -> str:
    """A top-level string of the app's secrets (Community Cloud's settings), or "" (no secrets
    file, no such key, or not a string). Never shows anything on the page."""
    if not st.secrets.load_if_toml_exists():  # a probe: never raises
        return ""
    value = st.secrets.get(name, "")
    return value if isinstance(value, str) else ""


def profile(environ: Mapping[str, str] | None = None) -> Profile:
    """The profile ``CNNPLAY_PROFILE`` names (environment first, then the app's secrets), the
    class server's when unset. Raises ValueError for an unknown name."""
    env = os.environ if environ is None else environ
    raw = (env.get(PROFILE_ENV, "") or (secret(PROFILE_ENV) if environ is None else "")).strip()
    if not raw:
        return CLASS
    if raw.lower() not in PROFILES:
        raise ValueError(f"{PROFILE_ENV} must be one of {', '.join(PROFILES)} (got {raw!r})")
    return PROFILES[raw.lower()]
