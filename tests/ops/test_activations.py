import numpy as np
import torch

from cnnplay.ops.activations import ACTIVATIONS, relu, sigmoid


def test_against_torch():
    z = np.linspace(-800, 800, 101)
    np.testing.assert_allclose(relu(z), torch.relu(torch.from_numpy(z)).numpy())
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.from_numpy(z)).numpy(), atol=1e-15)
    assert np.isfinite(sigmoid(z)).all()
    np.testing.assert_array_equal(ACTIVATIONS["none"](z), z)
