"""The concept map: every page of the app, grouped in sections, with what it teaches.

``app.py`` builds ``st.navigation`` from the pages that exist; the home page shows them all,
planned ones included, so a teacher sees where each idea lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ui.notes import notes_name

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
            examples="the 6×6 image with a + and an X (seed 000), the deformed 9×9 X (seed "
            "003), the 5×5 image and 3×3 kernel of discrete 2D convolution (seed 004)",
        ),
        PageInfo(
            "Padding, stride & dilation",
            ":material/open_in_full:",
            "Output-size arithmetic, padding modes, strided and dilated kernels, "
            "transposed convolution as a matrix.",
            path="views/padding.py",
            seeds="seeds 000, 001, 002, 004",
            examples="the zero-padded 6×6 vertical-edge example (seed 001), the transposed "
            "convolution stamped by trans_conv (seed 001), a 1D convolution as a matrix with "
            "K = 3 and stride 1 or 2 (seed 002)",
        ),
        PageInfo(
            "Pooling",
            ":material/filter_center_focus:",
            "Max, average and global pooling: which cell wins, what is lost.",
            "views/pooling.py",
            "seeds 000, 002, 003",
            examples="max pooling of a row of detector outputs (seed 002), the 9×9 X (seed "
            "003), three ways to undo pooling (seed 002)",
        ),
        PageInfo(
            "Receptive field",
            ":material/center_focus_strong:",
            "How far a unit sees through a stack of layers, in theory and in practice.",
            path="views/receptive_field.py",
            seeds="seeds 000, 002",
            examples="a 3×3 convolution followed by a 2×2 max pool (seed 000)",
        ),
    ],
    "Architectures": [
        PageInfo(
            "Train a CNN",
            ":material/model_training:",
            f"An MLP, the CNN from {notes_name('001')} and its all-convolutional twin trained "
            "live on real images: "
            "shuffled pixels, shifts and rotations, a dense layer turned into a convolution, "
            "the gradient of a shared weight, your own drawing, and a keypoint regressor.",
            path="views/train_cnn.py",
            seeds="seeds 000, 001, 004",
            examples="a CNN and a fully convolutional net on MNIST-sized images (seed 001), "
            "the gradient of a shared weight (seed 004)",
        ),
        PageInfo(
            "Bottleneck & cost",
            ":material/calculate:",
            "Parameters and multiply-adds of dense, local and convolutional layers; "
            "what a 1×1 bottleneck saves.",
            path="views/bottleneck_cost.py",
            seeds="seeds 001, 002",
            examples="dense, local and convolutional layers on MNIST (seed 001), the "
            "#weights and #neurons exercise on a 256×256×3 image, the 256 → 256 3×3 "
            "bottleneck and the case studies (seed 002)",
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
            "What a CNN learned",
            ":material/psychology:",
            "Images close in feature space, a map of a whole gallery, the patches a unit "
            "likes best, DeconvNet; images made by gradient ascent, DeepDream and style "
            "transfer.",
            path="views/learned.py",
            seeds="seed 002",
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
            "step; AP on fresh scenes, classification + localisation with L2 vs 1 − IoU box "
            "losses, sliding windows on your photo, RoI pool vs RoI align.",
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
            examples="the transposed convolution of a 2×2 input (seed 001)",
        ),
        PageInfo(
            "Text CNN",
            ":material/notes:",
            "A sentence as a 1D image: one filter sliding over word vectors, 1-max pooling, a "
            "Kim CNN trained live beside a bag of words on negation and contrast, and the "
            "n-grams each filter fires on.",
            path="views/text_cnn.py",
            seeds="seeds 000, 001, 002",
            examples="a sentence as an image: 9 words, filter height 2, 8 moves (seed 001)",
        ),
    ],
}


def neighbours(title: str) -> tuple[PageInfo | None, PageInfo | None]:
    """The pages before and after the page called ``title`` on the path through the ideas (the
    catalogue's order, sections one after another, planned pages skipped); None at either end
    and for a title the catalogue does not hold."""
    path = [p for pages in available_pages().values() for p in pages]
    titles = [p.title for p in path]
    if title not in titles:
        return None, None
    at = titles.index(title)
    return (path[at - 1] if at > 0 else None), (path[at + 1] if at + 1 < len(path) else None)


def available_pages() -> dict[str, list[PageInfo]]:
    """Sections with only the pages that exist (have a file)."""
    return {
        name: [p for p in pages if p.path]
        for name, pages in SECTIONS.items()
        if any(p.path for p in pages)
    }
