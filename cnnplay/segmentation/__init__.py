"""Semantic and instance segmentation (seeds 001-003): U-Net / encoder-decoder / FCN
(``unet``), metrics, training, instances by connected components, figures, and torchvision's
DeepLabV3 when online (``deeplab``)."""
