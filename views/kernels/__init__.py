"""The Kernels page: one module per tab (the ± 1 grids of the notes, photos)."""
