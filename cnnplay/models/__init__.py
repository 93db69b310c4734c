"""nn.Module definitions: small CNNs of our own and a registry of torchvision architectures."""
