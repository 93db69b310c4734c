"""The Inside a pretrained CNN page: one module per tab, plus the cached computations they share."""
