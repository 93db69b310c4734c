"""The Text CNN page: one module per tab, the data settings above the tabs, and what they share."""
