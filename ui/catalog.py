"""The concept map: every page of the app, grouped in sections, with what it teaches.

``app.py`` builds ``st.navigation`` from the pages that exist; the home page shows them all,
planned ones included, so a teacher sees where each idea lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: page paths count from here


@dataclass(frozen=True)
class PageInfo:
    title: str  # shown in the navigation and on the home page
    icon: str  # a Material icon name, ":material/...:"
    teaches: str  # one sentence for the home page
    path: str | None = None  # file under views/; None while the page is planned
    seeds: str = ""  # which lecture notes it draws on
    examples: str = ""  # the notes' worked examples the page reproduces; "" where none yet

    @property
    def file(self) -> Path:
        """The page's file as an absolute path (Streamlit resolves relative page paths against
        the entrypoint it was started with, which is not always app.py)."""
        if self.path is None:
            raise ValueError(f"{self.title} is planned: it has no file yet")
        return ROOT / self.path


SECTIONS: dict[str, list[PageInfo]] = {
    "Foundations": [
        PageInfo(
            "Kernels",
            ":material/grid_on:",
            "Slide a 3×3 or 5×5 kernel over the notes' + and X images and your photos: "
            "feature maps, channels, bias and activation, padding, cross-correlation vs "
            "convolution, every sum spelled out.",
            "views/kernels.py",
            "seeds 000, 003, 004",
            examples="seed 000's 6×6 + and X, seed 003's 9×9 deformed X, seed 004's 5×5 "
            "image and 3×3 kernel",
        ),
        PageInfo(
            "Padding, stride & dilation",
            ":material/open_in_full:",
            "Output-size arithmetic, padding modes, strided and dilated kernels, "
            "transposed convolution as a matrix.",
            path="views/padding.py",
            seeds="seeds 000, 001, 002, 004",
            examples="seed 001's zero-padded 6×6, seed 001's transposed convolution "
            "(trans_conv), seed 002's 1D convolution as a matrix (K = 3, stride 1 and 2)",
        ),
        PageInfo(
            "Pooling",
            ":material/filter_center_focus:",
            "Max, average and global pooling: which cell wins, what is lost.",
            "views/pooling.py",
            "seeds 000, 002, 003",
            examples="seed 002's row of detector outputs, seed 003's 9×9 X, seed 002's three "
            "ways to undo pooling",
        ),
        PageInfo(
            "Receptive field",
            ":material/center_focus_strong:",
            "How far a unit sees through a stack of layers, in theory and in practice.",
            path="views/receptive_field.py",
            seeds="seeds 000, 002",
            examples="seed 000's 3×3 convolution followed by a 2×2 max pool",
        ),
    ],
    "Architectures": [
        PageInfo(
            "Bottleneck & cost",
            ":material/calculate:",
            "Parameters and multiply-adds of dense, local and convolutional layers; "
            "what a 1×1 bottleneck saves.",
            path="views/bottleneck_cost.py",
            seeds="seeds 001, 002",
            examples="seed 001's dense, local and convolutional layers on MNIST, seed 002's "
            "layer-list exercise (256×256×3), its 256 → 256 3×3 bottleneck and its case "
            "studies",
        ),
        PageInfo(
            "Inside a pretrained CNN",
            ":material/visibility:",
            "Feature maps, filters, saliency, Grad-CAM, occlusion and adversarial "
            "examples on an ImageNet network.",
            path="views/pretrained.py",
            seeds="seeds 000, 002, 004",
        ),
        PageInfo(
            "Transfer learning",
            ":material/school:",
            "Your own classes on a pretrained base: a CNN from scratch vs a frozen base with "
            "a new head vs fine-tuning its last blocks, with augmentation, measured.",
            path="views/transfer_learning.py",
            seeds="seeds 000, 001",
        ),
    ],
    "Applications": [
        PageInfo(
            "Detection",
            ":material/select_all:",
            "IoU, anchors, a small single-shot detector and non-maximum suppression step by "
            "step; AP on fresh scenes, sliding windows on your photo, RoI pool vs RoI align.",
            path="views/detection.py",
            seeds="seeds 000, 001, 002",
        ),
        PageInfo(
            "Segmentation (U-Net)",
            ":material/texture:",
            "A class for every pixel: encoder, decoder and skip connections, the U-Net against "
            "an FCN, trained live; semantic vs instance segmentation.",
            path="views/segmentation.py",
            seeds="seeds 001, 002, 003",
            examples="seed 001's transposed-convolution example",
        ),
        PageInfo(
            "Text CNN",
            ":material/notes:",
            "A sentence as a 1D image: one filter sliding over word vectors, 1-max pooling, a "
            "Kim CNN trained live beside a bag of words on negation and contrast, and the "
            "n-grams each filter fires on.",
            path="views/text_cnn.py",
            seeds="seeds 000, 001, 002",
            examples="seed 001's sentence as an image: 9 words, filter height 2, 8 moves",
        ),
    ],
}


def available_pages() -> dict[str, list[PageInfo]]:
    """Sections with only the pages that exist (have a file)."""
    return {
        name: [p for p in pages if p.path]
        for name, pages in SECTIONS.items()
        if any(p.path for p in pages)
    }
