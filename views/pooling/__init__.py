"""The Pooling page: one module per tab, plus the constants and helpers they share."""
