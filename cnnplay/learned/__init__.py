"""What a CNN learned, read from a trained network (seed 002, "Visualization"): the network's
stages by depth, feature space (retrieval, a 2D map, maximally activating patches) and
DeconvNet projections."""
