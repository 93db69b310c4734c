"""The Receptive field page's tabs, one module each, and what they share (common)."""
