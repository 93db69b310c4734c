"""The Segmentation (U-Net) page: one module per tab, plus the loaders and constants they share."""
