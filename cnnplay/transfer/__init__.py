"""Transfer learning (seed 000): a small CNN from scratch vs a frozen pretrained base + new head
vs fine-tuning its last blocks (``strategies``), and the trained head as a download (``export``)."""
