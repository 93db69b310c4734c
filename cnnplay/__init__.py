"""cnnplay: the computation behind the cnnplay app (no Streamlit in here).

Modules are named after the concept they compute: ``device`` (where tensors live), ``images``
(upload intake and samples), ``grids`` (the lecture notes' ±1 pixel images), ``kernels`` (named
filters), ``ops`` (readable loop versions of CNN operations, each tested against torch),
``filtering`` (real-sized convolution of photos with torch) and ``plots`` (plotly figures).
"""

import os

# torch's OpenMP threads spin while they wait for work. On a 2-core server shared by many
# sessions (or any other job) that spinning steals the cores: training ran ~10x slower with 2
# threads on a busy machine. Passive waiting costs nothing when the machine is idle. It must be
# set before torch starts OpenMP, hence here, before any cnnplay module imports torch; the
# Makefile exports it too. An explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
