"""A regression head: a CNN that outputs keypoint coordinates (seed 000's "coordinates of the
eyes", seed 001's facial-keypoint assignment).

- :mod:`cnnplay.keypoints.faces`: a generated set of drawn faces with six keypoints each,
  deterministic by seed, and the horizontal flip that mirrors an image, its x coordinates and
  swaps the left/right keypoint labels;
- :mod:`cnnplay.keypoints.model`: a small CNN with a 2K-output linear head, trained with the mean
  squared error on normalised coordinates through :func:`cnnplay.train.fit`; the mean pixel
  error and the "predict the mean face" baseline;
- :mod:`cnnplay.keypoints.plots`: faces with their keypoints drawn, the training curves.
"""
