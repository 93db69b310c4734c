"""Images made with a trained CNN (seed 002, "Dreaming and Style Transfer"): gradient ascent on
a class or a unit, DeepDream and neural style transfer. Each optimisation changes only the
image; the network is used read-only (frozen parameters, no hooks), so a model shared by every
session may be passed in."""
