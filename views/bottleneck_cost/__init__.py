"""The Bottleneck & cost page: one module per tab, plus the cached counts and helpers they share."""
