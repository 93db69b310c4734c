"""Datasets the app can always build offline (generated, deterministic by seed) and loaders of
real data where it is installed or reachable."""
