"""Figure builders shared by several concepts; colours, scales and sizes live in ``style`` once.
Figures of one application concept live in its subpackage (``cnnplay.detection.plots``, ...)."""
