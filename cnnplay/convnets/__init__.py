"""Why convolution: an MLP, seed 001's CNN and its fully convolutional twin trained on the same
real images, and the notes' arguments for convolution (spatial structure, weight sharing, dense
layer = convolution) turned into measurements. The Train a CNN page shows them."""
